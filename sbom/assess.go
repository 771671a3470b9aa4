package sbom

import (
	"cmp"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/wasm"
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

// NewAssessor returns an Assessor with the scoring configuration of
// WithScoring (default DefaultConfig) and the data files of WithData
// (default none: the labels that need them say "unknown"), and reads the
// clock once, so that every product of a run is judged at the same
// instant.
func NewAssessor(opts ...Option) (*Assessor, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	if o.scoring != nil {
		cfg = *o.scoring
	}
	return &Assessor{cfg: cfg, data: o.data, now: o.now().UTC(), log: o.logger, limits: o.limits}, nil
}

// WithScoring sets the weights and cut-offs an Assessor scores with. The
// configuration is copied and validated here, so a caller's later change
// to its maps does not reach the Assessor. Readers and loaders ignore it.
func WithScoring(cfg Config) Option {
	return func(o *options) error {
		cfg = cloneConfig(cfg)
		if err := cfg.Validate(); err != nil {
			return err
		}
		o.scoring = &cfg
		return nil
	}
}

// WithData gives an Assessor the offline data it reads (LoadData reads
// them from files). Readers and loaders ignore it.
func WithData(d Data) Option {
	return func(o *options) error {
		for i, v := range d.VEX {
			if v == nil {
				return reason.New(reason.SBOMConfigInvalid, "pass only VEX documents that were read", "configuring sbom: VEX document %d is nil", i)
			}
		}
		for k, m := range d.Wasm {
			if m == nil {
				return reason.New(reason.SBOMConfigInvalid, "pass only Wasm modules that were read", "configuring sbom: Wasm module %s is nil", k)
			}
		}
		o.data = d
		return nil
	}
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

// parallelFrom is the number of components from which one product's
// components are judged on every CPU. Judging a component reads the
// graph, the assessment's blast radius and the data files, and writes
// only its own result (advisories are decoded once, under their own
// sync.Once), so the results are the same in any order. A portfolio
// judges its products concurrently already; its SBOMs are mostly below
// this size.
const parallelFrom = 2048

// forEachComponent calls judge(k) for k in [0, n): in order on one
// goroutine below parallelFrom, else in chunks on GOMAXPROCS goroutines.
func forEachComponent(n int, judge func(k int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelFrom || workers < 2 {
		for k := range n {
			judge(k)
		}
		return
	}
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for k := start; k < min(start+chunk, n); k++ {
					judge(k)
				}
			}
		})
	}
	wg.Wait()
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
	st.index = make([]int, 0, m)
	for i := range g.Components {
		if i != g.Root {
			st.index = append(st.index, i)
		}
	}
	st.results = make([]ComponentResult, len(st.index))
	forEachComponent(len(st.index), func(k int) {
		st.results[k] = a.component(g, st.index[k], st, supplierShare)
	})
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
	// facts are the component's entry in the risk data snapshot, looked
	// up once (factsAt < 0: none); factsDone says whether it was.
	facts     *PackageFacts
	factsAt   int
	factsDone bool
}

// riskFacts is the component's entry in the risk data snapshot, nil and -1
// when there is none.
func (x *ruleCtx) riskFacts() (*PackageFacts, int) {
	if !x.factsDone {
		x.facts, x.factsAt = x.a.data.Risk.lookup(x.c.PURL)
		x.factsDone = true
	}
	return x.facts, x.factsAt
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
	x.riskDataRepository()
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
