package report

import (
	"slices"

	"github.com/sovcheck/sovcheck/policy"
)

// Media types of the documents a report reads besides VerifyMediaType:
// the JSON of `sovcheck sbom labels` (one product or a portfolio) and of
// `sovcheck rebuild`. Package report decodes only the fields it renders,
// so fields added to a version of these documents do not break it.
const (
	LabelsMediaType    = "application/vnd.sovcheck.sbom-labels.v1+json"
	PortfolioMediaType = "application/vnd.sovcheck.sbom-portfolio.v1+json"
	RebuildMediaType   = "application/vnd.sovcheck.rebuild.v1+json"
)

// Documents are the results one report renders, grouped by kind, each in
// the order it was read.
type Documents struct {
	// Inputs lists what was read, in order, for the report's record.
	Inputs []Input
	// Verify holds verdicts; a verdict carries its policy result (points,
	// rules and the evidence each used) when a policy was evaluated.
	Verify     []VerifyDocument
	Rebuilds   []RebuildDocument
	Labels     []LabelsDocument
	Portfolios []PortfolioDocument
}

// Input names one document a report was made from.
type Input struct {
	Name      string `json:"name"` // as the user gave it
	MediaType string `json:"mediaType"`
}

// LabelsDocument is the assessment of one product by `sovcheck sbom
// labels` (media type LabelsMediaType).
type LabelsDocument struct {
	MediaType  string       `json:"mediaType"`
	AsOf       string       `json:"asOf"`
	Product    Product      `json:"product"`
	Coverage   Coverage     `json:"coverage"`
	Components []Component  `json:"components"`
	Warnings   []string     `json:"warnings,omitempty"`
	Data       []DataSource `json:"data,omitempty"` // advisories.go
}

// Product is the graded product of an SBOM.
type Product struct {
	Name          string         `json:"name"`
	Version       string         `json:"version,omitempty"`
	PURL          string         `json:"purl,omitempty"`
	Source        string         `json:"source"` // the SBOM file, as named to sbom labels
	Format        string         `json:"format"`
	SpecVersion   string         `json:"specVersion,omitempty"`
	Components    int            `json:"components"`
	Risk          int            `json:"risk"`
	ComputedGrade string         `json:"computedGrade"`
	Grade         string         `json:"grade"` // A (best) to G
	Caps          []GradeCap     `json:"caps,omitempty"`
	GradeCounts   map[string]int `json:"gradeCounts"`
}

// GradeCap says why a product's grade was capped below its computed grade.
type GradeCap struct {
	Grade  string `json:"grade"`
	Reason string `json:"reason"`
}

// Coverage says how much of a product could not be assessed.
type Coverage struct {
	Unassessed float64             `json:"unassessed"` // share of label questions left open
	Dimensions []DimensionCoverage `json:"dimensions"`
}

// DimensionCoverage is the coverage of one label dimension.
type DimensionCoverage struct {
	Dimension string        `json:"dimension"`
	Assessed  int           `json:"assessed"`
	Total     int           `json:"total"`
	Share     float64       `json:"share"`
	Reasons   []ReasonCount `json:"reasons,omitempty"`
}

// ReasonCount counts the components left unassessed for one reason.
type ReasonCount struct {
	Reason     string `json:"reason"`
	Components int    `json:"components"`
}

// Component is one labelled component of a product.
type Component struct {
	Name       string       `json:"name"`
	Version    string       `json:"version,omitempty"`
	PURL       string       `json:"purl,omitempty"`
	Location   string       `json:"location"` // JSON pointer, XML path or file:line in the SBOM
	Upstream   string       `json:"upstream"`
	Supplier   string       `json:"supplier,omitempty"`
	Labels     []Finding    `json:"labels"`
	Unassessed []Unassessed `json:"unassessed,omitempty"`
	Fragility  float64      `json:"fragility"`
	Risk       int          `json:"risk"`
	Grade      string       `json:"grade"`
}

// Title is the component's name and version.
func (c *Component) Title() string {
	if c.Version != "" {
		return c.Name + "@" + c.Version
	}
	return c.Name
}

// Finding is one label that fired on a component, with where it was read.
type Finding struct {
	Label  string  `json:"label"`
	Rule   string  `json:"rule"`
	Field  string  `json:"field,omitempty"`  // the SBOM field read
	Record string  `json:"record,omitempty"` // the data record read
	Detail string  `json:"detail"`
	Weight float64 `json:"weight"`
}

// Unassessed lists labels that could not be decided, and why.
type Unassessed struct {
	Reason string   `json:"reason"`
	Labels []string `json:"labels"`
}

// PortfolioDocument is the view of many products by `sovcheck sbom labels
// --portfolio` (media type PortfolioMediaType).
type PortfolioDocument struct {
	MediaType   string             `json:"mediaType"`
	AsOf        string             `json:"asOf"`
	Totals      PortfolioTotals    `json:"totals"`
	Products    []PortfolioProduct `json:"products"`
	Upstreams   []SharedUpstream   `json:"upstreams"`
	Suppliers   []SupplierShare    `json:"suppliers"`
	SupplierHHI float64            `json:"supplierHHI"`
	Coverage    Coverage           `json:"coverage"`
	Failures    []PortfolioFailure `json:"failures,omitempty"`
	// Hosting is the concentration of hosted services on providers.
	Hosting *HostingConcentration `json:"hosting,omitempty"`
}

// HostingConcentration is a portfolio's dependence on hosting providers
// and jurisdictions; HHI is null when a provider is unknown.
type HostingConcentration struct {
	Products        int            `json:"products"`
	UnknownProvider int            `json:"unknownProvider"`
	Providers       []HostingShare `json:"providers"`
	Jurisdictions   []HostingShare `json:"jurisdictions"`
	HHI             *float64       `json:"hhi"`
	HHIUnknown      string         `json:"hhiUnknown,omitempty"`
}

// HostingShare is one provider's or jurisdiction's share of products.
type HostingShare struct {
	Name         string   `json:"name"`
	Jurisdiction string   `json:"jurisdiction,omitempty"`
	Products     int      `json:"products"`
	Share        float64  `json:"share"`
	Labels       []string `json:"labels,omitempty"`
}

// PortfolioTotals counts a portfolio.
type PortfolioTotals struct {
	Products   int `json:"products"`
	Components int `json:"components"`
	Upstreams  int `json:"upstreams"`
	Shared     int `json:"shared"`
}

// PortfolioProduct is one product of a portfolio.
type PortfolioProduct struct {
	Name          string     `json:"name"`
	Version       string     `json:"version,omitempty"`
	Source        string     `json:"source"`
	Format        string     `json:"format"`
	Components    int        `json:"components"`
	Risk          int        `json:"risk"`
	ComputedGrade string     `json:"computedGrade"`
	Grade         string     `json:"grade"`
	Caps          []GradeCap `json:"caps,omitempty"`
	Worst         string     `json:"worst,omitempty"`
	WorstUpstream string     `json:"worstUpstream,omitempty"`
	WorstLabels   []string   `json:"worstLabels,omitempty"`
	Unassessed    float64    `json:"unassessed"`
}

// SharedUpstream is an upstream project that several products hold.
type SharedUpstream struct {
	Upstream  string   `json:"upstream"`
	Example   string   `json:"example"`
	Products  int      `json:"products"`
	Share     float64  `json:"share"` // of the portfolio's products
	Fragility float64  `json:"fragility"`
	Score     float64  `json:"score"`
	Labels    []string `json:"labels"`
}

// SupplierShare is one supplier's share of a portfolio's components.
type SupplierShare struct {
	Supplier   string  `json:"supplier"`
	Components int     `json:"components"`
	Share      float64 `json:"share"`
}

// PortfolioFailure is an SBOM of a portfolio that could not be read.
type PortfolioFailure struct {
	Source  string `json:"source"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// RebuildDocument is the JSON of `sovcheck rebuild` (media type
// RebuildMediaType): artifact rebuilds, or module zip checks.
type RebuildDocument struct {
	MediaType string          `json:"mediaType"`
	Results   []RebuildResult `json:"results,omitempty"`
	Modules   []ModuleRebuild `json:"modules,omitempty"`
}

// Rebuild statuses: only MATCH passes.
const (
	RebuildMatch    = "MATCH"
	RebuildMismatch = "MISMATCH"
	RebuildSkip     = "SKIP"
)

// RebuildResult is the rebuild of one artifact.
type RebuildResult struct {
	Artifact       string            `json:"artifact"`
	ArtifactDigest map[string]string `json:"artifactDigest"`
	Status         string            `json:"status"`
	Reason         *RebuildReason    `json:"reason,omitempty"`
	Causes         []RebuildCause    `json:"causes,omitempty"`
	Toolchain      *RebuildToolchain `json:"toolchain,omitempty"`
	Sandbox        *RebuildSandbox   `json:"sandbox,omitempty"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest,omitempty"`
	Phases         []RebuildPhase    `json:"phases"`
	// SourceMissing: the objects of the commit the source lacked.
	SourceMissing *RebuildMissing `json:"sourceMissing,omitempty"`
}

// RebuildMissing is what a rebuild's source lacked of the commit's tree.
type RebuildMissing struct {
	Count   int      `json:"count"`
	Objects []string `json:"objects"`
}

// ModuleRebuild is the check of one Go module zip against its recorded
// hash.
type ModuleRebuild struct {
	Module  string         `json:"module"`
	Version string         `json:"version"`
	Commit  string         `json:"commit,omitempty"`
	Status  string         `json:"status"`
	Reason  *RebuildReason `json:"reason,omitempty"`
	GotH1   string         `json:"gotH1,omitempty"`
	WantH1  string         `json:"wantH1"`
	Causes  []RebuildCause `json:"causes,omitempty"`
}

// RebuildReason says why a rebuild did not match or was not tried.
type RebuildReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
}

// RebuildCause is one explained difference between the published and the
// rebuilt artifact.
type RebuildCause struct {
	Code string `json:"code"`
	What string `json:"what"`
	Got  string `json:"got,omitempty"`
	Want string `json:"want,omitempty"`
}

// RebuildToolchain is the toolchain a rebuild used.
type RebuildToolchain struct {
	Version string `json:"version"`
	Origin  string `json:"origin"`
}

// RebuildSandbox says how a rebuild was isolated.
type RebuildSandbox struct {
	Method   string `json:"method"`
	Hermetic bool   `json:"hermetic"`
}

// RebuildPhase is one line of a rebuild's PASS/FAIL/SKIP log.
type RebuildPhase struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// grades is the energy-label scale, best first.
var grades = []string{"A", "B", "C", "D", "E", "F", "G"}

func gradeRank(g string) int { return slices.Index(grades, g) }

// ValidGrade reports whether g is a grade of the scale A (best) to G.
func ValidGrade(g string) bool { return gradeRank(g) >= 0 }

// Decision is what a set of documents decides, for the exit code.
type Decision struct {
	// Status is PASS only if something was decided and nothing failed.
	Status policy.Status
	// Decided counts verdicts, rebuilds and (with a minimum grade) graded
	// products. Zero means the documents hold grades only: no verdict.
	Decided int
	Failed  int
}

// Decide judges the documents, failing closed: a verdict passes only as
// policy.Decide says, a rebuild only on MATCH, and with minGrade (A to G,
// or "" to not judge grades) a product only when its grade is minGrade or
// better. A verify or rebuild document with no result at all counts as one
// failure, and so does an SBOM a portfolio could not read when grades are
// judged.
func (d *Documents) Decide(minGrade string) Decision {
	var dec Decision
	judge := func(pass bool) {
		dec.Decided++
		if !pass {
			dec.Failed++
		}
	}
	for _, doc := range d.Verify {
		if len(doc.Verdicts) == 0 {
			judge(false)
		}
		for _, v := range doc.Verdicts {
			judge(v.Passed())
		}
	}
	for _, doc := range d.Rebuilds {
		if len(doc.Results)+len(doc.Modules) == 0 {
			judge(false)
		}
		for _, r := range doc.Results {
			judge(r.Status == RebuildMatch)
		}
		for _, m := range doc.Modules {
			judge(m.Status == RebuildMatch)
		}
	}
	if minGrade != "" {
		limit := gradeRank(minGrade)
		for _, doc := range d.Labels {
			judge(limit >= 0 && gradeRank(doc.Product.Grade) >= 0 && gradeRank(doc.Product.Grade) <= limit)
		}
		for _, doc := range d.Portfolios {
			for _, p := range doc.Products {
				judge(limit >= 0 && gradeRank(p.Grade) >= 0 && gradeRank(p.Grade) <= limit)
			}
			for range doc.Failures {
				judge(false)
			}
		}
	}
	dec.Status = policy.StatusFail
	if dec.Decided > 0 && dec.Failed == 0 {
		dec.Status = policy.StatusPass
	}
	return dec
}
