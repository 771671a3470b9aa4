package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// DocumentFormats lists the formats `sovcheck report` renders documents
// in.
var DocumentFormats = []string{"text", "markdown", "html", "sarif", "junit"}

// ValidDocumentFormat reports whether f is a format of `sovcheck report`.
func ValidDocumentFormat(f string) bool { return slices.Contains(DocumentFormats, f) }

// RenderDocuments writes docs in the named format. The exit code a caller
// gives should come from docs.Decide, whatever the format.
func RenderDocuments(w io.Writer, format string, docs *Documents, opts Options) error {
	if opts.MinGrade != "" && !vocab.Grade(opts.MinGrade).Valid() {
		return fmt.Errorf("minimum grade %q: want one of %s", opts.MinGrade, strings.Join(vocab.GradeNames(), ", "))
	}
	switch format {
	case "text", "":
		return DocumentsText(w, docs, opts)
	case "markdown":
		return Markdown(w, docs, opts)
	case "html":
		return HTML(w, docs, opts)
	case "sarif":
		return SARIF(w, docs, opts)
	case "junit":
		return JUnit(w, docs, opts)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(DocumentFormats, ", "))
}

// verifyOnly wraps the verdicts of one `sovcheck verify` run.
func verifyOnly(verdicts []policy.Verdict) *Documents {
	return &Documents{Verify: []VerifyDocument{NewVerifyDocument(verdicts)}}
}

// DocumentsText writes the documents for a terminal or a CI log: the
// verdicts as Text does, then one line per rebuild, product and portfolio,
// then the decision.
func DocumentsText(w io.Writer, docs *Documents, opts Options) error {
	var b strings.Builder
	var verdicts []policy.Verdict
	for _, d := range docs.Verify {
		verdicts = append(verdicts, d.Verdicts...)
	}
	if len(verdicts) > 0 {
		if err := Text(&b, verdicts, opts.Style); err != nil {
			return err
		}
	}
	// What follows the verdicts wraps at textWidth, as every table of
	// sovcheck's text does; the JSON keeps each value whole.
	ew := &errWriter{w: &b}
	v := newView(docs, opts)
	for _, r := range v.Rebuilds {
		st := policy.StatusFail
		switch r.Status {
		case rebuild.StatusMatch:
			st = policy.StatusPass
		case rebuild.StatusSkip:
			st = policy.StatusSkip
		}
		line := fmt.Sprintf("%s rebuild %s: %s", opts.Style.status(st), r.Name, r.Status)
		if r.Reason != nil {
			line += fmt.Sprintf(" [%s] %s", r.Reason.Code, r.Reason.Message)
		}
		writeHanging(ew, "", "         ", line)
		for _, c := range r.Causes {
			writeHanging(ew, "         ", "           ", c.Code+" "+c.What)
		}
		if r.Reason != nil && r.Reason.Hint != "" {
			writeHanging(ew, "         ", "               ", "hint: "+r.Reason.Hint)
		}
	}
	for _, p := range v.Products {
		writeHanging(ew, "", "    ", fmt.Sprintf("grade %s %s (%s, %d components, as of %s); %s not assessed", p.Doc.Product.Grade, p.Title, p.Doc.Product.Source,
			p.Doc.Product.Components, p.Doc.AsOf, percent(p.Doc.Coverage.Unassessed)))
		for _, c := range p.Worst[:min(len(p.Worst), 3)] {
			if len(c.Labels) > 0 {
				writeHanging(ew, "  ", "      ", fmt.Sprintf("%d %s %s: %s", c.Risk, c.Grade, c.Title(), strings.Join(labelsWhy(c.Labels), ", ")))
			}
		}
	}
	for _, p := range v.Portfolios {
		t := p.Doc.Totals
		writeHanging(ew, "", "    ", fmt.Sprintf("portfolio: %d products, %d components, %d upstreams (%d shared), supplier HHI %s, as of %s",
			t.Products, t.Components, t.Upstreams, t.Shared, supplierHHI(p.Doc), p.Doc.AsOf))
		for _, u := range p.Doc.Upstreams[:min(len(p.Doc.Upstreams), 3)] {
			writeHanging(ew, "  ", "      ", fmt.Sprintf("shared by %s of products: %s (fragility %.2f)", percent(u.Share), u.Upstream, u.Fragility))
		}
		for _, f := range p.Doc.Failures {
			writeHanging(ew, "  ", "      ", fmt.Sprintf("not read: %s [%s]", f.Source, f.Code))
		}
	}
	if len(verdicts) == 0 || len(v.Rebuilds)+len(v.Products)+len(v.Portfolios) > 0 {
		d := v.Decision
		if d.Decided == 0 {
			b.WriteString("no verdict: grades only\n")
		} else {
			fmt.Fprintf(&b, "%s: %d decided, %d passed, %d failed\n", d.Status, d.Decided, d.Decided-d.Failed, d.Failed)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// supplierHHI is the portfolio's supplier concentration, or "unknown"
// when no SBOM names a supplier: an index of 0 would read as "spread over
// many suppliers", the opposite of "not known".
func supplierHHI(d *sbom.PortfolioReport) string {
	if len(d.Suppliers) == 0 {
		return "unknown (no supplier named)"
	}
	return fmt.Sprintf("%.3f", d.SupplierHHI)
}
