package sigstoretest_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

var (
	clock    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	artifact = []byte("sovcheck release artifact\n")
)

const (
	emailSAN = "release@sovcheck.test"
	issuer   = "https://accounts.sovcheck.test"
	// workflowSAN is what Fulcio writes for a GitHub Actions workflow.
	workflowSAN  = "https://github.com/sovcheck/sovcheck/.github/workflows/release.yml@refs/tags/v1.2.3"
	githubIssuer = "https://token.actions.githubusercontent.com"
)

func newAuthority(t *testing.T, opts ...sigstoretest.Option) *sigstoretest.Authority {
	t.Helper()
	a, err := sigstoretest.New(append([]sigstoretest.Option{sigstoretest.WithNow(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func trustedRoot(t *testing.T, a *sigstoretest.Authority) *root.TrustedRoot {
	t.Helper()
	raw, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(raw)
	if err != nil {
		t.Fatalf("loading trusted root: %v", err)
	}
	return tr
}

func loadBundle(t *testing.T, raw []byte) *bundle.Bundle {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatalf("loading bundle: %v\n%s", err, raw)
	}
	return &b
}

func verifyBundle(tm root.TrustedMaterial, b *bundle.Bundle, vopts []verify.VerifierOption, policy verify.PolicyBuilder) (*verify.VerificationResult, error) {
	v, err := verify.NewVerifier(tm, vopts...)
	if err != nil {
		return nil, err
	}
	return v.Verify(b, policy)
}

func identity(t *testing.T, san, iss string) verify.PolicyOption {
	t.Helper()
	id, err := verify.NewShortCertificateIdentity(iss, "", san, "")
	if err != nil {
		t.Fatal(err)
	}
	return verify.WithCertificateIdentity(id)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// content is what a bundle is signed over and how a verifier names it.
type content struct {
	dsse    bool
	payload []byte // the artifact, or the statement for DSSE
}

func (c content) sign(a *sigstoretest.Authority, o sigstoretest.SignOptions) ([]byte, error) {
	if c.dsse {
		return a.SignDSSE(c.payload, o)
	}
	return a.SignBlob(c.payload, o)
}

// artifactPolicy names the artifact itself; for DSSE it is the statement's
// subject, given by digest.
func (c content) artifactPolicy(data []byte) verify.ArtifactPolicyOption {
	if c.dsse {
		sum := sha256.Sum256(data)
		return verify.WithArtifactDigest("sha256", sum[:])
	}
	return verify.WithArtifact(bytes.NewReader(data))
}

func blobContent() content { return content{payload: artifact} }

func dsseContent(t *testing.T) content {
	t.Helper()
	st, err := sigstoretest.Statement(map[string]string{"sovcheck": sha256Hex(artifact)},
		"https://slsa.dev/provenance/v1", map[string]any{"buildDefinition": map[string]any{"buildType": "https://sovcheck.test/build"}})
	if err != nil {
		t.Fatal(err)
	}
	return content{dsse: true, payload: st}
}

func TestKeylessBundlesVerify(t *testing.T) {
	a := newAuthority(t)
	other := newAuthority(t)
	tr := trustedRoot(t, a)
	otherTR := trustedRoot(t, other)

	integrated := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}
	observer := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1), verify.WithSignedCertificateTimestamps(1)}
	signedTS := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithSignedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}
	tsaOnly := []verify.VerifierOption{verify.WithSignedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}
	all := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1), verify.WithSignedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}

	blob, statement := blobContent(), dsseContent(t)
	for _, tc := range []struct {
		name    string
		content content
		opts    sigstoretest.SignOptions
		vopts   []verify.VerifierOption
	}{
		{"v0.1 blob promise", blob, sigstoretest.SignOptions{BundleVersion: "v0.1", Tlog: sigstoretest.TlogV1Promise}, integrated},
		{"v0.1 blob proof chain", blob, sigstoretest.SignOptions{BundleVersion: "v0.1", IncludeChain: true}, integrated},
		{"v0.1 dsse promise", statement, sigstoretest.SignOptions{BundleVersion: "v0.1", Tlog: sigstoretest.TlogV1Promise}, integrated},
		{"v0.2 blob proof", blob, sigstoretest.SignOptions{BundleVersion: "v0.2"}, observer},
		{"v0.2 dsse proof chain", statement, sigstoretest.SignOptions{BundleVersion: "v0.2", IncludeChain: true}, integrated},
		{"v0.3 blob proof", blob, sigstoretest.SignOptions{}, observer},
		{"v0.3 dsse proof", statement, sigstoretest.SignOptions{BundleVersion: "v0.3"}, integrated},
		{"v0.3-legacy blob proof", blob, sigstoretest.SignOptions{BundleVersion: "v0.3-legacy"}, integrated},
		{"v0.3-legacy dsse proof", statement, sigstoretest.SignOptions{BundleVersion: "v0.3-legacy"}, observer},
		{"v0.3 blob rekor v2 tsa certs", blob, sigstoretest.SignOptions{Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts}, signedTS},
		{"v0.3 dsse rekor v2 tsa no certs", statement, sigstoretest.SignOptions{Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithoutCerts}, signedTS},
		{"v0.3 blob rekor v1 and tsa", blob, sigstoretest.SignOptions{TSA: sigstoretest.TSAWithCerts}, all},
		{"v0.3 blob tsa only", blob, sigstoretest.SignOptions{Tlog: sigstoretest.TlogNone, TSA: sigstoretest.TSAWithoutCerts}, tsaOnly},
		{"v0.3 dsse tsa only", statement, sigstoretest.SignOptions{Tlog: sigstoretest.TlogNone, TSA: sigstoretest.TSAWithCerts}, tsaOnly},
		{"p384 blob rekor v1", blob, sigstoretest.SignOptions{KeyAlg: "ecdsa-p384"}, integrated},
		{"p384 blob rekor v2", blob, sigstoretest.SignOptions{KeyAlg: "ecdsa-p384", Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts}, signedTS},
		{"p384 dsse rekor v2", statement, sigstoretest.SignOptions{KeyAlg: "ecdsa-p384", Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts}, signedTS},
		{"ed25519 blob rekor v1", blob, sigstoretest.SignOptions{KeyAlg: "ed25519"}, integrated},
		{"ed25519 dsse rekor v1", statement, sigstoretest.SignOptions{KeyAlg: "ed25519"}, integrated},
		{"ed25519 blob rekor v2", blob, sigstoretest.SignOptions{KeyAlg: "ed25519", Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithoutCerts}, signedTS},
		{"rsa blob rekor v1", blob, sigstoretest.SignOptions{KeyAlg: "rsa-2048", BundleVersion: "v0.1", Tlog: sigstoretest.TlogV1Promise}, integrated},
		{"rsa dsse rekor v2", statement, sigstoretest.SignOptions{KeyAlg: "rsa-2048", Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts}, signedTS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := tc.opts
			o.Identity, o.Issuer = emailSAN, issuer
			raw, err := tc.content.sign(a, o)
			if err != nil {
				t.Fatal(err)
			}
			b := loadBundle(t, raw)
			// A policy reads its artifact once, so each verification gets its own.
			policy := func() verify.PolicyBuilder {
				return verify.NewPolicy(tc.content.artifactPolicy(artifact), identity(t, emailSAN, issuer))
			}
			res, err := verifyBundle(tr, b, tc.vopts, policy())
			if err != nil {
				t.Fatalf("verifying: %v", err)
			}
			if got := res.Signature.Certificate.SubjectAlternativeName; got != emailSAN {
				t.Errorf("verified identity: got %q, want %q", got, emailSAN)
			}
			if tc.content.dsse && res.Statement.GetPredicateType() != "https://slsa.dev/provenance/v1" {
				t.Errorf("statement predicate type: got %q", res.Statement.GetPredicateType())
			}

			t.Run("other authority", func(t *testing.T) {
				if _, err := verifyBundle(otherTR, b, tc.vopts, policy()); err == nil {
					t.Fatal("verified against another authority's trusted root")
				}
			})
			t.Run("tampered artifact", func(t *testing.T) {
				tampered := append(bytes.Clone(artifact), '!')
				p := verify.NewPolicy(tc.content.artifactPolicy(tampered), identity(t, emailSAN, issuer))
				if _, err := verifyBundle(tr, b, tc.vopts, p); err == nil {
					t.Fatal("verified a tampered artifact")
				}
			})
			t.Run("wrong identity", func(t *testing.T) {
				p := verify.NewPolicy(tc.content.artifactPolicy(artifact), identity(t, "mallory@sovcheck.test", issuer))
				if _, err := verifyBundle(tr, b, tc.vopts, p); err == nil {
					t.Fatal("verified with the wrong identity")
				}
			})
			t.Run("wrong issuer", func(t *testing.T) {
				p := verify.NewPolicy(tc.content.artifactPolicy(artifact), identity(t, emailSAN, "https://evil.sovcheck.test"))
				if _, err := verifyBundle(tr, b, tc.vopts, p); err == nil {
					t.Fatal("verified with the wrong issuer")
				}
			})
			t.Run("tampered signature content", func(t *testing.T) {
				tb := loadBundle(t, tamper(t, raw, tc.content.dsse))
				if _, err := verifyBundle(tr, tb, tc.vopts, policy()); err == nil {
					t.Fatal("verified a bundle with tampered content")
				}
			})
		})
	}
}

// tamper flips one byte of the bundle's DSSE payload or message signature,
// keeping the bundle well formed.
func tamper(t *testing.T, raw []byte, dsse bool) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var holder map[string]any
	var field string
	if dsse {
		holder, field = doc["dsseEnvelope"].(map[string]any), "payload"
	} else {
		holder, field = doc["messageSignature"].(map[string]any), "signature"
	}
	s := holder[field].(string)
	// Change a middle base64 character, staying in the alphabet.
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	holder[field] = s[:i] + string(c) + s[i+1:]
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoSCT(t *testing.T) {
	a := newAuthority(t)
	tr := trustedRoot(t, a)
	raw, err := a.SignBlob(artifact, sigstoretest.SignOptions{Identity: emailSAN, Issuer: issuer, NoSCT: true})
	if err != nil {
		t.Fatal(err)
	}
	b := loadBundle(t, raw)
	policy := func() verify.PolicyBuilder {
		return verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), identity(t, emailSAN, issuer))
	}
	if _, err := verifyBundle(tr, b, []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1)}, policy()); err != nil {
		t.Fatalf("verifying without requiring an sct: %v", err)
	}
	_, err = verifyBundle(tr, b, []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}, policy())
	if err == nil || !strings.Contains(err.Error(), "signed certificate timestamp") {
		t.Fatalf("requiring an sct: got %v, want an sct failure", err)
	}
}

// keyMaterial is how a verifier trusts a public key for key-signed bundles in
// sigstore-go v1.3.0: the trusted root (for the logs and the TSA) plus a
// public key verifier found by the bundle's key hint. Ed25519 message
// signatures need an Ed25519ph verifier, Ed25519 DSSE envelopes a pure one.
func keyMaterial(t *testing.T, tr *root.TrustedRoot, pub crypto.PublicKey, dsse bool) root.TrustedMaterial {
	t.Helper()
	var v signature.Verifier
	var err error
	if edPub, ok := pub.(ed25519.PublicKey); ok && !dsse {
		v, err = signature.LoadED25519phVerifier(edPub)
	} else {
		v, err = signature.LoadDefaultVerifier(pub)
	}
	if err != nil {
		t.Fatal(err)
	}
	hint, err := sigstoretest.KeyHint(pub)
	if err != nil {
		t.Fatal(err)
	}
	keys := root.NewTrustedPublicKeyMaterialFromMapping(map[string]*root.ExpiringKey{
		hint: root.NewExpiringKey(v, time.Time{}, time.Time{}),
	})
	return root.TrustedMaterialCollection{tr, keys}
}

func TestKeyBundlesVerify(t *testing.T) {
	a := newAuthority(t)
	other := newAuthority(t)
	tr := trustedRoot(t, a)
	otherTR := trustedRoot(t, other)
	statement := dsseContent(t)

	keys := map[string]crypto.Signer{}
	for _, alg := range []string{"ecdsa-p256", "ed25519", "rsa-2048"} {
		k, err := sigstoretest.NewKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		keys[alg] = k
	}
	stranger, err := sigstoretest.NewKey("ecdsa-p256")
	if err != nil {
		t.Fatal(err)
	}

	v1 := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1)}
	v2 := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithSignedTimestamps(1)}
	for _, alg := range []string{"ecdsa-p256", "ed25519", "rsa-2048"} {
		for _, tc := range []struct {
			name    string
			content content
			opts    sigstoretest.SignOptions
			vopts   []verify.VerifierOption
		}{
			{"blob rekor v1", blobContent(), sigstoretest.SignOptions{}, v1},
			{"blob rekor v1 promise v0.1", blobContent(), sigstoretest.SignOptions{BundleVersion: "v0.1", Tlog: sigstoretest.TlogV1Promise}, v1},
			{"dsse rekor v1", statement, sigstoretest.SignOptions{}, v1},
			{"blob rekor v2", blobContent(), sigstoretest.SignOptions{Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithCerts}, v2},
			{"dsse rekor v2", statement, sigstoretest.SignOptions{Tlog: sigstoretest.TlogV2, TSA: sigstoretest.TSAWithoutCerts}, v2},
		} {
			if alg == "ed25519" && tc.content.dsse && tc.opts.Tlog == sigstoretest.TlogV2 {
				continue // refused by rekor v2, see TestRefusedCombinations
			}
			t.Run(alg+" "+tc.name, func(t *testing.T) {
				t.Parallel()
				key := keys[alg]
				o := tc.opts
				o.Key = key
				raw, err := tc.content.sign(a, o)
				if err != nil {
					t.Fatal(err)
				}
				b := loadBundle(t, raw)
				policy := func() verify.PolicyBuilder {
					return verify.NewPolicy(tc.content.artifactPolicy(artifact), verify.WithKey())
				}
				res, err := verifyBundle(keyMaterial(t, tr, key.Public(), tc.content.dsse), b, tc.vopts, policy())
				if err != nil {
					t.Fatalf("verifying: %v", err)
				}
				hint, _ := sigstoretest.KeyHint(key.Public())
				if res.Signature.PublicKeyID == nil || string(*res.Signature.PublicKeyID) != hint {
					t.Errorf("verified key id: got %v, want %q", res.Signature.PublicKeyID, hint)
				}

				t.Run("other authority", func(t *testing.T) {
					if _, err := verifyBundle(keyMaterial(t, otherTR, key.Public(), tc.content.dsse), b, tc.vopts, policy()); err == nil {
						t.Fatal("verified against another authority's logs")
					}
				})
				t.Run("other key", func(t *testing.T) {
					// The stranger's verifier is filed under the signer's hint,
					// as a verifier that ignores hints would use it.
					hint, _ := sigstoretest.KeyHint(key.Public())
					v, err := signature.LoadDefaultVerifier(stranger.Public())
					if err != nil {
						t.Fatal(err)
					}
					tm := root.TrustedMaterialCollection{tr, root.NewTrustedPublicKeyMaterialFromMapping(map[string]*root.ExpiringKey{
						hint: root.NewExpiringKey(v, time.Time{}, time.Time{}),
					})}
					if _, err := verifyBundle(tm, b, tc.vopts, policy()); err == nil {
						t.Fatal("verified with another key")
					}
				})
				t.Run("tampered artifact", func(t *testing.T) {
					p := verify.NewPolicy(tc.content.artifactPolicy([]byte("tampered")), verify.WithKey())
					if _, err := verifyBundle(keyMaterial(t, tr, key.Public(), tc.content.dsse), b, tc.vopts, p); err == nil {
						t.Fatal("verified a tampered artifact")
					}
				})
				t.Run("identity policy", func(t *testing.T) {
					p := verify.NewPolicy(tc.content.artifactPolicy(artifact), identity(t, emailSAN, issuer))
					if _, err := verifyBundle(keyMaterial(t, tr, key.Public(), tc.content.dsse), b, tc.vopts, p); err == nil {
						t.Fatal("a key-signed bundle passed a certificate identity policy")
					}
				})
			})
		}
	}
}

func TestGitHubExtensions(t *testing.T) {
	a := newAuthority(t)
	tr := trustedRoot(t, a)
	gh := &sigstoretest.GitHubClaims{
		BuildSignerURI:             workflowSAN,
		BuildSignerDigest:          "0123456789abcdef0123456789abcdef01234567",
		RunnerEnvironment:          "github-hosted",
		SourceRepositoryURI:        "https://github.com/sovcheck/sovcheck",
		SourceRepositoryDigest:     "89abcdef0123456789abcdef0123456789abcdef",
		SourceRepositoryRef:        "refs/tags/v1.2.3",
		SourceRepositoryIdentifier: "123456",
		SourceRepositoryOwnerURI:   "https://github.com/sovcheck",
		SourceRepositoryOwnerID:    "7890",
		BuildConfigURI:             workflowSAN,
		BuildConfigDigest:          "0123456789abcdef0123456789abcdef01234567",
		BuildTrigger:               "push",
		RunInvocationURI:           "https://github.com/sovcheck/sovcheck/actions/runs/1/attempts/1",
		SourceRepositoryVisibility: "public",
	}
	raw, err := a.SignDSSE(dsseContent(t).payload, sigstoretest.SignOptions{Identity: workflowSAN, Issuer: githubIssuer, GitHub: gh})
	if err != nil {
		t.Fatal(err)
	}
	b := loadBundle(t, raw)
	vc, err := b.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	summary, err := certificate.SummarizeCertificate(vc.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	want := certificate.Extensions{
		Issuer:                              githubIssuer,
		BuildSignerURI:                      gh.BuildSignerURI,
		BuildSignerDigest:                   gh.BuildSignerDigest,
		RunnerEnvironment:                   gh.RunnerEnvironment,
		SourceRepositoryURI:                 gh.SourceRepositoryURI,
		SourceRepositoryDigest:              gh.SourceRepositoryDigest,
		SourceRepositoryRef:                 gh.SourceRepositoryRef,
		SourceRepositoryIdentifier:          gh.SourceRepositoryIdentifier,
		SourceRepositoryOwnerURI:            gh.SourceRepositoryOwnerURI,
		SourceRepositoryOwnerIdentifier:     gh.SourceRepositoryOwnerID,
		BuildConfigURI:                      gh.BuildConfigURI,
		BuildConfigDigest:                   gh.BuildConfigDigest,
		BuildTrigger:                        gh.BuildTrigger,
		RunInvocationURI:                    gh.RunInvocationURI,
		SourceRepositoryVisibilityAtSigning: gh.SourceRepositoryVisibility,
	}
	if summary.Extensions != want {
		t.Errorf("extensions:\ngot  %+v\nwant %+v", summary.Extensions, want)
	}
	if summary.SubjectAlternativeName != workflowSAN || summary.CertificateIssuer == "" {
		t.Errorf("summary: got SAN %q issuer %q", summary.SubjectAlternativeName, summary.CertificateIssuer)
	}

	// A policy pinning the repository and ref through the extensions passes,
	// and fails for another ref.
	vopts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}
	pin := func(ref string) verify.PolicyBuilder {
		san, _ := verify.NewSANMatcher(workflowSAN, "")
		iss, _ := verify.NewIssuerMatcher(githubIssuer, "")
		id, err := verify.NewCertificateIdentity(san, iss, certificate.Extensions{SourceRepositoryURI: gh.SourceRepositoryURI, SourceRepositoryRef: ref})
		if err != nil {
			t.Fatal(err)
		}
		return verify.NewPolicy(dsseContent(t).artifactPolicy(artifact), verify.WithCertificateIdentity(id))
	}
	if _, err := verifyBundle(tr, b, vopts, pin("refs/tags/v1.2.3")); err != nil {
		t.Fatalf("verifying with pinned extensions: %v", err)
	}
	if _, err := verifyBundle(tr, b, vopts, pin("refs/heads/main")); err == nil {
		t.Fatal("verified with a pinned ref the certificate does not carry")
	}
}

func TestClockAndValidity(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newAuthority(t, sigstoretest.WithValidity(start, end))
	tr := trustedRoot(t, a)
	vopts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1), verify.WithSignedTimestamps(1), verify.WithSignedCertificateTimestamps(1)}

	for _, tc := range []struct {
		name     string
		signedAt time.Time
		ok       bool
	}{
		{"clock", time.Time{}, true},
		{"years later", time.Date(2035, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"before validity", start.Add(-time.Hour), false},
		{"after validity", end.Add(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := a.SignBlob(artifact, sigstoretest.SignOptions{Identity: emailSAN, Issuer: issuer, TSA: sigstoretest.TSAWithCerts, SignedAt: tc.signedAt})
			if err != nil {
				t.Fatal(err)
			}
			b := loadBundle(t, raw)
			want := tc.signedAt
			if want.IsZero() {
				want = clock
			}
			vc, err := b.VerificationContent()
			if err != nil {
				t.Fatal(err)
			}
			if got := vc.Certificate().NotBefore; !got.Equal(want.Add(-time.Minute)) {
				t.Errorf("leaf not before: got %s, want %s", got, want.Add(-time.Minute))
			}
			entries, err := b.TlogEntries()
			if err != nil {
				t.Fatal(err)
			}
			if got := entries[0].IntegratedTime(); !got.Equal(want) {
				t.Errorf("integrated time: got %s, want %s", got, want)
			}
			_, err = verifyBundle(tr, b, vopts, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), identity(t, emailSAN, issuer)))
			if tc.ok && err != nil {
				t.Fatalf("verifying: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("verified a signature made outside the validity window")
			}
		})
	}
}

func TestTrustedRootJSON(t *testing.T) {
	a := newAuthority(t)
	first, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("trusted root bytes differ between calls")
	}
	var doc struct {
		MediaType string            `json:"mediaType"`
		Tlogs     []json.RawMessage `json:"tlogs"`
		Ctlogs    []json.RawMessage `json:"ctlogs"`
	}
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != "application/vnd.dev.sigstore.trustedroot+json;version=0.1" || len(doc.Tlogs) != 2 || len(doc.Ctlogs) != 1 {
		t.Errorf("trusted root: got media type %q, %d tlogs, %d ctlogs", doc.MediaType, len(doc.Tlogs), len(doc.Ctlogs))
	}
	tr := trustedRoot(t, a)
	if got := len(tr.FulcioCertificateAuthorities()); got != 1 {
		t.Errorf("certificate authorities: got %d, want 1", got)
	}
	if got := len(tr.TimestampingAuthorities()); got != 1 {
		t.Errorf("timestamping authorities: got %d, want 1", got)
	}
	for id, l := range tr.RekorLogs() {
		if !l.ValidityPeriodStart.Equal(clock.Add(-24*time.Hour)) || !l.ValidityPeriodEnd.Equal(clock.Add(24*time.Hour)) {
			t.Errorf("log %s validity: got %s..%s", id, l.ValidityPeriodStart, l.ValidityPeriodEnd)
		}
	}
}

func TestLogGrows(t *testing.T) {
	a := newAuthority(t)
	var indexes []int64
	for range 3 {
		raw, err := a.SignBlob(artifact, sigstoretest.SignOptions{Identity: emailSAN, Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := loadBundle(t, raw).TlogEntries()
		if err != nil {
			t.Fatal(err)
		}
		tle := entries[0].TransparencyLogEntry()
		if len(tle.GetInclusionProof().GetHashes()) == 0 {
			t.Error("inclusion proof has no hashes")
		}
		if tle.GetInclusionProof().GetTreeSize() != tle.GetLogIndex()+1 {
			t.Errorf("tree size %d for index %d", tle.GetInclusionProof().GetTreeSize(), tle.GetLogIndex())
		}
		indexes = append(indexes, tle.GetLogIndex())
	}
	if indexes[0] >= indexes[1] || indexes[1] >= indexes[2] {
		t.Errorf("log indexes do not grow: %v", indexes)
	}
}

func TestMediaTypes(t *testing.T) {
	a := newAuthority(t)
	for version, want := range map[string]string{
		"":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"v0.1":        "application/vnd.dev.sigstore.bundle+json;version=0.1",
		"v0.2":        "application/vnd.dev.sigstore.bundle+json;version=0.2",
		"v0.3":        "application/vnd.dev.sigstore.bundle.v0.3+json",
		"v0.3-legacy": "application/vnd.dev.sigstore.bundle+json;version=0.3",
	} {
		raw, err := a.SignBlob(artifact, sigstoretest.SignOptions{BundleVersion: version, Identity: emailSAN, Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		if got := loadBundle(t, raw).GetMediaType(); got != want {
			t.Errorf("version %q: got media type %q, want %q", version, got, want)
		}
	}
}

func TestRefusedCombinations(t *testing.T) {
	a := newAuthority(t)
	key, err := sigstoretest.NewKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	keyless := func(o sigstoretest.SignOptions) sigstoretest.SignOptions {
		o.Identity, o.Issuer = emailSAN, issuer
		return o
	}
	for _, tc := range []struct {
		name    string
		dsse    bool
		opts    sigstoretest.SignOptions
		invalid bool // ErrInvalidOptions; otherwise a log refuses the entry
	}{
		{"v0.1 with rekor v2", false, keyless(sigstoretest.SignOptions{BundleVersion: "v0.1", Tlog: sigstoretest.TlogV2}), true},
		{"v0.2 with promise only", false, keyless(sigstoretest.SignOptions{BundleVersion: "v0.2", Tlog: sigstoretest.TlogV1Promise}), true},
		{"v0.3 with promise only", false, keyless(sigstoretest.SignOptions{Tlog: sigstoretest.TlogV1Promise}), true},
		{"v0.3 with chain", false, keyless(sigstoretest.SignOptions{IncludeChain: true}), true},
		{"v0.3-legacy with chain", false, keyless(sigstoretest.SignOptions{BundleVersion: "v0.3-legacy", IncludeChain: true}), true},
		{"unknown version", false, keyless(sigstoretest.SignOptions{BundleVersion: "v0.4"}), true},
		{"unknown tlog", false, keyless(sigstoretest.SignOptions{Tlog: sigstoretest.Tlog(42)}), true},
		{"unknown tsa", false, keyless(sigstoretest.SignOptions{TSA: sigstoretest.TSA(42)}), true},
		{"unknown key algorithm", false, keyless(sigstoretest.SignOptions{KeyAlg: "dsa-1024"}), true},
		{"keyless without identity", false, sigstoretest.SignOptions{Issuer: issuer}, true},
		{"keyless without issuer", false, sigstoretest.SignOptions{Identity: emailSAN}, true},
		{"key with identity", false, sigstoretest.SignOptions{Key: key, Identity: emailSAN}, true},
		{"key with key algorithm", false, sigstoretest.SignOptions{Key: key, KeyAlg: "ed25519"}, true},
		// Rekor v2 verifies hashedrekord signatures as Ed25519ph over the
		// digest; a DSSE envelope is signed with pure Ed25519.
		{"ed25519 dsse on rekor v2", true, sigstoretest.SignOptions{Key: key, Tlog: sigstoretest.TlogV2}, false},
		// Rekor v1 verifies DSSE envelopes of ECDSA keys with SHA-256 only.
		{"p384 dsse on rekor v1", true, keyless(sigstoretest.SignOptions{KeyAlg: "ecdsa-p384"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.dsse {
				_, err = a.SignDSSE(dsseContent(t).payload, tc.opts)
			} else {
				_, err = a.SignBlob(artifact, tc.opts)
			}
			if err == nil {
				t.Fatal("signed, want an error")
			}
			if got := errors.Is(err, sigstoretest.ErrInvalidOptions); got != tc.invalid {
				t.Errorf("errors.Is(ErrInvalidOptions): got %v, want %v (%v)", got, tc.invalid, err)
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := sigstoretest.New(sigstoretest.WithNow(time.Time{})); !errors.Is(err, sigstoretest.ErrInvalidOptions) {
		t.Errorf("zero clock: got %v, want ErrInvalidOptions", err)
	}
	if _, err := sigstoretest.New(sigstoretest.WithValidity(clock, clock)); !errors.Is(err, sigstoretest.ErrInvalidOptions) {
		t.Errorf("empty validity: got %v, want ErrInvalidOptions", err)
	}
}

func TestStatement(t *testing.T) {
	st, err := sigstoretest.Statement(map[string]string{"b.tar.gz": sha256Hex([]byte("b")), "a.tar.gz": sha256Hex([]byte("a"))}, "https://sovcheck.test/predicate", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(st, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != vocab.StatementTypeV1 || len(doc.Subject) != 2 || doc.Subject[0].Name != "a.tar.gz" ||
		doc.Subject[0].Digest["sha256"] != sha256Hex([]byte("a")) || doc.PredicateType != "https://sovcheck.test/predicate" || doc.Predicate != nil {
		t.Errorf("statement: got %s", st)
	}

	for name, call := range map[string]func() ([]byte, error){
		"no subjects":       func() ([]byte, error) { return sigstoretest.Statement(nil, "p", nil) },
		"no predicate type": func() ([]byte, error) { return sigstoretest.Statement(map[string]string{"a": sha256Hex(nil)}, "", nil) },
		"short digest":      func() ([]byte, error) { return sigstoretest.Statement(map[string]string{"a": "abcd"}, "p", nil) },
		"uppercase digest": func() ([]byte, error) {
			return sigstoretest.Statement(map[string]string{"a": strings.ToUpper(sha256Hex(nil))}, "p", nil)
		},
		"array predicate": func() ([]byte, error) {
			return sigstoretest.Statement(map[string]string{"a": sha256Hex(nil)}, "p", []int{1})
		},
	} {
		if _, err := call(); !errors.Is(err, sigstoretest.ErrInvalidOptions) {
			t.Errorf("%s: got %v, want ErrInvalidOptions", name, err)
		}
	}
}

func TestKeyPEM(t *testing.T) {
	for _, alg := range []string{"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048"} {
		t.Run(alg, func(t *testing.T) {
			k, err := sigstoretest.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			pubPEM, err := sigstoretest.PublicKeyPEM(k)
			if err != nil {
				t.Fatal(err)
			}
			privPEM, err := sigstoretest.PrivateKeyPEM(k)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := parsePublicKeyPEM(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := parsePrivateKeyPEM(privPEM)
			if err != nil {
				t.Fatal(err)
			}
			type equaler interface{ Equal(crypto.PublicKey) bool }
			if !pub.(equaler).Equal(k.Public()) || !priv.Public().(equaler).Equal(k.Public()) {
				t.Error("pem round trip changed the key")
			}
		})
	}
	if _, err := sigstoretest.NewKey("dsa-1024"); !errors.Is(err, sigstoretest.ErrInvalidOptions) {
		t.Errorf("unknown algorithm: got %v, want ErrInvalidOptions", err)
	}
}
