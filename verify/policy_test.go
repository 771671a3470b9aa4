package verify

import (
	"archive/zip"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(data)
}

const policyHead = "apiVersion: sovcheck.dev/v1alpha1\nkind: ProcurementPolicy\nmetadata: {name: test}\n"

// testSBOM is the SBOM of a product whose metadata component records
// SHA256 (replaced by the artifact's digest, which binds the SBOM to it).
const testSBOM = `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "metadata": {"component": {"type": "application", "name": "tool", "version": "1.0.0", "bom-ref": "tool", "hashes": [{"alg": "SHA-256", "content": "SHA256"}]}},
 "components": [{"type": "library", "name": "lodash", "version": "4.17.20", "bom-ref": "lodash", "purl": "pkg:npm/lodash@4.17.20", "licenses": [{"license": {"id": "MIT"}}]}],
 "dependencies": [{"ref": "tool", "dependsOn": ["lodash"]}, {"ref": "lodash", "dependsOn": []}]}
`

// writeDataPolicy writes a policy pinning a trust registry, an OSV zip, a
// KEV catalogue and a certification list beside it.
func writeDataPolicy(t *testing.T, dir string) string {
	t.Helper()
	reg := writeFile(t, filepath.Join(dir, "data", "registry.yaml"), "stewards:\n  - name: lodash team\n    upstreams: [pkg:npm/lodash]\n    jurisdiction: US\n")
	kev := writeFile(t, filepath.Join(dir, "data", "kev.json"), `{"vulnerabilities": [{"cveID": "CVE-2021-23337"}]}`+"\n")
	certs := writeFile(t, filepath.Join(dir, "data", "certs.yaml"), "apiVersion: sovcheck.dev/v1alpha1\nkind: CertificationList\nentries:\n  - purl: pkg:npm/lodash\n")
	osv := filepath.Join(dir, "data", "osv.zip")
	f, err := os.Create(osv)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("GHSA-35jh-r3h4-6jhm.json")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, `{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"database_specific":{"severity":"HIGH"},
		"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return writeFile(t, filepath.Join(dir, "policy.yaml"), policyHead+fmt.Sprintf(`data:
  - {name: registry, kind: trust-registry, path: data/registry.yaml, sha256: %s}
  - {name: osv, kind: advisories, path: data/osv.zip, sha256: %s}
  - {name: kev, kind: kev, path: data/kev.json, sha256: %s}
  - {name: certs, kind: certifications, path: data/certs.yaml, sha256: %s}
certification: {list: certs}
`, fileSHA(t, reg), fileSHA(t, osv), fileSHA(t, kev), fileSHA(t, certs)))
}

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	path := writeDataPolicy(t, dir)
	p, data, err := LoadPolicy(path, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if data.Registry == nil || data.Advisories == nil || data.KEV == nil {
		t.Fatalf("data files not read: %+v", data)
	}
	if c := p.Certify(policy.Component{PURL: "pkg:npm/lodash@4.17.20"}, testNow); !c.Certified {
		t.Fatalf("the certification list was not handed to the policy: %+v", c)
	}

	t.Run("default", func(t *testing.T) {
		p, data, err := LoadPolicy(DefaultPolicy, testNow, nil)
		if err != nil || p.Name() != "sovcheck-default" || data.KEV != nil {
			t.Fatalf("LoadPolicy(default) = %v, %+v, %v", p, data, err)
		}
	})
	t.Run("changed data file", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "data", "kev.json"), `{"vulnerabilities": []}`)
		defer writeFile(t, filepath.Join(dir, "data", "kev.json"), `{"vulnerabilities": [{"cveID": "CVE-2021-23337"}]}`+"\n")
		_, _, err := LoadPolicy(path, testNow, nil)
		var fe *policy.FileError
		if !errors.As(err, &fe) || fe.Problems[0].Code != reason.DataDigestMismatch || fe.Problems[0].Line != 7 {
			t.Fatalf("err = %v, want %s at line 7", err, reason.DataDigestMismatch)
		}
	})
	t.Run("advisories as a directory", func(t *testing.T) {
		d := t.TempDir()
		if err := os.MkdirAll(filepath.Join(d, "osv"), 0o755); err != nil {
			t.Fatal(err)
		}
		pp := writeFile(t, filepath.Join(d, "p.yaml"), policyHead+"data:\n  - {name: osv, kind: advisories, path: osv, sha256: "+strings.Repeat("0", 64)+"}\n")
		_, _, err := LoadPolicy(pp, testNow, nil)
		var fe *policy.FileError
		if !errors.As(err, &fe) || fe.Problems[0].Code != reason.InputUnreadable || !strings.Contains(fe.Problems[0].Msg, "not a regular file") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing policy", func(t *testing.T) {
		_, _, err := LoadPolicy(filepath.Join(dir, "nope.yaml"), testNow, nil)
		if reason.CodeOf(err, "") != reason.InputUnreadable {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("malformed registry", func(t *testing.T) {
		d := t.TempDir()
		reg := writeFile(t, filepath.Join(d, "r.yaml"), "stewards: [1, 2\n")
		pp := writeFile(t, filepath.Join(d, "p.yaml"), policyHead+"data:\n  - {name: r, kind: trust-registry, path: r.yaml, sha256: "+fileSHA(t, reg)+"}\n")
		if _, _, err := LoadPolicy(pp, testNow, nil); err == nil {
			t.Fatal("a malformed trust registry was accepted")
		}
	})
}

// TestPolicyFacts: verify hands the policy what it established, and the
// SBOM beside the artifact is assessed with the policy's data files.
func TestPolicyFacts(t *testing.T) {
	paths, root := writeSigned(t, 1)
	art := paths[0]
	writeFile(t, art+".cdx.json", sbomOf(t, art))
	dir := filepath.Dir(art)
	pp := writeDataPolicy(t, dir)
	p, data, err := LoadPolicy(pp, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := &Identity{Subject: benchIdentity, Issuer: benchIssuer}
	r, err := New(withConfig(config{TrustedRoot: root, Identity: id, Policy: &PolicyOptions{Policy: p, Data: data, Now: func() time.Time { return testNow }}}))
	if err != nil {
		t.Fatal(err)
	}
	outs, err := r.VerifyOutcomes(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	f := o.Facts
	if f == nil || o.Verdict.Policy == nil {
		t.Fatalf("no policy applied: %+v", o)
	}
	if len(f.Signers) != 1 || f.Signers[0].Subject != benchIdentity || f.Signers[0].Issuer != benchIssuer || f.Signers[0].Evidence != art+".sigstore.json" {
		t.Fatalf("signers = %+v", f.Signers)
	}
	if !f.SBOM.Present || f.SBOM.Source != art+".cdx.json" || len(f.SBOM.Components) != 1 {
		t.Fatalf("sbom = %+v", f.SBOM)
	}
	if len(f.Vulnerabilities) != 1 || f.Vulnerabilities[0].ID != "GHSA-35jh-r3h4-6jhm" || !f.Vulnerabilities[0].KnownExploited {
		t.Fatalf("vulnerabilities = %+v: the advisories and KEV were not used", f.Vulnerabilities)
	}
	// The default policy's knock-out: a known-exploited vulnerability.
	if rr, ok := o.Verdict.Policy.Rule(policy.RuleKnownExploited); !ok || rr.Status != policy.RuleFail || o.Verdict.Passed() {
		t.Fatalf("known-exploited rule = %+v, verdict %s", rr, o.Verdict.Status)
	}
	if o.Name != filepath.Base(art) || len(o.Inputs) != 1 || o.Inputs[0].URI != art+".sigstore.json" {
		t.Fatalf("outcome name %q, inputs %+v", o.Name, o.Inputs)
	}

	// Without a policy: no facts, and the verdict is what it was.
	r, err = New(withConfig(config{TrustedRoot: root, Identity: id}))
	if err != nil {
		t.Fatal(err)
	}
	outs, err = r.VerifyOutcomes(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Facts != nil || outs[0].Verdict.Policy != nil || !outs[0].Verdict.Passed() {
		t.Fatalf("without a policy: %+v", outs[0])
	}
}

func TestPolicyOptionErrors(t *testing.T) {
	paths, root := writeSigned(t, 2)
	p, _, err := LoadPolicy(DefaultPolicy, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := &Identity{Subject: benchIdentity, Issuer: benchIssuer}
	dir := t.TempDir()
	newKey(t, "ecdsa-p256", filepath.Join(dir, "k.pub"))
	for name, o := range map[string]*PolicyOptions{
		"no policy":              {},
		"missing SBOM":           {Policy: p, SBOM: filepath.Join(dir, "nope.cdx.json")},
		"missing VSA":            {Policy: p, VSAs: []string{filepath.Join(dir, "nope.vsa.json")}},
		"VSA is a directory":     {Policy: p, VSAs: []string{dir}},
		"unreadable key":         {Policy: p, CertifierKeys: []string{filepath.Join(dir, "nope.pub")}},
		"key the policy ignores": {Policy: p, CertifierKeys: []string{filepath.Join(dir, "k.pub")}},
	} {
		t.Run(name, func(t *testing.T) {
			if r, err := New(withConfig(config{TrustedRoot: root, Identity: id, Policy: o})); r != nil || !IsConfigError(err) {
				t.Fatalf("New = %v, %v; want a configuration error", r, err)
			}
		})
	}
	r, err := New(withConfig(config{TrustedRoot: root, Identity: id, Policy: &PolicyOptions{Policy: p, SBOM: paths[0]}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(context.Background(), paths); !IsConfigError(err) {
		t.Fatalf("--sbom with two artifacts: %v", err)
	}
}

// vsaFixture signs VSAs about one artifact.
type vsaFixture struct {
	dir       string
	art       attest.Artifact
	cert      crypto.Signer
	certPub   string // PEM file
	other     crypto.Signer
	statement []byte
}

func newVSAFixture(t *testing.T, result string) *vsaFixture {
	t.Helper()
	dir := t.TempDir()
	data := []byte("the artifact")
	sum := sha256.Sum256(data)
	f := &vsaFixture{dir: dir, art: attest.Artifact{Name: "tool", Path: writeFile(t, filepath.Join(dir, "tool"), string(data)), SHA256: sum[:]}}
	f.certPub = filepath.Join(dir, "cert.pub")
	f.cert = newKey(t, "ecdsa-p256", f.certPub)
	f.other = newKey(t, "ed25519", filepath.Join(dir, "other.pub"))
	levels := []string{"SLSA_BUILD_LEVEL_1"}
	if result == vocab.VSAFailed {
		levels = []string{vocab.VSAFailed}
	}
	st, err := attest.NewVSAStatement([]attest.Subject{{Name: "tool", Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}}, attest.VSA{
		Verifier: attest.VSAVerifier{ID: VerifierID}, TimeVerified: "2026-10-01T00:00:00Z", ResourceURI: "pkg:generic/tool@1.0.0",
		Policy:             attest.ResourceDescriptor{URI: "certifier.yaml", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}},
		VerificationResult: result, VerifiedLevels: levels})
	if err != nil {
		t.Fatal(err)
	}
	f.statement = st
	return f
}

// sign writes the VSA signed with key, as DSSE JSON or as a bundle.
func (f *vsaFixture) sign(t *testing.T, name string, key crypto.Signer, bundle bool) string {
	t.Helper()
	env, b, err := attest.SignStatementWithKey(f.statement, key)
	if err != nil {
		t.Fatal(err)
	}
	if bundle {
		env = b
	}
	return writeFile(t, filepath.Join(f.dir, name), string(env))
}

func (f *vsaFixture) certifiers(t *testing.T, withKey bool) *attest.Certifiers {
	t.Helper()
	id, err := vocab.KeyID(f.cert.Public())
	if err != nil {
		t.Fatal(err)
	}
	cs := attest.NewCertifiers()
	cs.Trust(id)
	if withKey {
		if err := cs.Add(id, f.cert.Public()); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

func TestCheckVSA(t *testing.T) {
	f := newVSAFixture(t, vocab.VSAPassed)
	cs := f.certifiers(t, true)
	for _, bundle := range []bool{false, true} {
		file := f.sign(t, fmt.Sprintf("good-%v.json", bundle), f.cert, bundle)
		r := checkVSA(cs, file)
		if r.check.Status != policy.StatusPass || r.vsa == nil || r.keyID == "" {
			t.Fatalf("bundle %v: %+v", bundle, r.check)
		}
		if !r.about("", hex.EncodeToString(f.art.SHA256)) || !r.about("pkg:generic/tool@1.0.0", "") || r.about("pkg:generic/tool@2.0.0", "") {
			t.Fatal("about() matches the wrong things")
		}
		if fact := r.fact(); fact.Result != vocab.VSAPassed || fact.PolicyDigest != strings.Repeat("ab", 32) || fact.CertifierKeyID != r.keyID {
			t.Fatalf("fact = %+v", fact)
		}
	}
	for _, tc := range []struct {
		name   string
		file   func() string
		cs     *attest.Certifiers
		status policy.Status
		code   string
	}{
		{"another key", func() string { return f.sign(t, "other.json", f.other, false) }, cs, policy.StatusSkip, reason.KeyMismatch},
		{"tampered bundle", func() string {
			p := f.sign(t, "tampered.json", f.cert, true)
			data, _ := os.ReadFile(p)
			// The payload is base64 in the bundle: change one character.
			i := strings.Index(string(data), `"payload": "`) + len(`"payload": "`) + 10
			data[i] ^= 0x01
			return writeFile(t, p, string(data))
		}, cs, policy.StatusFail, reason.SignatureInvalid},
		{"not JSON", func() string { return writeFile(t, filepath.Join(f.dir, "junk.json"), "{") }, cs, policy.StatusFail, reason.BundleMalformed},
		{"key not at hand, DSSE", func() string { return f.sign(t, "byid.json", f.cert, false) }, f.certifiers(t, false), policy.StatusSkip, reason.EvidenceMissing},
		{"key not at hand, bundle", func() string { return f.sign(t, "byid-bundle.json", f.cert, true) }, f.certifiers(t, false), policy.StatusSkip, reason.EvidenceMissing},
		{"not a VSA", func() string {
			st, _ := attest.ParseStatement(vocab.InTotoPayloadType, f.statement)
			st.PredicateType = vocab.PredicateSLSAProvenanceV1
			raw := fmt.Sprintf(`{"_type":%q,"subject":[{"name":"tool","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`,
				st.Type, hex.EncodeToString(f.art.SHA256), st.PredicateType)
			env, _, err := attest.SignStatementWithKey([]byte(raw), f.cert)
			if err != nil {
				t.Fatal(err)
			}
			return writeFile(t, filepath.Join(f.dir, "prov.json"), string(env))
		}, cs, policy.StatusFail, reason.PredicateTypeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := checkVSA(tc.cs, tc.file())
			if r.check.Status != tc.status || r.check.Reason != tc.code || (tc.status != policy.StatusPass && r.vsa != nil && tc.status == policy.StatusFail) {
				t.Fatalf("check = %+v, want %s %s", r.check, tc.status, tc.code)
			}
			if r.check.Hint == "" {
				t.Fatal("no hint")
			}
		})
	}
	failed := newVSAFixture(t, vocab.VSAFailed)
	r := checkVSA(failed.certifiers(t, true), failed.sign(t, "failed.json", failed.cert, false))
	if r.check.Status != policy.StatusSkip || r.check.Reason != reason.PolicyUncertified {
		t.Fatalf("a FAILED VSA: %+v", r.check)
	}
}

func TestNewVSA(t *testing.T) {
	res := &policy.Result{Policy: policy.PolicyRef{Name: "p", File: "dir/p.yaml", SHA256: strings.Repeat("cd", 32)}, Status: policy.StatusPass}
	subject := policy.Subject{Name: "dist/tool", Digest: map[string]string{"sha256": strings.Repeat("ef", 32)}}
	pass := policy.Verdict{Subject: subject, Status: policy.StatusPass, Policy: res,
		Checks: []policy.Check{{ID: "signature", Status: policy.StatusPass, Required: true}}}
	o := Outcome{Verdict: pass, Name: "tool", Facts: &policy.Facts{Provenance: []policy.Provenance{{BuilderID: "b"}}}}
	read := func(raw []byte) *attest.VSA {
		t.Helper()
		st, err := attest.ParseStatement(vocab.InTotoPayloadType, raw)
		if err != nil {
			t.Fatal(err)
		}
		v, err := attest.ParseVSA(st)
		if err != nil {
			t.Fatal(err)
		}
		if st.Subject[0].Name != "tool" || st.Subject[0].Digest["sha256"] != strings.Repeat("ef", 32) {
			t.Fatalf("subject = %+v", st.Subject)
		}
		return v
	}
	raw, err := NewVSA(o, VSAOptions{Version: "v1.0.0", Time: testNow})
	if err != nil {
		t.Fatal(err)
	}
	v := read(raw)
	if v.VerificationResult != vocab.VSAPassed || v.VerifiedLevels[0] != "SLSA_BUILD_LEVEL_1" || v.Policy.URI != "dir/p.yaml" ||
		v.Policy.Digest["sha256"] != res.Policy.SHA256 || v.ResourceURI != "tool" || v.Verifier.ID != VerifierID ||
		v.Verifier.Version["sovcheck"] != "v1.0.0" || v.TimeVerified != "2026-11-01T12:00:00Z" {
		t.Fatalf("VSA = %+v", v)
	}
	o.Facts = &policy.Facts{}
	if v := read(must(NewVSA(o, VSAOptions{Time: testNow, ResourceURI: "pkg:generic/tool@1", PolicyURI: "https://acme.example/p"}))); v.VerifiedLevels[0] != "SLSA_BUILD_LEVEL_0" ||
		v.ResourceURI != "pkg:generic/tool@1" || v.Policy.URI != "https://acme.example/p" {
		t.Fatalf("VSA without provenance = %+v", v)
	}
	o.Verdict = policy.Decide(subject, []policy.Check{{ID: "signature", Status: policy.StatusFail, Required: true}})
	o.Verdict.Policy = res
	if v := read(must(NewVSA(o, VSAOptions{Time: testNow}))); v.VerificationResult != vocab.VSAFailed || v.VerifiedLevels[0] != vocab.VSAFailed {
		t.Fatalf("VSA of a failed verdict = %+v", v)
	}
	if _, err := NewVSA(Outcome{Verdict: pass, Name: "tool"}, VSAOptions{Time: testNow}); err == nil {
		t.Fatal("a VSA without facts was written")
	}
	o.Verdict.Subject.Digest = nil
	if _, err := NewVSA(o, VSAOptions{Time: testNow}); err == nil {
		t.Fatal("a VSA without a digest was written")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestGate(t *testing.T) {
	f := newVSAFixture(t, vocab.VSAPassed)
	dir := f.dir
	certs := writeFile(t, filepath.Join(dir, "certs.yaml"), "apiVersion: sovcheck.dev/v1alpha1\nkind: CertificationList\nentries:\n  - purl: pkg:golang/example.com/a\n")
	pub, err := os.ReadFile(f.certPub)
	if err != nil {
		t.Fatal(err)
	}
	pp := writeFile(t, filepath.Join(dir, "ci.yaml"), policyHead+"data:\n  - {name: certs, kind: certifications, path: certs.yaml, sha256: "+fileSHA(t, certs)+
		"}\ncertification:\n  list: certs\n  certifiers:\n    - |\n"+indentLines(string(pub), "      "))
	p, _, err := LoadPolicy(pp, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := writeFile(t, filepath.Join(dir, "go.sum"), "example.com/a v1.0.0 h1:AAAA=\nexample.com/a v1.0.0/go.mod h1:BBBB=\nexample.com/b v1.0.0 h1:CCCC=\n")
	res, err := Gate(sum, GateOptions{Policy: p, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed() || res.Dependencies != 2 || len(res.Uncertified) != 1 || res.Uncertified[0].Dependency != "pkg:golang/example.com/b@v1.0.0" {
		t.Fatalf("gate = %+v", res)
	}
	if f := res.Uncertified[0]; f.Location != sum+":3" || f.Certification.Reason != reason.PolicyUncertified {
		t.Fatalf("uncertified = %+v", f)
	}

	// A VSA about the component's sha256 certifies it in an SBOM.
	sbomPath := writeFile(t, filepath.Join(dir, "app.cdx.json"), fmt.Sprintf(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
 "components": [{"type": "file", "name": "tool", "bom-ref": "t", "hashes": [{"alg": "SHA-256", "content": %q}]}, {"type": "file", "name": "anon", "bom-ref": "x"}]}`,
		hex.EncodeToString(f.art.SHA256)))
	vsa := f.sign(t, "tool.vsa.json", f.cert, false)
	res, err = Gate(sbomPath, GateOptions{Policy: p, VSAs: []string{vsa}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uncertified) != 1 || res.Uncertified[0].Dependency != "anon" || !strings.Contains(res.Uncertified[0].Certification.Message, "neither purl nor sha256") {
		t.Fatalf("gate = %+v", res.Uncertified)
	}
	if _, err := Gate(filepath.Join(dir, "nope.sum"), GateOptions{Policy: p}); err == nil {
		t.Fatal("a missing input gave a result")
	}
	if _, err := Gate(sum, GateOptions{}); !IsConfigError(err) {
		t.Fatalf("gate without a policy: %v", err)
	}
	// A policy without certification certifies nothing: no verdict, one error.
	bare, _, err := LoadPolicy(writeFile(t, filepath.Join(dir, "bare.yaml"), policyHead), testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Gate(sum, GateOptions{Policy: bare}); !IsConfigError(err) || res != nil || !strings.Contains(err.Error(), "names no certification") {
		t.Fatalf("gate under a policy without certification = %+v, %v", res, err)
	}
}

func indentLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString(prefix + l)
	}
	return b.String() + "\n"
}

func TestBuildRecipeRefusals(t *testing.T) {
	dir := t.TempDir()
	for name, b := range map[string]RecipeBuild{
		"not go build":      {Source: dir, Output: "tool", Command: []string{"go", "run", "."}},
		"not go":            {Source: dir, Output: "tool", Command: []string{"make", "build"}},
		"output outside":    {Source: dir, Output: "../tool", Command: []string{"go", "build", "-o", "../tool"}},
		"workdir outside":   {Source: dir, Output: "tool", WorkDir: "/tmp", Command: []string{"go", "build"}},
		"env not KEY=VALUE": {Source: dir, Output: "tool", Env: []string{"CGO_ENABLED"}, Command: []string{"go", "build"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := BuildRecipe(context.Background(), b); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestRebuildFact(t *testing.T) {
	mismatch := &rebuild.Result{Status: rebuild.StatusMismatch, Reason: reason.New(reason.GoVersionMismatch, "", "differs"),
		Causes: []rebuild.Cause{{Code: reason.GoVersionMismatch}, {Code: "VCS_STAMP_MISMATCH"}}}
	checks := []policy.Check{{ID: CheckRebuild, Status: policy.StatusFail, Reason: reason.GoVersionMismatch, Evidence: "tool.intoto.jsonl"}}
	got := rebuildFact(&gathered{rebuild: mismatch}, checks)
	if got.Status != policy.RebuildMismatch || got.Reason != reason.GoVersionMismatch || strings.Join(got.Causes, ",") != "GO_VERSION_MISMATCH,VCS_STAMP_MISMATCH" || got.Evidence != "tool.intoto.jsonl" {
		t.Fatalf("mismatch = %+v", got)
	}
	if got := rebuildFact(&gathered{rebuild: &rebuild.Result{Status: rebuild.StatusMatch}}, nil); got.Status != policy.RebuildMatch || got.Reason != "" {
		t.Fatalf("match = %+v", got)
	}
	// Asked for, and could not start: a SKIP with the check's reason.
	noRecipe := []policy.Check{{ID: CheckRebuild, Status: policy.StatusFail, Reason: reason.RecipeUnsupported}}
	if got := rebuildFact(&gathered{}, noRecipe); got.Status != policy.RebuildSkip || got.Reason != reason.RecipeUnsupported {
		t.Fatalf("no recipe = %+v", got)
	}
	if got := rebuildFact(&gathered{}, nil); got.Status != "" {
		t.Fatalf("not asked = %+v", got)
	}
}

// sbomOf returns testSBOM bound to the artifact at path by its sha256.
func sbomOf(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return strings.Replace(testSBOM, `"content": "SHA256"`, `"content": "`+hex.EncodeToString(sum[:])+`"`, 1)
}
