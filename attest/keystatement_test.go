package attest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func TestVerifyStatementWithKey(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	digest := strings.Repeat("ab", 32)
	st, _ := json.Marshal(Statement{Type: vocab.StatementTypeV1, PredicateType: "https://example.com/p", Predicate: json.RawMessage(`{}`),
		Subject: []Subject{{Name: "f", Digest: map[string]string{"sha256": digest}}}})
	envelope, bundle, err := SignStatementWithKey(st, key)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"envelope": envelope, "bundle": bundle} {
		got, err := VerifyStatementWithKey(data, key.Public(), digest)
		if err != nil || got.PredicateType != "https://example.com/p" {
			t.Errorf("%s: %v", name, err)
		}
		// The failure twins: another key, another file.
		if _, err := VerifyStatementWithKey(data, other.Public(), digest); reason.CodeOf(err, "") != reason.SignatureInvalid {
			t.Errorf("%s, other key: %v", name, err)
		}
		if _, err := VerifyStatementWithKey(data, key.Public(), strings.Repeat("cd", 32)); reason.CodeOf(err, "") != reason.SubjectMismatch {
			t.Errorf("%s, other file: %v", name, err)
		}
	}
	// A payload changed after signing no longer verifies.
	var env Envelope
	json.Unmarshal(envelope, &env)
	env.Payload = []byte(strings.Replace(string(env.Payload), "example.com", "example.org", 1))
	tampered, _ := json.Marshal(env)
	if _, err := VerifyStatementWithKey(tampered, key.Public(), digest); reason.CodeOf(err, "") != reason.SignatureInvalid {
		t.Errorf("tampered payload: %v", err)
	}
	if _, err := VerifyStatementWithKey([]byte("not json"), key.Public(), digest); reason.CodeOf(err, "") != reason.BundleMalformed {
		t.Errorf("not a bundle: %v", err)
	}
}
