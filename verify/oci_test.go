package verify

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/oci/ocitest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

const (
	ociIdentity = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0"
	ociIssuer   = "https://token.actions.githubusercontent.com"
)

// ociFixture is a virtual Sigstore, its trusted root, a key pair and an
// in-memory registry holding one image.
type ociFixture struct {
	ca       *sigstoretest.Authority
	root     string
	key      crypto.Signer
	pub      string
	reg      *ocitest.Registry
	place    *ocitest.RegistryPlace
	ref      string // host/app:1.4
	digest   string
	keyless  ocitest.Signer
	keyBased ocitest.Signer
}

func newOCIFixture(t *testing.T, referrers bool) *ociFixture {
	t.Helper()
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootJSON, err := ca.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	f := &ociFixture{ca: ca, root: filepath.Join(dir, "root.json"), pub: filepath.Join(dir, "cosign.pub")}
	if err := os.WriteFile(f.root, rootJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	f.key = newKey(t, "ecdsa-p256", f.pub)
	f.reg = ocitest.NewRegistry(referrers, nil)
	t.Cleanup(f.reg.Close)
	f.place, err = ocitest.NewRegistryPlace(f.reg.Host, "team/app")
	if err != nil {
		t.Fatal(err)
	}
	img, err := ocitest.RandomImage("linux/amd64", 2, 512)
	if err != nil {
		t.Fatal(err)
	}
	if f.digest, err = f.place.PutImage("1.4", img); err != nil {
		t.Fatal(err)
	}
	f.ref = f.reg.Host + "/team/app:1.4"
	f.keyless = ocitest.Signer{Authority: ca, Identity: ociIdentity, Issuer: ociIssuer}
	f.keyBased = ocitest.Signer{Authority: ca, Key: f.key}
	return f
}

func newKey(t *testing.T, alg, pubPath string) crypto.Signer {
	t.Helper()
	k, err := sigstoretest.NewKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := sigstoretest.PublicKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *ociFixture) keylessOpts() config {
	return config{TrustedRoot: f.root, Offline: false, Identity: &Identity{Subject: ociIdentity, Issuer: ociIssuer},
		OCI: OCIOptions{InsecureRegistries: []string{f.reg.Host}}}
}

func (f *ociFixture) keyOpts() config {
	return config{TrustedRoot: f.root, Key: f.pub, OCI: OCIOptions{InsecureRegistries: []string{f.reg.Host}}}
}

// verifyOne runs one artifact and returns its verdict.
func runOne(t *testing.T, opts config, arg string) policy.Verdict {
	t.Helper()
	r, err := New(withConfig(opts))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Verify(context.Background(), []string{arg})
	if err != nil {
		t.Fatal(err)
	}
	return vs[0]
}

func describe(v policy.Verdict) string {
	var b strings.Builder
	b.WriteString(string(v.Status) + " " + v.Reason + "\n")
	for _, c := range v.Checks {
		b.WriteString("  " + string(c.Status) + " " + c.ID + " [" + c.Reason + "] " + c.Message + " (" + c.Evidence + ")\n")
	}
	return b.String()
}

func wantPass(t *testing.T, v policy.Verdict) {
	t.Helper()
	if !v.Passed() {
		t.Fatalf("verdict failed:\n%s", describe(v))
	}
}

func wantFail(t *testing.T, v policy.Verdict, code string) {
	t.Helper()
	if v.Passed() || v.Reason != code {
		t.Fatalf("verdict reason = %s, want FAIL %s:\n%s", v.Reason, code, describe(v))
	}
}

func hasCheck(v policy.Verdict, id string, status policy.Status, code string) bool {
	for _, c := range v.Checks {
		if c.ID == id && c.Status == status && (code == "" || c.Reason == code) {
			return true
		}
	}
	return false
}

func TestImageKeylessSignature(t *testing.T) {
	f := newOCIFixture(t, false)
	if err := f.keyless.Sign(f.place, f.digest); err != nil {
		t.Fatal(err)
	}
	v := runOne(t, f.keylessOpts(), f.ref)
	wantPass(t, v)
	if got := "sha256:" + v.Subject.Digest["sha256"]; got != f.digest {
		t.Fatalf("subject digest = %s, want %s", got, f.digest)
	}
	if !hasCheck(v, vocab.CheckImage, policy.StatusPass, "") || !hasCheck(v, vocab.CheckPayload, policy.StatusPass, "") || !hasCheck(v, vocab.CheckIdentity, policy.StatusPass, "") {
		t.Fatalf("missing checks:\n%s", describe(v))
	}

	t.Run("wrong identity", func(t *testing.T) {
		o := f.keylessOpts()
		o.Identity = &Identity{Subject: "https://github.com/evil/app/.github/workflows/release.yml@refs/tags/v1.4.0", Issuer: ociIssuer}
		wantFail(t, runOne(t, o, f.ref), reason.IdentityMismatch)
	})
	t.Run("pinned by digest", func(t *testing.T) {
		wantPass(t, runOne(t, f.keylessOpts(), f.reg.Host+"/team/app@"+f.digest))
	})
	t.Run("re-tagged image", func(t *testing.T) {
		other, err := ocitest.RandomImage("linux/amd64", 1, 256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.place.PutImage("1.5", other); err != nil {
			t.Fatal(err)
		}
		v := runOne(t, f.keylessOpts(), f.reg.Host+"/team/app:1.5")
		wantFail(t, v, reason.EvidenceMissing)
	})
	t.Run("signature copied from another image", func(t *testing.T) {
		other, err := ocitest.RandomImage("linux/amd64", 1, 256)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.place.PutImage("copied", other)
		if err != nil {
			t.Fatal(err)
		}
		// A valid signature of the signed image, stored under the other
		// image's tag: the payload names the signed image.
		if err := f.keyless.SignPayload(f.place, d, ocitest.SimpleSigningPayload(f.place.Name(), f.digest)); err != nil {
			t.Fatal(err)
		}
		wantFail(t, runOne(t, f.keylessOpts(), f.reg.Host+"/team/app:copied"), reason.DigestMismatch)
	})
}

func TestImageSignatureFormats(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		name := "tag schema fallback"
		if referrers {
			name = "referrers API"
		}
		t.Run(name, func(t *testing.T) {
			f := newOCIFixture(t, referrers)
			if _, err := f.keyless.AttachBundle(f.place, f.digest, vocab.PredicateSLSAProvenanceV1, nil); err != nil {
				t.Fatal(err)
			}
			o := f.keylessOpts()
			o.PredicateType = vocab.PredicateSLSAProvenanceV1
			v := runOne(t, o, f.ref)
			wantPass(t, v)
			if !hasCheck(v, vocab.CheckPredicateType, policy.StatusPass, "") {
				t.Fatalf("no predicate check:\n%s", describe(v))
			}
			o.PredicateType = vocab.PredicateSPDX
			wantFail(t, runOne(t, o, f.ref), reason.PredicateTypeMismatch)
		})
	}
	t.Run("cosign attestation", func(t *testing.T) {
		f := newOCIFixture(t, false)
		if err := f.keyBased.Attest(f.place, f.digest, vocab.PredicateSLSAProvenanceV1, nil); err != nil {
			t.Fatal(err)
		}
		o := f.keyOpts()
		o.PredicateType = vocab.PredicateSLSAProvenanceV1
		wantPass(t, runOne(t, o, f.ref))
	})
}

func TestImageKeyWithoutTlog(t *testing.T) {
	f := newOCIFixture(t, false)
	s := f.keyBased
	s.NoTlog = true
	if err := s.Sign(f.place, f.digest); err != nil {
		t.Fatal(err)
	}
	wantFail(t, runOne(t, f.keyOpts(), f.ref), reason.TlogMissing)

	o := f.keyOpts()
	o.OCI.InsecureIgnoreTlog = true
	v := runOne(t, o, f.ref)
	wantPass(t, v)
	if !hasCheck(v, vocab.CheckTlog, policy.StatusSkip, reason.TlogMissing) {
		t.Fatalf("the skipped log check is not reported:\n%s", describe(v))
	}
	t.Run("air-gapped, no trusted root", func(t *testing.T) {
		// No trust root is fetched: this would otherwise reach the network.
		o := o
		o.TrustedRoot = ""
		wantPass(t, runOne(t, o, f.ref))
	})
	t.Run("another key", func(t *testing.T) {
		o := o
		o.Key = filepath.Join(t.TempDir(), "other.pub")
		newKey(t, "ecdsa-p256", o.Key)
		wantFail(t, runOne(t, o, f.ref), reason.SignatureInvalid)
	})
	t.Run("keyless without tlog is refused", func(t *testing.T) {
		g := newOCIFixture(t, false)
		k := g.keyless
		k.NoTlog = true
		if err := k.Sign(g.place, g.digest); err != nil {
			t.Fatal(err)
		}
		o := g.keyOpts()
		o.OCI.InsecureIgnoreTlog = true
		wantFail(t, runOne(t, o, g.ref), reason.TlogMissing)
	})
	t.Run("flag without key", func(t *testing.T) {
		o := f.keylessOpts()
		o.OCI.InsecureIgnoreTlog = true
		if _, err := New(withConfig(o)); !IsConfigError(err) || reason.CodeOf(err, "") != reason.InputMalformed {
			t.Fatalf("New = %v, want a configuration error", err)
		}
	})
}

func TestImageSignaturesByOthersAreNotCounted(t *testing.T) {
	f := newOCIFixture(t, false)
	other := f.keyBased
	other.Key = newKey(t, "ecdsa-p256", filepath.Join(t.TempDir(), "other.pub"))
	if err := other.Sign(f.place, f.digest); err != nil {
		t.Fatal(err)
	}
	wantFail(t, runOne(t, f.keyOpts(), f.ref), reason.KeyMismatch)
	if err := f.keyBased.Sign(f.place, f.digest); err != nil {
		t.Fatal(err)
	}
	v := runOne(t, f.keyOpts(), f.ref)
	wantPass(t, v)
	if !hasCheck(v, vocab.CheckSignature, policy.StatusSkip, reason.KeyMismatch) {
		t.Fatalf("the other signer's signature is not reported:\n%s", describe(v))
	}
}

func TestImageIndexPlatforms(t *testing.T) {
	f := newOCIFixture(t, true)
	idx, err := ocitest.RandomIndex([]string{"linux/amd64", "linux/arm64"}, 1, 256)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.place.PutImage("multi", idx)
	if err != nil {
		t.Fatal(err)
	}
	ref := f.reg.Host + "/team/app:multi"
	wantFail(t, runOne(t, f.keyOpts(), ref), reason.EvidenceMissing)

	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	amd := m.Manifests[0].Digest.String()
	if err := f.keyBased.Sign(f.place, amd); err != nil {
		t.Fatal(err)
	}
	o := f.keyOpts()
	o.OCI.Platform = "linux/amd64"
	wantPass(t, runOne(t, o, ref))
	o.OCI.Platform = "linux/arm64"
	wantFail(t, runOne(t, o, ref), reason.EvidenceMissing)
	o.OCI.Platform = "windows/amd64"
	wantFail(t, runOne(t, o, ref), reason.PlatformNotFound)
	wantFail(t, runOne(t, f.keyOpts(), ref), reason.EvidenceMissing)

	// A signature on the index covers every platform it pins.
	if err := f.keyBased.Sign(f.place, d); err != nil {
		t.Fatal(err)
	}
	v := runOne(t, f.keyOpts(), ref)
	wantPass(t, v)
	if n := countChecks(v, vocab.CheckPlatform, policy.StatusPass); n != 2 {
		t.Fatalf("%d platform checks, want 2:\n%s", n, describe(v))
	}
	o.OCI.Platform = "linux/arm64"
	wantPass(t, runOne(t, o, ref))
}

func countChecks(v policy.Verdict, id string, status policy.Status) int {
	n := 0
	for _, c := range v.Checks {
		if c.ID == id && c.Status == status {
			n++
		}
	}
	return n
}

func TestImageLayoutBundleFileAndSBOM(t *testing.T) {
	f := newOCIFixture(t, false)
	dir := filepath.Join(t.TempDir(), "app")
	lp, err := ocitest.NewLayoutPlace(dir, "registry.example.eu/team/app")
	if err != nil {
		t.Fatal(err)
	}
	img, err := ocitest.RandomImage("linux/amd64", 2, 256)
	if err != nil {
		t.Fatal(err)
	}
	d, err := lp.PutImage("1.4", img)
	if err != nil {
		t.Fatal(err)
	}
	sbomDigest, err := ocitest.AttachSBOM(lp, d, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5"}`), "application/vnd.cyclonedx+json")
	if err != nil {
		t.Fatal(err)
	}
	o := f.keyOpts()
	o.Offline = true
	arg := "oci-layout:" + dir

	// No signature at all: the unsigned SBOM is reported, not counted.
	v := runOne(t, o, arg)
	wantFail(t, v, reason.EvidenceMissing)
	if !hasCheck(v, vocab.CheckSBOM, policy.StatusSkip, reason.EvidenceMissing) || !hasCheck(v, vocab.CheckBlobs, policy.StatusPass, "") {
		t.Fatalf("checks:\n%s", describe(v))
	}

	// A bundle file given with --bundle is evidence for the image digest.
	st, err := sigstoretest.Statement(map[string]string{"app": strings.TrimPrefix(d, "sha256:")}, vocab.PredicateSLSAProvenanceV1, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := f.ca.SignDSSE(st, sigstoretest.SignOptions{Key: f.key})
	if err != nil {
		t.Fatal(err)
	}
	o.Bundle = filepath.Join(t.TempDir(), "app.sigstore.json")
	if err := os.WriteFile(o.Bundle, bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	wantPass(t, runOne(t, o, arg))

	// The SBOM attachment signed with the key counts as a signed SBOM.
	if err := f.keyBased.Sign(lp, sbomDigest); err != nil {
		t.Fatal(err)
	}
	v = runOne(t, o, arg)
	wantPass(t, v)
	if !hasCheck(v, vocab.CheckSBOM, policy.StatusPass, "") {
		t.Fatalf("signed SBOM not reported:\n%s", describe(v))
	}

	// A bundle for other bytes given by the user fails the verdict even
	// when other evidence verifies.
	if err := f.keyBased.Sign(lp, d); err != nil {
		t.Fatal(err)
	}
	other, err := f.ca.SignDSSE(mustStatement(t, strings.Repeat("0", 64)), sigstoretest.SignOptions{Key: f.key})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.Bundle, other, 0o644); err != nil {
		t.Fatal(err)
	}
	wantFail(t, runOne(t, o, arg), reason.SubjectMismatch)
}

func mustStatement(t *testing.T, hexDigest string) []byte {
	t.Helper()
	st, err := sigstoretest.Statement(map[string]string{"other": hexDigest}, vocab.PredicateSLSAProvenanceV1, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestImageRegistryFailuresAreVerdicts(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	reg := ocitest.NewRegistry(false, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	defer reg.Close()
	f := newOCIFixture(t, false)
	o := f.keyOpts()
	o.OCI.InsecureRegistries = append(o.OCI.InsecureRegistries, reg.Host)
	o.OCI.Timeout = 200 * time.Millisecond
	start := time.Now()
	r, err := New(withConfig(o))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Verify(context.Background(), []string{reg.Host + "/team/app:1.4", "oci-layout:" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, vs[0], reason.RegistryTimeout)
	wantFail(t, vs[1], reason.ManifestInvalid)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestManyImagesConcurrently(t *testing.T) {
	f := newOCIFixture(t, true)
	var args []string
	for i := range 40 {
		img, err := ocitest.RandomImage("linux/amd64", 1, 64)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.place.PutImage(fmt.Sprintf("v%d", i), img)
		if err != nil {
			t.Fatal(err)
		}
		if i != 17 {
			if err := f.keyBased.Sign(f.place, d); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, fmt.Sprintf("%s/team/app:v%d", f.reg.Host, i))
	}
	o := f.keyOpts()
	o.Concurrency = 8
	r, err := New(withConfig(o))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Verify(context.Background(), args)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if v.Subject.Name != args[i] || v.Passed() != (i != 17) {
			t.Fatalf("verdict %d for %s: %s %s", i, v.Subject.Name, v.Status, v.Reason)
		}
	}
}
