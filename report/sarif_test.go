package report

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/report/internal/reporttest"
	"github.com/sovcheck/sovcheck/sbom"
)

// sarifSchema compiles the official SARIF 2.1.0 schema (testdata/README.md
// says where it comes from).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	return reporttest.SARIFSchema(t, filepath.Join("testdata", "sarif-schema-2.1.0.json"))
}

func validateSARIF(t *testing.T, s *jsonschema.Schema, out []byte) error {
	return reporttest.ValidateSARIF(t, s, out)
}

func renderSARIF(t *testing.T, docs *Documents) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := SARIF(&buf, docs, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSARIFValidAgainstSchema(t *testing.T) {
	schema := sarifSchema(t)
	awkward := policy.Subject{Name: "dir with spaces/100% tool:v1 #2"}
	cases := map[string]*Documents{
		"every kind": sampleDocuments(t),
		"verify":     verifyOnly(sampleVerdicts()),
		"hostile":    hostileDocuments(t),
		"empty":      {},
		"awkward names": verifyOnly([]policy.Verdict{policy.Decide(awkward, []policy.Check{
			{ID: "signature", Status: policy.StatusFail, Reason: "SIGNATURE_INVALID", Evidence: "C:\\evidence\\x y.sigstore.json"},
			{ID: "image", Status: policy.StatusFail, Reason: "DIGEST_MISMATCH", Evidence: "registry.example:5000/repo@sha256:" + strings.Repeat("a", 64)},
		})}),
	}
	for name, docs := range cases {
		t.Run(name, func(t *testing.T) {
			if err := validateSARIF(t, schema, renderSARIF(t, docs)); err != nil {
				t.Fatalf("SARIF output is not valid SARIF 2.1.0: %v", err)
			}
		})
	}
}

// TestSARIFSchemaRejects is the failure twin: the validator must catch a
// log that breaks the schema, or the test above proves nothing.
func TestSARIFSchemaRejects(t *testing.T) {
	schema := sarifSchema(t)
	good := renderSARIF(t, sampleDocuments(t))
	breaks := map[string]func(m map[string]any){
		"no version":    func(m map[string]any) { delete(m, "version") },
		"wrong version": func(m map[string]any) { m["version"] = "2.0.0" },
		"unknown level": func(m map[string]any) { result(m)["level"] = "fatal" },
		"no message":    func(m map[string]any) { delete(result(m), "message") },
		"bad uri": func(m map[string]any) {
			result(m)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"] = "%zz"
		},
	}
	for name, mutate := range breaks {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		if err := validateSARIF(t, schema, mustJSON(t, m)); err == nil {
			t.Errorf("%s: broken SARIF passed the schema", name)
		}
	}
}

func result(m map[string]any) map[string]any {
	return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}

func TestSARIFContent(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(renderSARIF(t, sampleDocuments(t)), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	for i, r := range run.Tool.Driver.Rules {
		if i > 0 && run.Tool.Driver.Rules[i-1].ID >= r.ID {
			t.Errorf("rules not sorted: %s before %s", run.Tool.Driver.Rules[i-1].ID, r.ID)
		}
	}
	byRule := map[string][]sarifResult{}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d pointing at %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		byRule[r.RuleID] = append(byRule[r.RuleID], r)
	}
	// A failed check: rule id is the reason code, the location is the
	// evidence file, the help is the hint.
	id := byRule["IDENTITY_MISMATCH"]
	if len(id) != 1 || id[0].Level != "error" || id[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "module.sigstore.json" ||
		!strings.Contains(id[0].Message.Text, "got https://github.com/evil/x/") {
		t.Errorf("IDENTITY_MISMATCH results = %+v", id)
	}
	if help := ruleByID(run, "IDENTITY_MISMATCH").Help.Text; help != "check --certificate-identity" {
		t.Errorf("IDENTITY_MISMATCH help = %q, want the hint", help)
	}
	// Passing checks and a matching rebuild are not results.
	for _, r := range run.Results {
		if strings.HasPrefix(r.Message.Text, "PASS") || strings.Contains(r.Message.Text, "MATCH of") && !strings.Contains(r.Message.Text, "MISMATCH") {
			t.Errorf("passing item reported: %s", r.Message.Text)
		}
	}
	// A penalty is a warning pointing at the SBOM entry the policy named.
	pen := byRule[reason.PolicyPenalty]
	if len(pen) != 1 || pen[0].Level != "warning" || len(pen[0].RelatedLocations) != 1 ||
		pen[0].RelatedLocations[0].LogicalLocations[0].FullyQualifiedName != "shop.cdx.json#/components/5" {
		t.Errorf("penalty results = %+v", pen)
	}
	// A rebuild mismatch is an error with its cause.
	gv := byRule["GO_VERSION_MISMATCH"]
	if len(gv) != 1 || gv[0].Level != "error" || !strings.Contains(gv[0].Message.Text, "build setting -trimpath") {
		t.Errorf("rebuild results = %+v", gv)
	}
	// SBOM labels: rule id is the label, the location the SBOM entry; the
	// G component is an error, the mitigation label is no finding.
	ke := byRule["known-exploited"]
	if len(ke) != 1 || ke[0].Level != "error" || ke[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "shop.cdx.json" ||
		ke[0].Locations[0].LogicalLocations[0].FullyQualifiedName != "shop.cdx.json#/components/5" {
		t.Errorf("known-exploited results = %+v", ke)
	}
	if len(byRule[mitigationLabel]) != 0 {
		t.Errorf("the mitigation label %q is reported as a finding", mitigationLabel)
	}
	// A portfolio SBOM that could not be read.
	if f := byRule["SBOM_FORMAT_UNKNOWN"]; len(f) != 1 || f[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "sboms/misc/tsconfig.json" {
		t.Errorf("portfolio failures = %+v", f)
	}
	// Fingerprints tell results apart.
	seen := map[string]string{}
	for _, r := range run.Results {
		fp := r.PartialFingerprints["sovcheck/v1"]
		if prev, dup := seen[fp]; dup {
			t.Errorf("results %q and %q share a fingerprint", prev, r.Message.Text)
		}
		seen[fp] = r.Message.Text
	}
}

func ruleByID(run sarifRun, id string) sarifRule {
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == id {
			return r
		}
	}
	return sarifRule{}
}

func TestSARIFLocations(t *testing.T) {
	for in, want := range map[string]string{
		"dist/tool":                        "dist/tool",
		"dir with space/x":                 "dir%20with%20space/x",
		"sha256:" + strings.Repeat("a", 4): "sha256:aaaa",
		"docker://library/nginx":           "docker://library/nginx",
		`C:\x\y`:                           "./C:%5Cx%5Cy",
		"go.mod:12":                        "go.mod:12",
	} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]struct {
		file string
		line int
		ok   bool
	}{
		"go.mod:12":      {"go.mod", 12, true},
		"/components/5":  {"", 0, false},
		"a:b":            {"", 0, false},
		":3":             {"", 0, false},
		"go.sum:0":       {"", 0, false},
		"dir/go.sum:101": {"dir/go.sum", 101, true},
	} {
		f, l, ok := fileLine(in)
		if f != want.file || l != want.line || ok != want.ok {
			t.Errorf("fileLine(%q) = %q, %d, %v; want %+v", in, f, l, ok, want)
		}
	}
}

// TestReportsNameTheBuild: SARIF and HTML name the build that judged, a
// modified tree and a build without a VCS stamp included.
func TestReportsNameTheBuild(t *testing.T) {
	defer func(b buildinfo.Info) { testBuild = b }(testBuild)
	for _, c := range []struct {
		build    buildinfo.Info
		sarif    []string
		notSARIF string
	}{
		{buildinfo.Info{Version: "v1.2.3-0.20261204213000-0123456789ab+dirty", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true, ModifiedKnown: true, GoVersion: "go1.26.0"},
			[]string{`"commit": "0123456789abcdef0123456789abcdef01234567"`, `"modified": true`, `, dirty, go1.26.0)"`}, ""},
		{buildinfo.Info{Version: "(devel)", GoVersion: "go1.26.0"},
			[]string{`"build": "(devel) (commit unknown: built without a VCS stamp, go1.26.0)"`}, `"commit"`},
	} {
		testBuild = c.build
		var s, h bytes.Buffer
		if err := Render(&s, "sarif", sampleVerdicts(), Style{}); err != nil {
			t.Fatal(err)
		}
		for _, want := range c.sarif {
			if !strings.Contains(s.String(), want) {
				t.Errorf("SARIF of %s lacks %s", c.build, want)
			}
		}
		if c.notSARIF != "" && strings.Contains(s.String(), c.notSARIF) {
			t.Errorf("SARIF of %s has %s", c.build, c.notSARIF)
		}
		if err := Render(&h, "html", sampleVerdicts(), Style{}); err != nil {
			t.Fatal(err)
		}
		if want := "Made by sovcheck " + c.build.String(); !strings.Contains(html.UnescapeString(h.String()), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestSARIFGroupsAndPaths: an SBOM's findings are one result per label
// (its other components as related locations), each rule carries the
// severity and documentation GitHub code scanning shows, and no absolute
// path of the machine reaches the log.
func TestSARIFGroupsAndPaths(t *testing.T) {
	docs := sampleDocuments(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	docs.Labels[0].Product.Source = filepath.Join(wd, "testdata", "shop.cdx.json")
	docs.Portfolios[0].Failures = append(docs.Portfolios[0].Failures, sbom.Failure{Source: "/elsewhere/secret/notes.txt", Code: "SBOM_FORMAT_UNKNOWN", Message: "not an SBOM"})
	out := string(renderSARIF(t, docs))
	if strings.Contains(out, wd) || strings.Contains(out, "/elsewhere") {
		t.Errorf("SARIF holds an absolute path:\n%s", out)
	}
	for _, want := range []string{`"uri": "testdata/shop.cdx.json"`, `"uri": "notes.txt"`, `"helpUri": "https://github.com/sovcheck/sovcheck/blob/main/docs/risk.md#fragility-label-weights"`,
		`"security-severity": "9.0"`, `"helpUri": "https://github.com/sovcheck/sovcheck/blob/main/docs/reasons.md"`} {
		if !strings.Contains(out, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	perRule := map[string]int{}
	for _, r := range log.Runs[0].Results {
		if strings.Contains(r.Message.Text, " of shop 1.0 labelled ") {
			perRule[r.RuleID]++
		}
	}
	labelled := map[string]bool{}
	for _, c := range docs.Labels[0].Components {
		for _, f := range c.Labels {
			if f.Label != mitigationLabel {
				labelled[string(f.Label)] = true
			}
		}
	}
	if len(perRule) != len(labelled) {
		t.Errorf("results for %d labels, the SBOM has %d", len(perRule), len(labelled))
	}
	for id, n := range perRule {
		if n != 1 {
			t.Errorf("label %s: %d results for one product, want 1", id, n)
		}
	}
	if err := validateSARIF(t, sarifSchema(t), []byte(out)); err != nil {
		t.Errorf("schema: %v", err)
	}
}
