package sbom

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

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
	if r.Fragility < a.cfg.HighFragility || r.bits.has(vocab.LabelSystemicFragile) {
		return
	}
	switch {
	case r.Impact.Value >= a.cfg.HighImpact:
		r.bits.set(vocab.LabelSystemicFragile)
		r.Labels = append(r.Labels, Finding{Label: vocab.LabelSystemicFragile, Rule: "systemic/impact-and-fragility",
			Detail: fmt.Sprintf("impact %.2f >= %.2f and fragility %.2f >= %.2f", r.Impact.Value, a.cfg.HighImpact, r.Fragility, a.cfg.HighFragility)})
	case r.bits.has(vocab.LabelCriticalProject):
		r.bits.set(vocab.LabelSystemicFragile)
		r.Labels = append(r.Labels, Finding{Label: vocab.LabelSystemicFragile, Rule: "systemic/critical-project-and-fragility",
			Detail: fmt.Sprintf("a critical project (OpenSSF criticality >= %.2f) and fragility %.2f >= %.2f", a.cfg.CriticalProjectAt, r.Fragility, a.cfg.HighFragility)})
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
		if !results[i].bits.has(vocab.LabelUnidentifiable) {
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
		MediaType:  vocab.MediaTypeSBOMLabels,
		AsOf:       a.now.Format(time.DateOnly),
		Components: results,
		Warnings:   slices.Clone(g.Warnings), // the summary appends: never into the graph's array, which another assessment may read
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
		if info.kind == kindDerived || (info.label == vocab.LabelPortfolioPervasive && !portfolio) {
			continue
		}
		questions++
	}
	// One pass over the components: the dimensions each leaves
	// unassessed (a bit per dimension), and the reasons, each counted
	// once per unassessed entry and dimension.
	dims := make([]DimensionCoverage, len(dimensions))
	reasons := make([]map[string]int, len(dimensions))
	for d := range dimensions {
		dims[d] = DimensionCoverage{Dimension: dimensions[d], Total: len(rs)}
		reasons[d] = map[string]int{}
	}
	unknownCells := 0
	for i := range rs {
		var missing uint
		for _, u := range rs[i].Unassessed {
			var seen uint
			for _, l := range u.Labels {
				if d := labelDim[labelIndex[l]]; d >= 0 && seen&(1<<d) == 0 {
					seen |= 1 << d
					reasons[d][u.Reason]++
				}
			}
			missing |= seen
			unknownCells += len(u.Labels)
		}
		for d := range dims {
			if missing&(1<<d) == 0 {
				dims[d].Assessed++
			}
		}
	}
	for d := range dims {
		dc := &dims[d]
		for reason, n := range reasons[d] {
			dc.Reasons = append(dc.Reasons, ReasonCount{Reason: reason, Components: n})
		}
		slices.SortFunc(dc.Reasons, func(p, q ReasonCount) int {
			return cmp.Or(cmp.Compare(q.Components, p.Components), cmp.Compare(p.Reason, q.Reason))
		})
		if dc.Total > 0 {
			dc.Share = round3(float64(dc.Assessed) / float64(dc.Total))
		}
	}
	cov.Dimensions = dims
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
		ds = append(ds, DataSource{Kind: DataKindOSV, Source: o.source, Records: o.Len(), AsOf: o.asOfString()})
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
