package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// FuzzReadDocument: any input either reads, and then renders in every
// format, or fails leaving the documents untouched. Nothing panics.
func FuzzReadDocument(f *testing.F) {
	for _, name := range []string{"verify.golden.json", "labels.json", "portfolio.json", "rebuild.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeVerify + `", "status": "FAIL", "summary": {}, "verdicts": []}`))
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeRebuild + `"}`))
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeSBOMLabels + `", "product": {"grade": "A"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs := &Documents{}
		if err := ReadDocument("fuzz.json", data, docs); err != nil {
			if len(docs.Inputs)+len(docs.Verify)+len(docs.Labels)+len(docs.Portfolios)+len(docs.Rebuilds) != 0 {
				t.Fatalf("failed read added a document: %v", err)
			}
			return
		}
		if len(docs.Inputs) != 1 {
			t.Fatalf("read added %d inputs, want 1", len(docs.Inputs))
		}
		for _, format := range DocumentFormats {
			var buf bytes.Buffer
			if err := RenderDocuments(&buf, format, docs, Options{MinGrade: "C"}); err != nil {
				t.Fatalf("rendering %s: %v", format, err)
			}
			switch format {
			case "sarif":
				if !json.Valid(buf.Bytes()) {
					t.Fatal("SARIF output is not JSON")
				}
			case "junit":
				var out junitSuites
				if err := xml.Unmarshal(buf.Bytes(), &out); err != nil {
					t.Fatalf("JUnit output is not XML: %v", err)
				}
			}
		}
	})
}

// FuzzGateBaseline: any input is a baseline of named dependencies or an
// error with no set; nothing panics.
func FuzzGateBaseline(f *testing.F) {
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeGate + `", "uncertified": [{"dependency": "pkg:golang/example.com/c@v1.0.0"}], "baselined": [{"dependency": "x@1"}]}`))
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeGate + `", "uncertified": [{"dependency": ""}]}`))
	f.Add([]byte(`{"mediaType": "application/vnd.sovcheck.verify.v1+json"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := parseGateBaseline(data, "baseline.json")
		if (err == nil) == (set == nil) {
			t.Fatalf("set %v with error %v", set, err)
		}
		for dep := range set {
			if dep == "" {
				t.Fatal("an empty dependency accepted")
			}
		}
	})
}
