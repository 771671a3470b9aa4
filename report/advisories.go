package report

import "slices"

// DataSource is one data file an SBOM assessment read, as the labels
// document lists it under "data" (only what the reports show is decoded).
type DataSource struct {
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Records int    `json:"records"`
	// AsOf is how fresh the data is (advisories: the newest "modified").
	AsOf string `json:"asOf,omitempty"`
}

// dataKindOSV is the kind of the OSV advisory data source.
const dataKindOSV = "osv"

// AdvisoriesAsOf is how fresh the advisory data the vulnerability labels
// rest on is (its newest "modified"): "" when no advisory data was given,
// "unknown" when the data states no date.
func (d *LabelsDocument) AdvisoriesAsOf() string {
	for _, s := range d.Data {
		if s.Kind == dataKindOSV {
			if s.AsOf == "" {
				return "unknown"
			}
			return s.AsOf
		}
	}
	return ""
}

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
