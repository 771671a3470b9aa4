package where

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/report/internal/sarif"
	"github.com/sovcheck/sovcheck/sbom"
)

// The answer of 'sovcheck portfolio where --vulns' as text, HTML and
// SARIF: per advisory, the where-used answer of each package it names.

// affectedSummary is the first line of an answer.
func affectedSummary(a *portfolio.AffectedAnswer) string {
	s := fmt.Sprintf("%d of %d advisories affect %d products", a.Affecting, a.Advisories, a.Products)
	if a.Undetermined > 0 {
		s += fmt.Sprintf("; %d products hold a version that could not be matched", a.Undetermined)
	}
	s += " (" + sarif.RelativePath(a.Source)
	if a.AsOf != "" {
		s += ", as of " + a.AsOf
	}
	s += fmt.Sprintf("; %d packages asked", a.Asked)
	if len(a.Unasked) > 0 {
		s += fmt.Sprintf(", %d not asked", len(a.Unasked))
	}
	if a.History {
		s += "; every snapshot"
	}
	return s + ")"
}

// advisoryTitle names an advisory with its aliases.
func advisoryTitle(r *portfolio.AdvisoryResult) string {
	t := r.Advisory
	if len(r.Aliases) > 0 {
		t += " (" + strings.Join(r.Aliases, ", ") + ")"
	}
	return t
}

// unaskedLine says which package of which advisory was not asked, and why.
func unaskedLine(u sbom.AffectedPackage) string {
	var parts []string
	for _, p := range []string{u.Advisory, u.Ecosystem, u.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ") + ": " + u.Unasked
}

// WriteAffectedText writes the answer for people: per advisory, each
// package's products with their paths, then the packages not asked.
func WriteAffectedText(w io.Writer, a *portfolio.AffectedAnswer) error {
	ew := &errWriter{w: w}
	ew.printf("Affected: %s\n", affectedSummary(a))
	for _, r := range a.Results {
		ew.printf("\n%s: %d products\n", advisoryTitle(r), r.Products)
		if r.Summary != "" {
			ew.printf("  %s\n", r.Summary)
		}
		for _, res := range r.Answers {
			if ew.err == nil {
				ew.err = WriteText(w, res)
			}
		}
	}
	if len(a.Unasked) > 0 {
		ew.printf("\nNot asked (%d): no SBOM component is read as these packages, so the store cannot say\n", len(a.Unasked))
		for _, u := range a.Unasked {
			ew.printf("  %s\n", unaskedLine(u))
		}
	}
	return ew.err
}

// affectedHTML is parsed on first use, not at start.
var affectedHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("affected").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>sovcheck: affected products</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#eee}</style>
</head>
<body>
<h1>Affected products</h1>
<p>{{.Summary}}</p>
{{range .Advisories}}<h2>{{.Title}}: {{.Products}} products</h2>
{{if .Summary}}<p>{{.Summary}}</p>
{{end}}{{range .Packages}}<h3>{{.Question}}</h3>
<table>
<thead><tr><th>Product</th><th>Grade</th><th>As of</th><th>Component</th><th>Path</th><th>SBOM</th><th>Undetermined</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Product}}</td><td>{{.Grade}}</td><td>{{.AsOf}}</td><td>{{.Component}}</td><td>{{.Path}}</td><td>{{.Source}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody>
</table>
{{end}}{{end}}{{if .Unasked}}<h2>Not asked ({{len .Unasked}})</h2>
<p>No SBOM component is read as these packages, so the store cannot say.</p>
<ul>
{{range .Unasked}}<li>{{.}}</li>
{{end}}</ul>
{{end}}</body>
</html>
`))
})

// WriteAffectedHTML writes the answer as a self-contained page.
func WriteAffectedHTML(w io.Writer, a *portfolio.AffectedAnswer) error {
	type row struct{ Product, Grade, AsOf, Component, Path, Source, Reason string }
	type pkg struct {
		Question string
		Rows     []row
	}
	type advisory struct {
		Title, Summary string
		Products       int
		Packages       []pkg
	}
	var advs []advisory
	for _, r := range a.Results {
		adv := advisory{Title: advisoryTitle(r), Summary: r.Summary, Products: r.Products}
		for _, res := range r.Answers {
			p := pkg{Question: whereQuestion(res.Query)}
			for _, ms := range [][]*portfolio.Match{res.All(), res.Undetermined} {
				for _, m := range ms {
					p.Rows = append(p.Rows, row{m.Title(), string(m.Grade), m.AsOf, m.ComponentRef(), matchPath(m), m.Source, m.Reason})
				}
			}
			adv.Packages = append(adv.Packages, p)
		}
		advs = append(advs, adv)
	}
	var unasked []string
	for _, u := range a.Unasked {
		unasked = append(unasked, unaskedLine(u))
	}
	return affectedHTML().Execute(w, struct {
		Summary    string
		Advisories []advisory
		Unasked    []string
	}{affectedSummary(a), advs, unasked})
}

// securitySeverity is the advisory's SARIF security-severity: its CVSS
// base score, or the middle of its level's band in GitHub's reading (9
// and above critical, 7 high, 4 medium, below that low). An unknown
// severity is read as high: never as nothing.
func securitySeverity(level string, score float64) string {
	if score > 0 {
		return strconv.FormatFloat(score, 'f', 1, 64)
	}
	if sev, ok := map[string]string{sbom.SeverityCritical: "9.5", sbom.SeverityMedium: "5.5", sbom.SeverityLow: "2.0"}[level]; ok {
		return sev
	}
	return "8.0"
}

// ruleNotAsked is the SARIF rule of a package no SBOM component is read
// as.
const ruleNotAsked = "portfolio-advisory-not-asked"

// WriteAffectedSARIF writes the answer as SARIF 2.1.0: each advisory is a
// rule, each affected component an error located in the SBOM that lists
// it, each undetermined one a warning; a package not asked is a note.
func WriteAffectedSARIF(w io.Writer, a *portfolio.AffectedAnswer) error {
	s := sarif.NewBuilder()
	const hint = "update the component to a version the advisory does not affect, or record why it is not affected in a VEX statement"
	for _, r := range a.Results {
		desc := r.Summary
		if desc == "" {
			desc = "an OSV advisory affects a component of a product"
		}
		for _, res := range r.Answers {
			for _, m := range res.All() {
				s.Add(r.Advisory, desc, hint, "error", fmt.Sprintf("%s contains %s, affected by %s; path: %s", m.Title(), m.ComponentRef(), r.Advisory, matchPath(m)),
					[]sarif.Location{sarif.SBOMLocation(m.Source, m.Title())}, nil, r.Advisory, m.Digest, m.ComponentRef())
			}
			for _, m := range res.Undetermined {
				s.Add(r.Advisory, desc, hint, "warning", fmt.Sprintf("%s contains %s, which may be affected by %s: %s", m.Title(), m.ComponentRef(), r.Advisory, m.Reason),
					[]sarif.Location{sarif.SBOMLocation(m.Source, m.Title())}, nil, r.Advisory, m.Digest, m.ComponentRef())
			}
		}
		rule := s.Rules[r.Advisory]
		rule.HelpURI = "https://osv.dev/vulnerability/" + r.Advisory
		rule.Properties = &sarif.RuleProps{SecuritySeverity: securitySeverity(r.Severity, r.Score), Tags: []string{"security", "supply-chain", "vulnerability"}}
		s.Rules[r.Advisory] = rule
	}
	for _, u := range a.Unasked {
		s.Add(ruleNotAsked, "an advisory names a package no SBOM component is read as", "check these packages by other means: the store cannot say",
			"note", unaskedLine(u), []sarif.Location{{LogicalLocations: []sarif.Logical{{Name: u.Advisory, FullyQualifiedName: u.Record, Kind: "resource"}}}},
			nil, u.Advisory, u.Record)
	}
	return s.Write(w, map[string]any{"question": "which products the advisories affect", "advisories": sarif.RelativePath(a.Source)}, buildInfo())
}
