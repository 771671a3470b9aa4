package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/sbom"
)

// bigPortfolio is the sample portfolio grown to n assessed products and
// empty SBOMs, the empty ones ranked first as the sbom package ranks
// them.
func bigPortfolio(t *testing.T, n, empty int) *Documents {
	t.Helper()
	docs := sampleDocuments(t)
	p := &docs.Portfolios[0]
	var products []sbom.PortfolioProduct
	for i := range empty {
		products = append(products, sbom.PortfolioProduct{Name: fmt.Sprintf("empty-%02d", i), Source: fmt.Sprintf("sboms/empty/%02d.cdx.json", i),
			Grade: "G", ComputedGrade: "G", Caps: []sbom.Cap{{Grade: "G", Reason: "the SBOM lists no components besides the product itself"}}, Unassessed: 1})
	}
	for i := range n {
		pr := p.Products[1+i%(len(p.Products)-1)]
		pr.Name = fmt.Sprintf("product-%03d", i)
		products = append(products, pr)
	}
	p.Products = products
	p.Totals.Products = len(products)
	return docs
}

func TestPortfolioHTMLSeparatesUnassessable(t *testing.T) {
	page := renderHTML(t, bigPortfolio(t, 12, 3), Options{})
	for _, want := range []string{
		"<h4>Grades of the 12 assessed products</h4>",
		"3 products without components are not counted",
		"All 12 assessed products.",
		"<h4>Not assessable (3)</h4>",
		`<td class="mono wrap">sboms/empty/00.cdx.json</td><td>the SBOM lists no components besides the product itself</td>`,
		"Herfindahl-Hirschman index",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page has no %q", want)
		}
	}
	// The twin: the empty SBOMs are not in the ranked table.
	table := page[strings.Index(page, `<table class="products">`):]
	table = table[:strings.Index(table, "</table>")]
	if strings.Contains(table, "empty-00") || strings.Count(table, "<tr>") != 13 {
		t.Errorf("products table holds %d rows or an empty SBOM:\n%s", strings.Count(table, "<tr>"), table)
	}
}

func TestPortfolioHTMLSaysHowManyShown(t *testing.T) {
	page := renderHTML(t, bigPortfolio(t, portfolioRows+7, 0), Options{})
	want := fmt.Sprintf("The %d worst of %d assessed products are shown; the other 7 are in the JSON result.", portfolioRows, portfolioRows+7)
	if !strings.Contains(page, want) {
		t.Errorf("page has no %q", want)
	}
	if strings.Contains(page, "Not assessable") {
		t.Error("a portfolio without empty SBOMs has a not-assessable section")
	}
}

type sarifDoc struct {
	Runs []struct {
		Results []struct {
			RuleID    string `json:"ruleId"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string }
				}
			}
		}
	}
}

func portfolioResults(t *testing.T, docs *Documents, minGrade string) map[string][]string {
	t.Helper()
	var b strings.Builder
	if err := SARIF(&b, docs, Options{MinGrade: minGrade}); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, sarifSchema(t), []byte(b.String())); err != nil {
		t.Fatalf("not valid SARIF: %v", err)
	}
	var d sarifDoc
	if err := json.Unmarshal([]byte(b.String()), &d); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range d.Runs[0].Results {
		if r.RuleID == ruleProductGrade || r.RuleID == ruleUnassessable || strings.HasPrefix(r.Message.Text, "upstream ") {
			uri := ""
			if l := r.Locations[0].PhysicalLocation; l != nil {
				uri = l.ArtifactLocation.URI
			}
			out[r.RuleID] = append(out[r.RuleID], r.Level+" "+uri)
		}
	}
	return out
}

// TestPortfolioSARIF: a portfolio yields results located in its SBOMs:
// the empty ones, the products below the minimum grade, the shared
// systemic-fragile upstream.
func TestPortfolioSARIF(t *testing.T) {
	docs := &Documents{Portfolios: sampleDocuments(t).Portfolios}
	got := portfolioResults(t, docs, "C")
	if g := got[ruleUnassessable]; len(g) != 1 || g[0] != "warning sboms/vendor/legacy-scanner.cdx.json" {
		t.Errorf("unassessable results = %v", g)
	}
	if g := got[ruleProductGrade]; len(g) != 4 || g[0] != "error sboms/debian/shop-copy.cdx.json" {
		t.Errorf("product grade results below C = %v", g)
	}
	if g := got["systemic-fragile"]; len(g) != 1 || !strings.HasPrefix(g[0], "error sboms/") {
		t.Errorf("systemic-fragile upstream results = %v", g)
	}
	// Without a minimum grade, D is a warning and E to G errors.
	if g := got[ruleProductGrade]; len(portfolioResults(t, docs, "")[ruleProductGrade]) != len(g) {
		t.Errorf("without a minimum grade: %v", portfolioResults(t, docs, "")[ruleProductGrade])
	}
}

// TestPortfolioSARIFQuietWhenGood is the twin: with every product at or
// above the minimum grade and no fragile upstream, there are no
// portfolio results.
func TestPortfolioSARIFQuietWhenGood(t *testing.T) {
	docs := &Documents{Portfolios: sampleDocuments(t).Portfolios}
	p := &docs.Portfolios[0]
	p.Products = p.Products[len(p.Products)-2:] // the two graded B
	p.Upstreams = nil
	if got := portfolioResults(t, docs, "B"); len(got) != 0 {
		t.Errorf("results for a good portfolio: %v", got)
	}
}
