package verify

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

func TestSBOMBinding(t *testing.T) {
	const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const other = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	subject := policy.Subject{Name: "tool-1.0.0.tar.gz", Digest: map[string]string{"sha256": digest}}
	read := func(t *testing.T, doc string) *sbom.Graph {
		t.Helper()
		g, err := sbom.Read(strings.NewReader(doc), "x.cdx.json")
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	cdx := func(name, version, extra string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"application","bom-ref":"root","name":"` +
			name + `","version":"` + version + `"` + extra + `}},"components":[]}`
	}
	spdx := func(sum string) string {
		return `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"tool","dataLicense":"CC0-1.0","documentNamespace":"https://example.test/t",
"creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: test"]},
"packages":[{"SPDXID":"SPDXRef-tool","name":"tool","versionInfo":"1.0.0","downloadLocation":"NOASSERTION","filesAnalyzed":false,
"checksums":[{"algorithm":"SHA256","checksumValue":"` + sum + `"}]}],
"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-tool"}]}`
	}
	for _, tc := range []struct {
		name, doc string
		attested  *attest.Statement
		status    policy.Status
		want      string // in the message
	}{
		{"cyclonedx hash", cdx("tool", "1.0.0", `,"hashes":[{"alg":"SHA-256","content":"`+strings.ToUpper(digest)+`"}]`), nil, policy.StatusPass, "records the artifact's sha256"},
		{"spdx checksum", spdx(digest), nil, policy.StatusPass, "records the artifact's sha256"},
		{"image digest as version", cdx("registry.test/app", "sha256:"+digest, ""), nil, policy.StatusPass, "is the artifact's digest"},
		{"image purl", cdx("app", "", `,"purl":"pkg:oci/app@sha256%3A`+digest+`"`), nil, policy.StatusPass, "is the artifact's digest"},
		{"name and version only", cdx("tool", "1.0.0", ""), nil, policy.StatusPass, "warning: "},
		{"attestation about the artifact", cdx("other", "9", ""), &attest.Statement{Subject: []attest.Subject{{Name: "t", Digest: map[string]string{"sha256": digest}}}}, policy.StatusPass, "verified attestation"},
		{"attestation about other bytes", cdx("tool", "1.0.0", ""), &attest.Statement{Subject: []attest.Subject{{Name: "t", Digest: map[string]string{"sha256": other}}}}, policy.StatusFail, "about other artifacts"},
		{"another product's hash", cdx("tool", "1.0.0", `,"hashes":[{"alg":"SHA-256","content":"`+other+`"}]`), nil, policy.StatusFail, "describes other bytes"},
		{"spdx of other bytes", spdx(other), nil, policy.StatusFail, "describes other bytes"},
		{"another product", cdx("billing", "9.0", ""), nil, policy.StatusFail, "do not match the artifact"},
		{"no product", `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}`, nil, policy.StatusFail, "names no product"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sbomBinding(subject, "dist/tool-1.0.0.tar.gz", read(t, tc.doc), "x.cdx.json", tc.attested)
			if c.Status != tc.status || !strings.Contains(c.Message, tc.want) {
				t.Fatalf("got %s %q, want %s with %q", c.Status, c.Message, tc.status, tc.want)
			}
			if c.Status == policy.StatusFail && (c.Reason != reason.SBOMNotBound || c.Hint == "" || c.Want != "sha256:"+digest) {
				t.Fatalf("failure %+v: want %s with a hint and the artifact's digest", c, reason.SBOMNotBound)
			}
		})
	}
}
