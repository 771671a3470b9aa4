package sbom

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

const openVEXDoc = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/app-1",
  "author": "Example Security Team",
  "timestamp": "2024-05-10T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist@1.2.5"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}
  ]
}`

// cycloneDXVEXDoc follows the VEX use case of the CycloneDX bom-examples:
// a standalone BOM whose vulnerabilities point into another BOM by
// BOM-Link.
const cycloneDXVEXDoc = `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
 "vulnerabilities":[{"id":"CVE-2021-44906","source":{"name":"NVD","url":"https://nvd.nist.gov/vuln/detail/CVE-2021-44906"},
  "analysis":{"state":"not_affected","justification":"code_not_reachable","response":["will_not_fix"],"detail":"minimist parses only constant arguments here"},
  "affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#minimist-ref"}]}],
 "components":[{"type":"library","name":"minimist","version":"1.2.5","bom-ref":"minimist-ref","purl":"pkg:npm/minimist@1.2.5"}]}`

const csafVEXDoc = `{"document":{"category":"csaf_vex","csaf_version":"2.0","title":"minimist in app",
  "publisher":{"category":"vendor","name":"Example","namespace":"https://example.com"},
  "tracking":{"id":"EX-2024-1","status":"final","version":"1","initial_release_date":"2024-05-10T00:00:00Z","current_release_date":"2024-05-10T00:00:00Z",
   "revision_history":[{"date":"2024-05-10T00:00:00Z","number":"1","summary":"first"}]}},
 "product_tree":{"branches":[{"category":"vendor","name":"npm","branches":[{"category":"product_name","name":"minimist","branches":[
   {"category":"product_version","name":"1.2.5","product":{"name":"minimist 1.2.5","product_id":"CSAFPID-0001","product_identification_helper":{"purl":"pkg:npm/minimist@1.2.5"}}}]}]}]},
 "vulnerabilities":[{"cve":"CVE-2021-44906",
   "product_status":{"known_not_affected":["CSAFPID-0001"]},
   "flags":[{"label":"vulnerable_code_not_in_execute_path","product_ids":["CSAFPID-0001"]}],
   "threats":[{"category":"impact","details":"only constant arguments are parsed","product_ids":["CSAFPID-0001"]}]}]}`

var minimistAdvisory = map[string]string{
	"GHSA-xvch-5gv4-984h.json": `{"id":"GHSA-xvch-5gv4-984h","modified":"2024-05-01T00:00:00Z","aliases":["CVE-2021-44906"],
 "severity":[{"type":"CVSS_V3","score":"` + cvssCritical + `"}],
 "affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.6"}]}]}]}`,
}

func readVEX(t *testing.T, doc, name string) *VEX {
	t.Helper()
	v, err := ReadVEX(strings.NewReader(doc), name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVEXTrustedNotAffectedSuppresses(t *testing.T) {
	for _, tc := range []struct{ format, doc, justification string }{
		{VEXFormatOpenVEX, openVEXDoc, "vulnerable_code_not_in_execute_path"},
		{VEXFormatCycloneDX, cycloneDXVEXDoc, "code_not_reachable"},
		{VEXFormatCSAF, csafVEXDoc, "vulnerable_code_not_in_execute_path"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			v := readVEX(t, tc.doc, "app.vex.json")
			if v.Format() != tc.format || v.Len() != 1 {
				t.Fatalf("read as %s with %d statements", v.Format(), v.Len())
			}
			r := assessWith(t, DefaultConfig(), minimistAdvisory, v.Trust("pinned by sha256 in the policy"))
			c := component(t, r, "minimist")
			if len(c.Vulnerabilities) != 1 || !c.Vulnerabilities[0].Suppressed || c.Grade.Rank() >= GradeE.Rank() {
				t.Fatalf("not suppressed: %+v, grade %s", c.Vulnerabilities, c.Grade)
			}
			for _, l := range c.Labels {
				if l.Label == vocab.LabelKnownVulnerable {
					t.Errorf("a suppressed finding still fires known-vulnerable")
				}
			}
			if len(r.Suppressions) != 1 || r.Suppressions[0].Justification != tc.justification ||
				!strings.HasPrefix(r.Suppressions[0].Source, "app.vex.json#") || !strings.HasSuffix(r.Suppressions[0].Source, "(pinned by sha256 in the policy)") {
				t.Errorf("suppressions: %+v", r.Suppressions)
			}
		})
	}
}

// The twins: the same statement from an untrusted source, without a
// justification, or contradicted by another trusted document suppresses
// nothing, and is shown.
func TestVEXWithoutTrustSuppressesNothing(t *testing.T) {
	untrusted := readVEX(t, openVEXDoc, "beside.vex.json")
	unjustified := readVEX(t, strings.Replace(openVEXDoc, `, "justification": "vulnerable_code_not_in_execute_path"`, `, "impact_statement": "trust me"`, 1), "u.vex.json").Trust("given with --vex")
	affected := readVEX(t, strings.Replace(strings.Replace(openVEXDoc, `"not_affected"`, `"affected"`, 1), `"justification": "vulnerable_code_not_in_execute_path"`, `"action_statement": "upgrade to 1.2.6"`, 1), "a.vex.json").Trust("given with --vex")
	for _, tc := range []struct {
		name   string
		vex    []*VEX
		status string
		source string
	}{
		{"untrusted", []*VEX{untrusted}, VEXNotAffected, "beside.vex.json#/statements/0"},
		{"no justification", []*VEX{unjustified}, VEXNotAffected, "u.vex.json#/statements/0 (given with --vex); no justification, not suppressed"},
		{"conflict: the cautious status wins", []*VEX{readVEX(t, openVEXDoc, "n.vex.json").Trust("given with --vex"), affected}, VEXAffected, "a.vex.json#/statements/0 (given with --vex)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := assessWith(t, DefaultConfig(), minimistAdvisory, tc.vex...)
			c := component(t, r, "minimist")
			if len(c.Vulnerabilities) != 1 || c.Vulnerabilities[0].Suppressed || c.Grade.Rank() < GradeE.Rank() || len(r.Suppressions) != 0 {
				t.Fatalf("suppressed: %+v grade %s suppressions %+v", c.Vulnerabilities, c.Grade, r.Suppressions)
			}
			if f := c.Vulnerabilities[0].VEX; f == nil || f.Status != tc.status || f.Source != tc.source {
				t.Errorf("VEX shown: %+v, want %s from %s", f, tc.status, tc.source)
			}
		})
	}
}

func TestVEXSBOMOwnAnalysisIsNotTrusted(t *testing.T) {
	bom := strings.Replace(vulnBOM, `"dependencies"`, `"vulnerabilities":[{"id":"CVE-2021-44906","analysis":{"state":"not_affected","justification":"code_not_reachable"},"affects":[{"ref":"minimist"}]}],"dependencies"`, 1)
	a, err := NewAssessor()
	if err != nil {
		t.Fatal(err)
	}
	c := component(t, a.Assess(readBytes(t, []byte(bom), "app.cdx.json")), "minimist")
	if len(c.Vulnerabilities) != 1 || c.Vulnerabilities[0].Suppressed || c.Vulnerabilities[0].VEX == nil || c.Vulnerabilities[0].VEX.Trusted {
		t.Errorf("the SBOM's own not_affected: %+v", c.Vulnerabilities)
	}
}

func TestReadVEXFailures(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"not json", `{"@context":`},
		{"unknown format", `{"hello":"world"}`},
		{"openvex bad status", strings.Replace(openVEXDoc, `"not_affected"`, `"fine"`, 1)},
		{"openvex bad justification", strings.Replace(openVEXDoc, `vulnerable_code_not_in_execute_path`, `because`, 1)},
		{"openvex other context", strings.Replace(openVEXDoc, `https://openvex.dev/ns/v0.2.0`, `https://example.com/ns`, 1)},
		{"cyclonedx without vulnerabilities", `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}`},
		{"csaf not vex", strings.Replace(csafVEXDoc, `"csaf_vex"`, `"csaf_security_advisory"`, 1)},
		{"csaf vulnerability without id", strings.Replace(csafVEXDoc, `"cve":"CVE-2021-44906",`, ``, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ReadVEX(strings.NewReader(tc.doc), "bad.json")
			if v != nil {
				t.Errorf("got a document with an error")
			}
			wantCode(t, err, reason.VEXMalformed)
		})
	}
	small := DefaultLimits()
	small.MaxDataFileBytes = 64
	_, err := ReadVEX(bytes.NewReader([]byte(openVEXDoc)), "big.json", WithLimits(small))
	wantCode(t, err, reason.InputTooLarge)
}
