// Package sarif writes SARIF 2.1.0 logs as every sovcheck output does:
// rules named by reason codes and labels with their documentation and
// GitHub's security-severity, results fingerprinted, paths made relative.
// It sits below report so that the where answers (report/where) share it
// without linking what the rest of report needs (policy and CEL).
package sarif

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// ModulePath is sovcheck's module, whose pages the rules link to.
const ModulePath = "github.com/sovcheck/sovcheck"

// Schema is the JSON schema the SARIF output follows (SARIF 2.1.0
// with errata 01).
const Schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// Log is the SARIF log.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of a log.
type Run struct {
	Tool    Tool     `json:"tool"`
	Results []Result `json:"results"`
	// Properties holds "advisoriesAsOf": how fresh the advisory data of
	// the SBOM findings and of the verdicts' checks is.
	Properties map[string]any `json:"properties,omitempty"`
}

// Tool is the tool of a run.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool component that ran.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []Rule `json:"rules"`
	// Properties name the exact build, as far as it recorded itself:
	// "build" (the line of `sovcheck version`), "commit", "modified",
	// "moduleSum".
	Properties map[string]any `json:"properties,omitempty"`
}

// driverProperties is the driver's properties for the running build.
func driverProperties(bi buildinfo.Info) map[string]any {
	p := map[string]any{"build": bi.String()}
	if bi.Commit != "" {
		p["commit"] = bi.Commit
	}
	if bi.ModifiedKnown {
		p["modified"] = bi.Modified
	}
	if bi.Sum != "" {
		p["moduleSum"] = bi.Sum
	}
	return p
}

// Rule is a rule: a reason code or a label.
type Rule struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	ShortDescription Text       `json:"shortDescription"`
	Help             Text       `json:"help"`
	HelpURI          string     `json:"helpUri,omitempty"`
	Properties       *RuleProps `json:"properties,omitempty"`
}

// RuleProps carry what GitHub code scanning reads beyond SARIF
// itself: "security-severity" (0.1-10; 9 and above is critical, 7 high,
// 4 medium, below that low) and tags.
type RuleProps struct {
	SecuritySeverity string   `json:"security-severity"`
	Tags             []string `json:"tags"`
}

// RuleDocs gives a rule its documentation link and severity. A label's
// severity is ten times its default fragility weight (docs/risk.md), the
// impact labels 4.0 and systemic-fragile 7.0; a reason code's follows the
// level it is first reported at: an error 8.0, a warning 5.0, a note 2.0.
func RuleDocs(ruleID, level string) (string, *RuleProps) {
	tags := []string{"security", "supply-chain"}
	if l := sbom.Label(ruleID); sbom.LabelHint(l) != "" {
		sev := 3.0
		if w, ok := sbom.DefaultConfig().Weights[l]; ok {
			sev = max(10*w, 0.1)
		}
		switch l {
		case vocab.LabelSystemicFragile:
			sev = 7
		case vocab.LabelHighBlastRadius, vocab.LabelPortfolioPervasive:
			sev = 4
		}
		return DocsURI + "risk.md#fragility-label-weights", &RuleProps{SecuritySeverity: strconv.FormatFloat(sev, 'f', 1, 64), Tags: append(tags, "sbom")}
	}
	sev := map[string]string{"error": "8.0", "warning": "5.0"}[level]
	return DocsURI + "reasons.md", &RuleProps{SecuritySeverity: cmp.Or(sev, "2.0"), Tags: tags}
}

// Text is a SARIF message.
type Text struct {
	Text string `json:"text"`
}

// Result is one finding.
type Result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             Text              `json:"message"`
	Locations           []Location        `json:"locations"`
	RelatedLocations    []Location        `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// BaselineState is "new" or "unchanged" when a baseline was given.
	BaselineState string `json:"baselineState,omitempty"`
}

// Location is where a finding is: a file, or a logical name.
type Location struct {
	PhysicalLocation *Physical `json:"physicalLocation,omitempty"`
	LogicalLocations []Logical `json:"logicalLocations,omitempty"`
}

// Physical is a file and a line.
type Physical struct {
	ArtifactLocation Artifact `json:"artifactLocation"`
	Region           *Region  `json:"region,omitempty"`
}

// Artifact is a file by its URI reference.
type Artifact struct {
	URI string `json:"uri"`
}

// Region is a line of a file.
type Region struct {
	StartLine int `json:"startLine"`
}

// Logical is a named thing that is not a file.
type Logical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// Builder collects results and the rules they use.
type Builder struct {
	Results []Result
	Rules   map[string]Rule
}

// NewBuilder is an empty builder.
func NewBuilder() *Builder { return &Builder{Rules: map[string]Rule{}} }

// Add records a result. A rule's help is the first hint given for it.
func (s *Builder) Add(ruleID, description, hint, level, message string, locs []Location, related []Location, key ...string) {
	r, ok := s.Rules[ruleID]
	if !ok {
		r = Rule{ID: ruleID, Name: RuleName(ruleID), ShortDescription: Text{description}, Help: Text{noHint}}
		r.HelpURI, r.Properties = RuleDocs(ruleID, level)
	}
	if hint != "" && r.Help.Text == noHint {
		r.Help.Text = hint
	}
	s.Rules[ruleID] = r
	sum := sha256.Sum256([]byte(strings.Join(append([]string{ruleID}, key...), "\x00")))
	s.Results = append(s.Results, Result{RuleID: ruleID, Level: level, Message: Text{message}, Locations: locs, RelatedLocations: related,
		PartialFingerprints: map[string]string{"sovcheck/v1": hex.EncodeToString(sum[:16])}})
}

// Write writes the log of one run, by the build bi: its rules sorted by id, each result
// pointing at its rule, and the run's properties.
func (s *Builder) Write(w io.Writer, props map[string]any, bi buildinfo.Info) error {
	ids := make([]string, 0, len(s.Rules))
	for id := range s.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	index := map[string]int{}
	rules := make([]Rule, 0, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, s.Rules[id])
	}
	results := s.Results
	if results == nil {
		results = []Result{}
	}
	for i := range results {
		results[i].RuleIndex = index[results[i].RuleID]
	}
	log := Log{Schema: Schema, Version: "2.1.0", Runs: []Run{{
		Tool:       Tool{Driver: Driver{Name: "sovcheck", Version: bi.Version, InformationURI: "https://" + ModulePath, Rules: rules, Properties: driverProperties(bi)}},
		Results:    results,
		Properties: props,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// ArtifactLocation locates an artifact by its name, and by its digest when it
// has one.
func ArtifactLocation(name, digest string) Location {
	name = RelativePath(name)
	fq := name
	if digest != "" && digest != name {
		fq = name + "@" + digest
	}
	return Location{
		PhysicalLocation: &Physical{ArtifactLocation: Artifact{URI(name)}},
		LogicalLocations: []Logical{{Name: name, FullyQualifiedName: fq, Kind: "resource"}},
	}
}

// URI makes a URI reference of what the user named: a URI stays one
// (sha256:..., docker://...), a path is escaped as a relative reference.
func URI(s string) string {
	if u, err := url.Parse(s); err == nil && len(u.Scheme) > 1 {
		return u.String()
	}
	return (&url.URL{Path: filepath.ToSlash(RelativePath(s))}).String()
}

// RelativePath keeps a SARIF log free of the machine's absolute paths,
// which code scanning cannot place in a repository and which say more
// about the machine than the finding needs: an absolute path below the
// working directory becomes relative to it, any other the file's name.
func RelativePath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
			return rel
		}
	}
	return filepath.Base(p)
}

// RuleName turns SIGNATURE_INVALID into SignatureInvalid, and
// known-exploited into KnownExploited.
func RuleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' || r == '/' || r == ':' }) {
		r := []rune(strings.ToLower(part))
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// DocsURI is where the reason codes and labels are documented.
const DocsURI = "https://" + ModulePath + "/blob/main/docs/"

// noHint is the help of a rule none of whose results carries a hint.
const noHint = "each result's message says what was found and where"

// SBOMLocation points at an SBOM file, named by the product it describes.
func SBOMLocation(source, product string) Location {
	return Location{
		PhysicalLocation: &Physical{ArtifactLocation: Artifact{URI(source)}},
		LogicalLocations: []Logical{{Name: product, FullyQualifiedName: RelativePath(source), Kind: "resource"}},
	}
}
