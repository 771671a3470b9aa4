package attest

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/sovcheck/sovcheck/internal/anchor"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Identity is the keyless signer a caller trusts: the certificate's subject
// alternative name and OIDC issuer, each exact or as a regular expression.
// Regular expressions are anchored: they must match the whole value.
type Identity struct {
	Subject       string
	SubjectRegexp string
	Issuer        string
	IssuerRegexp  string
}

func (id Identity) String() string {
	s, i := id.Subject, id.Issuer
	if s == "" {
		s = "~" + id.SubjectRegexp
	}
	if i == "" {
		i = "~" + id.IssuerRegexp
	}
	return fmt.Sprintf("%s (issuer %s)", s, i)
}

// Artifact is what a bundle is checked against: a file, or only its digest.
type Artifact struct {
	Name   string // as the user named it
	Path   string // empty when only the digest is known
	SHA256 []byte
}

// Finding is the outcome of one check: Err is nil for a pass.
type Finding struct {
	Check   string
	Message string // what was verified, for a pass
	Err     *reason.Error
}

// SignatureResult is what a verified bundle established.
type SignatureResult struct {
	Bundle      *ParsedBundle
	Certificate *certificate.Summary // nil for key-based bundles
	KeyID       string               // for key-based bundles: sha256 of the trusted key's DER
	Statement   *Statement           // nil for message signatures
	Timestamps  []verify.TimestampVerificationResult
}

// Signer describes who signed, for messages.
func (r *SignatureResult) Signer() string {
	if r.Certificate != nil {
		return fmt.Sprintf("%s (issuer %s)", r.Certificate.SubjectAlternativeName, r.Certificate.Issuer)
	}
	return "key sha256:" + r.KeyID
}

type config struct {
	trusted  root.TrustedMaterial
	identity *Identity
	key      crypto.PublicKey
	logger   *slog.Logger
}

// Option configures a Verifier.
type Option func(*config) error

// WithTrustedMaterial sets the Sigstore trust root (CAs, logs, TSAs).
func WithTrustedMaterial(tm root.TrustedMaterial) Option {
	return func(c *config) error {
		if tm == nil {
			return errors.New("nil trusted material")
		}
		c.trusted = tm
		return nil
	}
}

// WithIdentity selects keyless verification against id.
func WithIdentity(id Identity) Option {
	return func(c *config) error {
		if (id.Subject == "") == (id.SubjectRegexp == "") {
			return errors.New("give exactly one of a certificate identity and a certificate identity regexp")
		}
		if (id.Issuer == "") == (id.IssuerRegexp == "") {
			return errors.New("give exactly one of a certificate OIDC issuer and a certificate OIDC issuer regexp")
		}
		c.identity = &id
		return nil
	}
}

// WithKey selects key-based verification against pub.
func WithKey(pub crypto.PublicKey) Option {
	return func(c *config) error {
		if pub == nil {
			return errors.New("nil public key")
		}
		c.key = pub
		return nil
	}
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// Verifier verifies Sigstore bundles under one trust configuration. It is
// safe for concurrent use and meant to be built once per run.
type Verifier struct {
	cfg       config
	sv        *verify.Verifier // for DSSE envelopes, and for everything keyless
	svMessage *verify.Verifier // for message signatures; differs from sv only for Ed25519 keys
	trusted   root.TrustedMaterial
	certID    verify.CertificateIdentity
	subjectRe *regexp.Regexp
	issuerRe  *regexp.Regexp
	keyID     string
}

// NewVerifier returns a Verifier. Exactly one of WithIdentity and WithKey
// must be given, and trusted material is always required: transparency log
// evidence is verified against it in both modes.
func NewVerifier(opts ...Option) (*Verifier, error) {
	cfg := config{logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.trusted == nil {
		return nil, errors.New("no trusted root given")
	}
	if (cfg.identity == nil) == (cfg.key == nil) {
		return nil, errors.New("give exactly one of a keyless identity and a public key")
	}
	cfg.trusted = withCachedCAs(cfg.trusted)
	v := &Verifier{cfg: cfg, trusted: cfg.trusted}
	if id := cfg.identity; id != nil {
		var err error
		if id.SubjectRegexp != "" {
			if v.subjectRe, err = anchor.Compile(id.SubjectRegexp); err != nil {
				return nil, reason.Wrap(err, reason.InputMalformed, regexpHint, "compiling certificate identity regexp")
			}
		}
		if id.IssuerRegexp != "" {
			if v.issuerRe, err = anchor.Compile(id.IssuerRegexp); err != nil {
				return nil, reason.Wrap(err, reason.InputMalformed, regexpHint, "compiling certificate OIDC issuer regexp")
			}
		}
		// sigstore-go compiles the regexps again from these strings: the
		// anchored form, which no input can widen.
		v.certID, err = verify.NewShortCertificateIdentity(id.Issuer, reString(v.issuerRe), id.Subject, reString(v.subjectRe))
		if err != nil {
			return nil, fmt.Errorf("building certificate identity: %w", err)
		}
		// Keyless: a log entry, an embedded SCT and an observer timestamp
		// (log integrated time or RFC 3161) are all required.
		sv, err := verify.NewVerifier(v.trusted, verify.WithTransparencyLog(1), verify.WithSignedCertificateTimestamps(1), verify.WithObserverTimestamps(1))
		if err != nil {
			return nil, fmt.Errorf("building sigstore verifier: %w", err)
		}
		v.sv, v.svMessage = sv, sv
		return v, nil
	}
	id, err := vocab.KeyID(cfg.key)
	if err != nil {
		return nil, err
	}
	v.keyID = id
	// Rekor's hashedrekord accepts Ed25519 only as Ed25519ph, so an
	// Ed25519 message signature is checked with an Ed25519ph verifier,
	// while a DSSE envelope carries a pure Ed25519 signature.
	dsseKey, err := signature.LoadDefaultVerifier(cfg.key)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	messageKey := dsseKey
	if ed, ok := cfg.key.(ed25519.PublicKey); ok {
		if messageKey, err = signature.LoadED25519phVerifier(ed); err != nil {
			return nil, fmt.Errorf("loading public key: %w", err)
		}
	}
	// Key-based: the signature must still be in a transparency log,
	// whose time is the observer timestamp.
	vopts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if v.svMessage, err = keyVerifier(cfg.trusted, messageKey, vopts); err != nil {
		return nil, err
	}
	if v.sv, err = keyVerifier(cfg.trusted, dsseKey, vopts); err != nil {
		return nil, err
	}
	v.trusted = root.TrustedMaterialCollection{cfg.trusted, trustedKey(dsseKey)}
	return v, nil
}

// trustedKey is trusted material holding one key, whatever hint a bundle
// names: the caller chose the key, the bundle does not.
func trustedKey(ver signature.Verifier) root.TrustedMaterial {
	key := root.NewExpiringKey(ver, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
}

func keyVerifier(tm root.TrustedMaterial, ver signature.Verifier, vopts []verify.VerifierOption) (*verify.Verifier, error) {
	sv, err := verify.NewVerifier(root.TrustedMaterialCollection{tm, trustedKey(ver)}, vopts...)
	if err != nil {
		return nil, fmt.Errorf("building sigstore verifier: %w", err)
	}
	return sv, nil
}

// regexpHint says what an identity regexp must be.
const regexpHint = "give a Go RE2 expression that is valid on its own; it is anchored to match the whole value"

func reString(re *regexp.Regexp) string {
	if re == nil {
		return ""
	}
	return re.String()
}

// Verify checks one bundle against the artifact. It returns the findings for
// the signature (the whole cryptographic chain: log, timestamps, certificate,
// SCT, signature), the identity (keyless) and, for DSSE bundles, the
// statement subject. A nil SignatureResult means the signature failed.
func (v *Verifier) Verify(pb *ParsedBundle, art Artifact) (*SignatureResult, []Finding) {
	var findings []Finding
	res := &SignatureResult{Bundle: pb, KeyID: v.keyID}

	// The statement subject is checked first and on its own, so that a
	// bundle for another artifact says so rather than "signature invalid".
	var digestOpt verify.ArtifactPolicyOption
	if env := pb.Bundle.GetDsseEnvelope(); env != nil {
		st, err := ParseStatement(env.GetPayloadType(), env.GetPayload())
		if err != nil {
			return nil, append(findings, Finding{Check: vocab.CheckSubject, Err: reason.As(err, reason.StatementMalformed, "")})
		}
		res.Statement = st
		hexDigest := hex.EncodeToString(art.SHA256)
		if s, ok := st.MatchSubject(hexDigest); ok {
			findings = append(findings, Finding{Check: vocab.CheckSubject, Message: fmt.Sprintf("artifact is subject %q of the in-toto statement", s.Name)})
		} else {
			findings = append(findings, Finding{Check: vocab.CheckSubject, Err: &reason.Error{Code: reason.SubjectMismatch,
				Msg: "artifact is not a subject of the attestation", Got: st.SubjectSummary(), Want: "sha256:" + hexDigest,
				Hint: "the attestation is for another artifact; check that the artifact and the bundle belong together"}})
			return nil, findings
		}
		digestOpt = verify.WithArtifactDigest("sha256", art.SHA256)
	} else {
		opt, err := messageDigestOption(pb, art)
		if err != nil {
			return nil, append(findings, Finding{Check: vocab.CheckSignature, Err: err})
		}
		digestOpt = opt
	}

	if err := checkTlogConsistency(pb); err != nil {
		return nil, append(findings, Finding{Check: vocab.CheckSignature, Err: err})
	}
	var policy verify.PolicyBuilder
	if v.cfg.key != nil {
		policy = verify.NewPolicy(digestOpt, verify.WithKey())
	} else {
		policy = verify.NewPolicy(digestOpt, verify.WithCertificateIdentity(v.certID))
	}
	sv := v.sv
	if !pb.IsDSSE() {
		sv = v.svMessage
	}
	out, err := sv.Verify(pb.Bundle, policy)
	if err != nil {
		sigErr, idErr := v.diagnose(sv, pb, err)
		if sigErr != nil {
			return nil, append(findings, Finding{Check: vocab.CheckSignature, Err: sigErr})
		}
		findings = append(findings, Finding{Check: vocab.CheckSignature, Message: "signature chain verified"})
		return nil, append(findings, Finding{Check: vocab.CheckIdentity, Err: idErr})
	}
	res.Timestamps = out.VerifiedTimestamps
	res.Certificate = out.Signature.Certificate
	findings = append(findings, Finding{Check: vocab.CheckSignature, Message: v.describe(res)})
	if res.Certificate != nil {
		// sigstore-go matched the identity already; this repeats it with
		// sovcheck's own anchored matcher so the finding carries got/want.
		if idErr := v.matchIdentity(*res.Certificate); idErr != nil {
			return nil, append(findings, Finding{Check: vocab.CheckIdentity, Err: idErr})
		}
		findings = append(findings, Finding{Check: vocab.CheckIdentity, Message: "signed by " + res.Signer()})
	}
	return res, findings
}

func (v *Verifier) describe(res *SignatureResult) string {
	var times []string
	for _, ts := range res.Timestamps {
		times = append(times, fmt.Sprintf("%s %s", strings.ToLower(ts.Type), ts.Timestamp.UTC().Format(time.RFC3339)))
	}
	return fmt.Sprintf("%s verified: signed by %s; observed at %s", res.Bundle.Describe(), res.Signer(), strings.Join(times, ", "))
}

// messageDigestOption checks the bundle's message digest against the
// artifact and returns the artifact policy for sigstore-go.
func messageDigestOption(pb *ParsedBundle, art Artifact) (verify.ArtifactPolicyOption, *reason.Error) {
	ms := pb.Bundle.GetMessageSignature()
	if ms == nil {
		return nil, reason.New(reason.BundleMalformed, "re-create the bundle", "bundle has neither a message signature nor a DSSE envelope")
	}
	md := ms.GetMessageDigest()
	var h func() hash.Hash
	var alg string
	switch md.GetAlgorithm() {
	case protocommon.HashAlgorithm_SHA2_256:
		h, alg = sha256.New, "sha256"
	case protocommon.HashAlgorithm_SHA2_384:
		h, alg = sha512.New384, "sha384"
	case protocommon.HashAlgorithm_SHA2_512:
		h, alg = sha512.New, "sha512"
	default:
		return nil, &reason.Error{Code: reason.BundleMalformed, Msg: "unsupported message digest algorithm",
			Got: md.GetAlgorithm().String(), Want: "SHA2_256, SHA2_384 or SHA2_512", Hint: "re-sign the artifact with a current signer"}
	}
	digest := art.SHA256
	if alg != "sha256" {
		if art.Path == "" {
			return nil, &reason.Error{Code: reason.DigestMismatch, Msg: "the bundle signs a " + alg + " digest and only the artifact's sha256 is known",
				Hint: "give the artifact file instead of its sha256 digest"}
		}
		d, err := fileDigest(art.Path, h)
		if err != nil {
			return nil, reason.Wrap(err, reason.InputUnreadable, "check that the artifact is readable", "hashing artifact")
		}
		digest = d
	}
	if len(md.GetDigest()) > 0 && !bytes.Equal(md.GetDigest(), digest) {
		return nil, &reason.Error{Code: reason.DigestMismatch, Msg: "artifact digest differs from the digest the bundle signs",
			Got: alg + ":" + hex.EncodeToString(digest), Want: alg + ":" + hex.EncodeToString(md.GetDigest()),
			Hint: "the bundle was made for other bytes; check that the artifact and the bundle belong together"}
	}
	return verify.WithArtifactDigest(alg, digest), nil
}

func fileDigest(path string, h func() hash.Hash) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hh := h()
	if _, err := io.Copy(hh, f); err != nil {
		return nil, err
	}
	return hh.Sum(nil), nil
}

func (v *Verifier) matchIdentity(c certificate.Summary) *reason.Error {
	id := v.cfg.identity
	switch {
	case id.Subject != "" && c.SubjectAlternativeName != id.Subject:
		return &reason.Error{Code: reason.IdentityMismatch, Msg: "certificate identity differs", Got: c.SubjectAlternativeName, Want: id.Subject,
			Hint: "the artifact was signed by someone else; check --certificate-identity against the publisher's documented signer"}
	case v.subjectRe != nil && !v.subjectRe.MatchString(c.SubjectAlternativeName):
		return &reason.Error{Code: reason.IdentityMismatch, Msg: "certificate identity does not match the regexp", Got: c.SubjectAlternativeName, Want: v.subjectRe.String(),
			Hint: "regexps are anchored: they must match the whole identity"}
	case id.Issuer != "" && c.Issuer != id.Issuer:
		return &reason.Error{Code: reason.IssuerMismatch, Msg: "certificate OIDC issuer differs", Got: c.Issuer, Want: id.Issuer,
			Hint: "check --certificate-oidc-issuer; GitHub Actions uses https://token.actions.githubusercontent.com"}
	case v.issuerRe != nil && !v.issuerRe.MatchString(c.Issuer):
		return &reason.Error{Code: reason.IssuerMismatch, Msg: "certificate OIDC issuer does not match the regexp", Got: c.Issuer, Want: v.issuerRe.String(),
			Hint: "regexps are anchored: they must match the whole issuer"}
	}
	return nil
}

// diagnose runs sigstore-go's verification stages one at a time to name
// which one failed. It is called only after a failed verification, so the
// common path does the work once. It returns either a signature error or,
// when the whole chain holds, the identity error.
func (v *Verifier) diagnose(sv *verify.Verifier, pb *ParsedBundle, verr error) (sigErr, idErr *reason.Error) {
	vc, err := pb.Bundle.VerificationContent()
	if err != nil {
		return reason.Wrap(err, reason.CertificateInvalid, "the bundle's certificate or public key hint is missing or corrupt; re-download the bundle", "reading verification material"), nil
	}
	switch {
	case vc.Certificate() != nil && v.cfg.key != nil:
		return reason.New(reason.KeyMismatch, "the bundle was signed keylessly; verify it with --certificate-identity and --certificate-oidc-issuer",
			"bundle carries a certificate, not a signature by the given key"), nil
	case vc.Certificate() == nil && v.cfg.identity != nil:
		return reason.New(reason.KeyMismatch, "the bundle was signed with a key; verify it with --key and the publisher's public key",
			"bundle is signed with a key, not a certificate"), nil
	}
	entries, err := pb.Bundle.TlogEntries()
	if err != nil {
		return reason.Wrap(err, reason.TlogInvalid, "the bundle's transparency log entry is corrupt", "reading tlog entries"), nil
	}
	if len(entries) == 0 {
		return reason.New(reason.TlogMissing, "sovcheck requires transparency log evidence; re-sign with upload to a transparency log (cosign's default)",
			"bundle has no transparency log entry"), nil
	}
	for _, e := range entries {
		if e.LogIndex() < 0 {
			return &reason.Error{Code: reason.TlogInvalid, Msg: "transparency log entry has a negative log index", Got: fmt.Sprint(e.LogIndex()), Want: ">= 0",
				Hint: "the bundle is corrupt or forged"}, nil
		}
	}
	if v.cfg.key != nil {
		for _, e := range entries {
			if pk, ok := e.PublicKey().(interface{ Equal(crypto.PublicKey) bool }); ok && !pk.Equal(v.cfg.key) {
				return reason.New(reason.KeyMismatch, "the artifact was signed with another key than --key; check that you have the publisher's current public key",
					"transparency log entry records another signing key"), nil
			}
		}
	}
	logTimes, err := sv.VerifyTransparencyLogInclusion(pb.Bundle)
	if err != nil {
		return reason.Wrap(err, reason.TlogInvalid, "the inclusion proof, checkpoint or promise does not verify against a log in the trusted root; check --trusted-root and that the bundle is unmodified",
			"verifying transparency log entry"), nil
	}
	observed, err := sv.VerifyObserverTimestamps(pb.Bundle, logTimes)
	if err != nil {
		return reason.Wrap(err, reason.TimestampInvalid, "no trusted time for the signature: the log time or RFC 3161 timestamp does not verify against the trusted root",
			"verifying timestamps"), nil
	}
	if leaf := vc.Certificate(); leaf != nil {
		if !hasSCTExtension(leaf.Extensions) {
			return reason.New(reason.SCTMissing, "keyless certificates must be logged in certificate transparency; the certificate was not issued by a CT-logging Fulcio",
				"certificate has no embedded SCT"), nil
		}
		for _, ts := range observed {
			chains, err := verify.VerifyLeafCertificate(ts.Timestamp, leaf, v.trusted)
			if err != nil {
				return &reason.Error{Code: reason.CertificateChainInvalid, Msg: "certificate does not chain to a trusted CA at the signing time",
					Got:  fmt.Sprintf("signed %s, certificate valid %s to %s", ts.Timestamp.UTC().Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339)),
					Hint: "the certificate was not issued by a CA in the trusted root, or the signature was made outside its validity window", Err: err}, nil
			}
			if err := verify.VerifySignedCertificateTimestamp(chains, 1, v.trusted); err != nil {
				return reason.Wrap(err, reason.SCTInvalid, "the certificate's SCT does not verify against a CT log in the trusted root", "verifying SCT"), nil
			}
		}
		summary, err := certificate.SummarizeCertificate(leaf)
		if err != nil {
			return reason.Wrap(err, reason.CertificateInvalid, "the certificate's Fulcio extensions are malformed", "reading certificate"), nil
		}
		if idErr := v.matchIdentity(summary); idErr != nil {
			return nil, idErr
		}
	}
	return reason.Wrap(verr, reason.SignatureInvalid, "the signature does not match the signed content: the artifact, payload or signature was changed, or the wrong key was given",
		"verifying signature"), nil
}
