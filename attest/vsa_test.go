package attest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func testVSA() VSA {
	return VSA{
		Verifier:           VSAVerifier{ID: "https://sovcheck.dev/verify", Version: map[string]string{"sovcheck": "v1.0.0"}},
		TimeVerified:       "2026-11-01T12:00:00Z",
		ResourceURI:        "pkg:golang/example.com/tool@v1.2.0",
		Policy:             ResourceDescriptor{URI: "procurement.yaml", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}},
		InputAttestations:  []ResourceDescriptor{{URI: "tool.intoto.jsonl", Digest: map[string]string{"sha256": strings.Repeat("cd", 32)}}},
		VerificationResult: vocab.VSAPassed,
		VerifiedLevels:     []string{"SLSA_BUILD_LEVEL_1"},
		SLSAVersion:        "1.0",
	}
}

var testSubject = []Subject{{Name: "tool", Digest: map[string]string{"sha256": strings.Repeat("ef", 32)}}}

func TestVSARoundTrip(t *testing.T) {
	raw, err := NewVSAStatement(testSubject, testVSA())
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatement(vocab.InTotoPayloadType, raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != vocab.StatementTypeV1 || st.PredicateType != vocab.PredicateVSA || st.Subject[0].Name != "tool" {
		t.Fatalf("statement = %+v", st)
	}
	v, err := ParseVSA(st)
	if err != nil {
		t.Fatal(err)
	}
	want := testVSA()
	got, _ := json.Marshal(v)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Fatalf("round trip:\n got %s\nwant %s", got, wantJSON)
	}
	// The same VSA gives the same bytes.
	again, _ := NewVSAStatement(testSubject, testVSA())
	if !bytes.Equal(raw, again) {
		t.Fatal("the statement is not deterministic")
	}
}

func TestVSAInvalid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*VSA)
		msg    string
	}{
		{"no verifier", func(v *VSA) { v.Verifier.ID = "" }, "verifier.id"},
		{"verifier not a URI", func(v *VSA) { v.Verifier.ID = "sovcheck" }, "verifier.id"},
		{"time", func(v *VSA) { v.TimeVerified = "yesterday" }, "timeVerified"},
		{"no resource", func(v *VSA) { v.ResourceURI = "" }, "resourceUri"},
		{"no policy", func(v *VSA) { v.Policy.URI = "" }, "policy.uri"},
		{"policy digest", func(v *VSA) { v.Policy.Digest = map[string]string{"sha256": "xyz"} }, "policy.digest"},
		{"result", func(v *VSA) { v.VerificationResult = "OK" }, "verificationResult"},
		{"no levels", func(v *VSA) { v.VerifiedLevels = nil }, "verifiedLevels"},
		{"bad level", func(v *VSA) { v.VerifiedLevels = []string{"LEVEL_3"} }, "SLSA_<TRACK>_LEVEL_<N>"},
		{"track twice", func(v *VSA) { v.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2"} }, "twice"},
		{"FAILED level on a pass", func(v *VSA) { v.VerifiedLevels = []string{vocab.VSAFailed} }, "says FAILED"},
		{"too many inputs", func(v *VSA) { v.InputAttestations = make([]ResourceDescriptor, MaxVSAInputs+1) }, "too many input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := testVSA()
			tc.change(&v)
			_, err := NewVSAStatement(testSubject, v)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
			raw, _ := json.Marshal(v)
			if _, err := ParseVSA(&Statement{PredicateType: vocab.PredicateVSA, Predicate: raw}); err == nil {
				t.Fatal("ParseVSA accepted it")
			}
		})
	}
	if _, err := ParseVSA(&Statement{PredicateType: vocab.PredicateSLSAProvenanceV1, Predicate: json.RawMessage(`{}`)}); reason.CodeOf(err, "") != reason.PredicateTypeMismatch {
		t.Fatalf("provenance read as a VSA: %v", err)
	}
	if _, err := NewVSAStatement(nil, testVSA()); err == nil {
		t.Fatal("a VSA without subject was written")
	}
	failed := testVSA()
	failed.VerificationResult, failed.VerifiedLevels = vocab.VSAFailed, []string{vocab.VSAFailed}
	if _, err := NewVSAStatement(testSubject, failed); err != nil {
		t.Fatalf("a FAILED VSA: %v", err)
	}
}

// TestSignStatementWithKey: the bundle carries the envelope and the key hint, and
// sigstore-go verifies it with the key alone (no log, no timestamp).
func TestSignStatementWithKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	statement, err := NewVSAStatement(testSubject, testVSA())
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"ecdsa": ec, "ed25519": ed} {
		t.Run(name, func(t *testing.T) {
			dsse, data, err := SignStatementWithKey(statement, key)
			if err != nil {
				t.Fatal(err)
			}
			id, _ := vocab.KeyID(key.Public())
			env, err := ReadEnvelope(data)
			if err != nil {
				t.Fatal(err)
			}
			fp, _ := EnvelopeKeyID(key.Public())
			if env.Form != "bundle v0.3, DSSE envelope" || env.Certificate || env.Signatures[0].KeyID != fp || env.KeyHint != id || !bytes.Equal(env.Payload, statement) {
				t.Fatalf("envelope = %+v", env)
			}
			plain, err := ReadEnvelope(dsse)
			if err != nil {
				t.Fatal(err)
			}
			if plain.Form != "DSSE envelope" || !bytes.Equal(plain.Signatures[0].Sig, env.Signatures[0].Sig) || !bytes.Equal(plain.PAE(), env.PAE()) {
				t.Fatalf("the DSSE envelope and the bundle differ: %+v", plain)
			}
			pb, err := ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			if hint := pb.Bundle.GetVerificationMaterial().GetPublicKey().GetHint(); hint != id {
				t.Fatalf("hint = %q, want %q", hint, id)
			}
			ver, err := signature.LoadDefaultVerifier(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			sv, err := verify.NewVerifier(trustedKey(ver), verify.WithNoObserverTimestamps())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sv.Verify(pb.Bundle, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey())); err != nil {
				t.Fatalf("sigstore-go refuses the bundle: %v", err)
			}
			// The twin: another payload under the same signature.
			pb.Bundle.GetDsseEnvelope().Payload = bytes.Replace(pb.Bundle.GetDsseEnvelope().Payload, []byte("PASSED"), []byte("FAILED"), 1)
			if _, err := sv.Verify(pb.Bundle, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithKey())); err == nil {
				t.Fatal("a changed payload verified")
			}
		})
	}
}

func TestReadEnvelope(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	good := `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"` + hex.EncodeToString(sum[:]) + `","sig":"AAAA"}]}`
	env, err := ReadEnvelope([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if env.Form != "DSSE envelope" || string(env.Payload) != "{}" || len(env.Signatures[0].Sig) != 3 {
		t.Fatalf("envelope = %+v", env)
	}
	if got := string(env.PAE()); got != "DSSEv1 28 application/vnd.in-toto+json 2 {}" {
		t.Fatalf("PAE = %q", got)
	}
	for name, data := range map[string]string{
		"not JSON":       "{",
		"no payload":     `{"payloadType":"x","signatures":[{"sig":"AAAA"}]}`,
		"unsigned":       `{"payloadType":"x","payload":"e30=","signatures":[]}`,
		"many sigs":      `{"payloadType":"x","payload":"e30=","signatures":[` + strings.Repeat(`{"sig":"AAAA"},`, MaxEnvelopeSignatures) + `{"sig":"AAAA"}]}`,
		"bundle no dsse": `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`,
		"too large":      strings.Repeat(" ", MaxBundleSize+1),
	} {
		if _, err := ReadEnvelope([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzReadEnvelope(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AAAA"}]}`))
	seedInterop(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ReadEnvelope(data)
		if err != nil && env != nil {
			t.Fatalf("error %v with non-nil result", err)
		}
	})
}

func FuzzParseVSA(f *testing.F) {
	raw, err := json.Marshal(testVSA())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"verifiedLevels":["FAILED"],"verificationResult":"FAILED"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVSA(&Statement{PredicateType: vocab.PredicateVSA, Predicate: data})
		if err != nil && v != nil {
			t.Fatalf("error %v with non-nil result", err)
		}
		if err == nil && v.Validate() != nil {
			t.Fatal("an invalid VSA was returned")
		}
	})
}
