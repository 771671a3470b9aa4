package report

import (
	"fmt"
	"slices"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/report/internal/sarif"
	"github.com/sovcheck/sovcheck/sbom"
)

// Rule ids of a portfolio's own results in SARIF; its shared upstreams
// use the label systemic-fragile as their rule.
const (
	ruleProductGrade = "portfolio-product-grade"
	ruleUnassessable = "portfolio-unassessable"
)

// sarifPortfolio reports what a portfolio found beyond its products'
// own labels: each product graded below minGrade (without one, each
// graded E or worse as an error, C or D as a warning), each product whose
// SBOM lists no components, and each shared upstream labelled
// systemic-fragile. A product's result is located in its SBOM; a shared
// upstream's in the SBOMs of the products whose worst component comes
// from it, as the portfolio records no other link from an upstream to an
// SBOM.
func sarifPortfolio(s *sarif.Builder, doc *sbom.PortfolioReport, minGrade string) {
	for _, p := range doc.Products {
		title := productTitle(p.Name, p.Version)
		loc := []sarifLocation{sbomLocation(p.Source, title)}
		if p.Components == 0 {
			why := "the SBOM lists no components"
			if len(p.Caps) > 0 {
				why = p.Caps[0].Reason
			}
			s.Add(ruleUnassessable, "a product of the portfolio could not be assessed", "ask for an SBOM that lists the product's components",
				"warning", fmt.Sprintf("%s cannot be assessed: %s; its grade %s is set by rule", title, why, p.Grade), loc, nil, "portfolio", p.Source)
			continue
		}
		level := gradeLevel(p.Grade, minGrade)
		if level == "" {
			continue
		}
		msg := fmt.Sprintf("%s is graded %s", title, p.Grade)
		if minGrade != "" {
			msg += ", worse than the minimum grade " + minGrade
		}
		if p.Worst != "" {
			msg += fmt.Sprintf("; worst component %s (%s)", p.Worst, labelList(p.WorstLabels))
		}
		s.Add(ruleProductGrade, "a product of the portfolio has a poor grade", "act on the worst components first: the product grade follows them",
			level, msg, loc, nil, "portfolio", p.Source)
	}
	for _, u := range doc.Upstreams {
		if !slices.Contains(u.Labels, sbom.Label(vocab.LabelSystemicFragile)) {
			continue
		}
		var locs []sarifLocation
		for _, p := range doc.Products {
			if p.WorstUpstream == u.Upstream && len(locs) <= sarifRelated {
				locs = append(locs, sbomLocation(p.Source, productTitle(p.Name, p.Version)))
			}
		}
		if len(locs) == 0 {
			locs = []sarifLocation{{LogicalLocations: []sarifLogical{{Name: u.Upstream, Kind: "package"}}}}
		}
		msg := fmt.Sprintf("upstream %s (for example %s) is held by %d products (%s of the portfolio), fragility %.2f: %s",
			u.Upstream, u.Example, u.Products, percent(u.Share), u.Fragility, labelList(u.Labels))
		if len(locs) > 1 {
			msg += "; the SBOMs whose worst component comes from it are the locations"
		}
		l := sbom.Label(vocab.LabelSystemicFragile)
		s.Add(string(l), "SBOM components labelled "+string(l), sbom.LabelHint(l), "error", msg, locs[:1], locs[1:], "portfolio", u.Upstream)
	}
}

// gradeLevel is the SARIF level of a product's grade: with minGrade, an
// error below it and nothing otherwise; without, an error from E, a
// warning for C and D.
func gradeLevel(g sbom.Grade, minGrade string) string {
	if minGrade != "" {
		if g.Rank() < 0 || g.Rank() > vocab.GradeRank(minGrade) {
			return "error"
		}
		return ""
	}
	switch {
	case g.Rank() < 0 || g.Rank() >= vocab.GradeRank("E"):
		return "error"
	case g.Rank() >= vocab.GradeRank("C"):
		return "warning"
	}
	return ""
}
