package ocitest

import (
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// CosignSignPredicateType is the predicate type of cosign's image
// signatures in the Sigstore bundle format (--new-bundle-format).
const CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// Signer signs images as cosign does, with a virtual Sigstore.
type Signer struct {
	Authority *sigstoretest.Authority
	// Key signs with a key; nil signs keylessly as Identity and Issuer.
	Key      crypto.Signer
	Identity string
	Issuer   string
	// NoTlog leaves signatures without a transparency log entry, as
	// cosign sign --tlog-upload=false does.
	NoTlog bool
}

func (s Signer) options(version string, tlog sigstoretest.Tlog) sigstoretest.SignOptions {
	o := sigstoretest.SignOptions{BundleVersion: version, Tlog: tlog}
	if s.NoTlog {
		o.Tlog = sigstoretest.TlogNone
	}
	if s.Key != nil {
		o.Key = s.Key
	} else {
		o.Identity, o.Issuer = s.Identity, s.Issuer
	}
	return o
}

// SimpleSigningPayload is cosign's signed payload for an image digest.
func SimpleSigningPayload(repo, digest string) []byte { return oci.SimpleSigningPayload(repo, digest) }

// Sign appends a cosign signature of digest to its sha256-<hex>.sig tag.
func (s Signer) Sign(p Place, digest string) error {
	return s.SignPayload(p, digest, SimpleSigningPayload(p.Name(), digest))
}

// SignPayload appends a signature over payload to digest's .sig tag; tests
// use it to attach a payload that claims another digest.
func (s Signer) SignPayload(p Place, digest string, payload []byte) error {
	bundle, err := s.Authority.SignBlob(payload, s.options("v0.1", sigstoretest.TlogV1Promise))
	if err != nil {
		return err
	}
	parts, err := legacyParts(bundle)
	if err != nil {
		return err
	}
	ann := parts.annotations()
	ann[oci.AnnotationSignature] = base64.StdEncoding.EncodeToString(parts.sig)
	return AppendLayer(p, tagFor(digest, "sig"), payload, vocab.MediaTypeSimpleSigning, ann)
}

// Attest appends a cosign attestation of digest (an in-toto statement with
// the given predicate) to its sha256-<hex>.att tag.
func (s Signer) Attest(p Place, digest, predicateType string, predicate []byte) error {
	st, err := statement(p.Name(), digest, predicateType, predicate)
	if err != nil {
		return err
	}
	bundle, err := s.Authority.SignDSSE(st, s.options("v0.1", sigstoretest.TlogV1Promise))
	if err != nil {
		return err
	}
	parts, err := legacyParts(bundle)
	if err != nil {
		return err
	}
	ann := parts.annotations()
	ann[oci.AnnotationSignature] = ""
	ann["predicateType"] = predicateType
	return AppendLayer(p, tagFor(digest, "att"), parts.envelope, vocab.MediaTypeDSSE, ann)
}

// AttachBundle attaches a Sigstore bundle v0.3 with a DSSE attestation of
// digest as an OCI 1.1 referrer, as cosign --new-bundle-format does, and
// returns the referrer's digest.
func (s Signer) AttachBundle(p Place, digest, predicateType string, predicate []byte) (string, error) {
	st, err := statement(p.Name(), digest, predicateType, predicate)
	if err != nil {
		return "", err
	}
	bundle, err := s.Authority.SignDSSE(st, s.options("v0.3", sigstoretest.TlogV1Proof))
	if err != nil {
		return "", err
	}
	return AttachReferrer(p, digest, vocab.MediaTypeBundleV03, bundle, vocab.MediaTypeBundleV03,
		map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicateType})
}

// AttachSBOM stores an SBOM under digest's sha256-<hex>.sbom tag, as cosign
// attach sbom does, and returns the SBOM image's digest.
func AttachSBOM(p Place, digest string, sbom []byte, mt types.MediaType) (string, error) {
	if err := AppendLayer(p, tagFor(digest, "sbom"), sbom, mt, nil); err != nil {
		return "", err
	}
	raw, _, _, err := p.Manifest(tagFor(digest, "sbom"))
	if err != nil {
		return "", err
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	return h.String(), err
}

// AttachReferrer stores a manifest of one layer whose subject is digest,
// untagged (a registry without the referrers API gets the tag schema).
func AttachReferrer(p Place, digest, artifactType string, layer []byte, layerType string, annotations map[string]string) (string, error) {
	raw, mt, ok, err := p.Manifest(digest)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("attaching referrer: no manifest %s", digest)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", err
	}
	cfg, err := p.PutBlob([]byte("{}"), types.OCIEmptyJSON)
	if err != nil {
		return "", err
	}
	ld, err := p.PutBlob(layer, types.MediaType(layerType))
	if err != nil {
		return "", err
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: artifactType, Config: cfg,
		Layers: []v1.Descriptor{ld}, Subject: &v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}, Annotations: annotations}
	body, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return p.PutManifest("", body, types.OCIManifestSchema1)
}

// AppendLayer adds a layer with annotations to the image under tag,
// creating it when absent, as cosign adds signatures to .sig images.
func AppendLayer(p Place, tag string, layer []byte, mt types.MediaType, annotations map[string]string) error {
	raw, _, ok, err := p.Manifest(tag)
	if err != nil {
		return err
	}
	var m v1.Manifest
	if ok {
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("parsing %s: %w", tag, err)
		}
	} else {
		cfg, err := p.PutBlob([]byte(`{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}`), types.OCIConfigJSON)
		if err != nil {
			return err
		}
		m = v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: cfg}
	}
	d, err := p.PutBlob(layer, mt)
	if err != nil {
		return err
	}
	d.Annotations = annotations
	m.Layers = append(m.Layers, d)
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = p.PutManifest(tag, body, types.OCIManifestSchema1)
	return err
}

func tagFor(digest, suffix string) string {
	return "sha256-" + strings.TrimPrefix(digest, "sha256:") + "." + suffix
}

func statement(repo, digest, predicateType string, predicate []byte) ([]byte, error) {
	var pred any = json.RawMessage(`{}`)
	if len(predicate) > 0 {
		pred = json.RawMessage(predicate)
	}
	return sigstoretest.Statement(map[string]string{repo: strings.TrimPrefix(digest, "sha256:")}, predicateType, pred)
}

// parts of a Sigstore bundle as cosign's layer format carries them.
type parts struct {
	sig      []byte // message signature
	envelope []byte // DSSE envelope JSON
	certPEM  string
	rekor    string // cosign's bundle annotation
}

func (p parts) annotations() map[string]string {
	ann := map[string]string{}
	if p.certPEM != "" {
		ann[oci.AnnotationCertificate] = p.certPEM
	}
	if p.rekor != "" {
		ann[oci.AnnotationBundle] = p.rekor
	}
	return ann
}

// legacyParts takes a v0.1 bundle apart into cosign's layer format.
func legacyParts(bundle []byte) (parts, error) {
	var b struct {
		MessageSignature *struct {
			Signature []byte `json:"signature"`
		} `json:"messageSignature"`
		DSSEEnvelope *struct {
			Payload     []byte `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig []byte `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
		VerificationMaterial struct {
			Chain *struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"x509CertificateChain"`
			TlogEntries []struct {
				LogIndex string `json:"logIndex"`
				LogID    struct {
					KeyID []byte `json:"keyId"`
				} `json:"logId"`
				IntegratedTime   string `json:"integratedTime"`
				InclusionPromise struct {
					SET []byte `json:"signedEntryTimestamp"`
				} `json:"inclusionPromise"`
				Body []byte `json:"canonicalizedBody"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return parts{}, fmt.Errorf("parsing bundle: %w", err)
	}
	var out parts
	switch {
	case b.MessageSignature != nil:
		out.sig = b.MessageSignature.Signature
	case b.DSSEEnvelope != nil:
		env := map[string]any{
			"payloadType": b.DSSEEnvelope.PayloadType,
			"payload":     base64.StdEncoding.EncodeToString(b.DSSEEnvelope.Payload),
			"signatures":  []any{map[string]string{"keyid": "", "sig": base64.StdEncoding.EncodeToString(b.DSSEEnvelope.Signatures[0].Sig)}},
		}
		out.envelope, _ = json.Marshal(env)
	default:
		return parts{}, errors.New("bundle has no content")
	}
	if c := b.VerificationMaterial.Chain; c != nil && len(c.Certificates) > 0 {
		out.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificates[0].RawBytes}))
	}
	if len(b.VerificationMaterial.TlogEntries) > 0 {
		e := b.VerificationMaterial.TlogEntries[0]
		it, err1 := strconv.ParseInt(e.IntegratedTime, 10, 64)
		li, err2 := strconv.ParseInt(e.LogIndex, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return parts{}, fmt.Errorf("parsing tlog entry: %w", err)
		}
		rekor, _ := json.Marshal(map[string]any{
			"SignedEntryTimestamp": e.InclusionPromise.SET,
			"Payload": map[string]any{
				"body":           base64.StdEncoding.EncodeToString(e.Body),
				"integratedTime": it,
				"logIndex":       li,
				"logID":          hex.EncodeToString(e.LogID.KeyID),
			},
		})
		out.rekor = string(rekor)
	}
	return out, nil
}
