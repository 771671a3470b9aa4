package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/report/internal/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleVerdicts() []policy.Verdict {
	digest := map[string]string{"sha256": "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066"}
	a := policy.Subject{Name: "dist/tool-linux-amd64", Digest: digest}
	b := policy.Subject{Name: "sha256:06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b",
		Digest: map[string]string{"sha256": "06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"}}
	return []policy.Verdict{
		policy.Decide(a, []policy.Check{
			{ID: "signature", Subject: a, Status: policy.StatusPass, Required: true, Message: "bundle v0.3, message signature verified", Evidence: "dist/tool-linux-amd64.sigstore.json"},
			{ID: "identity", Subject: a, Status: policy.StatusPass, Required: true, Message: "signed by https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"},
			{ID: "sbom.assessed", Subject: a, Status: policy.StatusPass, Message: "SBOM (CycloneDX JSON 1.6, 12 components): product grade D, 72% assessed", Evidence: "dist/tool.cdx.json", Grade: "D"},
		}),
		policy.Decide(b, []policy.Check{
			{ID: "signature", Subject: b, Status: policy.StatusPass, Required: true, Message: "bundle v0.3, DSSE envelope verified"},
			{ID: "identity", Subject: b, Status: policy.StatusFail, Required: true, Reason: "IDENTITY_MISMATCH", Message: "certificate identity differs",
				Got: "https://github.com/evil/x/.github/workflows/r.yml@refs/tags/v1", Want: "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0",
				Hint: "check --certificate-identity", Evidence: "module.sigstore.json"},
		}),
	}
}

func golden(t *testing.T, name string, got []byte) { reporttest.Golden(t, name, got, *update) }

func TestTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "text", sampleVerdicts(), Style{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify.golden.txt", buf.Bytes())
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "json", sampleVerdicts(), Style{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify.golden.json", buf.Bytes())
	var doc VerifyDocument
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != vocab.MediaTypeVerify || doc.Status != policy.StatusFail || doc.Summary != (Summary{Artifacts: 2, Passed: 1, Failed: 1}) {
		t.Fatalf("document = %+v", doc)
	}
}

func TestJSONEmptyIsFail(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	var doc VerifyDocument
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != policy.StatusFail || doc.Verdicts == nil {
		t.Fatalf("empty document = %+v, want FAIL with an empty verdict list", doc)
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	var plain, color bytes.Buffer
	if err := Text(&plain, sampleVerdicts(), Style{}); err != nil {
		t.Fatal(err)
	}
	if err := Text(&color, sampleVerdicts(), Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("plain text has escape sequences")
	}
	if !bytes.Contains(color.Bytes(), []byte("\x1b[31m")) {
		t.Error("coloured text has no red FAIL")
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Render(&bytes.Buffer{}, "yaml", nil, Style{}); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// TestSupplierHHIUnknown: a portfolio in which no SBOM names a supplier
// has no supplier concentration to show; 0.000 would read as "spread".
func TestSupplierHHIUnknown(t *testing.T) {
	docs := sampleDocuments(t)
	for _, f := range []string{"text", "markdown"} {
		var known bytes.Buffer
		if err := RenderDocuments(&known, f, docs, Options{}); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`supplier HHI 0\.\d{3}`).Match(known.Bytes()) {
			t.Errorf("%s: the sample portfolio's supplier HHI is not shown", f)
		}
	}
	p := &docs.Portfolios[0]
	p.Suppliers, p.SupplierHHI = nil, 0
	for _, f := range []string{"text", "markdown"} {
		var buf bytes.Buffer
		if err := RenderDocuments(&buf, f, docs, Options{}); err != nil {
			t.Fatal(err)
		}
		flat := strings.Join(strings.Fields(buf.String()), " ") // text wraps at 100 columns
		if !strings.Contains(flat, "supplier HHI unknown (no supplier named)") || strings.Contains(flat, "supplier HHI 0.000") {
			t.Errorf("%s without suppliers:\n%s", f, buf.String())
		}
	}
}
