package sbom

import "testing"

func TestAdvisoriesAsOf(t *testing.T) {
	for _, c := range []struct {
		data []DataSource
		want string
	}{
		{nil, ""},
		{[]DataSource{{Kind: "kev", AsOf: "2026-01-01"}}, ""},
		{[]DataSource{{Kind: DataKindOSV}}, "unknown"},
		{[]DataSource{{Kind: "facts"}, {Kind: DataKindOSV, AsOf: "2026-11-30T10:00:00Z"}}, "2026-11-30T10:00:00Z"},
	} {
		r := &Report{Data: c.data}
		if got := r.AdvisoriesAsOf(); got != c.want {
			t.Errorf("AdvisoriesAsOf of %+v: got %q, want %q", c.data, got, c.want)
		}
	}
}
