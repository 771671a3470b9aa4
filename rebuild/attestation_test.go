package rebuild

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sandbox"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// testVerifier checks DSSE signatures the way sovcheck's attest package
// does: ECDSA over sha256 of the PAE, Ed25519 over the PAE.
type testVerifier struct{ pub crypto.PublicKey }

func (v testVerifier) Verify(_ context.Context, data, sig []byte) error {
	switch k := v.pub.(type) {
	case *ecdsa.PublicKey:
		d := sha256.Sum256(data)
		if !ecdsa.VerifyASN1(k, d[:], sig) {
			return errors.New("bad ECDSA signature")
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, data, sig) {
			return errors.New("bad Ed25519 signature")
		}
	default:
		return errors.New("unsupported key")
	}
	return nil
}

func (v testVerifier) KeyID() (string, error)   { return vocab.KeyID(v.pub) }
func (v testVerifier) Public() crypto.PublicKey { return v.pub }

func pemPKCS8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func attestedResult() *Result {
	return &Result{
		Artifact:       "tool",
		ArtifactSHA256: strings.Repeat("1", 64),
		Subject:        Subject{Name: "tool-linux-amd64", SHA256: strings.Repeat("1", 64)},
		Status:         StatusMatch,
		Recipe: &Recipe{BuildType: vocab.BuildTypeGoBuilder, Source: Source{URI: "https://example.test/tool", Commit: strings.Repeat("a", 40)},
			Toolchain: "go1.26.8", Steps: []Step{{Command: []string{"go", "build", "-o", "tool"}}}, Output: "tool"},
		Toolchain:     &Toolchain{Version: "go1.26.8", Origin: ToolchainFromHost, GOROOT: "/usr/local/go"},
		Sandbox:       SandboxInfo{Method: SandboxNamespaces, Hermetic: true, Namespaces: sandbox.Namespaces},
		RebuiltSHA256: strings.Repeat("1", 64),
		Started:       time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Finished:      time.Date(2025, 1, 2, 3, 4, 9, 0, time.UTC),
	}
}

func TestRebuildAttestation(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{
		"ecdsa pkcs8":   pemPKCS8(t, ecKey),
		"ecdsa sec1":    pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: secDER}),
		"ed25519 pkcs8": pemPKCS8(t, edKey),
	}
	stmt, err := NewRebuildStatement(attestedResult(), AttestationInput{ProvenanceName: "tool.intoto.jsonl", ProvenanceSHA256: strings.Repeat("2", 64), RebuilderVersion: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stmt), "/usr/local/go") {
		t.Error("attestation holds a local path")
	}
	for name, keyPEM := range keys {
		t.Run(name, func(t *testing.T) {
			key, err := ParseSigningKey(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			envJSON, err := SignStatement(context.Background(), stmt, key)
			if err != nil {
				t.Fatal(err)
			}
			var env dsse.Envelope
			if err := json.Unmarshal(envJSON, &env); err != nil {
				t.Fatal(err)
			}
			ev, err := dsse.NewEnvelopeVerifier(testVerifier{pub: key.Public()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ev.Verify(context.Background(), &env); err != nil {
				t.Fatalf("verifying signed attestation: %v", err)
			}
			payload, err := env.DecodeB64Payload()
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Type          string `json:"_type"`
				PredicateType string `json:"predicateType"`
				Subject       []struct {
					Name   string            `json:"name"`
					Digest map[string]string `json:"digest"`
				} `json:"subject"`
				Predicate RebuildPredicate `json:"predicate"`
			}
			if err := json.Unmarshal(payload, &st); err != nil {
				t.Fatal(err)
			}
			p := st.Predicate
			if st.Type != vocab.StatementTypeV1 || st.PredicateType != vocab.PredicateRebuild || st.Subject[0].Name != "tool-linux-amd64" ||
				st.Subject[0].Digest["sha256"] != strings.Repeat("1", 64) || p.Result != StatusMatch || !p.Sandbox.Hermetic ||
				p.Toolchain.Version != "go1.26.8" || p.RebuiltDigest["sha256"] != strings.Repeat("1", 64) ||
				p.Recipe.Provenance.Digest["sha256"] != strings.Repeat("2", 64) || p.StartedOn != "2025-01-02T03:04:05Z" {
				t.Fatalf("statement = %s", payload)
			}

			// Failure twins: a tampered payload and another key fail.
			tampered := env
			tampered.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "MATCH", "MISMA", 1)))
			if _, err := ev.Verify(context.Background(), &tampered); err == nil {
				t.Error("tampered attestation verified")
			}
			otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			ev2, _ := dsse.NewEnvelopeVerifier(testVerifier{pub: otherKey.Public()})
			if _, err := ev2.Verify(context.Background(), &env); err == nil {
				t.Error("attestation verified with another key")
			}
		})
	}
}

func TestRebuildAttestationRefused(t *testing.T) {
	res := attestedResult()
	res.Status, res.RebuiltSHA256, res.Toolchain = StatusSkip, "", nil
	if _, err := NewRebuildStatement(res, AttestationInput{}); reason.CodeOf(err, "") != reason.EvidenceMissing {
		t.Fatalf("err = %v, want %s", err, reason.EvidenceMissing)
	}
	if _, err := NewRebuildStatement(nil, AttestationInput{}); reason.CodeOf(err, "") != reason.EvidenceMissing {
		t.Fatalf("err = %v, want %s", err, reason.EvidenceMissing)
	}
}

func TestParseSigningKeyRefused(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(ecKey.Public())
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224DER, _ := x509.MarshalECPrivateKey(p224)
	cases := map[string]struct {
		pem  []byte
		code string
	}{
		"not pem":     {[]byte("hello"), reason.KeyInvalid},
		"public key":  {pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), reason.KeyInvalid},
		"rsa":         {pemPKCS8(t, rsaKey), reason.KeyInvalid},
		"p224":        {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p224DER}), reason.KeyInvalid},
		"corrupt der": {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), reason.KeyInvalid},
		"encrypted":   {pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte{1}}), reason.KeyInvalid},
		"too large":   {make([]byte, MaxKeyBytes+1), reason.InputTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k, err := ParseSigningKey(tc.pem)
			if k != nil || reason.CodeOf(err, "") != tc.code {
				t.Fatalf("ParseSigningKey = %v, %v; want %s", k, err, tc.code)
			}
		})
	}
}
