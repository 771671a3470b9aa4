package sbom

import (
	"cmp"
	"fmt"
	"log/slog"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/wasm"
)

// Media types of sovcheck's SBOM reports. Fields may be added to a
// version, never repurposed.
const (
	LabelsMediaType    = "application/vnd.sovcheck.sbom-labels.v1+json"
	PortfolioMediaType = "application/vnd.sovcheck.sbom-portfolio.v1+json"
)

// Data is the optional offline data an assessment reads. Every field may
// be nil; the labels that need it then say "unknown".
type Data struct {
	Registry   *Registry
	Mapping    *Mapping
	Advisories *Advisories
	KEV        *KEV
	Facts      *Facts
	// VEX holds VEX documents; only trusted ones suppress findings.
	VEX []*VEX
	// Wasm holds the WebAssembly modules read beside the SBOM, by the
	// hex SHA-256 of their bytes; a component whose digest matches is
	// labelled by its capabilities (wasmlabels.go).
	Wasm map[string]*wasm.Module
	// Risk is a risk data snapshot (riskdata.go): stewardship facts for
	// packages the trust registry does not know, deprecations and
	// retractions.
	Risk *RiskData
}

// Assessor labels and scores component graphs with one configuration, one
// set of data files and one clock reading.
type Assessor struct {
	cfg    Config
	data   Data
	now    time.Time
	log    *slog.Logger
	limits Limits
}

// NewAssessor validates cfg and reads the clock once, so that every
// product of a run is judged at the same instant.
func NewAssessor(cfg Config, data Data, opts ...Option) (*Assessor, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg = cloneConfig(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Assessor{cfg: cfg, data: data, now: o.now().UTC(), log: o.logger, limits: o.limits}, nil
}

func cloneConfig(c Config) Config {
	w := make(map[Label]float64, len(c.Weights))
	for k, v := range c.Weights {
		w[k] = v
	}
	f := make(map[Label]int, len(c.RiskFloors))
	for k, v := range c.RiskFloors {
		f[k] = v
	}
	c.Weights, c.RiskFloors = w, f
	sf := make(map[string]int, len(c.SeverityFloors))
	for k, v := range c.SeverityFloors {
		sf[k] = v
	}
	c.SeverityFloors = sf
	c.GradeCutoffs = slices.Clone(c.GradeCutoffs)
	c.AllowedJurisdictions = slices.Clone(c.AllowedJurisdictions)
	return c
}

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
	Labels        []Finding    `json:"labels"`
	Unassessed    []Unassessed `json:"unassessed,omitempty"`
	Impact        Impact       `json:"impact"`
	Fragility     float64      `json:"fragility"`
	Risk          int          `json:"risk"`
	RiskFloor     *RiskFloor   `json:"riskFloor,omitempty"`
	Grade         Grade        `json:"grade"`
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

// fieldNames maps logical fields to each format's field names; line-based
// formats point at the line itself.
var fieldNames = map[Format]map[string]string{
	FormatCycloneDXJSON: {"purl": "purl", "hashes": "hashes", "supplier": "supplier", "licences": "licenses", "kind": "type", "name": "name"},
	FormatCycloneDXXML:  {"purl": "purl", "hashes": "hashes", "supplier": "supplier", "licences": "licenses", "kind": "type", "name": "name"},
	FormatSPDXJSON:      {"purl": "externalRefs", "hashes": "checksums", "supplier": "supplier", "licences": "licenseConcluded", "kind": "primaryPackagePurpose", "name": "name"},
	FormatNPMLock:       {"hashes": "integrity", "licences": "license", "name": "name"},
}

func fieldOf(f Format, c *Component, logical string) string {
	if n := fieldNames[f][logical]; n != "" {
		return c.Location + "/" + n
	}
	return c.Location
}

// Assess labels and scores one product.
func (a *Assessor) Assess(g *Graph) *Report {
	st := a.assess(g)
	return st.report(a)
}

// assessment is the working state of one product's assessment.
type assessment struct {
	g       *Graph
	results []ComponentResult // non-root components, in graph order
	index   []int             // graph index of each result
	blast   blastRadius
	tDep    float64
	tDom    float64
	caps    []Cap
}

func (a *Assessor) assess(g *Graph) *assessment {
	st := &assessment{g: g}
	m := len(g.Components)
	if g.Root >= 0 {
		m--
	}
	span := float64(max(1, m-1))
	st.tDep = math.Min(float64(a.cfg.DependentsThreshold), span)
	st.tDom = math.Min(float64(a.cfg.DominatedThreshold), span)
	if g.Dependencies {
		st.blast = analyzeBlast(g, int(st.tDep))
	}
	supplierShare := a.supplierShares(g)
	st.results = make([]ComponentResult, 0, m)
	st.index = make([]int, 0, m)
	for i := range g.Components {
		if i == g.Root {
			continue
		}
		r := a.component(g, i, st, supplierShare)
		st.results = append(st.results, r)
		st.index = append(st.index, i)
	}
	st.caps = a.caps(g, st.results)
	return st
}

// supplierStats holds each supplier's share of the components with a
// known supplier, keyed by supplierKey.
type supplierStats struct {
	share map[string]float64
	known int
}

func (a *Assessor) supplierOf(c *Component) string {
	if s, _, ok := a.data.Registry.supplier(c.Supplier); ok {
		return s.Name
	}
	return strings.TrimSpace(c.Supplier)
}

// supplierShares computes supplierStats over the non-root components.
func (a *Assessor) supplierShares(g *Graph) supplierStats {
	counts := map[string]int{}
	known := 0
	for i := range g.Components {
		if i == g.Root {
			continue
		}
		if s := a.supplierOf(&g.Components[i]); s != "" {
			counts[supplierKey(s)]++
			known++
		}
	}
	st := supplierStats{share: make(map[string]float64, len(counts)), known: known}
	for k, n := range counts {
		st.share[k] = float64(n) / float64(known)
	}
	return st
}

// rule context for one component.
type ruleCtx struct {
	a     *Assessor
	g     *Graph
	c     *Component
	r     *ComponentResult
	unass map[string][]Label
}

func (x *ruleCtx) fire(l Label, rule, field, record, detail string) {
	info := infoOf(l)
	w := 0.0
	if info.kind == kindFragility {
		w = x.a.cfg.Weights[l]
	}
	x.r.Labels = append(x.r.Labels, Finding{Label: l, Rule: rule, Field: field, Record: record, Detail: detail, Weight: w})
	x.r.bits.set(l)
}

func (x *ruleCtx) unknown(reason string, ls ...Label) {
	x.unass[reason] = append(x.unass[reason], ls...)
}

func (a *Assessor) component(g *Graph, i int, st *assessment, suppliers supplierStats) ComponentResult {
	c := &g.Components[i]
	up := resolveUpstream(c, a.data.Mapping)
	if rule, _ := placeholderOf(c); rule != "" {
		up = resolvedUpstream{Rule: rule, Field: fieldOf(g.Format, c, "name")}
	}
	r := ComponentResult{
		Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, Location: c.Location,
		Upstream: up.ID, UpstreamRule: up.Rule, UpstreamField: up.Field,
		Supplier: a.supplierOf(c),
		Licences: c.Licences,
	}
	for _, h := range c.Hashes {
		if alg := strings.ToUpper(strings.ReplaceAll(h.Algorithm, "-", "")); alg == "SHA256" && r.SHA256 == "" {
			r.SHA256 = strings.ToLower(h.Value)
		}
	}
	if c.Group != "" {
		r.Name = c.Group + "/" + c.Name
	}
	x := &ruleCtx{a: a, g: g, c: c, r: &r, unass: map[string][]Label{}}
	x.identity()
	x.provenance()
	party, partyRecord := x.stewardship(up)
	x.riskDataLifecycle()
	x.sovereignty(party, partyRecord)
	x.vulnerability()
	x.systemic(i, st, suppliers)
	a.score(&r)
	for reason, ls := range x.unass {
		slices.SortFunc(ls, func(p, q Label) int { return cmp.Compare(labelIndex[p], labelIndex[q]) })
		r.Unassessed = append(r.Unassessed, Unassessed{Reason: reason, Labels: slices.Compact(ls)})
	}
	slices.SortFunc(r.Unassessed, func(p, q Unassessed) int { return cmp.Compare(p.Reason, q.Reason) })
	slices.SortStableFunc(r.Labels, func(p, q Finding) int { return cmp.Compare(labelIndex[p.Label], labelIndex[q.Label]) })
	return r
}

// Native-code and binary markers.
var (
	nativeExtensions = []string{".so", ".dll", ".dylib", ".exe", ".bin", ".a", ".o", ".ko", ".elf", ".sys", ".node"}
	binaryKinds      = map[string]bool{"file": true, "firmware": true, "device-driver": true, "install": true, "archive": true}
	binaryMIME       = map[string]bool{"application/octet-stream": true, "application/x-executable": true, "application/x-sharedlib": true,
		"application/x-elf": true, "application/x-msdownload": true, "application/x-mach-binary": true}
	nativePURLTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true, "conan": true, "cargo": true,
		"golang": true, "cocoapods": true, "swift": true}
	nativeKinds = map[string]bool{"firmware": true, "device-driver": true, "operating-system": true}
)

func hasNativeExt(name string) (string, bool) {
	ext := strings.ToLower(path.Ext(name))
	if slices.Contains(nativeExtensions, ext) {
		return ext, true
	}
	if strings.Contains(strings.ToLower(name), ".so.") {
		return ".so", true
	}
	return "", false
}

func isWasm(c *Component) bool {
	return strings.EqualFold(c.MIMEType, "application/wasm") ||
		strings.HasSuffix(strings.ToLower(c.Name), ".wasm") || strings.HasSuffix(strings.ToLower(c.FileName), ".wasm")
}

func (x *ruleCtx) identity() {
	c, f := x.c, x.g.Format
	p, purlOK := parsePURL(c.PURL)
	if rule, detail := placeholderOf(c); rule != "" {
		x.fire(LabelUnidentifiable, rule, fieldOf(f, c, "name"), "", detail)
	} else if !purlOK && c.CPE == "" && c.SWID == "" && len(c.Hashes) == 0 {
		detail := "no purl, CPE, SWID tag or hash: the component can only be named, not looked up"
		if c.PURL != "" {
			detail = fmt.Sprintf("purl %q does not parse, and there is no CPE, SWID tag or hash", c.PURL)
		}
		x.fire(LabelUnidentifiable, "identity/no-identifier", c.Location, "", detail)
	}
	strong := false
	var algs []string
	for _, h := range c.Hashes {
		if strongHash(h.Algorithm) {
			strong = true
		}
		algs = append(algs, h.Algorithm)
	}
	if !strong {
		detail := "no hash of the artifact"
		if len(algs) > 0 {
			detail = "only weak hashes: " + strings.Join(algs, ", ")
		}
		x.fire(LabelUnverifiableArtifact, "identity/no-strong-hash", fieldOf(f, c, "hashes"), "", detail+"; SHA-256 or stronger is needed")
	}
	binary, why := false, ""
	switch {
	case binaryKinds[c.Kind]:
		binary, why = true, "component type "+c.Kind
	case binaryMIME[strings.ToLower(c.MIMEType)]:
		binary, why = true, "MIME type "+c.MIMEType
	default:
		for _, n := range []string{c.Name, c.FileName} {
			if ext, ok := hasNativeExt(n); ok {
				binary, why = true, "file name ends in "+ext
				break
			}
		}
	}
	if binary && !isWasm(c) {
		traced := c.VCS != "" || (purlOK && p.Type != "generic")
		for _, h := range c.UpstreamHints {
			if h.Rule != "purl" && h.Rule != "purl-os-package-name" {
				traced = true
			}
		}
		if !traced {
			x.fire(LabelOpaqueBinary, "identity/binary-without-source", fieldOf(f, c, "kind"), "",
				why+", and no source repository, package purl, pedigree or source package traces it to source")
		}
	}
	if c.Supplier == "" && len(c.Authors) == 0 {
		if _, _, ok := x.a.stewardOf(c, x.r.Upstream); !ok {
			x.fire(LabelUnknownProducer, "identity/no-supplier", fieldOf(f, c, "supplier"), "",
				"no supplier, manufacturer, publisher or author in the SBOM, and no steward in the trust registry")
		}
	}
	if len(c.Licences) == 0 {
		x.fire(LabelUnknownLicence, "identity/no-licence", fieldOf(f, c, "licences"), "", "no licence, or NOASSERTION")
	}
	switch {
	case !x.g.Dependencies:
		x.fire(LabelGraphIncomplete, "identity/no-graph", x.g.Source, "", "the SBOM declares no dependency relationships at all")
	case !c.DependenciesKnown:
		x.fire(LabelGraphIncomplete, "identity/no-dependency-entry", c.Location, "", "the SBOM does not state this component's dependencies")
	}
}

func (x *ruleCtx) provenance() {
	c := x.c
	if c.Modified {
		x.fire(LabelLocallyModified, "provenance/modified", c.ModifiedBy, "", "the SBOM records patches or a replacement relative to the upstream release")
	}
	labels := []Label{LabelNoProvenance, LabelUnsigned, LabelNotReproducible}
	if x.a.data.Facts == nil {
		x.unknown("no verify/rebuild facts given", labels...)
		return
	}
	fact, idx, ok := x.a.data.Facts.lookup(c)
	if !ok {
		x.unknown("no verify/rebuild facts for this component", labels...)
		return
	}
	record := func(field string) string {
		return fmt.Sprintf("%s#/components/%d/%s", x.a.data.Facts.source, idx, field)
	}
	ev := ""
	if fact.Evidence != "" {
		ev = " (" + fact.Evidence + ")"
	}
	check := func(v *bool, l Label, field, detail string) {
		switch {
		case v == nil:
			x.unknown("facts do not say "+field, l)
		case !*v:
			x.fire(l, "provenance/"+field+"-false", "", record(field), detail+ev)
		}
	}
	check(fact.Provenance, LabelNoProvenance, "provenance", "no verified provenance attestation")
	check(fact.Signed, LabelUnsigned, "signed", "no valid signature")
	check(fact.Reproducible, LabelNotReproducible, "reproducible", "the rebuild did not reproduce the artifact")
}

// stewardOf finds the trust registry steward of a component: by its
// upstream id, then by each upstream hint.
func (a *Assessor) stewardOf(c *Component, upstream string) (*Steward, int, bool) {
	reg := a.data.Registry
	if reg == nil {
		return nil, -1, false
	}
	if s, i, ok := reg.steward(upstream); ok {
		return s, i, true
	}
	for _, h := range c.UpstreamHints {
		if s, i, ok := reg.steward(h.Key); ok {
			return s, i, true
		}
		if alias, ok := sourceAliases[h.Key]; ok {
			if s, i, ok := reg.steward(alias); ok {
				return s, i, true
			}
		}
	}
	return nil, -1, false
}

// stewardship applies the registry's steward record. It returns the party
// (steward, else registered supplier) whose jurisdiction and certification
// count, and that party's record.
func (x *ruleCtx) stewardship(up resolvedUpstream) (*Party, string) {
	labels := []Label{LabelSingleMaintainer, LabelAnonymousMaintainer, LabelAbandoned, LabelUncertifiedSteward}
	if _, _, known := x.a.stewardOf(x.c, up.ID); !known && x.riskDataStewardship() {
		return nil, ""
	}
	reg := x.a.data.Registry
	if reg == nil {
		x.unknown("no trust registry given", labels...)
		return nil, ""
	}
	s, si, ok := x.a.stewardOf(x.c, up.ID)
	var party *Party
	var partyRecord string
	if ok {
		party, partyRecord = &s.Party, fmt.Sprintf("%s#/stewards/%d", reg.source, si)
	} else if sup, spi, ok := reg.supplier(x.c.Supplier); ok {
		party, partyRecord = &sup.Party, fmt.Sprintf("%s#/suppliers/%d", reg.source, spi)
	}
	if party != nil {
		x.r.Jurisdiction = party.Jurisdiction
	}
	if !ok {
		x.unknown("upstream not in the trust registry", LabelSingleMaintainer, LabelAnonymousMaintainer, LabelAbandoned)
		if party == nil {
			x.unknown("upstream not in the trust registry", LabelUncertifiedSteward)
			return nil, ""
		}
	} else {
		rec := func(f string) string { return fmt.Sprintf("%s#/stewards/%d/%s", reg.source, si, f) }
		x.r.Steward = &StewardInfo{Name: s.Name, Record: fmt.Sprintf("%s#/stewards/%d", reg.source, si),
			Jurisdiction: s.Jurisdiction, Maintainers: s.Maintainers, LastRelease: s.LastRelease, Funding: s.Funding}
		switch {
		case s.Maintainers == nil:
			x.unknown("registry gives no maintainer count", LabelSingleMaintainer)
		case *s.Maintainers <= 1:
			x.fire(LabelSingleMaintainer, "stewardship/maintainers-at-most-1", "", rec("maintainers"),
				fmt.Sprintf("%s has %d maintainer(s) with release rights%s", s.Name, *s.Maintainers, fundingNote(s.Funding)))
		}
		switch {
		case s.AnonymousMaintainers == nil:
			x.unknown("registry gives no anonymous-maintainer count", LabelAnonymousMaintainer)
		case *s.AnonymousMaintainers > 0:
			x.fire(LabelAnonymousMaintainer, "stewardship/anonymous-maintainers", "", rec("anonymousMaintainers"),
				fmt.Sprintf("%d maintainer(s) of %s are not identified", *s.AnonymousMaintainers, s.Name))
		}
		switch {
		case s.lastRelease.IsZero():
			x.unknown("registry gives no last release date", LabelAbandoned)
		default:
			age := int(x.a.now.Sub(s.lastRelease).Hours() / 24)
			if age > x.a.cfg.AbandonedAfterDays {
				x.fire(LabelAbandoned, "stewardship/no-release", "", rec("lastRelease"),
					fmt.Sprintf("last release %s, %d days before %s (limit %d days)", s.LastRelease, age, x.a.now.Format(time.DateOnly), x.a.cfg.AbandonedAfterDays))
			}
		}
	}
	if _, certified := party.certifiedAt(x.a.now); !certified {
		who := "the supplier"
		if ok {
			who = s.Name
		}
		x.fire(LabelUncertifiedSteward, "stewardship/no-valid-certification", "", partyRecord+"/certifications",
			fmt.Sprintf("%s holds no certification valid on %s", who, x.a.now.Format(time.DateOnly)))
	}
	return party, partyRecord
}

func fundingNote(f string) string {
	if f == "" {
		return ""
	}
	return ", funding: " + f
}

func (x *ruleCtx) sovereignty(party *Party, partyRecord string) {
	c := x.c
	allowed := x.a.cfg.AllowedJurisdictions
	switch {
	case len(allowed) == 0:
		x.unknown("no allowed jurisdictions configured", LabelForeignSingleSource)
	case party == nil:
		if x.a.data.Registry == nil {
			x.unknown("no trust registry given", LabelForeignSingleSource)
		} else {
			x.unknown("upstream not in the trust registry", LabelForeignSingleSource)
		}
	case party.Jurisdiction == "":
		x.unknown("registry gives no jurisdiction", LabelForeignSingleSource)
	case !slices.Contains(allowed, party.Jurisdiction) && len(party.Alternatives) == 0:
		x.fire(LabelForeignSingleSource, "sovereignty/foreign-no-alternative", "", partyRecord+"/jurisdiction",
			fmt.Sprintf("jurisdiction %s is outside %s and the registry lists no alternative", party.Jurisdiction, strings.Join(allowed, ",")))
	}
	if x.wasmCapabilities() {
		return
	}
	p, purlOK := parsePURL(c.PURL)
	switch {
	case c.InstallScript:
		x.fire(LabelUnsandboxedNative, "sovereignty/install-script", c.Location+"/hasInstallScript", "", "the package runs its own scripts at install time")
	case nativeKinds[c.Kind]:
		x.fire(LabelUnsandboxedNative, "sovereignty/native-kind", fieldOf(x.g.Format, c, "kind"), "", "component type "+c.Kind+" runs as native code")
	case purlOK && nativePURLTypes[p.Type]:
		x.fire(LabelUnsandboxedNative, "sovereignty/native-ecosystem", fieldOf(x.g.Format, c, "purl"), "", "purl type "+p.Type+" ships native code")
	default:
		for _, n := range []string{c.Name, c.FileName} {
			if ext, ok := hasNativeExt(n); ok {
				x.fire(LabelUnsandboxedNative, "sovereignty/native-file", fieldOf(x.g.Format, c, "name"), "", "file name ends in "+ext)
				break
			}
		}
	}
}

func (x *ruleCtx) systemic(i int, st *assessment, suppliers supplierStats) {
	c := x.c
	imp := &x.r.Impact
	if x.g.Dependencies {
		imp.Assessed = true
		d := int(st.blast.dependents[i])
		if d > st.blast.limit {
			imp.Dependents, imp.DependentsAtLeast = st.blast.limit, true
		} else {
			imp.Dependents = d
		}
		imp.Dominated = int(st.blast.dominated[i])
		imp.DependentsSignal = round3(lognorm(float64(d), st.tDep))
		imp.DominatedSignal = round3(lognorm(float64(imp.Dominated), st.tDom))
		if sig := math.Max(imp.DependentsSignal, imp.DominatedSignal); sig >= x.a.cfg.HighBlastRadius {
			x.fire(LabelHighBlastRadius, "systemic/blast-radius", c.Location, "",
				fmt.Sprintf("%s components depend on it, %d are reachable only through it (signal %.2f >= %.2f)",
					atLeast(imp.Dependents, imp.DependentsAtLeast), imp.Dominated, sig, x.a.cfg.HighBlastRadius))
		}
	} else {
		x.unknown("the SBOM carries no dependency graph", LabelHighBlastRadius)
	}
	imp.Sandboxed = x.r.bits.has(LabelSandboxed)
	if x.r.Supplier == "" {
		x.unknown("no supplier known", LabelSupplierConcentration)
		return
	}
	share := suppliers.share[supplierKey(x.r.Supplier)]
	if suppliers.known >= x.a.cfg.SupplierConcentrationMinComponents && share >= x.a.cfg.SupplierConcentrationShare {
		x.fire(LabelSupplierConcentration, "systemic/supplier-share", fieldOf(x.g.Format, c, "supplier"), "",
			fmt.Sprintf("%s supplies %.0f%% of the %d components with a known supplier", x.r.Supplier, 100*share, suppliers.known))
	}
}

func atLeast(n int, capped bool) string {
	if capped {
		return fmt.Sprintf("more than %d", n)
	}
	return fmt.Sprint(n)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// impactValue combines the signals: blast radius (the larger of the
// dependents and dominated signals), weighed with pervasiveness in a
// portfolio (perv < 0 outside one), times the sandbox factor.
func (a *Assessor) impactValue(imp *Impact, perv float64) float64 {
	w := a.cfg.ImpactWeights
	blast := math.Max(imp.DependentsSignal, imp.DominatedSignal)
	if !imp.Assessed {
		blast = a.cfg.UnknownImpact
	}
	v := blast
	if perv >= 0 {
		v = (w.BlastRadius*blast + w.Pervasiveness*perv) / (w.BlastRadius + w.Pervasiveness)
	}
	if imp.Sandboxed {
		v *= a.cfg.SandboxImpactFactor
	}
	return round3(v)
}

// score computes fragility, impact, risk and grade, and the derived
// systemic-fragile label. perv is the pervasiveness signal or -1.
func (a *Assessor) score(r *ComponentResult) { a.rescore(r, -1) }

func (a *Assessor) rescore(r *ComponentResult, perv float64) {
	r.Fragility = round3(a.cfg.fragility(r.bits))
	r.Impact.Value = a.impactValue(&r.Impact, perv)
	r.Risk, r.RiskFloor = a.riskOf(r.Fragility, r.Impact.Value, r.bits)
	a.severityFloor(r)
	r.Grade = a.cfg.gradeOf(r.Risk)
	if r.Impact.Value >= a.cfg.HighImpact && r.Fragility >= a.cfg.HighFragility && !r.bits.has(LabelSystemicFragile) {
		r.bits.set(LabelSystemicFragile)
		r.Labels = append(r.Labels, Finding{Label: LabelSystemicFragile, Rule: "systemic/impact-and-fragility",
			Detail: fmt.Sprintf("impact %.2f >= %.2f and fragility %.2f >= %.2f", r.Impact.Value, a.cfg.HighImpact, r.Fragility, a.cfg.HighFragility)})
	}
}

func (a *Assessor) riskOf(fragility, impact float64, bits labelBits) (int, *RiskFloor) {
	risk := a.cfg.risk(fragility, impact)
	var floor *RiskFloor
	for i, info := range labelCatalogue {
		if bits&(1<<i) == 0 {
			continue
		}
		if f, ok := a.cfg.RiskFloors[info.label]; ok && f > risk {
			risk, floor = f, &RiskFloor{Label: info.label, Value: f}
		}
	}
	return risk, floor
}

// caps decides the best grade the SBOM's quality allows.
func (a *Assessor) caps(g *Graph, results []ComponentResult) []Cap {
	var caps []Cap
	if len(results) == 0 {
		return []Cap{{Grade: a.cfg.Caps.Empty, Reason: "the SBOM lists no components besides the product itself"}}
	}
	identified := 0
	for i := range results {
		if !results[i].bits.has(LabelUnidentifiable) {
			identified++
		}
	}
	share := float64(identified) / float64(len(results))
	if share < a.cfg.Caps.MinIdentifiedShare {
		caps = append(caps, Cap{Grade: a.cfg.Caps.PoorSBOM, Reason: fmt.Sprintf("only %.0f%% of components are identifiable (at least %.0f%% needed)",
			100*share, 100*a.cfg.Caps.MinIdentifiedShare)})
	}
	if !g.Dependencies && len(results) > 1 {
		caps = append(caps, Cap{Grade: a.cfg.Caps.NoGraph, Reason: "the SBOM carries no dependency graph, so blast radius cannot be assessed"})
	}
	return caps
}

// report sorts results worst first and summarises the product.
func (st *assessment) report(a *Assessor) *Report {
	g := st.g
	results := st.results
	sortResults(results)
	rep := &Report{
		MediaType:  LabelsMediaType,
		AsOf:       a.now.Format(time.DateOnly),
		Components: results,
		Warnings:   g.Warnings,
		Config:     a.cfg,
		Data:       a.dataSources(),
	}
	rep.Product = Product{Name: g.Name, Version: g.Version, Source: g.Source, Format: g.Format, SpecVersion: g.SpecVersion,
		Components: len(results), GradeCounts: map[Grade]int{}, LabelCounts: map[Label]int{}}
	if g.Root >= 0 {
		rep.Product.PURL = g.Components[g.Root].PURL
	}
	for i := range results {
		rep.Product.GradeCounts[results[i].Grade]++
		for _, l := range results[i].bits.labels() {
			rep.Product.LabelCounts[l]++
		}
	}
	if len(results) > 0 {
		rep.Product.Risk = results[0].Risk
	}
	rep.Product.ComputedGrade = a.cfg.gradeOf(rep.Product.Risk)
	rep.Product.Grade, rep.Product.Caps = applyCaps(rep.Product.ComputedGrade, st.caps)
	rep.Coverage = coverage(results, false)
	rep.Suppressions, rep.Warnings = a.vulnerabilitySummary(results, rep.Warnings)
	rep.Services = a.assessServices(g)
	return rep
}

// applyCaps returns the worse of the computed grade and every cap.
func applyCaps(computed Grade, caps []Cap) (Grade, []Cap) {
	g := computed
	var applied []Cap
	for _, c := range caps {
		if c.Grade.Worse(computed) {
			applied = append(applied, c)
		}
		if c.Grade.Worse(g) {
			g = c.Grade
		}
	}
	return g, applied
}

func sortResults(rs []ComponentResult) {
	slices.SortStableFunc(rs, func(p, q ComponentResult) int {
		return cmp.Or(
			cmp.Compare(q.Risk, p.Risk),
			cmp.Compare(q.Fragility, p.Fragility),
			cmp.Compare(p.Name, q.Name),
			cmp.Compare(p.Version, q.Version),
			cmp.Compare(p.Location, q.Location),
		)
	})
}

// coverage counts assessed components per dimension. Labels that cannot
// apply (portfolio-pervasive outside a portfolio, derived labels) are not
// questions and are not counted.
func coverage(rs []ComponentResult, portfolio bool) Coverage {
	var cov Coverage
	questions := 0
	for _, info := range labelCatalogue {
		if info.kind == kindDerived || (info.label == LabelPortfolioPervasive && !portfolio) {
			continue
		}
		questions++
	}
	unknownCells := 0
	for _, d := range dimensions {
		dc := DimensionCoverage{Dimension: d, Total: len(rs)}
		reasons := map[string]int{}
		for i := range rs {
			missing := false
			for _, u := range rs[i].Unassessed {
				for _, l := range u.Labels {
					if infoOf(l).dim == d {
						missing = true
						reasons[u.Reason]++
						break
					}
				}
			}
			if !missing {
				dc.Assessed++
			}
		}
		for reason, n := range reasons {
			dc.Reasons = append(dc.Reasons, ReasonCount{Reason: reason, Components: n})
		}
		slices.SortFunc(dc.Reasons, func(p, q ReasonCount) int {
			return cmp.Or(cmp.Compare(q.Components, p.Components), cmp.Compare(p.Reason, q.Reason))
		})
		if dc.Total > 0 {
			dc.Share = round3(float64(dc.Assessed) / float64(dc.Total))
		}
		cov.Dimensions = append(cov.Dimensions, dc)
	}
	for i := range rs {
		for _, u := range rs[i].Unassessed {
			unknownCells += len(u.Labels)
		}
	}
	if total := questions * len(rs); total > 0 {
		cov.Unassessed = round3(float64(unknownCells) / float64(total))
	}
	return cov
}

func (a *Assessor) dataSources() []DataSource {
	var ds []DataSource
	if r := a.data.Registry; r != nil {
		ds = append(ds, DataSource{Kind: "trust-registry", Source: r.source, Records: len(r.Stewards) + len(r.Suppliers)})
	}
	if m := a.data.Mapping; m != nil {
		ds = append(ds, DataSource{Kind: "upstream-mapping", Source: m.source, Records: len(m.alias)})
	}
	if o := a.data.Advisories; o != nil {
		ds = append(ds, DataSource{Kind: "osv", Source: o.source, Records: o.Len(), AsOf: o.asOfString()})
	}
	if k := a.data.KEV; k != nil {
		ds = append(ds, DataSource{Kind: "kev", Source: k.source, Records: k.Len()})
	}
	if f := a.data.Facts; f != nil {
		ds = append(ds, DataSource{Kind: "facts", Source: f.source, Records: len(f.Components)})
	}
	ds = append(ds, a.vexSources()...)
	if rd := a.data.Risk; rd != nil {
		ds = append(ds, DataSource{Kind: "risk-data", Source: rd.source, Records: len(rd.Packages)})
	}
	return ds
}
