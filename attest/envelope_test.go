package attest

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// A DSSE envelope alone, as the SLSA GitHub generator wrote provenance
// before Sigstore bundles, is refused with a code that says what is
// missing; the same envelope inside its bundle parses.
func TestBareEnvelope(t *testing.T) {
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	st, err := sigstoretest.Statement(map[string]string{"tool": "0000000000000000000000000000000000000000000000000000000000000001"}, vocab.PredicateSLSAProvenanceV02, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ca.SignDSSE(st, sigstoretest.SignOptions{Identity: "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1", Issuer: "https://token.actions.githubusercontent.com", Tlog: sigstoretest.TlogNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBundle(raw); err != nil {
		t.Fatalf("the bundle itself: %v", err)
	}
	var b struct {
		VerificationMaterial struct {
			Certificate struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificate"`
		} `json:"verificationMaterial"`
		DSSEEnvelope map[string]any `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	env := b.DSSEEnvelope
	sig := env["signatures"].([]any)[0].(map[string]any)
	sig["cert"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.VerificationMaterial.Certificate.RawBytes}))
	withCert, _ := json.Marshal(env)
	delete(sig, "cert")
	bare, _ := json.Marshal(env)

	for _, tc := range []struct {
		name string
		data []byte
		code string
	}{
		{"certificate, no log entry", withCert, reason.CertificateWithoutTlog},
		{"no verification material", bare, reason.BundleMalformed},
		{"not an envelope", []byte(`{"hello":"world"}`), reason.BundleMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBundle(tc.data)
			var re *reason.Error
			if !errors.As(err, &re) || re.Code != tc.code || re.Hint == "" {
				t.Fatalf("got %v, want code %s with a hint", err, tc.code)
			}
		})
	}
}
