package attest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

const (
	upHex      = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	rebuiltHex = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func statementJSON(t testing.TB, predicateType string, subjects []Subject, predicate any) []byte {
	t.Helper()
	pred, err := json.Marshal(predicate)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(Statement{Type: vocab.StatementTypeV1, Subject: subjects, PredicateType: predicateType, Predicate: pred})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sovcheckStatement(t testing.TB, up, rebuilt, result string) []byte {
	return statementJSON(t, vocab.PredicateRebuild, []Subject{{Name: "tool", Digest: map[string]string{"sha256": up}}}, map[string]any{
		"rebuilder": map[string]any{"id": vocab.RebuilderID},
		"recipe": map[string]any{"buildType": vocab.BuildTypeSovcheckGo, "output": "tool",
			"source": map[string]any{"uri": "https://github.com/acme/tool.git", "commit": "4D329C75E7EC1725F7C9CE917A8799D408D06BE3"}},
		"attestedDigest": map[string]string{"sha256": up}, "rebuiltDigest": map[string]string{"sha256": rebuilt}, "result": result,
	})
}

func ossRebuildStatement(t testing.TB, subject, rebuilt string) []byte {
	return statementJSON(t, vocab.PredicateSLSAProvenanceV1, []Subject{{Name: subject, Digest: map[string]string{"sha256": rebuilt}}}, map[string]any{
		"buildDefinition": map[string]any{"buildType": vocab.BuildTypeOSSRebuild,
			"externalParameters":   map[string]any{"ecosystem": "pypi", "package": "tool", "version": "1.0", "artifact": "tool-1.0.whl"},
			"resolvedDependencies": []any{map[string]any{"name": "git+https://example.test/tool", "digest": map[string]string{"sha1": "4d329c75e7ec1725f7c9ce917a8799d408d06be3"}}}},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://rebuilder.example"}},
	})
}

func ossEquivalenceStatement(t testing.TB, up, candidate, target string) []byte {
	return statementJSON(t, vocab.PredicateSLSAProvenanceV1, []Subject{{Name: "tool-1.0.whl", Digest: map[string]string{"sha256": up}}}, map[string]any{
		"buildDefinition": map[string]any{"buildType": vocab.BuildTypeOSSArtifactEquivalence,
			"externalParameters": map[string]any{"candidate": "rebuild/tool-1.0.whl", "target": "https://files.example/tool-1.0.whl"},
			"resolvedDependencies": []any{
				map[string]any{"name": "rebuild/tool-1.0.whl", "digest": map[string]string{"sha256": candidate}},
				map[string]any{"name": "https://files.example/tool-1.0.whl", "digest": map[string]string{"sha256": target}}}},
		"runDetails": map[string]any{"byproducts": []any{map[string]any{"name": "stabilized/tool-1.0.whl", "digest": map[string]string{"sha256": upHex}}}},
	})
}

func TestParseRebuildClaim(t *testing.T) {
	for _, tc := range []struct {
		name    string
		st      []byte
		want    RebuildClaim
		code    string
		counted bool // false: a *NotCountedError
	}{
		{name: "sovcheck match", st: sovcheckStatement(t, upHex, upHex, "MATCH"), counted: true,
			want: RebuildClaim{Format: FormatSovcheckRebuild, Artifact: "tool", Source: "github.com/acme/tool@4d329c75e7ec1725f7c9ce917a8799d408d06be3",
				Recipe: vocab.BuildTypeSovcheckGo + " -> tool", Upstream: upHex, Rebuilt: upHex, Equal: true}},
		{name: "sovcheck mismatch", st: sovcheckStatement(t, upHex, rebuiltHex, "MISMATCH"), counted: true,
			want: RebuildClaim{Format: FormatSovcheckRebuild, Artifact: "tool", Source: "github.com/acme/tool@4d329c75e7ec1725f7c9ce917a8799d408d06be3",
				Recipe: vocab.BuildTypeSovcheckGo + " -> tool", Upstream: upHex, Rebuilt: rebuiltHex}},
		{name: "sovcheck result contradicts digests", st: sovcheckStatement(t, upHex, rebuiltHex, "MATCH"), code: reason.StatementMalformed, counted: true},
		{name: "sovcheck unknown result", st: sovcheckStatement(t, upHex, upHex, "SKIP"), code: reason.StatementMalformed, counted: true},
		{name: "sovcheck bad digest", st: sovcheckStatement(t, "abc", "abc", "MATCH"), code: reason.StatementMalformed, counted: true},
		{name: "oss rebuild", st: ossRebuildStatement(t, "rebuild/tool-1.0.whl", rebuiltHex), counted: true,
			want: RebuildClaim{Format: FormatOSSRebuild, Artifact: "tool-1.0.whl", Source: "pypi/tool@1.0", Recipe: vocab.BuildTypeOSSRebuild, Rebuilt: rebuiltHex}},
		{name: "oss rebuild of another artifact name", st: ossRebuildStatement(t, "rebuild/other.whl", rebuiltHex), code: reason.StatementMalformed, counted: true},
		{name: "oss equivalence bit for bit", st: ossEquivalenceStatement(t, upHex, upHex, upHex), counted: true,
			want: RebuildClaim{Format: FormatOSSEquivalence, Artifact: "tool-1.0.whl", Recipe: vocab.BuildTypeOSSRebuild, Upstream: upHex, Rebuilt: upHex, Equal: true}},
		{name: "oss equivalence stabilised", st: ossEquivalenceStatement(t, upHex, rebuiltHex, upHex), counted: true,
			want: RebuildClaim{Format: FormatOSSEquivalence, Artifact: "tool-1.0.whl", Recipe: vocab.BuildTypeOSSRebuild, Upstream: upHex, Rebuilt: rebuiltHex,
				Equal: true, Normalisation: vocab.NormalisationOSSStabilize}},
		{name: "oss equivalence target is not the subject", st: ossEquivalenceStatement(t, upHex, rebuiltHex, rebuiltHex), code: reason.StatementMalformed, counted: true},
		{name: "other build type", st: statementJSON(t, vocab.PredicateSLSAProvenanceV1, []Subject{{Name: "x", Digest: map[string]string{"sha256": upHex}}},
			map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.test/build"}}), code: reason.PredicateTypeMismatch},
		{name: "other predicate", st: statementJSON(t, vocab.PredicateVSA, []Subject{{Name: "x", Digest: map[string]string{"sha256": upHex}}}, map[string]any{}),
			code: reason.PredicateTypeMismatch},
		{name: "two subjects", st: statementJSON(t, vocab.PredicateRebuild, []Subject{{Name: "a", Digest: map[string]string{"sha256": upHex}},
			{Name: "b", Digest: map[string]string{"sha256": upHex}}}, map[string]any{}), code: reason.StatementMalformed, counted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ParseStatement(vocab.InTotoPayloadType, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseRebuildClaim(st)
			if tc.code != "" {
				if c != nil || reason.CodeOf(err, "") != tc.code || IsNotCounted(err) == tc.counted {
					t.Fatalf("got %+v, %v; want code %s, counted %v", c, err, tc.code, tc.counted)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *c != tc.want {
				t.Fatalf("got %+v\nwant %+v", *c, tc.want)
			}
		})
	}
}

// testSigner signs DSSE envelopes as a rebuilder does.
type testSigner struct {
	key crypto.Signer
	id  string
}

func newTestSigner(t testing.TB, ed bool) testSigner {
	t.Helper()
	var k crypto.Signer
	var err error
	if ed {
		_, k, err = ed25519.GenerateKey(rand.Reader)
	} else {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	id, err := vocab.KeyID(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{key: k, id: id}
}

func (s testSigner) envelope(t testing.TB, statement []byte, keyID string) []byte {
	t.Helper()
	env := Envelope{PayloadType: vocab.InTotoPayloadType, Payload: statement}
	msg := env.PAE()
	var sig []byte
	var err error
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	case *ecdsa.PrivateKey:
		d := sha256.Sum256(msg)
		sig, err = ecdsa.SignASN1(rand.Reader, k, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	env.Signatures = []EnvelopeSignature{{KeyID: keyID, Sig: sig}}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestVerifyRebuildFile(t *testing.T) {
	alpha, beta, mallory := newTestSigner(t, false), newTestSigner(t, true), newTestSigner(t, false)
	keys := NewRebuilderKeys()
	for _, s := range []testSigner{alpha, beta} {
		keys.Trust(s.id)
		if err := keys.Add(s.id, s.key.Public()); err != nil {
			t.Fatal(err)
		}
	}
	byID := NewRebuilderKeys()
	byID.Trust(alpha.id)

	kms := "projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"
	pair := append(beta.envelope(t, ossRebuildStatement(t, "rebuild/tool-1.0.whl", rebuiltHex), kms),
		beta.envelope(t, ossEquivalenceStatement(t, upHex, rebuiltHex, upHex), kms)...)
	t.Run("OSS Rebuild pair", func(t *testing.T) {
		vs, errs := keys.VerifyRebuildFile(pair)
		if len(errs) != 0 || len(vs) != 1 {
			t.Fatalf("got %+v, %v", vs, errs)
		}
		c := vs[0].Claim
		if vs[0].KeyID != beta.id || c.Format != FormatOSSPair || c.Source != "pypi/tool@1.0" || c.Normalisation != vocab.NormalisationOSSStabilize || !c.Equal {
			t.Fatalf("got %+v %+v", vs[0], c)
		}
	})
	t.Run("sovcheck", func(t *testing.T) {
		vs, errs := keys.VerifyRebuildFile(alpha.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), alpha.id))
		if len(errs) != 0 || len(vs) != 1 || vs[0].KeyID != alpha.id || vs[0].Claim.Format != FormatSovcheckRebuild {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	t.Run("forged: names alpha, signed by mallory", func(t *testing.T) {
		vs, errs := keys.VerifyRebuildFile(mallory.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), alpha.id))
		if len(vs) != 0 || len(errs) != 1 || reason.CodeOf(errs[0], "") != reason.SignatureInvalid || IsNotCounted(errs[0]) {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	t.Run("tampered payload", func(t *testing.T) {
		env := alpha.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), "")
		var e Envelope
		if err := json.Unmarshal(env, &e); err != nil {
			t.Fatal(err)
		}
		e.Payload = bytes.Replace(e.Payload, []byte(upHex), []byte(rebuiltHex), -1)
		data, _ := json.Marshal(e)
		vs, errs := keys.VerifyRebuildFile(data)
		if len(vs) != 0 || len(errs) != 1 || !IsNotCounted(errs[0]) || reason.CodeOf(errs[0], "") != reason.RebuilderUnknown {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	t.Run("unknown rebuilder", func(t *testing.T) {
		vs, errs := keys.VerifyRebuildFile(mallory.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), mallory.id))
		if len(vs) != 0 || len(errs) != 1 || !IsNotCounted(errs[0]) || reason.CodeOf(errs[0], "") != reason.RebuilderUnknown {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	t.Run("key pinned by id, not at hand", func(t *testing.T) {
		vs, errs := byID.VerifyRebuildFile(alpha.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), alpha.id))
		if len(vs) != 0 || len(errs) != 1 || !IsNotCounted(errs[0]) || reason.CodeOf(errs[0], "") != reason.EvidenceMissing {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	t.Run("one bad statement of several", func(t *testing.T) {
		data := append(bytes.Clone(pair), mallory.envelope(t, sovcheckStatement(t, upHex, upHex, "MATCH"), "")...)
		vs, errs := keys.VerifyRebuildFile(data)
		if len(vs) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "statement 3: ") {
			t.Fatalf("got %+v, %v", vs, errs)
		}
	})
	for name, data := range map[string][]byte{
		"empty":    nil,
		"not JSON": []byte("rebuild"),
		"too many": bytes.Repeat([]byte("{}\n"), MaxRebuildEnvelopes+1),
		"too big":  make([]byte, MaxBundleSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			vs, errs := keys.VerifyRebuildFile(data)
			var re *reason.Error
			if len(vs) != 0 || len(errs) != 1 || !errors.As(errs[0], &re) || IsNotCounted(errs[0]) {
				t.Fatalf("got %+v, %v", vs, errs)
			}
		})
	}
}

func FuzzParseRebuildClaim(f *testing.F) {
	f.Add(sovcheckStatement(f, upHex, upHex, "MATCH"))
	f.Add(sovcheckStatement(f, upHex, rebuiltHex, "MISMATCH"))
	f.Add(ossRebuildStatement(f, "rebuild/tool-1.0.whl", rebuiltHex))
	f.Add(ossEquivalenceStatement(f, upHex, rebuiltHex, upHex))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x"}],"predicateType":"https://slsa.dev/provenance/v1","predicate":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(vocab.InTotoPayloadType, data)
		if err != nil {
			return
		}
		c, err := ParseRebuildClaim(st)
		if (err == nil) == (c == nil) {
			t.Fatalf("claim %+v with error %v", c, err)
		}
		if c != nil && (len(c.Rebuilt) != 64 || c.Upstream != "" && len(c.Upstream) != 64 || c.Normalisation != "" && !c.Equal) {
			t.Fatalf("inconsistent claim %+v", c)
		}
	})
}

func FuzzVerifyRebuildFile(f *testing.F) {
	s := newTestSigner(f, true)
	keys := NewRebuilderKeys()
	keys.Trust(s.id)
	if err := keys.Add(s.id, s.key.Public()); err != nil {
		f.Fatal(err)
	}
	f.Add(s.envelope(f, sovcheckStatement(f, upHex, upHex, "MATCH"), s.id))
	f.Add(append(s.envelope(f, ossRebuildStatement(f, "rebuild/tool-1.0.whl", rebuiltHex), "kms"),
		s.envelope(f, ossEquivalenceStatement(f, upHex, rebuiltHex, upHex), "kms")...))
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vs, errs := keys.VerifyRebuildFile(data)
		if len(vs) == 0 && len(errs) == 0 {
			t.Fatal("no claim and no error")
		}
		for _, v := range vs {
			if v.KeyID != s.id || v.Claim == nil {
				t.Fatalf("claim %+v", v)
			}
		}
	})
}
