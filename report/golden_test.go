package report

import (
	"bytes"
	"testing"
)

var goldenExt = map[string]string{"text": "txt", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "xml"}

// TestDocumentsGolden renders one document of each kind in every format.
func TestDocumentsGolden(t *testing.T) {
	docs := sampleDocuments(t)
	for _, f := range DocumentFormats {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderDocuments(&buf, f, docs, Options{}); err != nil {
				t.Fatal(err)
			}
			golden(t, "report.golden."+goldenExt[f], buf.Bytes())
		})
	}
}

// TestVerifyFormatsGolden renders the verdicts of one verify run in the
// formats verify --format gained.
func TestVerifyFormatsGolden(t *testing.T) {
	for _, f := range []string{"sarif", "junit", "markdown", "html"} {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, f, sampleVerdicts(), Style{}); err != nil {
				t.Fatal(err)
			}
			golden(t, "verify.golden."+goldenExt[f], buf.Bytes())
		})
	}
}

// TestMinGradeGolden judges the grades: the text and JUnit outputs say
// which product fails.
func TestMinGradeGolden(t *testing.T) {
	docs := sampleDocuments(t)
	for _, f := range []string{"text", "junit"} {
		var buf bytes.Buffer
		if err := RenderDocuments(&buf, f, docs, Options{MinGrade: "C"}); err != nil {
			t.Fatal(err)
		}
		golden(t, "mingrade.golden."+goldenExt[f], buf.Bytes())
	}
}

func TestRenderDeterministic(t *testing.T) {
	for _, f := range DocumentFormats {
		var a, b bytes.Buffer
		if err := RenderDocuments(&a, f, sampleDocuments(t), Options{}); err != nil {
			t.Fatal(err)
		}
		if err := RenderDocuments(&b, f, sampleDocuments(t), Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s output differs between two runs", f)
		}
	}
}

func TestRenderDocumentsRejects(t *testing.T) {
	docs := sampleDocuments(t)
	if err := RenderDocuments(&bytes.Buffer{}, "yaml", docs, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
	if err := RenderDocuments(&bytes.Buffer{}, "json", docs, Options{}); err == nil {
		t.Error("json accepted for documents; it is the format of each producing command")
	}
	if err := RenderDocuments(&bytes.Buffer{}, "html", docs, Options{MinGrade: "H"}); err == nil {
		t.Error("minimum grade H accepted")
	}
	for _, f := range Formats {
		if !ValidFormat(f) {
			t.Errorf("ValidFormat(%q) = false", f)
		}
	}
	for _, f := range DocumentFormats {
		if !ValidDocumentFormat(f) {
			t.Errorf("ValidDocumentFormat(%q) = false", f)
		}
	}
	if ValidDocumentFormat("json") || ValidFormat("pdf") {
		t.Error("a format that is not rendered is valid")
	}
}
