package sbom

import (
	"fmt"
	"slices"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// ProductRecord is one product's assessment in the compact form a
// portfolio store keeps (package portfolio): what Portfolio.Report needs
// to recompute the portfolio view, what a where-used question needs to
// answer with versions and paths, and the product's own grade. Signals
// that depend on the whole portfolio (pervasiveness, systemic-fragile) are
// not part of it: they are recomputed from the records of the day.
type ProductRecord struct {
	Name        string
	Version     string
	PURL        string
	Source      string
	Format      Format
	SpecVersion string
	// Risk, ComputedGrade and Grade are the product's grade judged alone,
	// as 'sovcheck sbom labels' gives it.
	Risk          int
	ComputedGrade Grade
	Grade         Grade
	// Caps are every SBOM-quality cap, applied or not.
	Caps     []Cap
	Coverage Coverage
	// Components are the non-root components in document order.
	Components []ComponentRecord
	// Services are the product's hosted services with their labels.
	Services []ServiceResult
}

// ComponentRecord is one component of a ProductRecord.
type ComponentRecord struct {
	Name     string
	Version  string
	PURL     string
	Upstream string
	Supplier string
	// Parent is the index in Components of the component's predecessor on
	// a shortest path from the product root: -1 when the root depends on
	// it directly, -2 when no path from the root reaches it (or the SBOM
	// has no root or no dependency graph).
	Parent int
	// Signals of the blast radius within the product, and the fragility
	// judged from its labels.
	DependentsSignal float64
	DominatedSignal  float64
	Fragility        float64
	Assessed         bool
	Sandboxed        bool
	// Labels fired within the product, in catalogue order;
	// systemic-fragile is left out (it depends on the portfolio).
	Labels []Label
	Risk   int
	Grade  Grade
}

// Parent values of a ComponentRecord that are not component indices.
const (
	ParentRoot        = -1
	ParentUnreachable = -2
)

// Record assesses g alone and returns it in the form a portfolio store
// keeps. The graph may be dropped afterwards.
func (a *Assessor) Record(g *Graph) *ProductRecord {
	st := a.assess(g)
	rec := &ProductRecord{
		Name: g.Name, Version: g.Version, Source: g.Source, Format: g.Format, SpecVersion: g.SpecVersion,
		Caps: st.caps, Coverage: coverage(st.results, true),
	}
	if g.Root >= 0 {
		rec.PURL = g.Components[g.Root].PURL
	}
	// Result index of each graph index; the root has none.
	resultOf := make([]int, len(g.Components))
	for i := range resultOf {
		resultOf[i] = -1
	}
	for ri, gi := range st.index {
		resultOf[gi] = ri
	}
	parents := shortestPathParents(g, resultOf)
	rec.Components = make([]ComponentRecord, len(st.results))
	for i := range st.results {
		r := &st.results[i]
		rec.Components[i] = ComponentRecord{
			Name: r.Name, Version: r.Version, PURL: r.PURL, Upstream: r.Upstream, Supplier: r.Supplier,
			Parent:           parents[i],
			DependentsSignal: r.Impact.DependentsSignal, DominatedSignal: r.Impact.DominatedSignal,
			Fragility: r.Fragility, Assessed: r.Impact.Assessed, Sandboxed: r.Impact.Sandboxed,
			Labels: (r.bits &^ (1 << labelIndex[vocab.LabelSystemicFragile])).labels(),
			Risk:   r.Risk, Grade: r.Grade,
		}
		rec.Risk = max(rec.Risk, r.Risk)
	}
	rec.ComputedGrade = a.cfg.gradeOf(rec.Risk)
	rec.Grade, _ = applyCaps(rec.ComputedGrade, st.caps)
	rec.Services = a.assessServices(g)
	return rec
}

// shortestPathParents runs a breadth-first search from the root and
// returns, per result index, the result index of its predecessor
// (ParentRoot, or ParentUnreachable).
func shortestPathParents(g *Graph, resultOf []int) []int {
	n := 0
	for _, r := range resultOf {
		if r >= 0 {
			n++
		}
	}
	parents := make([]int, n)
	for i := range parents {
		parents[i] = ParentUnreachable
	}
	if g.Root < 0 || !g.Dependencies {
		return parents
	}
	seen := make([]bool, len(g.Components))
	seen[g.Root] = true
	queue := []int{g.Root}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, to := range g.Components[from].DependsOn {
			if to < 0 || to >= len(seen) || seen[to] {
				continue
			}
			seen[to] = true
			if from == g.Root {
				parents[resultOf[to]] = ParentRoot
			} else {
				parents[resultOf[to]] = resultOf[from]
			}
			queue = append(queue, to)
		}
	}
	return parents
}

// AddRecord adds a product kept by a portfolio store, as Add adds a graph.
// Records with the same Source are refused, as graphs are.
func (p *Portfolio) AddRecord(rec *ProductRecord) error {
	comps := make([]compactComponent, len(rec.Components))
	upIDs := make([]string, len(rec.Components))
	suppliers := make([]string, len(rec.Components))
	for i := range rec.Components {
		c := &rec.Components[i]
		var bits labelBits
		for _, l := range c.Labels {
			if _, ok := labelIndex[l]; !ok {
				return reason.New(reason.InputMalformed, "the store was written by a sovcheck with labels this one does not know; upgrade sovcheck",
					"reading %s from the portfolio store: unknown label %q", quoteName(rec.Source), l)
			}
			bits.set(l)
		}
		name := c.Name
		if c.Version != "" {
			name += "@" + c.Version
		}
		comps[i] = compactComponent{display: name, depSig: c.DependentsSignal, domSig: c.DominatedSignal,
			fragility: c.Fragility, bits: bits, assessed: c.Assessed, sandboxed: c.Sandboxed}
		upIDs[i] = c.Upstream
		suppliers[i] = c.Supplier
	}
	var services []Service
	for _, sr := range rec.Services {
		services = append(services, sr.Service)
	}
	return p.addCompact(compactProduct{
		name: rec.Name, version: rec.Version, source: rec.Source, format: rec.Format, specVersion: rec.SpecVersion,
		caps: slices.Clone(rec.Caps), coverage: rec.Coverage, comps: comps, upstreams: upIDs, suppliers: suppliers,
		services: services,
	})
}

// VersionOrder compares two versions in the order of an ecosystem named
// by a purl type (deb, rpm, apk, npm, golang, cargo, ...), the same order
// vulnerability matching uses. It fails for ecosystems without an order
// and for versions that do not parse.
func VersionOrder(purlType, a, b string) (int, error) {
	eco, ok := purlEcosystems[purlType]
	if !ok {
		return 0, fmt.Errorf("comparing versions of purl type %q: no version order known", purlType)
	}
	c, err := CompareVersions(eco, a, b)
	if err != nil {
		return 0, fmt.Errorf("comparing %s versions %q and %q: %w", purlType, a, b, err)
	}
	return c, nil
}

// purlEcosystems maps purl types to an ecosystem with a version order.
var purlEcosystems = map[string]string{
	"npm": "npm", "golang": "Go", "cargo": "crates.io", "hex": "Hex", "pub": "Pub",
	"deb": "Debian", "apk": "Alpine", "rpm": "Red Hat",
	"pypi": "PyPI", "maven": "Maven", "nuget": "NuGet", "gem": "RubyGems", "composer": "Packagist",
}

// PackageVersion returns the version and the type of a purl.
func PackageVersion(purl string) (purlType, version string, ok bool) {
	p, ok := parsePURL(purl)
	if !ok {
		return "", "", false
	}
	return p.Type, p.Version, true
}
