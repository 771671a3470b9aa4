package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sovcheck/sovcheck/sbom"
)

func widest(text string) (int, string) {
	w, line := 0, ""
	for _, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > w {
			w, line = n, l
		}
	}
	return w, line
}

// TestTextFitsWidth renders a product and a portfolio whose names, purls
// and hints are far wider than a terminal: every line fits textWidth, and
// what a cut cell lost is still in the JSON document.
func TestTextFitsWidth(t *testing.T) {
	long := "pkg:golang/google.golang.org/genproto/googleapis/rpc/very/long/module/path@v0.0.0-20260523011958-0a33c5d7ca68"
	doc := sampleDocuments(t)
	prod := doc.Labels[0]
	prod.Components = append([]sbom.ComponentResult(nil), prod.Components...)
	prod.Components[0].Name = long
	prod.Warnings = append(prod.Warnings, "component "+long+" has "+strings.Repeat("a very long warning ", 12))
	var text bytes.Buffer
	if err := WriteSBOMText(&text, &prod, DefaultSBOMTextOptions()); err != nil {
		t.Fatal(err)
	}
	port := doc.Portfolios[0]
	port.Products = append([]sbom.PortfolioProduct(nil), port.Products...)
	port.Products[1].Source = "sboms/" + strings.Repeat("deeply/nested/", 8) + "shop.cdx.json"
	if err := WritePortfolioText(&text, &port, DefaultSBOMTextOptions()); err != nil {
		t.Fatal(err)
	}
	if w, line := widest(text.String()); w > textWidth {
		t.Errorf("a line is %d columns wide, want at most %d:\n%s", w, textWidth, line)
	}
	for _, want := range []string{"…ted/shop.cdx.json", "Not assessable (1), graded by rule:", "legacy-scanner 0.9",
		"What to do, for the first label of each:", "  systemic-fragile: act here first"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text has no %q:\n%s", want, text.String())
		}
	}
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(l, "79 ") && strings.Contains(l, "genproto") && !strings.Contains(l, "…") {
			t.Errorf("the long component name was not cut in its table row: %s", l)
		}
	}
}

// TestDocumentsTextFitsWidth: 'sovcheck report' text, one product's and one
// portfolio's lines with long names and labels, fits textWidth; the
// unwrapped line would not (the twin checks the input is that wide).
func TestDocumentsTextFitsWidth(t *testing.T) {
	docs := sampleDocuments(t)
	docs.Verify = nil
	docs.Labels[0].Product.Source = "sboms/" + strings.Repeat("deeply/nested/", 8) + "shop.cdx.json"
	var text bytes.Buffer
	if err := RenderDocuments(&text, "text", docs, Options{}); err != nil {
		t.Fatal(err)
	}
	if w, line := widest(text.String()); w > textWidth {
		t.Errorf("a line is %d columns wide, want at most %d:\n%s", w, textWidth, line)
	}
	var joined strings.Builder // the lines, unindented, end to end: a word broken at a line's end is whole again
	for _, l := range strings.Split(text.String(), "\n") {
		joined.WriteString(strings.TrimSpace(l))
	}
	if !strings.Contains(joined.String(), docs.Labels[0].Product.Source) || runeLen(docs.Labels[0].Product.Source) <= textWidth {
		t.Errorf("the product line lost its source, or the source is not wider than a line:\n%s", text.String())
	}
}

// TestTextTableKeepsWhatFits is the twin: a table that fits is written
// whole, so the cutting above is the width's doing.
func TestTextTableKeepsWhatFits(t *testing.T) {
	var b bytes.Buffer
	ew := &errWriter{w: &b}
	writeTable(ew, "", [][]string{{"A", "NAME"}, {"1", "pkg:npm/left-pad@1.3.0"}, {"22", "short"}})
	want := "A   NAME\n1   pkg:npm/left-pad@1.3.0\n22  short\n"
	if b.String() != want {
		t.Errorf("table =\n%q, want\n%q", b.String(), want)
	}
	b.Reset()
	writeWrapped(ew, "  note: ", "fits on one line")
	if b.String() != "  note: fits on one line\n" {
		t.Errorf("wrapped = %q", b.String())
	}
	b.Reset()
	word := strings.Repeat("x", 250)
	writeWrapped(ew, "  ", word)
	if w, _ := widest(b.String()); w > textWidth || strings.Count(b.String(), "x") != 250 {
		t.Errorf("a word longer than a line: widest %d, %d of 250 runes kept:\n%s", w, strings.Count(b.String(), "x"), b.String())
	}
}
