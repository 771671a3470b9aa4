package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

const (
	testIdentity = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	testIssuer   = "https://token.actions.githubusercontent.com"
)

var testArtifact = []byte("tool v1.2.0 binary\n")

func testArtifactRef() Artifact {
	sum := sha256.Sum256(testArtifact)
	return Artifact{Name: "tool", SHA256: sum[:]}
}

// verifyWith signs testArtifact with a, as o says, and verifies it keylessly
// against a's own trusted root; it returns the first failing code or "".
func verifyWith(t *testing.T, a *sigstoretest.Authority, o sigstoretest.SignOptions, id Identity) string {
	t.Helper()
	if o.Identity == "" {
		o.Identity, o.Issuer = testIdentity, testIssuer
	}
	bundleJSON, err := a.SignBlob(testArtifact, o)
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTrustedRoot(bytes.NewReader(rootJSON))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(id))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := ReadBundles(bytes.NewReader(bundleJSON))
	if err != nil {
		return reason.CodeOf(err, "ERROR")
	}
	res, findings := v.Verify(&bs[0], testArtifactRef())
	for _, f := range findings {
		if f.Err != nil {
			if res != nil {
				t.Fatalf("result returned with failing finding %v", f.Err)
			}
			return f.Err.Code
		}
	}
	if res == nil {
		t.Fatal("no result and no failure")
	}
	return ""
}

// TestValidityWindowEndInclusive signs exactly at the end of the trusted
// root's validity windows (pass) and one second later (fail).
func TestValidityWindowEndInclusive(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(48 * time.Hour)
	a, err := sigstoretest.New(sigstoretest.WithNow(start.Add(time.Hour)), sigstoretest.WithValidity(start, end))
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Subject: testIdentity, Issuer: testIssuer}
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"inside", start.Add(2 * time.Hour), ""},
		{"at the end", end, ""},
		{"one second after the end", end.Add(time.Second), reason.TlogInvalid},
		{"before the start", start.Add(-time.Minute), reason.TlogInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifyWith(t, a, sigstoretest.SignOptions{SignedAt: tc.at}, id); got != tc.want {
				t.Fatalf("code = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTSAValidityWindow: with Rekor v2 the only time is the RFC 3161
// timestamp, whose authority has its own window.
func TestTSAValidityWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(48 * time.Hour)
	a, err := sigstoretest.New(sigstoretest.WithNow(start.Add(time.Hour)), sigstoretest.WithValidity(start, end))
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Subject: testIdentity, Issuer: testIssuer}
	o := sigstoretest.SignOptions{Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts, SignedAt: start.Add(2 * time.Hour)}
	if got := verifyWith(t, a, o, id); got != "" {
		t.Fatalf("inside the window: code %q", got)
	}
	o.SignedAt = end.Add(time.Minute)
	if got := verifyWith(t, a, o, id); got == "" {
		t.Fatal("signature timestamped after the TSA window passed")
	}
}

func TestIdentityMatching(t *testing.T) {
	a, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   Identity
		want string
	}{
		{"exact", Identity{Subject: testIdentity, Issuer: testIssuer}, ""},
		{"regexp", Identity{SubjectRegexp: `https://github\.com/acme/.*`, IssuerRegexp: `https://token\.actions\.githubusercontent\.com`}, ""},
		{"regexp is anchored at the start", Identity{SubjectRegexp: `github\.com/acme/.*`, Issuer: testIssuer}, reason.IdentityMismatch},
		{"regexp is anchored at the end", Identity{SubjectRegexp: `https://github\.com/acme/tool`, Issuer: testIssuer}, reason.IdentityMismatch},
		{"alternation stays anchored", Identity{SubjectRegexp: `x|https://github\.com/acme/tool`, Issuer: testIssuer}, reason.IdentityMismatch},
		{"other subject", Identity{Subject: "https://github.com/evil/tool/.github/workflows/release.yml@refs/tags/v1.2.0", Issuer: testIssuer}, reason.IdentityMismatch},
		{"other issuer", Identity{Subject: testIdentity, Issuer: "https://accounts.google.com"}, reason.IssuerMismatch},
		{"issuer regexp anchored", Identity{Subject: testIdentity, IssuerRegexp: `token\.actions`}, reason.IssuerMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifyWith(t, a, sigstoretest.SignOptions{}, tc.id); got != tc.want {
				t.Fatalf("code = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewVerifierOptions(t *testing.T) {
	a, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, _ := a.TrustedRootJSON()
	tr, err := ReadTrustedRoot(bytes.NewReader(rootJSON))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sigstoretest.NewKey("ecdsa-p256")
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no trusted root", []Option{WithIdentity(Identity{Subject: "a", Issuer: "b"})}},
		{"no mode", []Option{WithTrustedMaterial(tr)}},
		{"both modes", []Option{WithTrustedMaterial(tr), WithIdentity(Identity{Subject: "a", Issuer: "b"}), WithKey(key.Public())}},
		{"half identity", []Option{WithTrustedMaterial(tr), WithIdentity(Identity{Subject: "a"})}},
		{"exact and regexp", []Option{WithTrustedMaterial(tr), WithIdentity(Identity{Subject: "a", SubjectRegexp: "a", Issuer: "b"})}},
		{"bad regexp", []Option{WithTrustedMaterial(tr), WithIdentity(Identity{SubjectRegexp: "(", Issuer: "b"})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := NewVerifier(tc.opts...); err == nil || v != nil {
				t.Fatalf("NewVerifier = %v, %v; want an error", v, err)
			}
		})
	}
}

func TestMessageDigestMismatchNamesBothDigests(t *testing.T) {
	a, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.SignBlob([]byte("other bytes"), sigstoretest.SignOptions{Identity: testIdentity, Issuer: testIssuer})
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, _ := a.TrustedRootJSON()
	tr, _ := ReadTrustedRoot(bytes.NewReader(rootJSON))
	v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(Identity{Subject: testIdentity, Issuer: testIssuer}))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := ReadBundles(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	art := testArtifactRef()
	_, findings := v.Verify(&bs[0], art)
	f := findings[len(findings)-1]
	if f.Err == nil || f.Err.Code != reason.DigestMismatch || f.Err.Got != "sha256:"+hex.EncodeToString(art.SHA256) || f.Err.Want == "" {
		t.Fatalf("finding = %+v", f.Err)
	}
}
