package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every file of dir to the corpus.
func addSeeds(f *testing.F, dir string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzLoad: any input either loads or is rejected with problems, never a
// panic; a loaded policy evaluates deterministically.
func FuzzLoad(f *testing.F) {
	addSeeds(f, "policies")
	f.Add(DefaultSource())
	f.Add(InitTemplate())
	f.Add([]byte(header + "rules:\n  - {id: r, action: fail, expr: 'sbom.components.all(c, c.grade != \"G\")'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(data, "fuzz.yaml", testNow, WithCostLimit(100_000))
		if err != nil {
			if p != nil {
				t.Fatal("error with a policy")
			}
			return
		}
		a, _ := json.Marshal(Evaluate(p, goodFacts(), testNow))
		b, _ := json.Marshal(Evaluate(p, goodFacts(), testNow))
		if !bytes.Equal(a, b) {
			t.Fatalf("evaluation not deterministic:\n%s\n%s", a, b)
		}
	})
}

// FuzzParseLicence: no panic; an error means no expression; a parsed
// expression prints as an expression that parses to itself.
func FuzzParseLicence(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR Apache-2.0", "(MIT AND BSD-3-Clause) OR GPL-2.0+ WITH Classpath-exception-2.0",
		"DocumentRef-a:LicenseRef-b", "mit or (apache-2.0 and 0BSD)", "((", "AND"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseLicence(s)
		if err != nil {
			if e != nil {
				t.Fatal("error with an expression")
			}
			return
		}
		again, err := parseLicence(e.String())
		if err != nil || again.String() != e.String() {
			t.Fatalf("%q printed as %q, which parses to %v, %v", s, e.String(), again, err)
		}
	})
}

// FuzzCertificationList: no panic; an error means no list.
func FuzzCertificationList(f *testing.F) {
	addSeeds(f, "data")
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseCertificationList(data, "fuzz.yaml", "certs")
		if (err == nil) == (l == nil) {
			t.Fatalf("list %v with error %v", l, err)
		}
	})
}
