package sbom

import (
	"context"
	"runtime"
	"sync"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
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
			fragility: r.Fragility, bits: r.bits &^ (1 << labelIndex[vocab.LabelSystemicFragile]),
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
