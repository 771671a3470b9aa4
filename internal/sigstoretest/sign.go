package sigstoretest

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// The bundle versions SignOptions.BundleVersion accepts, with the media type
// each one writes.
var bundleMediaTypes = map[string]string{
	"v0.1":        vocab.MediaTypeBundleV01,
	"v0.2":        vocab.MediaTypeBundleV02,
	"v0.3":        vocab.MediaTypeBundleV03,
	"v0.3-legacy": vocab.MediaTypeBundleV03Legacy,
}

// SignOptions describes one signature and the evidence its bundle carries.
// The zero value (plus Identity and Issuer) is a keyless v0.3 bundle with an
// ECDSA P-256 certificate, an embedded SCT and a Rekor v1 entry with an
// inclusion proof.
type SignOptions struct {
	// BundleVersion is "v0.1", "v0.2", "v0.3" (media type
	// application/vnd.dev.sigstore.bundle.v0.3+json) or "v0.3-legacy"
	// (application/vnd.dev.sigstore.bundle+json;version=0.3). Default v0.3.
	// v0.1 needs an inclusion promise (TlogV1Promise, TlogV1Proof or
	// TlogNone); v0.2 and later need an inclusion proof (TlogV1Proof,
	// TlogV2 or TlogNone).
	BundleVersion string

	// Identity is the certificate's subject alternative name: a URI SAN if
	// it contains "://", else an email SAN. Keyless only, required.
	Identity string
	// Issuer is the OIDC issuer, written as Fulcio extension 1.8 (and the
	// deprecated 1.1). Keyless only, required.
	Issuer string
	// GitHub adds GitHub Actions Fulcio extensions. Keyless only.
	GitHub *GitHubClaims
	// KeyAlg is the leaf key type for keyless signing: "ecdsa-p256"
	// (default), "ecdsa-p384", "ed25519" or "rsa-2048".
	KeyAlg string
	// NoSCT omits the embedded SCT. Keyless only.
	NoSCT bool
	// IncludeChain puts the Fulcio intermediate after the leaf in the
	// certificate chain. v0.1 and v0.2 bundles always carry an
	// x509CertificateChain (leaf only unless IncludeChain); v0.3 bundles
	// carry a single certificate, so IncludeChain is refused for them.
	IncludeChain bool

	// Key selects key-based signing: the bundle carries no certificate but a
	// public key hint (KeyHint), and the log entry carries the public key.
	Key crypto.Signer

	// Tlog selects the transparency log evidence. Default TlogV1Proof.
	Tlog Tlog
	// Contradict makes the inclusion proof contradict the checkpoint or
	// the entry in a redundant field. Default ContradictNone.
	Contradict Contradiction
	// TSA selects an RFC 3161 timestamp. Default TSANone.
	TSA TSA
	// SignedAt is the signing, log integration and timestamp time. Default:
	// the Authority's clock. A keyless leaf certificate is valid from one
	// minute before it for ten minutes.
	SignedAt time.Time
}

// SignBlob returns a serialized bundle with a message signature over
// artifact.
func (a *Authority) SignBlob(artifact []byte, o SignOptions) ([]byte, error) {
	b, err := a.sign(artifact, "", o)
	if err != nil {
		return nil, fmt.Errorf("signing blob: %w", err)
	}
	return b, nil
}

// SignDSSE returns a serialized bundle with a DSSE envelope of payload type
// application/vnd.in-toto+json over payload (see Statement).
func (a *Authority) SignDSSE(payload []byte, o SignOptions) ([]byte, error) {
	b, err := a.sign(payload, vocab.InTotoPayloadType, o)
	if err != nil {
		return nil, fmt.Errorf("signing dsse envelope: %w", err)
	}
	return b, nil
}

func checkSignOptions(o *SignOptions) error {
	if o.BundleVersion == "" {
		o.BundleVersion = "v0.3"
	}
	if _, ok := bundleMediaTypes[o.BundleVersion]; !ok {
		return fmt.Errorf("%w: got bundle version %q, want v0.1, v0.2, v0.3 or v0.3-legacy", ErrInvalidOptions, o.BundleVersion)
	}
	switch o.Tlog {
	case TlogV1Proof, TlogNone, TlogV1Promise, TlogV2:
	default:
		return fmt.Errorf("%w: got tlog %s, want one of the Tlog constants", ErrInvalidOptions, o.Tlog)
	}
	switch o.TSA {
	case TSANone, TSAWithCerts, TSAWithoutCerts:
	default:
		return fmt.Errorf("%w: got tsa %s, want one of the TSA constants", ErrInvalidOptions, o.TSA)
	}
	if o.BundleVersion == "v0.1" && o.Tlog == TlogV2 {
		return fmt.Errorf("%w: bundle v0.1 needs an inclusion promise, which rekor v2 entries do not have", ErrInvalidOptions)
	}
	if o.BundleVersion != "v0.1" && o.Tlog == TlogV1Promise {
		return fmt.Errorf("%w: bundle %s needs an inclusion proof, got %s", ErrInvalidOptions, o.BundleVersion, o.Tlog)
	}
	if o.Key != nil {
		if o.Identity != "" || o.Issuer != "" || o.GitHub != nil || o.KeyAlg != "" || o.NoSCT || o.IncludeChain {
			return fmt.Errorf("%w: Identity, Issuer, GitHub, KeyAlg, NoSCT and IncludeChain apply to keyless signing, got a Key", ErrInvalidOptions)
		}
		return nil
	}
	if o.Identity == "" || o.Issuer == "" {
		return fmt.Errorf("%w: keyless signing needs Identity and Issuer, got identity %q, issuer %q", ErrInvalidOptions, o.Identity, o.Issuer)
	}
	if o.IncludeChain && (o.BundleVersion == "v0.3" || o.BundleVersion == "v0.3-legacy") {
		return fmt.Errorf("%w: bundle %s carries a single certificate, not a chain", ErrInvalidOptions, o.BundleVersion)
	}
	return nil
}

// sign makes a bundle over content: a message signature when payloadType is
// empty, else a DSSE envelope.
func (a *Authority) sign(content []byte, payloadType string, o SignOptions) ([]byte, error) {
	if err := checkSignOptions(&o); err != nil {
		return nil, err
	}
	signedAt := a.now
	if !o.SignedAt.IsZero() {
		signedAt = utcSeconds(o.SignedAt)
	}
	key := o.Key
	if key == nil {
		alg := o.KeyAlg
		if alg == "" {
			alg = KeyECDSAP256
		}
		var err error
		if key, err = NewKey(alg); err != nil {
			return nil, err
		}
	}
	sk, err := newSigningKey(key)
	if err != nil {
		return nil, err
	}

	pb := &protobundle.Bundle{
		MediaType:            bundleMediaTypes[o.BundleVersion],
		VerificationMaterial: &protobundle.VerificationMaterial{},
	}

	sig, logDigest, v1Kind, v1Props, err := signContent(sk, pb, content, payloadType)
	if err != nil {
		return nil, err
	}
	v2Verifier, err := a.setMaterial(sk, pb, key, o, signedAt, &v1Props)
	if err != nil {
		return nil, err
	}
	v1Props.PKIFormat = "x509"

	var entry *protorekor.TransparencyLogEntry
	switch o.Tlog {
	case TlogV1Proof, TlogV1Promise:
		entry, err = a.rekorV1Entry(v1Kind, v1Props, signedAt, o.Tlog == TlogV1Proof)
	case TlogV2:
		entry, err = a.rekorV2Entry(logDigest, sig, v2Verifier)
	}
	if err != nil {
		return nil, fmt.Errorf("logging signature: %w", err)
	}
	if entry != nil {
		if err := contradict(entry, o.Contradict); err != nil {
			return nil, err
		}
		pb.VerificationMaterial.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}

	if o.TSA != TSANone {
		ts, err := a.timestamp(sig, signedAt, o.TSA)
		if err != nil {
			return nil, err
		}
		pb.VerificationMaterial.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts}},
		}
	}

	// sigstore-go's own bundle rules are the last word on what is valid.
	if _, err := bundle.NewBundle(pb); err != nil {
		return nil, fmt.Errorf("checking bundle against sigstore-go: %w", err)
	}
	return marshalProto(pb)
}

// signContent signs content (a DSSE envelope over it when payloadType is
// set, else its digest), stores the signed content in pb and returns the
// signature, the digest the logs record, and the rekor v1 entry kind and
// properties.
func signContent(sk signingKey, pb *protobundle.Bundle, content []byte, payloadType string) (sig, logDigest []byte, v1Kind string, v1Props types.ArtifactProperties, err error) {
	if payloadType != "" {
		pae := dsse.PAE(payloadType, content)
		if sig, err = sk.signMessage(pae); err != nil {
			return nil, nil, "", v1Props, fmt.Errorf("signing envelope: %w", err)
		}
		pb.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     content,
			PayloadType: payloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}}
		h := sk.hash().New()
		h.Write(pae)
		logDigest = h.Sum(nil)
		envelope, err := json.Marshal(dsse.Envelope{
			PayloadType: payloadType,
			Payload:     base64.StdEncoding.EncodeToString(content),
			Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		})
		if err != nil {
			return nil, nil, "", v1Props, fmt.Errorf("encoding envelope: %w", err)
		}
		v1Kind, v1Props = "dsse", types.ArtifactProperties{ArtifactBytes: envelope}
	} else {
		h := sk.hash().New()
		h.Write(content)
		logDigest = h.Sum(nil)
		if sig, err = sk.signDigest(logDigest); err != nil {
			return nil, nil, "", v1Props, fmt.Errorf("signing artifact digest: %w", err)
		}
		pb.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: sk.hashAlgorithm(), Digest: logDigest},
			Signature:     sig,
		}}
		v1Kind, v1Props = "hashedrekord", types.ArtifactProperties{
			ArtifactHash:   hashPrefix(sk.hash()) + hex.EncodeToString(logDigest),
			SignatureBytes: sig,
		}
	}

	return sig, logDigest, v1Kind, v1Props, nil
}

// setMaterial stores the verification material in pb: a public key hint
// when the caller gave a key, else a freshly issued certificate. It fills
// the key bytes of the rekor v1 properties and returns the rekor v2
// verifier.
func (a *Authority) setMaterial(sk signingKey, pb *protobundle.Bundle, key crypto.Signer, o SignOptions, signedAt time.Time, props *types.ArtifactProperties) (*rekortilespb.Verifier, error) {
	v2Verifier := &rekortilespb.Verifier{KeyDetails: sk.details.GetSignatureAlgorithm()}
	if o.Key != nil {
		hint, err := KeyHint(key.Public())
		if err != nil {
			return nil, err
		}
		pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_PublicKey{
			PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint},
		}
		spki, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return nil, fmt.Errorf("encoding public key: %w", err)
		}
		props.PublicKeyBytes = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})}
		v2Verifier.Verifier = &rekortilespb.Verifier_PublicKey{PublicKey: &rekortilespb.PublicKey{RawBytes: spki}}
	} else {
		leaf, err := a.issueLeaf(key.Public(), o.Identity, o.Issuer, o.GitHub, signedAt, o.NoSCT)
		if err != nil {
			return nil, fmt.Errorf("issuing certificate: %w", err)
		}
		setCertificate(pb.VerificationMaterial, o.BundleVersion, leaf, a.fulcioIntermediate, o.IncludeChain)
		props.PublicKeyBytes = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})}
		v2Verifier.Verifier = &rekortilespb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}}
	}
	return v2Verifier, nil
}

// setCertificate stores the leaf as a v0.3 bundle carries it (a single
// certificate) or as v0.1 and v0.2 bundles do (a chain, leaf first).
func setCertificate(vm *protobundle.VerificationMaterial, version string, leaf, intermediate *x509.Certificate, includeChain bool) {
	if version == "v0.3" || version == "v0.3-legacy" {
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}}
		return
	}
	certs := []*protocommon.X509Certificate{{RawBytes: leaf.Raw}}
	if includeChain {
		certs = append(certs, &protocommon.X509Certificate{RawBytes: intermediate.Raw})
	}
	vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{
		X509CertificateChain: &protocommon.X509CertificateChain{Certificates: certs},
	}
}

// hashPrefix is the algorithm prefix of a Rekor v1 artifact hash.
func hashPrefix(h crypto.Hash) string {
	switch h {
	case crypto.SHA384:
		return "sha384:"
	case crypto.SHA512:
		return "sha512:"
	}
	return "sha256:"
}
