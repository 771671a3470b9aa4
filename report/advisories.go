package report

import (
	"slices"

	"github.com/sovcheck/sovcheck/policy"
)

// advisoriesAsOf lists, sorted and once each, the as-of of the advisory
// data of the products and the verdicts' checks shown.
func advisoriesAsOf(products []productView, artifacts []artifactView) []string {
	var out []string
	for _, p := range products {
		out = appendAsOf(out, p.Doc.AdvisoriesAsOf())
	}
	for _, a := range artifacts {
		out = append(out, verdictAsOf(a.Verdict)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// verdictAsOf lists, once each in the order of the checks, the as-of of
// the advisory data a verdict's checks read.
func verdictAsOf(v policy.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		out = appendAsOf(out, c.AdvisoriesAsOf)
	}
	return out
}

func appendAsOf(out []string, asOf string) []string {
	if asOf == "" || slices.Contains(out, asOf) {
		return out
	}
	return append(out, asOf)
}
