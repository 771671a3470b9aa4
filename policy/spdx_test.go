package policy

import (
	"strings"
	"testing"
)

func TestParseLicence(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"MIT", "MIT"},
		{"  Apache-2.0  ", "Apache-2.0"},
		{"GPL-2.0+", "GPL-2.0+"},
		{"MIT OR Apache-2.0", "(MIT OR Apache-2.0)"},
		{"MIT AND Apache-2.0 OR BSD-3-Clause", "((MIT AND Apache-2.0) OR BSD-3-Clause)"},
		{"MIT OR Apache-2.0 AND BSD-3-Clause", "(MIT OR (Apache-2.0 AND BSD-3-Clause))"},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "((MIT OR Apache-2.0) AND BSD-3-Clause)"},
		{"GPL-2.0-only WITH Classpath-exception-2.0 OR MIT", "(GPL-2.0-only WITH Classpath-exception-2.0 OR MIT)"},
		{"mit or apache-2.0", "(mit OR apache-2.0)"},
		{"LicenseRef-acme-eula", "LicenseRef-acme-eula"},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
		{"((MIT))", "MIT"},
	} {
		e, err := parseLicence(tc.in)
		if err != nil {
			t.Errorf("parseLicence(%q): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("parseLicence(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseLicenceErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "empty"},
		{"MIT OR", "ends where a licence was expected"},
		{"OR MIT", `unexpected "OR"`},
		{"MIT Apache-2.0", `unexpected "Apache-2.0"`},
		{"(MIT", "missing closing parenthesis"},
		{"MIT)", `unexpected ")"`},
		{"MIT WITH", "WITH needs an exception id"},
		{"MIT WITH OR", "invalid licence exception id"},
		{"MIT/X11", "unexpected character"},
		{"GPL-2.0++", "invalid licence id"},
		{"LicenseRef-x+", "takes no"},
		{"LicenseRef-", "invalid licence reference"},
		{"Doc:LicenseRef-x", "DocumentRef-x:LicenseRef-y"},
		{strings.Repeat("(", MaxLicenceNesting+1) + "MIT" + strings.Repeat(")", MaxLicenceNesting+1), "nested deeper"},
		{strings.Repeat("MIT OR ", MaxLicenceExpressionBytes/7) + "MIT", "too long"},
	} {
		e, err := parseLicence(tc.in)
		if err == nil || e != nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("parseLicence(%q) = %v, %v; want error containing %q", tc.in, e, err, tc.msg)
		}
	}
}

func TestLicenceSatisfiable(t *testing.T) {
	allowed := []licenceMatcher{{id: "MIT"}, {id: "Apache-2.0"}, {id: "GPL-2.0-only", exception: "Classpath-exception-2.0"}}
	ok := func(t licenceTerm) bool { return matchesAny(allowed, t) }
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"MIT", true},
		{"mit", true},
		{"BSD-3-Clause", false},
		{"MIT AND BSD-3-Clause", false},
		{"MIT OR BSD-3-Clause", true},
		{"(BSD-3-Clause OR Apache-2.0) AND MIT", true},
		{"Apache-2.0+", true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", true},
		{"GPL-2.0-only WITH GCC-exception-3.1", false},
		{"GPL-2.0-only", false},
		{"MIT WITH Some-exception", true},
	} {
		e, err := parseLicence(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.satisfiable(ok); got != tc.want {
			t.Errorf("%s satisfiable = %v, want %v", tc.expr, got, tc.want)
		}
	}
}
