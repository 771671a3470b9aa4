package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/rebuild"
)

func renderJUnit(t *testing.T, docs *Documents, opts Options) junitSuites {
	t.Helper()
	var buf bytes.Buffer
	if err := JUnit(&buf, docs, opts); err != nil {
		t.Fatal(err)
	}
	var out junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("JUnit output is not XML: %v\n%s", err, buf.Bytes())
	}
	return out
}

func TestJUnitOneCasePerCheck(t *testing.T) {
	out := renderJUnit(t, sampleDocuments(t), Options{})
	if out.Tests != 7+3+3+1+8 || out.Failures != 1+2 || out.Skipped != 4+1+8 {
		t.Errorf("totals: %d tests, %d failures, %d skipped", out.Tests, out.Failures, out.Skipped)
	}
	var id *junitCase
	for i, s := range out.Suites {
		for j, c := range s.Cases {
			if c.Name == "identity" && c.Failure != nil {
				id = &out.Suites[i].Cases[j]
			}
		}
	}
	if id == nil || id.Failure.Type != "IDENTITY_MISMATCH" || id.Failure.Message != "IDENTITY_MISMATCH: certificate identity differs" ||
		!strings.Contains(id.Failure.Text, "hint: check --certificate-identity") || !strings.Contains(id.Failure.Text, "want: https://github.com/acme/") {
		t.Errorf("failed check = %+v", id)
	}
}

func TestJUnitGrades(t *testing.T) {
	docs := sampleDocuments(t)
	for _, c := range []struct {
		minGrade          string
		failures, skipped int
	}{
		{"", 3, 13}, {"G", 4, 4}, {"C", 10, 4},
	} {
		out := renderJUnit(t, docs, Options{MinGrade: c.minGrade})
		if out.Failures != c.failures || out.Skipped != c.skipped {
			t.Errorf("minimum grade %q: %d failures, %d skipped; want %d, %d", c.minGrade, out.Failures, out.Skipped, c.failures, c.skipped)
		}
		if d := docs.Decide(c.minGrade); d.Failed != c.failures {
			t.Errorf("minimum grade %q: JUnit has %d failures, the decision %d", c.minGrade, c.failures, d.Failed)
		}
	}
}

func TestJUnitHostile(t *testing.T) {
	docs := hostileDocuments(t)
	docs.Verify[0].Verdicts[0].Checks[0].Message += "\x00\x1b[31m"
	docs.Verify[0].Verdicts[0].Checks[0].Hint += "\x00\x1b[31m ]]>"
	out := renderJUnit(t, docs, Options{})
	if out.Suites[0].Name != "dist/"+hostile {
		t.Errorf("suite name = %q", out.Suites[0].Name)
	}
}

func TestJUnitEmptyResults(t *testing.T) {
	out := renderJUnit(t, &Documents{Verify: []VerifyDocument{NewVerifyDocument(nil)}, Rebuilds: []rebuild.Document{{}}}, Options{})
	if out.Failures != 2 {
		t.Errorf("empty verify and rebuild results: %d failures, want 2", out.Failures)
	}
}
