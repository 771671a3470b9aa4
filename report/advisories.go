package report

import "slices"

// advisoriesAsOf lists, sorted and once each, the as-of of the advisory
// data of the products shown.
func advisoriesAsOf(products []productView) []string {
	var out []string
	for _, p := range products {
		if a := p.Doc.AdvisoriesAsOf(); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
