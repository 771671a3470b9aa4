package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// TestCertifiersVerifyVSA: a VSA verifies with the certifier key at hand,
// in both forms; a changed one fails; one by an untrusted key, or by a
// trusted key not at hand, is not counted.
func TestCertifiersVerifyVSA(t *testing.T) {
	raw, err := NewVSAStatement(testSubject, testVSA())
	if err != nil {
		t.Fatal(err)
	}
	newKey := func() (*ecdsa.PrivateKey, string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, err := vocab.KeyID(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		return k, id
	}
	certifier, id := newKey()
	stranger, _ := newKey()
	envelope, bundle, err := SignStatementWithKey(raw, certifier)
	if err != nil {
		t.Fatal(err)
	}
	trusted := NewCertifiers()
	trusted.Trust(id)
	if err := trusted.Add(id, certifier.Public()); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"DSSE envelope": envelope, "bundle": bundle} {
		cv, err := trusted.VerifyVSA(data)
		if err != nil || cv.KeyID != id || cv.VSA.VerificationResult != vocab.VSAPassed {
			t.Fatalf("%s: %+v, %v", name, cv, err)
		}
	}

	// A changed payload: the signature no longer verifies with the key the
	// VSA names.
	other := testVSA()
	other.VerificationResult, other.VerifiedLevels = vocab.VSAFailed, []string{vocab.VSAFailed}
	rawOther, err := NewVSAStatement(testSubject, other)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(envelope, &env); err != nil {
		t.Fatal(err)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(rawOther)
	changed, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trusted.VerifyVSA(changed); IsNotCounted(err) || reason.CodeOf(err, "") != reason.SignatureInvalid {
		t.Fatalf("changed VSA: %v; want %s", err, reason.SignatureInvalid)
	}

	strangerEnv, _, err := SignStatementWithKey(raw, stranger)
	if err != nil {
		t.Fatal(err)
	}
	byID := NewCertifiers()
	byID.Trust(id)
	for name, tc := range map[string]struct {
		cs   *Certifiers
		data []byte
		code string
	}{
		"untrusted key":        {trusted, strangerEnv, reason.KeyMismatch},
		"trusted, not at hand": {byID, envelope, reason.EvidenceMissing},
	} {
		if _, err := tc.cs.VerifyVSA(tc.data); !IsNotCounted(err) || reason.CodeOf(err, "") != tc.code {
			t.Errorf("%s: %v; want not counted, %s", name, err, tc.code)
		}
	}
}
