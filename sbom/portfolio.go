package sbom

import (
	"cmp"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Portfolio assesses many products and finds what they share. It keeps a
// compact record per component (upstream, signals, labels) and drops each
// graph after its assessment, so memory grows with the number of
// components, not with the size of the SBOM files. Add is safe for
// concurrent use.
type Portfolio struct {
	a *Assessor

	mu        sync.Mutex
	upstreams map[string]int32
	ups       []upstreamAgg
	suppliers map[string]int32
	sups      []supplierAgg
	products  []portfolioProduct
	failures  []Failure
	sources   map[string]bool
	hosting   hostingAgg // providers of the products' services (hosting.go)
}

type upstreamAgg struct {
	id         string
	example    string
	products   int
	components int
	fragility  float64
	bits       labelBits
}

type supplierAgg struct {
	name       string
	products   int
	components int
}

type portfolioProduct struct {
	name, version, source string
	format                Format
	specVersion           string
	caps                  []Cap
	coverage              Coverage
	comps                 []compactComponent
}

// compactComponent is what the second pass needs of one component.
type compactComponent struct {
	display   string
	upstream  int32
	depSig    float64
	domSig    float64
	fragility float64
	bits      labelBits
	assessed  bool
	sandboxed bool
}

// Failure is an input that could not be assessed.
type Failure struct {
	Source  string `json:"source"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// NewPortfolio starts an empty portfolio judged by a.
func (a *Assessor) NewPortfolio() *Portfolio {
	return &Portfolio{a: a, upstreams: map[string]int32{}, suppliers: map[string]int32{}, sources: map[string]bool{}}
}

// Add assesses g and records it. Two graphs with the same Source are
// refused: a product counted twice would inflate what looks shared.
func (p *Portfolio) Add(g *Graph) error {
	st := p.a.assess(g)
	comps := make([]compactComponent, len(st.results))
	upIDs := make([]string, len(st.results))
	for i := range st.results {
		r := &st.results[i]
		name := r.Name
		if r.Version != "" {
			name += "@" + r.Version
		}
		comps[i] = compactComponent{
			display: name, depSig: r.Impact.DependentsSignal, domSig: r.Impact.DominatedSignal,
			fragility: r.Fragility, bits: r.bits &^ (1 << labelIndex[LabelSystemicFragile]),
			assessed: r.Impact.Assessed, sandboxed: r.Impact.Sandboxed,
		}
		upIDs[i] = r.Upstream
	}
	suppliers := make([]string, len(st.results))
	for i := range st.results {
		suppliers[i] = st.results[i].Supplier
	}
	return p.addCompact(compactProduct{
		name: g.Name, version: g.Version, source: g.Source, format: g.Format, specVersion: g.SpecVersion,
		caps: st.caps, coverage: coverage(st.results, true), comps: comps, upstreams: upIDs, suppliers: suppliers,
		services: g.Services,
	})
}

// compactProduct is one assessed product on its way into a Portfolio:
// components with their upstream ids and suppliers, index by index.
type compactProduct struct {
	name, version, source string
	format                Format
	specVersion           string
	caps                  []Cap
	coverage              Coverage
	comps                 []compactComponent
	upstreams             []string
	suppliers             []string
	services              []Service
}

func (p *Portfolio) addCompact(cp compactProduct) error {
	comps, upIDs := cp.comps, cp.upstreams
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sources[cp.source] {
		return reason.New(reason.InputMalformed, "name each SBOM once", "adding %s to the portfolio: already added", quoteName(cp.source))
	}
	if len(p.products) >= p.a.limits.MaxPortfolioSBOMs {
		return tooMany("SBOMs in the portfolio", p.a.limits.MaxPortfolioSBOMs, "split the portfolio, or raise the portfolio limit")
	}
	p.sources[cp.source] = true
	p.hosting.add(p.a.data.Registry, cp.services)
	seenUp := map[int32]bool{}
	seenSup := map[int32]bool{}
	for i := range comps {
		if upIDs[i] == "" {
			// A generator placeholder: it names no upstream, so it is
			// shared with nothing.
			comps[i].upstream = -1
			p.addSupplier(cp.suppliers[i], seenSup)
			continue
		}
		u, ok := p.upstreams[upIDs[i]]
		if !ok {
			u = int32(len(p.ups))
			p.upstreams[upIDs[i]] = u
			p.ups = append(p.ups, upstreamAgg{id: upIDs[i], example: comps[i].display})
		}
		comps[i].upstream = u
		agg := &p.ups[u]
		agg.components++
		agg.bits |= comps[i].bits
		agg.fragility = max(agg.fragility, comps[i].fragility)
		if comps[i].display < agg.example {
			agg.example = comps[i].display
		}
		if !seenUp[u] {
			seenUp[u] = true
			agg.products++
		}
		p.addSupplier(cp.suppliers[i], seenSup)
	}
	p.products = append(p.products, portfolioProduct{
		name: cp.name, version: cp.version, source: cp.source, format: cp.format, specVersion: cp.specVersion,
		caps: cp.caps, coverage: cp.coverage, comps: comps,
	})
	return nil
}

// addSupplier counts one component of supplier s; seen holds the
// suppliers already counted for the product. Callers hold p.mu.
func (p *Portfolio) addSupplier(s string, seen map[int32]bool) {
	if s == "" {
		return
	}
	key := supplierKey(s)
	si, ok := p.suppliers[key]
	if !ok {
		si = int32(len(p.sups))
		p.suppliers[key] = si
		p.sups = append(p.sups, supplierAgg{name: s})
	} else if s < p.sups[si].name {
		p.sups[si].name = s
	}
	p.sups[si].components++
	if !seen[si] {
		seen[si] = true
		p.sups[si].products++
	}
}

// AddFailure records an input that could not be read.
func (p *Portfolio) AddFailure(source string, err error) {
	re := reason.As(err, reason.InputUnreadable, "check the file")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = append(p.failures, Failure{Source: source, Code: re.Code, Message: re.Error(), Hint: re.Hint})
}

// CollectInputs expands directories into the files they hold
// (recursively, in lexical order). Every regular file is an input, whatever
// its name: the content decides whether it is an SBOM, and a file that is
// not one is refused with its reason rather than skipped. A go.sum beside
// a go.mod is read with that go.mod. What cannot be an input is returned
// as a Failure with its reason: special files (named pipes, devices,
// sockets, which could block the run or never end), symbolic links that
// lead nowhere or to a directory, hidden files (.keep) and hidden
// directories (.git), which are named once, not walked. Files are returned as given, so reports name
// them the way the user did.
func CollectInputs(paths []string) ([]string, []Failure, error) {
	var out []string
	var skipped []Failure
	skip := func(p, code, msg, hint string) {
		skipped = append(skipped, Failure{Source: p, Code: code, Message: msg, Hint: hint})
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, nil, reason.Wrap(err, reason.InputUnreadable, "check the path", "reading portfolio input")
		}
		if !st.IsDir() {
			out = append(out, root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				skip(p, reason.InputUnreadable, "reading "+quoteName(p)+": "+err.Error(), "check the directory and its permissions")
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					skip(p, CodeInputHidden, "hidden directory "+quoteName(p)+" was not walked",
						"name the directory itself to read the SBOMs in it")
					return filepath.SkipDir
				}
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				fi, err := os.Stat(p)
				switch {
				case err != nil:
					skip(p, reason.InputUnreadable, "symbolic link "+quoteName(p)+" leads nowhere: "+err.Error(), "fix or remove the link")
					return nil
				case fi.IsDir():
					skip(p, CodeInputNotRegular, "symbolic link "+quoteName(p)+" leads to a directory, which is not followed",
						"name the directory itself to read the SBOMs in it")
					return nil
				}
				mode = fi.Mode().Type()
			}
			if !mode.IsRegular() {
				skip(p, CodeInputNotRegular, quoteName(p)+" is not a regular file ("+fileKind(mode)+") and was not opened",
					"keep only SBOM files in the portfolio directory")
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				skip(p, CodeInputHidden, "hidden file "+quoteName(p)+" was not read", "name the file itself to read it")
				return nil
			}
			if strings.ToLower(d.Name()) == "go.sum" {
				if _, err := os.Stat(filepath.Join(filepath.Dir(p), "go.mod")); err == nil {
					return nil // read with the go.mod beside it
				}
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, nil, reason.Wrap(err, reason.InputUnreadable, "check the directory and its permissions", "walking portfolio directory %q", root)
		}
	}
	return out, skipped, nil
}

// fileKind names a non-regular file type.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "mode " + m.String()
}

// AddSkipped records inputs that CollectInputs did not open, so the report
// lists them.
func (p *Portfolio) AddSkipped(fs []Failure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = append(p.failures, fs...)
}

// AddFiles reads and assesses files in parallel (one worker per CPU),
// recording unreadable ones as failures. progress, when not nil, is called
// after each file with the number done so far.
func (p *Portfolio) AddFiles(ctx context.Context, files []string, progress func(done, total int)) error {
	o := &options{logger: p.a.log, limits: p.a.limits}
	jobs := make(chan string)
	var wg sync.WaitGroup
	var done int
	var doneMu sync.Mutex
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				g, err := readFile(f, f, o)
				if err == nil {
					err = p.Add(g)
				}
				if err != nil {
					p.AddFailure(f, err)
				}
				if progress != nil {
					doneMu.Lock()
					done++
					progress(done, len(files))
					doneMu.Unlock()
				}
			}
		}()
	}
	var err error
	for _, f := range files {
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case jobs <- f:
			continue
		}
		break
	}
	close(jobs)
	wg.Wait()
	return err
}

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
	rep := &PortfolioReport{MediaType: PortfolioMediaType, AsOf: a.now.Format(time.DateOnly), Data: a.dataSources(), Config: a.cfg}
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
					bits.set(LabelPortfolioPervasive)
					p.ups[c.upstream].bits.set(LabelPortfolioPervasive)
				}
			}
			imp := Impact{Assessed: c.assessed, DependentsSignal: c.depSig, DominatedSignal: c.domSig, Sandboxed: c.sandboxed}
			impact := a.impactValue(&imp, perv)
			risk, _ := a.riskOf(c.fragility, impact, bits)
			if impact >= a.cfg.HighImpact && c.fragility >= a.cfg.HighFragility {
				bits.set(LabelSystemicFragile)
				if c.upstream >= 0 {
					p.ups[c.upstream].bits.set(LabelSystemicFragile)
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
