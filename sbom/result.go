package sbom

// Report is the assessment of one product.
type Report struct {
	MediaType string `json:"mediaType"`
	// AsOf is the date the assessment was made for (abandonment and
	// certificate validity are judged on it).
	AsOf     string   `json:"asOf"`
	Product  Product  `json:"product"`
	Coverage Coverage `json:"coverage"`
	// Components lists every component but the product root, worst first.
	Components []ComponentResult `json:"components"`
	// Services are the product's hosted services with their labels
	// (hosting.go).
	Services []ServiceResult `json:"services,omitempty"`
	Data     []DataSource    `json:"data"`
	// Suppressions lists every finding a trusted VEX statement removed,
	// with its source.
	Suppressions []Suppression `json:"suppressions,omitempty"`
	Warnings     []string      `json:"warnings,omitempty"`
	// Config is the configuration every number was computed with.
	Config Config `json:"config"`
}

// Product summarises the graded product.
type Product struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	PURL        string `json:"purl,omitempty"`
	Source      string `json:"source"`
	Format      Format `json:"format"`
	SpecVersion string `json:"specVersion,omitempty"`
	Components  int    `json:"components"`
	// Risk is the worst component's risk; ComputedGrade its grade, and
	// Grade the product grade after Caps.
	Risk          int           `json:"risk"`
	ComputedGrade Grade         `json:"computedGrade"`
	Grade         Grade         `json:"grade"`
	Caps          []Cap         `json:"caps,omitempty"`
	GradeCounts   map[Grade]int `json:"gradeCounts"`
	LabelCounts   map[Label]int `json:"labelCounts"`
}

// Cap is a limit on the product grade and why it applies.
type Cap struct {
	Grade  Grade  `json:"grade"`
	Reason string `json:"reason"`
}

// Coverage says how much of the product could be assessed.
type Coverage struct {
	// Unassessed is the share of (component, label) questions that could
	// not be answered for lack of data.
	Unassessed float64             `json:"unassessed"`
	Dimensions []DimensionCoverage `json:"dimensions"`
}

// DimensionCoverage counts the components fully assessed in one dimension
// and why the others were not.
type DimensionCoverage struct {
	Dimension Dimension     `json:"dimension"`
	Assessed  int           `json:"assessed"`
	Total     int           `json:"total"`
	Share     float64       `json:"share"`
	Reasons   []ReasonCount `json:"reasons,omitempty"`
}

// ReasonCount is one reason for missing data and how many components it
// concerns.
type ReasonCount struct {
	Reason     string `json:"reason"`
	Components int    `json:"components"`
}

// DataKindOSV is the Kind of the OSV advisories among a report's Data.
const DataKindOSV = "osv"

// DataSource names a data file the assessment read.
type DataSource struct {
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Records int    `json:"records"`
	// AsOf is how fresh the data is (advisories: the newest "modified").
	AsOf string `json:"asOf,omitempty"`
	// Trusted marks VEX documents that may suppress findings.
	Trusted *bool `json:"trusted,omitempty"`
}

// ComponentResult is the assessment of one component.
type ComponentResult struct {
	Ref      string `json:"ref"`
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
	PURL     string `json:"purl,omitempty"`
	Location string `json:"location"`
	// Upstream is the upstream project id; UpstreamRule and UpstreamField
	// say how it was found.
	Upstream      string       `json:"upstream"`
	UpstreamRule  string       `json:"upstreamRule"`
	UpstreamField string       `json:"upstreamField"`
	Supplier      string       `json:"supplier,omitempty"`
	Steward       *StewardInfo `json:"steward,omitempty"`
	// Repository is the source repository whose imported Scorecard and
	// criticality results were read (a snapshot's repositories key).
	Repository string       `json:"repository,omitempty"`
	Labels     []Finding    `json:"labels"`
	Unassessed []Unassessed `json:"unassessed,omitempty"`
	Impact     Impact       `json:"impact"`
	Fragility  float64      `json:"fragility"`
	Risk       int          `json:"risk"`
	RiskFloor  *RiskFloor   `json:"riskFloor,omitempty"`
	Grade      Grade        `json:"grade"`
	// Licences, SHA256 and Jurisdiction repeat the facts policies match
	// on: the SBOM's licences, its SHA-256 digest, and the jurisdiction of
	// the steward (or registered supplier), when known.
	Licences        []string              `json:"licences,omitempty"`
	SHA256          string                `json:"sha256,omitempty"`
	Jurisdiction    string                `json:"jurisdiction,omitempty"`
	Vulnerabilities []VulnerabilityResult `json:"vulnerabilities,omitempty"`

	bits labelBits
}

// Finding is one fired label with the rule and the evidence behind it.
type Finding struct {
	Label Label `json:"label"`
	// Rule is a stable id of the rule that fired.
	Rule string `json:"rule"`
	// Field is the SBOM field read (JSON pointer, XML path, file:line).
	Field string `json:"field,omitempty"`
	// Record is the data record read (file#pointer).
	Record string `json:"record,omitempty"`
	Detail string `json:"detail"`
	// Weight is the label's fragility weight (0 for impact labels).
	Weight float64 `json:"weight"`
}

// Unassessed lists labels that could not be judged, and why.
type Unassessed struct {
	Reason string  `json:"reason"`
	Labels []Label `json:"labels"`
}

// StewardInfo is the trust registry record used for a component.
type StewardInfo struct {
	Name         string `json:"name"`
	Record       string `json:"record"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	Maintainers  *int   `json:"maintainers,omitempty"`
	LastRelease  string `json:"lastRelease,omitempty"`
	Funding      string `json:"funding,omitempty"`
}

// Impact is how much of the product (and portfolio) fails with the
// component, with the signals it is computed from.
type Impact struct {
	Value    float64 `json:"value"`
	Assessed bool    `json:"assessed"`
	// Dependents is the number of components depending on this one,
	// directly or transitively; DependentsAtLeast marks a capped count.
	Dependents        int  `json:"dependents"`
	DependentsAtLeast bool `json:"dependentsAtLeast,omitempty"`
	// Dominated is the number of components reachable from the product
	// only through this one.
	Dominated           int      `json:"dominated"`
	DependentsSignal    float64  `json:"dependentsSignal"`
	DominatedSignal     float64  `json:"dominatedSignal"`
	Products            int      `json:"products,omitempty"`
	PervasivenessSignal *float64 `json:"pervasivenessSignal,omitempty"`
	Sandboxed           bool     `json:"sandboxed,omitempty"`
}

// VulnerabilityResult is one known vulnerability of a component.
type VulnerabilityResult struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Severity is critical, high, medium, low or unknown, as the advisory
	// states it: SeveritySource names the field it was read from (a CVSS
	// vector, scored as SeverityScore, or a database's own word).
	Severity         string   `json:"severity"`
	SeverityScore    float64  `json:"severityScore,omitempty"`
	SeveritySource   string   `json:"severitySource"`
	SeverityVector   string   `json:"severityVector,omitempty"`
	SeverityProblems []string `json:"severityProblems,omitempty"`
	KnownExploited   bool     `json:"knownExploited"`
	// Record is the advisory (file#pointer) or the SBOM field declaring it.
	Record string `json:"record"`
	// VEX is the statement that speaks about this finding, if any;
	// Suppressed is set when a trusted not_affected statement removes it
	// from labels, grades and policy counts.
	VEX        *VEXFinding `json:"vex,omitempty"`
	Suppressed bool        `json:"suppressed,omitempty"`
}

// RiskFloor records that a label lifted the risk.
type RiskFloor struct {
	Label    Label  `json:"label"`
	Value    int    `json:"value"`
	Severity string `json:"severity,omitempty"`
}

// Title is the component's name and version, as reports show it.
func (c *ComponentResult) Title() string {
	if c.Version != "" {
		return c.Name + "@" + c.Version
	}
	return c.Name
}

// AdvisoriesAsOf is how fresh the advisory data the vulnerability labels
// rest on is (its newest "modified"): "" when no advisory data was given,
// "unknown" when the data states no date.
func (r *Report) AdvisoriesAsOf() string {
	for _, s := range r.Data {
		if s.Kind == DataKindOSV {
			if s.AsOf == "" {
				return "unknown"
			}
			return s.AsOf
		}
	}
	return ""
}
