package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// SBOMTextOptions shape the text reports of SBOM labels and portfolios.
type SBOMTextOptions struct {
	// Top is how many rows the tables show (0: all).
	Top int
	// Details is how many of the worst components get a full trace of
	// their labels and score.
	Details int
}

// DefaultSBOMTextOptions shows the 20 worst components and traces the 5
// worst.
func DefaultSBOMTextOptions() SBOMTextOptions { return SBOMTextOptions{Top: 20, Details: 5} }

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// WriteSBOMText writes the labels report a person reads: the grade and why, what
// could not be assessed, the worst components with what to do, and the
// trace behind the worst scores.
func WriteSBOMText(w io.Writer, r *sbom.Report, opt SBOMTextOptions) error {
	ew := &errWriter{w: w}
	p := r.Product
	title := p.Name
	if p.Version != "" {
		title += " " + p.Version
	}
	ew.printf("%s (%s %s, %d components, as of %s)\n\n", title, p.Format.Title(), strings.TrimPrefix(p.SpecVersion, "SPDX-"), p.Components, r.AsOf)
	ew.printf("Grade %s  (worst component risk %d/100)\n", p.Grade, p.Risk)
	for _, c := range p.Caps {
		ew.printf("  capped at %s (computed %s): %s\n", c.Grade, p.ComputedGrade, c.Reason)
	}
	var counts []string
	for _, g := range vocab.Grades {
		counts = append(counts, fmt.Sprintf("%s %d", g, p.GradeCounts[g]))
	}
	ew.printf("Components by grade: %s\n\n", strings.Join(counts, "  "))
	writeCoverage(ew, r.Coverage)
	writeVulnerabilityData(ew, r)
	rows := r.Components
	if opt.Top > 0 && len(rows) > opt.Top {
		rows = rows[:opt.Top]
	}
	if len(rows) > 0 {
		ew.printf("Worst components:\n")
		table := [][]string{{"RISK", "GRADE", "COMPONENT", "UPSTREAM", "WHY"}}
		var todo []sbom.Label
		for i := range rows {
			c := &rows[i]
			table = append(table, []string{fmt.Sprint(c.Risk), string(c.Grade), c.Title(), upstreamTitle(c.Upstream), why(c.Labels, 2)})
			if l, ok := actionLabel(c.Labels); ok && !slices.Contains(todo, l) {
				todo = append(todo, l)
			}
		}
		writeTable(ew, "", table)
		if len(rows) < len(r.Components) {
			ew.printf("(%d of %d components shown)\n", len(rows), len(r.Components))
		}
		if len(todo) > 0 {
			ew.printf("What to do, for the first label of each:\n")
			for _, l := range todo {
				writeWrapped(ew, "  "+string(l)+": ", sbom.LabelHint(l))
			}
		}
		ew.printf("\n")
	}
	writeServices(ew, r.Services)
	details := min(opt.Details, len(r.Components))
	if opt.Top > 0 {
		details = min(details, len(rows))
	}
	if details > 0 {
		ew.printf("Why, for the %d worst:\n", details)
	}
	for i := 0; i < details; i++ {
		writeTrace(ew, &r.Components[i], &r.Config)
	}
	if len(r.Warnings) > 0 {
		ew.printf("SBOM warnings:\n")
		for _, wmsg := range r.Warnings {
			writeHanging(ew, "  ", "    ", wmsg)
		}
	}
	return ew.err
}

func why(fs []sbom.Finding, n int) string {
	var names []string
	seen := map[sbom.Label]bool{}
	for _, f := range sortedFindings(fs) {
		if !seen[f.Label] {
			seen[f.Label] = true
			names = append(names, string(f.Label))
		}
	}
	if len(names) == 0 {
		return "-"
	}
	if len(names) > n {
		return strings.Join(names[:n], ", ") + fmt.Sprintf(" +%d", len(names)-n)
	}
	return strings.Join(names, ", ")
}

// actionLabel is the label whose hint says what to do first about a
// component: its heaviest label that is not a mitigation.
func actionLabel(fs []sbom.Finding) (sbom.Label, bool) {
	for _, f := range sortedFindings(fs) {
		if !sbom.LabelMitigates(f.Label) {
			return f.Label, true
		}
	}
	return "", false
}

func writeCoverage(ew *errWriter, cov sbom.Coverage) {
	ew.printf("Not assessed: %.0f%% of label questions, for lack of data\n", 100*cov.Unassessed)
	width := 0
	for _, d := range cov.Dimensions {
		width = max(width, runeLen(string(d.Dimension)))
	}
	for _, d := range cov.Dimensions {
		reasons := make([]string, 0, len(d.Reasons))
		for _, r := range d.Reasons {
			reasons = append(reasons, fmt.Sprintf("%s (%d);", r.Reason, r.Components))
		}
		text := strings.TrimSuffix(strings.Join(reasons, " "), ";")
		if text == "" {
			text = "-"
		}
		writeWrapped(ew, fmt.Sprintf("  %-*s  %3.0f%% assessed  ", width, d.Dimension, 100*d.Share), text)
	}
	ew.printf("\n")
}

func writeTrace(ew *errWriter, c *sbom.ComponentResult, cfg *sbom.Config) {
	imp := c.Impact
	floor := cfg.ImpactFloor
	writeHanging(ew, "  ", "    ", fmt.Sprintf("%s  risk %d, grade %s", c.Title(), c.Risk, c.Grade))
	ew.printf("    risk = 100 x fragility %.3f x (%.2f + %.2f x impact %.3f)", c.Fragility, floor, 1-floor, imp.Value)
	if c.RiskFloor != nil {
		ew.printf(", raised to %d by %s", c.RiskFloor.Value, c.RiskFloor.Label)
	}
	ew.printf("\n")
	if imp.Assessed {
		ew.printf("    impact: blast radius = max(%s dependents -> %.3f, %d dominated -> %.3f)", imp.DependentsText(),
			imp.DependentsSignal, imp.Dominated, imp.DominatedSignal)
	} else {
		ew.printf("    impact: %.2f assumed, the SBOM has no dependency graph", cfg.UnknownImpact)
	}

	if imp.Sandboxed {
		ew.printf(", x %.2f for the sandbox", cfg.SandboxImpactFactor)
	}
	ew.printf("\n")
	upstream := fmt.Sprintf("%s (%s, %s)", upstreamTitle(c.Upstream), c.UpstreamRule, c.UpstreamField)
	if c.Supplier != "" {
		upstream += ", supplier " + c.Supplier
	}
	writeHanging(ew, "    upstream ", "      ", upstream)
	for _, f := range c.Labels {
		where := f.Field
		if f.Record != "" {
			if where != "" {
				where += ", "
			}
			where += f.Record
		}
		if where != "" {
			where = " " + where
		}
		writeWrapped(ew, fmt.Sprintf("    %-22s %.2f  ", f.Label, f.Weight), fmt.Sprintf("%s  [%s]%s", f.Detail, f.Rule, where))
	}
	for _, u := range c.Unassessed {
		names := make([]string, len(u.Labels))
		for i, l := range u.Labels {
			names[i] = string(l)
		}
		writeWrapped(ew, "    unknown: ", fmt.Sprintf("%s (%s)", strings.Join(names, ", "), u.Reason))
	}
	ew.printf("\n")
}

// WritePortfolioText writes the portfolio view: products worst first, the
// shared upstreams that matter most, and supplier concentration.
func WritePortfolioText(w io.Writer, r *sbom.PortfolioReport, opt SBOMTextOptions) error {
	ew := &errWriter{w: w}
	t := r.Totals
	ew.printf("Portfolio: %d products, %d components, %d upstreams (%d shared), as of %s\n\n",
		t.Products, t.Components, t.Upstreams, t.Shared, r.AsOf)
	writeCoverage(ew, r.Coverage)
	limit := func(n int) int {
		if opt.Top > 0 {
			return min(opt.Top, n)
		}
		return n
	}
	var assessed []sbom.PortfolioProduct
	var empty [][]string
	for _, p := range r.Products {
		if p.Components == 0 {
			why := "the SBOM lists no components"
			if len(p.Caps) > 0 {
				why = p.Caps[0].Reason
			}
			empty = append(empty, []string{productTitle(p.Name, p.Version), p.Source, why})
			continue
		}
		assessed = append(assessed, p)
	}
	if len(assessed) > 0 {
		ew.printf("Products, worst first:\n")
		table := [][]string{{"GRADE", "RISK", "PRODUCT", "SOURCE", "COMPONENTS", "WORST", "WHY"}}
		for _, p := range assessed[:limit(len(assessed))] {
			grade := string(p.Grade)
			if p.Grade != p.ComputedGrade {
				grade += " (capped)"
			}
			table = append(table, []string{grade, fmt.Sprint(p.Risk), p.Name, p.Source, fmt.Sprint(p.Components), p.Worst, firstLabels(p.WorstLabels, 1)})
		}
		writeTable(ew, "", table)
		if n := limit(len(assessed)); n < len(assessed) {
			ew.printf("(%d of %d assessed products shown)\n", n, len(assessed))
		}
		ew.printf("\n")
	}
	if len(empty) > 0 {
		ew.printf("Not assessable (%d), graded by rule:\n", len(empty))
		writeTable(ew, "  ", append([][]string{{"PRODUCT", "SOURCE", "REASON"}}, empty[:limit(len(empty))]...))
		if n := limit(len(empty)); n < len(empty) {
			ew.printf("(%d of %d shown)\n", n, len(empty))
		}
		ew.printf("\n")
	}
	if len(r.Upstreams) > 0 {
		ew.printf("Shared upstreams, by share x fragility:\n")
		table := [][]string{{"SCORE", "SHARE", "PRODUCTS", "UPSTREAM", "EXAMPLE", "FRAGILITY", "LABELS"}}
		for _, u := range r.Upstreams[:limit(len(r.Upstreams))] {
			table = append(table, []string{fmt.Sprintf("%.3f", u.Score), fmt.Sprintf("%.0f%%", 100*u.Share), fmt.Sprint(u.Products), u.Upstream, u.Example,
				fmt.Sprintf("%.3f", u.Fragility), firstLabels(u.Labels, 1)})
		}
		writeTable(ew, "", table)
		ew.printf("\n")
	}
	if len(r.Suppliers) > 0 {
		ew.printf("Supplier concentration (HHI %.3f; 1 means a single supplier):\n", r.SupplierHHI)
		table := [][]string{{"SHARE", "COMPONENTS", "PRODUCTS", "SUPPLIER"}}
		for _, s := range r.Suppliers[:limit(len(r.Suppliers))] {
			table = append(table, []string{fmt.Sprintf("%.0f%%", 100*s.Share), fmt.Sprint(s.Components), fmt.Sprint(s.Products), s.Supplier})
		}
		writeTable(ew, "", table)
		ew.printf("\n")
	} else {
		ew.printf("Supplier concentration: no SBOM names a supplier\n\n")
	}
	writeHosting(ew, r.Hosting, limit(len(hostingProviders(r.Hosting))))
	if len(r.Failures) > 0 {
		ew.printf("Not read (%d):\n", len(r.Failures))
		for _, f := range r.Failures {
			writeHanging(ew, "  ", "    ", fmt.Sprintf("%s: %s [%s]", f.Source, f.Message, f.Code))
		}
	}
	return ew.err
}

// writeVulnerabilityData says which advisories (and how fresh) and which
// VEX documents the vulnerability labels rest on, and every finding a
// trusted VEX statement suppressed.
func writeVulnerabilityData(ew *errWriter, r *sbom.Report) {
	advisories := "none given"
	var vex []string
	for _, d := range r.Data {
		switch {
		case d.Kind == sbom.DataKindOSV:
			advisories = fmt.Sprintf("%s, %d advisories, as of %s", d.Source, d.Records, d.AsOf)
		case strings.HasPrefix(d.Kind, "vex/"):
			trust := "untrusted: shown, suppresses nothing"
			if d.Trusted != nil && *d.Trusted {
				trust = "trusted"
			}
			vex = append(vex, fmt.Sprintf("%s (%s, %d statements, %s)", d.Source, strings.TrimPrefix(d.Kind, "vex/"), d.Records, trust))
		}
	}
	ew.printf("Advisories: %s\n", advisories)
	for _, v := range vex {
		ew.printf("VEX: %s\n", v)
	}
	if len(r.Suppressions) > 0 {
		ew.printf("Suppressed by VEX (not_affected):\n")
		for _, s := range r.Suppressions {
			writeHanging(ew, "  ", "    ", fmt.Sprintf("%s %s: %s [%s]", s.Component, s.Vulnerability, s.Justification, s.Source))
		}
	}
	ew.printf("\n")
}

// upstreamTitle shows a component that resolves to no upstream (a
// generator placeholder) as "none".
func upstreamTitle(u string) string {
	if u == "" {
		return "none"
	}
	return u
}

// writeServices prints the hosted services of a product with their labels.
func writeServices(ew *errWriter, rs []sbom.ServiceResult) {
	if len(rs) == 0 {
		return
	}
	ew.printf("Hosted services (%d):\n", len(rs))
	for _, s := range rs {
		provider := s.Provider
		if provider == "" {
			provider = "provider unknown"
		}
		if s.Jurisdiction != "" {
			provider += " (" + s.Jurisdiction + ")"
		}
		ew.printf("  %s  on %s\n", s.Name, provider)
		for _, f := range s.Labels {
			trace := f.Field
			if f.Record != "" {
				trace += ", " + f.Record
			}
			writeWrapped(ew, fmt.Sprintf("    %-25s ", f.Label), fmt.Sprintf("%s  [%s] %s", f.Detail, f.Rule, trace))
			writeWrapped(ew, fmt.Sprintf("    %-25s what to do: ", ""), sbom.LabelHint(f.Label))
		}
		for _, u := range s.Unassessed {
			var ls []string
			for _, l := range u.Labels {
				ls = append(ls, string(l))
			}
			writeWrapped(ew, "    unknown: ", fmt.Sprintf("%s (%s)", strings.Join(ls, ", "), u.Reason))
		}
	}
	ew.printf("\n")
}

// writeHosting prints a portfolio's hosting concentration.
func writeHosting(ew *errWriter, h *sbom.HostingConcentration, rows int) {
	if h == nil {
		return
	}
	hhi := "unknown: " + h.HHIUnknown
	if h.HHI != nil {
		hhi = fmt.Sprintf("%.3f; 1 means a single provider", *h.HHI)
	}
	ew.printf("Hosting concentration (%d products with hosted services; HHI %s):\n", h.Products, hhi)
	table := [][]string{{"SHARE", "PRODUCTS", "PROVIDER", "JURISDICTION", "LABELS"}}
	for i, p := range h.Providers {
		if rows > 0 && i == rows {
			break
		}
		table = append(table, []string{fmt.Sprintf("%.0f%%", 100*p.Share), fmt.Sprint(p.Products), p.Name, cmp.Or(p.Jurisdiction, "unknown"), labelList(p.Labels)})
	}
	writeTable(ew, "", table)
	var js []string
	for _, j := range h.Jurisdictions {
		js = append(js, fmt.Sprintf("%s %.0f%%", j.Name, 100*j.Share))
	}
	writeWrapped(ew, "By jurisdiction: ", strings.Join(js, ", "))
	ew.printf("\n")
}

// hostingProviders returns h's provider rows; h may be nil.
func hostingProviders(h *sbom.HostingConcentration) []sbom.HostingShare {
	if h == nil {
		return nil
	}
	return h.Providers
}

// firstLabels names the first n labels and counts the others.
func firstLabels(ls []sbom.Label, n int) string {
	if len(ls) <= n {
		return labelList(ls)
	}
	return fmt.Sprintf("%s +%d", labelList(ls[:n]), len(ls)-n)
}

func labelList(ls []sbom.Label) string {
	if len(ls) == 0 {
		return "-"
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return strings.Join(out, ", ")
}

// WriteProfileText writes conformance reports as text: per SBOM a verdict
// line, the gap count per field, then every gap.
func WriteProfileText(w io.Writer, profile string, reps []*sbom.ProfileReport, unreadable []sbom.Failure) error {
	ew := &errWriter{w: w}
	for _, r := range reps {
		if r.Conformant {
			ew.printf("CONFORMANT %s (%s %s, %d components): %s\n", r.Source, r.Format.Title(), r.SpecVersion, r.Components, r.Guideline)
			continue
		}
		ew.printf("GAPS %s (%s %s): %d gaps, %d of %d components incomplete, against %s [%s]\n", r.Source, r.Format.Title(), r.SpecVersion,
			len(r.Gaps), r.WithGaps, r.Components, r.Guideline, reason.SBOMProfileGaps)
		fields := make([]string, 0, len(r.Fields))
		for f := range r.Fields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			ew.printf("  %-28s %d\n", f, r.Fields[f])
		}
		for _, g := range r.Gaps {
			who := "SBOM"
			if g.Component != "" {
				who = fmt.Sprintf("%q", g.Component)
			}
			ew.printf("  GAP %s (section %s) %s at %s: %s\n", g.Field, g.Section, who, g.Location, g.Detail)
		}
	}
	for _, u := range unreadable {
		ew.printf("UNREADABLE %s [%s]: %s\n", u.Source, u.Code, u.Message)
	}
	if len(reps) > 1 {
		ok := 0
		for _, r := range reps {
			if r.Conformant {
				ok++
			}
		}
		ew.printf("%d of %d SBOMs conform to %s\n", ok, len(reps)+len(unreadable), profile)
	}
	return ew.err
}
