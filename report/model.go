package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// Options shape the rendered report.
type Options struct {
	// Title heads HTML and Markdown reports; default "sovcheck report".
	Title string
	// MinGrade (A to G) makes product grades part of the decision:
	// a product graded worse fails. "" shows grades without judging them.
	MinGrade string
	// Style decorates the text format.
	Style Style
}

// Rows of the long lists a report shows before saying how many more
// there are; the JSON inputs keep everything.
const (
	worstComponents = 10
	chartRows       = 10
	tableRows       = 50
	// portfolioRows bounds the products table of a portfolio; the page
	// says how many it shows of how many.
	portfolioRows = 500
	// foldItems is the longest list shown open; a longer one is folded
	// under its count.
	foldItems = 8
)

// buildInfo names the running build; tests pin it.
var buildInfo = buildinfo.Read

// toolName names the exact build that judged, as `sovcheck version` does:
// "sovcheck VERSION (commit REVISION, clean|dirty, GOVERSION)".
func toolName() string { return "sovcheck " + buildInfo().String() }

// view is what the HTML and Markdown reports show, computed once.
type view struct {
	Title      string
	Tool       string
	Decision   Decision
	MinGrade   string
	Headline   []string // summary facts, most important first
	Points     *policy.Score
	PointsNote string
	KnockOut   string // the failed knock-out rules of failed policies, the points threshold aside
	// Grade is the product grade of the verified artifacts' SBOMs, the
	// worst of them when there are several; GradeNote says which.
	Grade      sbom.Grade
	GradeNote  string
	Artifacts  []artifactView
	Rebuilds   []rebuildView
	Products   []productView
	Portfolios []portfolioView
	Inputs     []Input
}

type checkCounts struct{ Pass, Fail, Skip int }

type artifactView struct {
	Verdict policy.Verdict
	Digest  string
	Counts  checkCounts
	Policy  *policy.Result
	Rebuild *rebuildView
	Grade   sbom.Grade // product grade of the artifact's SBOM, "" without one
}

type productView struct {
	Doc       *sbom.Report
	Title     string
	Judged    bool // MinGrade given
	Passed    bool
	Scale     gradeScale
	Counts    barChart
	Coverage  barChart
	Worst     []*sbom.ComponentResult
	MoreWorst int
}

type unassessableProduct struct {
	Title, Source, Reason string
}

type portfolioView struct {
	Doc      *sbom.PortfolioReport
	Products []sbom.PortfolioProduct
	// Assessable counts the products with components, ranked in
	// Products; MoreProducts of them are only in the JSON result.
	Assessable   int
	MoreProducts int
	// Unassessable are the products whose SBOM lists no components: they
	// have a grade by rule, not by assessment, and are listed apart.
	Unassessable  []unassessableProduct
	GradeChart    barChart
	Upstreams     []sbom.SharedUpstream
	MoreUpstreams int
	UpstreamChart barChart
	SupplierChart barChart
	Coverage      barChart
}

func newView(docs *Documents, opts Options) *view {
	v := &view{Title: cmp.Or(opts.Title, "sovcheck report"), Tool: toolName(), MinGrade: opts.MinGrade, Inputs: docs.Inputs}
	v.Decision = docs.Decide(opts.MinGrade)

	v.Rebuilds = rebuildViews(docs.Rebuilds)

	var policies []*policy.Result
	for _, doc := range docs.Verify {
		for _, vd := range doc.Verdicts {
			a := artifactView{Verdict: vd, Digest: formatDigest(vd.Subject.Digest), Policy: vd.Policy}
			if vd.Policy != nil {
				policies = append(policies, vd.Policy)
			}
			for _, c := range vd.Checks {
				if g := sbom.Grade(c.Grade); g.Rank() > a.Grade.Rank() {
					a.Grade = g
				}
				switch c.Status {
				case policy.StatusPass:
					a.Counts.Pass++
				case policy.StatusSkip:
					a.Counts.Skip++
				default:
					a.Counts.Fail++
				}
			}
			if sha := vd.Subject.Digest["sha256"]; sha != "" {
				for i := range v.Rebuilds {
					if v.Rebuilds[i].Digest == "sha256:"+sha {
						a.Rebuild = &v.Rebuilds[i]
						break
					}
				}
			}
			v.Artifacts = append(v.Artifacts, a)
		}
	}
	v.Grade, v.GradeNote = gradeSummary(v.Artifacts)
	v.Points, v.PointsNote = pointsSummary(policies)
	v.KnockOut = knockOutRules(policies)

	for i := range docs.Labels {
		v.Products = append(v.Products, newProductView(&docs.Labels[i], opts.MinGrade))
	}
	for i := range docs.Portfolios {
		v.Portfolios = append(v.Portfolios, newPortfolioView(&docs.Portfolios[i]))
	}
	v.Headline = headline(v)
	empty := 0
	for _, doc := range docs.Verify {
		if len(doc.Verdicts) == 0 {
			empty++
		}
	}
	for _, doc := range docs.Rebuilds {
		if len(doc.Results)+len(doc.Modules) == 0 {
			empty++
		}
	}
	if empty > 0 {
		v.Headline = append([]string{fmt.Sprintf("%d result%s without a verdict or rebuild, which fails", empty, plural(empty))}, v.Headline...)
	}
	return v
}

// gradeSummary is the product grade shown beside the verdict: the only
// one, or the worst of several.
func gradeSummary(as []artifactView) (sbom.Grade, string) {
	var worst sbom.Grade
	graded := 0
	for _, a := range as {
		if a.Grade == "" {
			continue
		}
		graded++
		if a.Grade.Rank() > worst.Rank() {
			worst = a.Grade
		}
	}
	switch graded {
	case 0:
		return "", ""
	case 1:
		return worst, "product grade"
	}
	return worst, fmt.Sprintf("worst product grade of %d artifacts", graded)
}

// pointsSummary is the score shown up front: the only one, or the lowest
// of several.
func pointsSummary(results []*policy.Result) (*policy.Score, string) {
	var worst *policy.Score
	scored := 0
	for _, r := range results {
		s := r.Points
		if s == nil {
			continue
		}
		scored++
		if worst == nil || s.Earned*max(worst.Maximum, 1) < worst.Earned*max(s.Maximum, 1) {
			worst = s
		}
	}
	switch {
	case worst == nil:
		return nil, ""
	case scored == 1:
		return worst, "points"
	}
	return worst, fmt.Sprintf("points, the lowest of %d artifacts", scored)
}

// knockOutRules names the knock-out rules that failed any of the
// policies, once each, so that a FAIL beside points above the threshold
// says what decided it.
func knockOutRules(results []*policy.Result) string {
	var rules []string
	for _, r := range results {
		for _, id := range knockOuts(r) {
			if !slices.Contains(rules, id) {
				rules = append(rules, id)
			}
		}
	}
	return strings.Join(rules, ", ")
}

func headline(v *view) []string {
	var out []string
	if n := len(v.Artifacts); n > 0 {
		failed := 0
		for _, a := range v.Artifacts {
			if !a.Verdict.Passed() {
				failed++
			}
		}
		out = append(out, fmt.Sprintf("%d artifact%s: %d passed, %d failed", n, plural(n), n-failed, failed))
	}
	if n := len(v.Rebuilds); n > 0 {
		counts := map[rebuild.Status]int{}
		for _, r := range v.Rebuilds {
			counts[r.Status]++
		}
		out = append(out, fmt.Sprintf("%d rebuild%s: %d MATCH, %d MISMATCH, %d SKIP", n, plural(n), counts[rebuild.StatusMatch], counts[rebuild.StatusMismatch], counts[rebuild.StatusSkip]))
	}
	for _, p := range v.Products {
		out = append(out, fmt.Sprintf("%s graded %s", p.Title, p.Doc.Product.Grade))
	}
	for _, p := range v.Portfolios {
		t := p.Doc.Totals
		out = append(out, fmt.Sprintf("portfolio of %d products, %d shared upstreams", t.Products, t.Shared))
	}
	return out
}

func productTitle(name, version string) string {
	if version != "" {
		return name + " " + version
	}
	return name
}

func newProductView(doc *sbom.Report, minGrade string) productView {
	p := productView{Doc: doc, Title: productTitle(doc.Product.Name, doc.Product.Version), Judged: minGrade != ""}
	p.Passed = p.Judged && doc.Product.Grade.Rank() <= vocab.GradeRank(minGrade)
	p.Scale = newGradeScale(string(doc.Product.Grade))
	var bars []barData
	for _, g := range vocab.GradeNames() {
		n := doc.Product.GradeCounts[sbom.Grade(g)]
		bars = append(bars, barData{Label: g, Value: float64(n), Text: fmt.Sprint(n), Color: gradeColors[g]})
	}
	p.Counts = newBarChart(bars, 0, narrowChart)
	p.Coverage = coverageChart(doc.Coverage)
	worst := make([]*sbom.ComponentResult, len(doc.Components))
	for i := range doc.Components {
		worst[i] = &doc.Components[i]
	}
	slices.SortStableFunc(worst, func(a, b *sbom.ComponentResult) int { return cmp.Compare(b.Risk, a.Risk) })
	if len(worst) > worstComponents {
		p.MoreWorst = len(worst) - worstComponents
		worst = worst[:worstComponents]
	}
	p.Worst = worst
	return p
}

func coverageChart(c sbom.Coverage) barChart {
	var bars []barData
	for _, d := range c.Dimensions {
		bars = append(bars, barData{Label: string(d.Dimension), Value: d.Share, Text: fmt.Sprintf("%s assessed (%d of %d)", percent(d.Share), d.Assessed, d.Total), Color: colorInfo})
	}
	return newBarChart(bars, 1, chartLayout{chartWidth, 110, 170})
}

func newPortfolioView(doc *sbom.PortfolioReport) portfolioView {
	p := portfolioView{Doc: doc, Upstreams: doc.Upstreams}
	grades := map[sbom.Grade]int{}
	for _, pr := range doc.Products {
		if pr.Components == 0 {
			why := "the SBOM lists no components"
			if len(pr.Caps) > 0 {
				why = pr.Caps[0].Reason
			}
			p.Unassessable = append(p.Unassessable, unassessableProduct{productTitle(pr.Name, pr.Version), pr.Source, why})
			continue
		}
		p.Assessable++
		grades[pr.Grade]++
		if len(p.Products) < portfolioRows {
			p.Products = append(p.Products, pr)
		}
	}
	p.MoreProducts = p.Assessable - len(p.Products)
	var gs []barData
	for _, g := range vocab.GradeNames() {
		n := grades[sbom.Grade(g)]
		gs = append(gs, barData{Label: g, Value: float64(n), Text: fmt.Sprintf("%d (%s)", n, percent(float64(n)/float64(max(p.Assessable, 1)))), Color: gradeColors[g]})
	}
	p.GradeChart = newBarChart(gs, 0, chartLayout{chartWidth, 24, 80})
	if len(p.Upstreams) > tableRows {
		p.MoreUpstreams = len(p.Upstreams) - tableRows
		p.Upstreams = p.Upstreams[:tableRows]
	}
	var ups []barData
	for _, u := range doc.Upstreams[:min(len(doc.Upstreams), chartRows)] {
		ups = append(ups, barData{Label: u.Upstream, Value: u.Share, Text: fmt.Sprintf("%s of products, fragility %.2f", percent(u.Share), u.Fragility), Color: fragilityColor(u.Fragility)})
	}
	p.UpstreamChart = newBarChart(ups, 1, wideChart)
	var sups []barData
	for _, s := range doc.Suppliers[:min(len(doc.Suppliers), chartRows)] {
		sups = append(sups, barData{Label: s.Supplier, Value: s.Share, Text: fmt.Sprintf("%s of components", percent(s.Share)), Color: colorInfo})
	}
	p.SupplierChart = newBarChart(sups, 1, wideChart)
	p.Coverage = coverageChart(doc.Coverage)
	return p
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// labelsWhy names a component's labels in the order of sortedFindings.
func labelsWhy(fs []sbom.Finding) []string {
	var out []string
	for _, f := range sortedFindings(fs) {
		if !slices.Contains(out, string(f.Label)) {
			out = append(out, string(f.Label))
		}
	}
	return out
}

// sortedFindings orders findings heaviest first, systemic-fragile (act
// here first) leading.
func sortedFindings(fs []sbom.Finding) []sbom.Finding {
	sorted := slices.Clone(fs)
	slices.SortStableFunc(sorted, func(a, b sbom.Finding) int {
		af, bf := a.Label == "systemic-fragile", b.Label == "systemic-fragile"
		if af != bf {
			if af {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Weight, a.Weight)
	})
	return sorted
}
