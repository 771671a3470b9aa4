package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/sovcheck/sovcheck/internal/intototest"
)

// fuzzSeeds adds the files in testdata/layout and a fresh supply
// chain (Metablock and DSSE, with an ECDSA key whose PEM holds newlines).
func fuzzSeeds(f *testing.F) {
	f.Helper()
	seeds, err := filepath.Glob(filepath.Join("..", "testdata", "layout", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/layout: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	k, err := intototest.NewKey(intototest.ECDSA)
	if err != nil {
		f.Fatal(err)
	}
	layout := intototest.NewLayout(testNow, []in_toto.Step{
		intototest.NewStep("build", 1, [][]string{{"ALLOW", "*"}}, [][]string{{"MATCH", "*", "IN", "out", "WITH", "MATERIALS", "IN", "in", "FROM", "build"}}, []string{"make"}, k),
	}, k)
	link := intototest.NewLink("build", nil, map[string]in_toto.HashObj{"app": intototest.SHA256([]byte("app"))}, "make")
	for _, signed := range []any{layout, link} {
		for _, dsse := range []bool{false, true} {
			data, err := intototest.Encode(signed, dsse, k)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzLayoutParse parses and validates arbitrary bytes as a root layout:
// no panic, and an error means no result.
func FuzzLayoutParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		md, layout, err := parseLayout(data, "root.layout")
		if err != nil {
			if md != nil {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		if err := validate(layout); err != nil {
			return
		}
		if _, _, err := in_toto.LoadLayoutCertificates(layout, nil); err != nil {
			return
		}
		_ = md.Sigs()
	})
}

// FuzzLayoutParseLink parses arbitrary bytes as a link file of step
// "build": no panic, and an error means no result.
func FuzzLayoutParseLink(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseLink(data, "build.00000000.link", "build", "")
		if err != nil {
			if l.md != nil || l.keyID != "" {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		if sub, ok := l.md.GetPayload().(in_toto.Layout); ok {
			_ = validate(sub)
		}
	})
}
