package attest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// TestKeyOnlyVerifier: a key-based signature without a log verifies with
// its key alone, for each key type cosign signs with; another key, other
// bytes, another subject and a keyless signature do not.
func TestKeyOnlyVerifier(t *testing.T) {
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"critical":{"image":{"docker-manifest-digest":"sha256:0"}}}`)
	sum := sha256.Sum256(payload)
	image := sha256.Sum256([]byte("image manifest"))
	statement, err := sigstoretest.Statement(map[string]string{"img": hex.EncodeToString(image[:])}, "https://example.com/p", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{sigstoretest.KeyECDSAP256, sigstoretest.KeyECDSAP384, sigstoretest.KeyEd25519, sigstoretest.KeyRSA2048} {
		t.Run(alg, func(t *testing.T) {
			key, err := sigstoretest.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			other, err := sigstoretest.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			kv, err := NewKeyOnlyVerifier(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := vocab.KeyID(key.Public()); kv.KeyID() != id {
				t.Fatalf("KeyID = %s, want %s", kv.KeyID(), id)
			}
			parse := func(raw []byte, err error) *ParsedBundle {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				pb, err := ParseBundle(raw)
				if err != nil {
					t.Fatal(err)
				}
				return pb
			}
			blob := parse(ca.SignBlob(payload, sigstoretest.SignOptions{Key: key, Tlog: sigstoretest.TlogNone}))
			dsse := parse(ca.SignDSSE(statement, sigstoretest.SignOptions{Key: key, Tlog: sigstoretest.TlogNone}))
			if blob.HasTlogEntry() || dsse.HasTlogEntry() {
				t.Fatal("a bundle signed without a log reports a log entry")
			}
			res, f := kv.Verify(blob, Artifact{Name: "sig", SHA256: sum[:]}, payload)
			switch alg {
			case sigstoretest.KeyECDSAP256, sigstoretest.KeyRSA2048:
				if res == nil || f[0].Check != vocab.CheckSignature || f[0].Err != nil {
					t.Fatalf("message signature: %v, %+v", res, f)
				}
			default:
				// The message digest is the key's own hash (SHA-384,
				// SHA-512), not the sha256 the payload is known by: refused.
				if res != nil || reason.CodeOf(f[0].Err, "") != reason.DigestMismatch {
					t.Fatalf("message signature over a non-sha256 digest: %v, %+v", res, f)
				}
			}
			if res, f := kv.Verify(dsse, Artifact{Name: "img", SHA256: image[:]}, nil); res == nil || res.Statement == nil || len(f) != 2 || f[1].Check != vocab.CheckSubject {
				t.Fatalf("DSSE: %v, %+v", res, f)
			}

			wrongKey, _ := NewKeyOnlyVerifier(other.Public())
			tampered := append([]byte{}, payload...)
			tampered[0] = '['
			tsum := sha256.Sum256(tampered)
			otherImage := sha256.Sum256([]byte("other manifest"))
			for name, tc := range map[string]struct {
				kv   *KeyOnlyVerifier
				pb   *ParsedBundle
				art  Artifact
				pay  []byte
				code string
			}{
				"another key":       {wrongKey, blob, Artifact{SHA256: sum[:]}, payload, reason.SignatureInvalid},
				"other bytes":       {kv, blob, Artifact{SHA256: tsum[:]}, tampered, reason.DigestMismatch},
				"no payload":        {kv, blob, Artifact{SHA256: sum[:]}, nil, reason.BundleMalformed},
				"another subject":   {kv, dsse, Artifact{SHA256: otherImage[:]}, nil, reason.SubjectMismatch},
				"another key, DSSE": {wrongKey, dsse, Artifact{SHA256: image[:]}, nil, reason.SignatureInvalid},
			} {
				if tc.pb == blob && alg != sigstoretest.KeyECDSAP256 && alg != sigstoretest.KeyRSA2048 {
					continue // refused for its digest already
				}
				if res, f := tc.kv.Verify(tc.pb, tc.art, tc.pay); res != nil || len(f) == 0 || reason.CodeOf(f[len(f)-1].Err, "") != tc.code {
					t.Errorf("%s: %v, %+v; want %s", name, res, f, tc.code)
				}
			}
		})
	}
	t.Run("keyless", func(t *testing.T) {
		key, err := sigstoretest.NewKey(sigstoretest.KeyECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		kv, err := NewKeyOnlyVerifier(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ca.SignBlob(payload, sigstoretest.SignOptions{Identity: "ci@example.com", Issuer: "https://issuer.example", Tlog: sigstoretest.TlogNone})
		if err != nil {
			t.Fatal(err)
		}
		pb, err := ParseBundle(raw)
		if err != nil {
			t.Fatal(err)
		}
		if res, f := kv.Verify(pb, Artifact{SHA256: sum[:]}, payload); res != nil || reason.CodeOf(f[0].Err, "") != reason.TlogMissing {
			t.Fatalf("keyless without a log: %v, %+v; want %s", res, f, reason.TlogMissing)
		}
	})
}
