package verify

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// withConfig sets the whole configuration at once, so that tests can state
// a combination New must refuse without the option that would refuse it
// first.
func withConfig(c config) Option {
	return func(dst *config) error { *dst = c; return nil }
}

func TestOptionsValidate(t *testing.T) {
	for name, o := range map[string]Option{
		"half an identity":      WithIdentity(Identity{Subject: benchIdentity}),
		"two subjects":          WithIdentity(Identity{Subject: benchIdentity, SubjectRegexp: ".*", Issuer: benchIssuer}),
		"layout without keys":   WithLayout(Layout{Path: "root.layout", LinkDir: "links"}),
		"policy without policy": WithPolicy(PolicyOptions{}),
		"negative concurrency":  WithConcurrency(-1),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := New(WithKey("k.pub"), o)
			if r != nil || !IsConfigError(err) || reason.CodeOf(err, "") != reason.InputMalformed {
				t.Fatalf("New = %v, %v; want a ConfigError %s", r, err, reason.InputMalformed)
			}
		})
	}
}

// TestDecidedOnce: each artifact's verdict is decided once, with or
// without a policy. policy.Decided counts every decision in the process,
// those verify makes and any inside package policy (a policy result that
// decided the verdict again would count twice).
func TestDecidedOnce(t *testing.T) {
	paths, root := writeSigned(t, 3)
	p, data, err := LoadPolicy(DefaultPolicy, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Subject: benchIdentity, Issuer: benchIssuer}
	for name, opts := range map[string][]Option{
		"without a policy": {WithTrustedRoot(root), WithIdentity(id)},
		"with a policy": {WithTrustedRoot(root), WithIdentity(id),
			WithPolicy(PolicyOptions{Policy: p, Data: data, Now: func() time.Time { return testNow }})},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			before := policy.Decided()
			outcomes, err := r.VerifyOutcomes(context.Background(), paths)
			if err != nil {
				t.Fatal(err)
			}
			if n := policy.Decided() - before; n != uint64(len(paths)) {
				t.Fatalf("%d verdicts decided for %d artifacts, want one each", n, len(paths))
			}
			for _, o := range outcomes {
				if (o.Verdict.Policy != nil) != (o.Facts != nil) || len(o.Verdict.Checks) == 0 {
					t.Fatalf("verdict %+v: want the policy's result exactly when a policy was applied", o.Verdict)
				}
			}
		})
	}
}

// TestAttestedSBOMParsedOnce: a signed SBOM attestation is parsed once,
// though both the label check and the policy assess it.
func TestAttestedSBOMParsedOnce(t *testing.T) {
	var reads atomic.Int64
	defer func(r func(io.Reader, string, ...sbom.Option) (*sbom.Document, error)) { readSBOM = r }(readSBOM)
	readSBOM = func(r io.Reader, name string, opts ...sbom.Option) (*sbom.Document, error) {
		reads.Add(1)
		return sbom.ReadDocument(r, name, opts...)
	}
	dir := t.TempDir()
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	rootPath := writeFile(t, filepath.Join(dir, "trusted_root.json"), string(root))
	art := writeFile(t, filepath.Join(dir, "tool"), "tool 1.0.0")
	st, err := sigstoretest.Statement(map[string]string{"tool": sha256Hex([]byte("tool 1.0.0"))}, vocab.PredicateCycloneDX, json.RawMessage(sbomOf(t, art)))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := ca.SignDSSE(st, sigstoretest.SignOptions{Identity: benchIdentity, Issuer: benchIssuer})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, art+".sigstore.json", string(bundle))
	p, data, err := LoadPolicy(DefaultPolicy, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(WithTrustedRoot(rootPath), WithIdentity(Identity{Subject: benchIdentity, Issuer: benchIssuer}),
		WithPolicy(PolicyOptions{Policy: p, Data: data, Now: func() time.Time { return testNow }}))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Verify(context.Background(), []string{art})
	if err != nil {
		t.Fatal(err)
	}
	var labels, assessed bool
	for _, c := range vs[0].Checks {
		labels = labels || (c.ID == vocab.CheckSBOMLabels && c.Status == policy.StatusPass)
		assessed = assessed || (c.ID == vocab.CheckSBOMAssessed && c.Status == policy.StatusPass)
	}
	if !labels || !assessed {
		t.Fatalf("checks %+v: want %s and %s passed", vs[0].Checks, vocab.CheckSBOMLabels, vocab.CheckSBOMAssessed)
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("the attested SBOM was parsed %d times, want once", n)
	}
}
