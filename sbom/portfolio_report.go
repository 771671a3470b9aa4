package sbom

import (
	"cmp"
	"slices"
	"time"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// PortfolioReport is the assessment of many products.
type PortfolioReport struct {
	MediaType string `json:"mediaType"`
	AsOf      string `json:"asOf"`
	Totals    Totals `json:"totals"`
	// Products, worst first.
	Products []PortfolioProduct `json:"products"`
	// Upstreams shared by more than one product, ranked by share x
	// fragility.
	Upstreams []SharedUpstream `json:"upstreams"`
	// Suppliers by number of components; HHI is the Herfindahl-Hirschman
	// index of their component shares (1 = one supplier for everything).
	Suppliers   []SupplierShare `json:"suppliers"`
	SupplierHHI float64         `json:"supplierHHI"`
	// Hosting is the concentration of the products' hosted services on
	// providers and jurisdictions; absent when no product has services.
	Hosting  *HostingConcentration `json:"hosting,omitempty"`
	Coverage Coverage              `json:"coverage"`
	Failures []Failure             `json:"failures,omitempty"`
	Data     []DataSource          `json:"data"`
	Config   Config                `json:"config"`
}

// Totals counts what the portfolio holds.
type Totals struct {
	Products   int `json:"products"`
	Components int `json:"components"`
	Upstreams  int `json:"upstreams"`
	Shared     int `json:"shared"`
	Failures   int `json:"failures"`
}

// PortfolioProduct is one product's line in a portfolio.
type PortfolioProduct struct {
	Name          string  `json:"name"`
	Version       string  `json:"version,omitempty"`
	Source        string  `json:"source"`
	Format        Format  `json:"format"`
	SpecVersion   string  `json:"specVersion,omitempty"`
	Components    int     `json:"components"`
	Risk          int     `json:"risk"`
	ComputedGrade Grade   `json:"computedGrade"`
	Grade         Grade   `json:"grade"`
	Caps          []Cap   `json:"caps,omitempty"`
	Worst         string  `json:"worst,omitempty"`
	WorstUpstream string  `json:"worstUpstream,omitempty"`
	WorstLabels   []Label `json:"worstLabels,omitempty"`
	Unassessed    float64 `json:"unassessed"`
}

// SharedUpstream is an upstream project and how much of the portfolio
// depends on it.
type SharedUpstream struct {
	Upstream   string  `json:"upstream"`
	Example    string  `json:"example"`
	Products   int     `json:"products"`
	Share      float64 `json:"share"`
	Components int     `json:"components"`
	// Fragility is the worst fragility among its components; Score is
	// Share x Fragility, the ranking key.
	Fragility float64 `json:"fragility"`
	Score     float64 `json:"score"`
	Labels    []Label `json:"labels"`
}

// SupplierShare is one supplier's part of the portfolio.
type SupplierShare struct {
	Supplier   string  `json:"supplier"`
	Products   int     `json:"products"`
	Components int     `json:"components"`
	Share      float64 `json:"share"`
}

// Report scores every product with pervasiveness across the portfolio and
// ranks the shared upstreams; top bounds the upstream and supplier lists
// (0 keeps all).
func (p *Portfolio) Report(top int) *PortfolioReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.a
	n := len(p.products)
	rep := &PortfolioReport{MediaType: vocab.MediaTypeSBOMPortfolio, AsOf: a.now.Format(time.DateOnly), Data: a.dataSources(), Config: a.cfg}
	pervasive := make([]bool, len(p.ups))
	pervSig := make([]float64, len(p.ups))
	for i, u := range p.ups {
		share := float64(u.products) / float64(max(1, n))
		pervasive[i] = u.products >= a.cfg.PervasiveMinProducts && share >= a.cfg.PervasiveShare
		pervSig[i] = round3(lognorm(float64(u.products-1), float64(n-1)))
	}
	var covs []Coverage
	for _, prod := range p.products {
		pp := PortfolioProduct{Name: prod.name, Version: prod.version, Source: prod.source, Format: prod.format,
			SpecVersion: prod.specVersion, Components: len(prod.comps), Unassessed: prod.coverage.Unassessed}
		worst := -1
		var worstBits labelBits
		for i := range prod.comps {
			c := &prod.comps[i]
			bits := c.bits
			perv := 0.0
			if c.upstream >= 0 {
				perv = pervSig[c.upstream]
				if pervasive[c.upstream] {
					bits.set(vocab.LabelPortfolioPervasive)
					p.ups[c.upstream].bits.set(vocab.LabelPortfolioPervasive)
				}
			}
			imp := Impact{Assessed: c.assessed, DependentsSignal: c.depSig, DominatedSignal: c.domSig, Sandboxed: c.sandboxed}
			impact := a.impactValue(&imp, perv)
			risk, _ := a.riskOf(c.fragility, impact, bits)
			if impact >= a.cfg.HighImpact && c.fragility >= a.cfg.HighFragility {
				bits.set(vocab.LabelSystemicFragile)
				if c.upstream >= 0 {
					p.ups[c.upstream].bits.set(vocab.LabelSystemicFragile)
				}
			}
			if worst < 0 || risk > pp.Risk || risk == pp.Risk && c.display < prod.comps[worst].display {
				worst, pp.Risk, worstBits = i, risk, bits
			}
		}
		pp.ComputedGrade = a.cfg.gradeOf(pp.Risk)
		pp.Grade, pp.Caps = applyCaps(pp.ComputedGrade, prod.caps)
		if worst >= 0 {
			pp.Worst = prod.comps[worst].display
			if u := prod.comps[worst].upstream; u >= 0 {
				pp.WorstUpstream = p.ups[u].id
			}
			pp.WorstLabels = worstBits.labels()
		}
		rep.Products = append(rep.Products, pp)
		rep.Totals.Components += len(prod.comps)
		covs = append(covs, prod.coverage)
	}
	slices.SortFunc(rep.Products, func(x, y PortfolioProduct) int {
		return cmp.Or(cmp.Compare(y.Grade.Rank(), x.Grade.Rank()), cmp.Compare(y.Risk, x.Risk), cmp.Compare(x.Source, y.Source))
	})
	for i, u := range p.ups {
		if u.products < 2 {
			continue
		}
		share := round3(float64(u.products) / float64(n))
		rep.Upstreams = append(rep.Upstreams, SharedUpstream{
			Upstream: u.id, Example: u.example, Products: u.products, Share: share, Components: u.components,
			Fragility: round3(u.fragility), Score: round3(share * u.fragility), Labels: p.ups[i].bits.labels(),
		})
	}
	rep.Totals.Shared = len(rep.Upstreams)
	slices.SortFunc(rep.Upstreams, func(x, y SharedUpstream) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(y.Products, x.Products), cmp.Compare(x.Upstream, y.Upstream))
	})
	known := 0
	for _, s := range p.sups {
		known += s.components
	}
	for _, s := range p.sups {
		share := float64(s.components) / float64(max(1, known))
		rep.SupplierHHI += share * share
		rep.Suppliers = append(rep.Suppliers, SupplierShare{Supplier: s.name, Products: s.products, Components: s.components, Share: round3(share)})
	}
	rep.SupplierHHI = round3(rep.SupplierHHI)
	slices.SortFunc(rep.Suppliers, func(x, y SupplierShare) int {
		return cmp.Or(cmp.Compare(y.Components, x.Components), cmp.Compare(x.Supplier, y.Supplier))
	})
	if top > 0 {
		rep.Upstreams = rep.Upstreams[:min(top, len(rep.Upstreams))]
		rep.Suppliers = rep.Suppliers[:min(top, len(rep.Suppliers))]
	}
	rep.Failures = slices.Clone(p.failures)
	slices.SortFunc(rep.Failures, func(x, y Failure) int { return cmp.Compare(x.Source, y.Source) })
	rep.Totals.Products = n
	rep.Totals.Upstreams = len(p.ups)
	rep.Totals.Failures = len(rep.Failures)
	rep.Coverage = mergeCoverage(covs)
	rep.Hosting = p.hosting.report(a.cfg)
	return rep
}

// mergeCoverage adds up per-product coverage.
func mergeCoverage(covs []Coverage) Coverage {
	var out Coverage
	byDim := map[Dimension]*DimensionCoverage{}
	reasons := map[Dimension]map[string]int{}
	var unassessedSum float64
	var weight int
	for _, c := range covs {
		for _, d := range c.Dimensions {
			dc := byDim[d.Dimension]
			if dc == nil {
				dc = &DimensionCoverage{Dimension: d.Dimension}
				byDim[d.Dimension] = dc
				reasons[d.Dimension] = map[string]int{}
			}
			dc.Assessed += d.Assessed
			dc.Total += d.Total
			for _, r := range d.Reasons {
				reasons[d.Dimension][r.Reason] += r.Components
			}
		}
		if len(c.Dimensions) > 0 {
			unassessedSum += c.Unassessed * float64(c.Dimensions[0].Total)
			weight += c.Dimensions[0].Total
		}
	}
	for _, d := range dimensions {
		dc := byDim[d]
		if dc == nil {
			dc = &DimensionCoverage{Dimension: d}
		}
		for r, n := range reasons[d] {
			dc.Reasons = append(dc.Reasons, ReasonCount{Reason: r, Components: n})
		}
		slices.SortFunc(dc.Reasons, func(p, q ReasonCount) int {
			return cmp.Or(cmp.Compare(q.Components, p.Components), cmp.Compare(p.Reason, q.Reason))
		})
		if dc.Total > 0 {
			dc.Share = round3(float64(dc.Assessed) / float64(dc.Total))
		}
		out.Dimensions = append(out.Dimensions, *dc)
	}
	if weight > 0 {
		out.Unassessed = round3(unassessedSum / float64(weight))
	}
	return out
}
