// Package where writes the answers of 'sovcheck portfolio where' (and of
// sovcheck-where, the same question in a binary of its own) as text, HTML
// and SARIF, fed portfolio's typed answers; JSON is portfolio's own. It
// imports neither policy nor the verifier, so that a binary that only
// answers where questions starts without them (docs/startup.md).
package where

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/sbom"
)

// buildInfo names the running build in SARIF logs; tests pin it.
var buildInfo = buildinfo.Read

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// whereQuestion renders a query as a person reads it.
func whereQuestion(q portfolio.Query) string {
	var parts []string
	if q.Advisory != "" {
		parts = append(parts, fmt.Sprintf("affected by %s (%s)", q.Advisory, q.Affected))
	}
	switch {
	case q.Package != "":
		parts = append(parts, q.Package)
	case q.Name != "":
		parts = append(parts, "name "+q.Name)
	}
	if q.Upstream != "" {
		parts = append(parts, "upstream "+q.Upstream)
	}
	if q.Provider != "" {
		parts = append(parts, "provider "+q.Provider)
	}
	if len(q.Versions) > 0 {
		parts = append(parts, "versions "+q.Versions.String())
	}
	if q.History {
		parts = append(parts, "every snapshot")
	}
	return strings.Join(parts, ", ")
}

// service describes a hosted service on one line: name, endpoints, trust
// boundary and zone, hosting labels.
func hostedService(m portfolio.ServiceMatch) string {
	sv := &m.Service
	parts := []string{sv.Name}
	if len(sv.Endpoints) > 0 {
		parts = append(parts, "endpoints "+strings.Join(sv.Endpoints, " "))
	}
	switch {
	case sv.CrossesTrustBoundary == nil:
		parts = append(parts, "trust boundary unknown")
	case *sv.CrossesTrustBoundary:
		parts = append(parts, "crosses the trust boundary")
	default:
		parts = append(parts, "inside the trust boundary")
	}
	if sv.TrustZone != "" {
		parts = append(parts, "zone "+sv.TrustZone)
	}
	if ls := m.LabelNames(); len(ls) > 0 {
		parts = append(parts, "labels "+strings.Join(ls, ","))
	}
	return strings.Join(parts, "; ")
}

// appendMatchText appends the lines of one match: its product snapshot,
// the component and its path.
func appendMatchText(b []byte, m *portfolio.Match) []byte {
	b = append(append(b, "  "...), m.Product...)
	if m.ProductVersion != "" {
		b = append(append(b, '@'), m.ProductVersion...)
	}
	b = append(append(append(append(append(append(append(b, " (grade "...), m.Grade...), ", "...), m.AsOf...), ", "...), m.Source...), ")\n    "...)
	b = append(b, m.Component...)
	if m.Version != "" {
		b = append(append(b, '@'), m.Version...)
	}
	b = append(b, "\n    path: "...)
	if len(m.Path) == 0 {
		b = append(b, noPath...)
	}
	for i, p := range m.Path {
		if i > 0 {
			b = append(b, " > "...)
		}
		b = append(b, p...)
	}
	return append(b, '\n')
}

// noPath stands for the path of a match whose SBOM gives none.
const noPath = "(no path: the SBOM gives no dependency path from the product)"

func matchPath(m *portfolio.Match) string {
	if len(m.Path) == 0 {
		return noPath
	}
	return strings.Join(m.Path, " > ")
}

// WriteText writes a where-used answer for people: one line per
// product snapshot and component, with its path.
func WriteText(w io.Writer, r *portfolio.WhereResult) error {
	ew := &errWriter{w: w}
	if r.Query.Provider != "" {
		ew.printf("Where hosted: %s: %d products, %d services\n", whereQuestion(r.Query), r.Products, len(r.Services))
		for _, m := range r.Services {
			ew.printf("  %s (grade %s, %s, %s)\n    service %s\n", m.Title(), m.Grade, m.AsOf, m.Source, hostedService(m))
		}
		return ew.err
	}
	ew.printf("Where used: %s: %d products, %d components\n", whereQuestion(r.Query), r.Products, r.Len())
	// An answer can hold hundreds of thousands of matches: each is
	// appended, not formatted, chunks of them on every core.
	if ew.err == nil {
		ew.err = r.AppendEach(w, appendMatchText)
	}
	if len(r.Undetermined) > 0 {
		what := "placed in the range"
		if r.Query.Advisory != "" {
			what = "matched with the advisory"
		}
		ew.printf("Undetermined (%d): the version could not be %s\n", len(r.Undetermined), what)
		for _, m := range r.Undetermined {
			ew.printf("  %s: %s: %s\n", m.Title(), m.ComponentRef(), m.Reason)
		}
	}
	return ew.err
}

// whereHTML is parsed on first use, not at start.
var whereHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("where").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>sovcheck: where used: {{.Question}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#eee}</style>
</head>
<body>
<h1>Where used: {{.Question}}</h1>
{{if .R.Query.Provider}}<p>{{.R.Products}} products, {{len .Services}} services.</p>
<table>
<thead><tr><th>Product</th><th>Grade</th><th>As of</th><th>Service</th><th>SBOM</th></tr></thead>
<tbody>
{{range .Services}}<tr><td>{{.Product}}</td><td>{{.Grade}}</td><td>{{.AsOf}}</td><td>{{.Service}}</td><td>{{.Source}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<p>{{.R.Products}} products, {{len .Matches}} components.</p>
<table>
<thead><tr><th>Product</th><th>Grade</th><th>As of</th><th>Component</th><th>Upstream</th><th>Path</th><th>SBOM</th></tr></thead>
<tbody>
{{range .Matches}}<tr><td>{{.Product}}</td><td>{{.Grade}}</td><td>{{.AsOf}}</td><td>{{.Component}}</td><td>{{.Upstream}}</td><td>{{.Path}}</td><td>{{.Source}}</td></tr>
{{end}}</tbody>
</table>
{{if .Undetermined}}<h2>Undetermined ({{len .Undetermined}})</h2>
<p>The version of these components could not be placed in the range.</p>
<table>
<thead><tr><th>Product</th><th>Component</th><th>Reason</th></tr></thead>
<tbody>
{{range .Undetermined}}<tr><td>{{.Product}}</td><td>{{.Component}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody>
</table>
{{end}}{{end}}</body>
</html>
`))
})

// WriteHTML writes a where-used answer as a self-contained page.
func WriteHTML(w io.Writer, r *portfolio.WhereResult) error {
	type row struct{ Product, Grade, AsOf, Component, Upstream, Path, Source, Reason string }
	rows := func(ms []*portfolio.Match) []row {
		out := make([]row, len(ms))
		for i, m := range ms {
			out[i] = row{m.Title(), string(m.Grade), m.AsOf, m.ComponentRef(), m.Upstream, matchPath(m), m.Source, m.Reason}
		}
		return out
	}
	type serviceRow struct{ Product, Grade, AsOf, Service, Source string }
	services := make([]serviceRow, len(r.Services))
	for i, m := range r.Services {
		services[i] = serviceRow{m.Title(), string(m.Grade), m.AsOf, hostedService(m), m.Source}
	}
	return whereHTML().Execute(w, struct {
		Question              string
		R                     *portfolio.WhereResult
		Matches, Undetermined []row
		Services              []serviceRow
	}{whereQuestion(r.Query), r, rows(r.All()), rows(r.Undetermined), services})
}

// Rule ids of where-used answers in SARIF.
const (
	ruleWhereUsed    = "portfolio-where-used"
	ruleUndetermined = "portfolio-where-undetermined"
	ruleWhereHosted  = "portfolio-where-hosted"
)

// WriteSARIF writes a where-used answer as SARIF 2.1.0: one result
// per component found, located in the SBOM that lists it; undetermined
// versions are warnings.
func WriteSARIF(w io.Writer, r *portfolio.WhereResult) error {
	type msg struct {
		Text string `json:"text"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID     string         `json:"ruleId"`
		Level      string         `json:"level"`
		Message    msg            `json:"message"`
		Locations  []location     `json:"locations"`
		Properties map[string]any `json:"properties"`
	}
	type rule struct {
		ID               string `json:"id"`
		ShortDescription msg    `json:"shortDescription"`
	}
	results := []result{}
	add := func(m *portfolio.Match, id, level, text string) {
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = m.Source
		results = append(results, result{RuleID: id, Level: level, Message: msg{text}, Locations: []location{loc},
			Properties: map[string]any{"product": m.Product, "productVersion": m.ProductVersion, "component": m.Component,
				"version": m.Version, "purl": m.PURL, "upstream": m.Upstream, "digest": m.Digest, "asOf": m.AsOf, "path": m.Path}})
	}
	for _, m := range r.All() {
		add(m, ruleWhereUsed, "note", fmt.Sprintf("%s contains %s; path: %s", m.Title(), m.ComponentRef(), matchPath(m)))
	}
	for _, m := range r.Services {
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = m.Source
		results = append(results, result{RuleID: ruleWhereHosted, Level: "note", Message: msg{fmt.Sprintf("%s runs service %s", m.Title(), hostedService(m))},
			Locations: []location{loc}, Properties: map[string]any{"product": m.Product, "productVersion": m.ProductVersion, "digest": m.Digest,
				"asOf": m.AsOf, "service": m.Service.Name, "provider": m.Service.Provider, "endpoints": m.Service.Endpoints,
				"crossesTrustBoundary": m.Service.CrossesTrustBoundary, "trustZone": m.Service.TrustZone, "labels": m.LabelNames()}})
	}
	for _, m := range r.Undetermined {
		add(m, ruleUndetermined, "warning", fmt.Sprintf("%s contains %s, whose version could not be placed in %s: %s",
			m.Title(), m.ComponentRef(), r.Query.Versions, m.Reason))
	}
	rules := []rule{
		{ID: ruleWhereUsed, ShortDescription: msg{"a product of the portfolio contains the component asked for"}},
		{ID: ruleUndetermined, ShortDescription: msg{"a product contains the package, but its version could not be compared"}},
	}
	if r.Query.Provider != "" {
		rules = []rule{{ID: ruleWhereHosted, ShortDescription: msg{"a product of the portfolio runs a service on the provider asked for"}}}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "sovcheck", "version": buildInfo().Version, "informationUri": "https://github.com/sovcheck/sovcheck",
				"rules": rules,
			}},
			"properties": map[string]any{"question": whereQuestion(r.Query)},
			"results":    results,
		}},
	}
	return sbom.WriteJSON(w, doc)
}
