package report

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// The HTML report is one self-contained file: the style sheet is inline,
// charts are inline SVG, and there is no script, font or image to fetch.
// A Content-Security-Policy forbids anything else, so a string that slipped
// past escaping still could not run or load: the page allows only its own
// style sheet, by hash.

//go:embed templates/report.html.tmpl templates/report.css
var templateFiles embed.FS

// The page's style, policy and template are made on first use: most runs
// of sovcheck render no HTML, and every run pays for package initialisation.
var (
	htmlCSS = sync.OnceValue(func() string { return mustRead("templates/report.css") })
	htmlCSP = sync.OnceValue(func() string {
		return fmt.Sprintf("default-src 'none'; style-src 'sha256-%s'; base-uri 'none'; form-action 'none'", cssHash(htmlCSS()))
	})
	htmlTemplate = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
			"statusClass":    statusClass,
			"phaseClass":     func(s string) string { return statusClass(policy.Status(s)) },
			"ruleClass":      ruleClass,
			"rebuildClass":   rebuildClass,
			"gradeClass":     gradeClass,
			"verdictWord":    verdictWord,
			"verdictClass":   verdictClass,
			"orNone":         orNone,
			"percent":        percent,
			"join":           func(ls []sbom.Label, sep string) string { return strings.Join(labelNames(ls), sep) },
			"pointsBar":      newPointsBar,
			"sortedFindings": sortedFindings,
			"deref":          func(p *float64) float64 { return *p },
			"foldItems":      func() int { return foldItems },
		}).ParseFS(templateFiles, "templates/report.html.tmpl"))
	})
)

func mustRead(name string) string {
	b, err := templateFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

func cssHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// HTML writes the documents as one self-contained HTML page that prints
// on A4.
func HTML(w io.Writer, docs *Documents, opts Options) error {
	data := struct {
		View *view
		CSS  template.CSS
		CSP  string
	}{newView(docs, opts), template.CSS(htmlCSS()), htmlCSP()}
	var b strings.Builder
	if err := htmlTemplate().Execute(&b, data); err != nil {
		return fmt.Errorf("rendering HTML: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func statusClass(s policy.Status) string {
	switch s {
	case policy.StatusPass:
		return "pass"
	case policy.StatusSkip:
		return "skip"
	}
	return "fail"
}

// ruleClass colours a rule result: only a failed knock-out is red; a
// failed warning or penalty is amber, as it does not fail the verdict.
func ruleClass(r policy.RuleResult) string {
	switch {
	case r.Status == policy.RulePass:
		return "pass"
	case r.Status == policy.RuleFail && r.Action == policy.ActionFail:
		return "fail"
	}
	return "skip"
}

func rebuildClass(s rebuild.Status) string {
	switch s {
	case rebuild.StatusMatch:
		return "pass"
	case rebuild.StatusSkip:
		return "skip"
	}
	return "fail"
}

func gradeClass(g sbom.Grade) string {
	if g.Valid() {
		return "g" + string(g)
	}
	return "fail"
}

func verdictWord(d Decision) string {
	if d.Decided == 0 {
		return "GRADES"
	}
	return string(d.Status)
}

func verdictClass(d Decision) string {
	if d.Decided == 0 {
		return "none"
	}
	return statusClass(d.Status)
}
