package oci

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// cosign's signature and attestation images (the .sig and .att tags, and
// the same layers in cosign save layouts and OCI 1.1 referrers) carry one
// signature per layer: the signed content is the layer, everything else is
// in the layer's annotations.
const (
	AnnotationSignature   = "dev.cosignproject.cosign/signature"
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	AnnotationBundle      = "dev.sigstore.cosign/bundle"
	AnnotationRFC3161     = "dev.sigstore.cosign/rfc3161timestamp"

	// SimpleSigningType is the critical.type of cosign's image signatures.
	SimpleSigningType = "cosign container image signature"

	maxCosignAnnotationEntries = 64
)

// isBundleType reports whether an artifact or layer media type is a
// Sigstore bundle of any version.
func isBundleType(mt string) bool { return strings.HasPrefix(mt, vocab.MediaTypeBundlePrefix) }

// SimpleSigningPayload is cosign's signed payload for the image digest in
// repository repo, as 'cosign sign' writes it.
func SimpleSigningPayload(repo, digest string) []byte {
	b, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": repo},
			"image":    map[string]string{"docker-manifest-digest": digest},
			"type":     SimpleSigningType,
		},
		"optional": nil,
	})
	return b
}

// SimpleSigning is the claim of a cosign image signature payload.
type SimpleSigning struct {
	Type           string // critical.type
	ManifestDigest string // critical.image.docker-manifest-digest
	Reference      string // critical.identity.docker-reference
}

// ParseSimpleSigning reads a simple signing payload. It checks the type
// and the digest's form; that the digest is the verified image's is the
// caller's check.
func ParseSimpleSigning(payload []byte) (SimpleSigning, error) {
	if len(payload) > MaxEvidenceSize {
		return SimpleSigning{}, tooLarge("simple signing payload", int64(len(payload)), MaxEvidenceSize, "reading signature payload")
	}
	var doc struct {
		Critical *struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
			Image struct {
				DockerManifestDigest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil {
		return SimpleSigning{}, reason.Wrap(err, reason.SignatureMalformed, "the signed payload is not a cosign simple signing document", "parsing signature payload")
	}
	if doc.Critical == nil {
		return SimpleSigning{}, reason.New(reason.SignatureMalformed, "the signed payload is not a cosign simple signing document", "signature payload has no critical section")
	}
	c := doc.Critical
	if !strings.EqualFold(c.Type, SimpleSigningType) {
		return SimpleSigning{}, &reason.Error{Code: reason.SignatureMalformed, Msg: "signature payload has an unexpected type", Got: orNone(c.Type), Want: SimpleSigningType,
			Hint: "the layer does not hold a cosign image signature"}
	}
	if !validDigest(c.Image.DockerManifestDigest) {
		return SimpleSigning{}, &reason.Error{Code: reason.SignatureMalformed, Msg: "signature payload names no valid image digest", Got: orNone(c.Image.DockerManifestDigest),
			Want: "sha256:<hex>", Hint: "the layer does not hold a cosign image signature"}
	}
	return SimpleSigning{Type: c.Type, ManifestDigest: c.Image.DockerManifestDigest, Reference: c.Identity.DockerReference}, nil
}

// LegacyBundle turns one layer of cosign's signature or attestation format
// into a Sigstore bundle v0.1 document carrying the same evidence: the
// signature (annotation) over the layer, or the DSSE envelope the layer
// is; the certificate or, without one, a key hint; the Rekor entry with its
// signed entry timestamp; an RFC 3161 timestamp. Nothing is verified here.
func LegacyBundle(mediaType string, layer []byte, annotations map[string]string) ([]byte, error) {
	if len(layer) > MaxEvidenceSize {
		return nil, tooLarge("signature layer", int64(len(layer)), MaxEvidenceSize, "reading signature layer")
	}
	if len(annotations) > maxCosignAnnotationEntries {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "signature layer has too many annotations", Got: fmt.Sprint(len(annotations)),
			Want: fmt.Sprintf("at most %d", maxCosignAnnotationEntries), Hint: "the layer is not a cosign signature"}
	}
	b := map[string]any{"mediaType": vocab.MediaTypeBundleV01}
	switch mediaType {
	case vocab.MediaTypeSimpleSigning:
		sig, err := decodeB64(annotations[AnnotationSignature])
		if err != nil || len(sig) == 0 {
			return nil, reason.New(reason.SignatureMalformed, "the signature layer lacks its signature annotation "+AnnotationSignature+" or it is not base64",
				"reading signature annotation")
		}
		sum := sha256.Sum256(layer)
		b["messageSignature"] = map[string]any{
			"messageDigest": map[string]any{"algorithm": "SHA2_256", "digest": sum[:]},
			"signature":     sig,
		}
	case vocab.MediaTypeDSSE:
		var env struct {
			PayloadType string `json:"payloadType"`
			Payload     string `json:"payload"`
			Signatures  []struct {
				KeyID string `json:"keyid"`
				Sig   string `json:"sig"`
			} `json:"signatures"`
		}
		if err := json.Unmarshal(layer, &env); err != nil {
			return nil, reason.Wrap(err, reason.SignatureMalformed, "the attestation layer is not a DSSE envelope", "parsing DSSE envelope")
		}
		payload, err := decodeB64(env.Payload)
		if err != nil || env.PayloadType == "" {
			return nil, reason.New(reason.SignatureMalformed, "the DSSE envelope lacks a payload type or a base64 payload", "parsing DSSE envelope")
		}
		if len(env.Signatures) != 1 {
			return nil, &reason.Error{Code: reason.SignatureMalformed, Msg: "DSSE envelope must carry one signature", Got: fmt.Sprint(len(env.Signatures)), Want: "1",
				Hint: "cosign writes one signature per attestation layer"}
		}
		sig, err := decodeB64(env.Signatures[0].Sig)
		if err != nil || len(sig) == 0 {
			return nil, reason.New(reason.SignatureMalformed, "the DSSE signature is not base64", "parsing DSSE envelope")
		}
		b["dsseEnvelope"] = map[string]any{
			"payload":     payload,
			"payloadType": env.PayloadType,
			"signatures":  []any{map[string]any{"sig": sig, "keyid": env.Signatures[0].KeyID}},
		}
	default:
		return nil, &reason.Error{Code: reason.MediaTypeUnknown, Msg: "unknown signature layer media type", Got: orNone(mediaType),
			Want: vocab.MediaTypeSimpleSigning + " or " + vocab.MediaTypeDSSE, Hint: "sovcheck reads cosign's signature and attestation layers and Sigstore bundles"}
	}

	vm := map[string]any{}
	if certPEM := annotations[AnnotationCertificate]; certPEM != "" {
		block, _ := pem.Decode([]byte(certPEM))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, reason.New(reason.SignatureMalformed, "the certificate annotation "+AnnotationCertificate+" is not a PEM certificate", "reading signing certificate")
		}
		vm["x509CertificateChain"] = map[string]any{"certificates": []any{map[string]any{"rawBytes": block.Bytes}}}
	} else {
		vm["publicKey"] = map[string]any{}
	}
	if raw := annotations[AnnotationBundle]; raw != "" {
		entry, err := legacyTlogEntry(raw)
		if err != nil {
			return nil, err
		}
		vm["tlogEntries"] = []any{entry}
	}
	if raw := annotations[AnnotationRFC3161]; raw != "" {
		var ts struct {
			Signed string `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(raw), &ts); err != nil {
			return nil, reason.Wrap(err, reason.SignatureMalformed, "the timestamp annotation "+AnnotationRFC3161+" is not cosign's JSON", "reading RFC 3161 timestamp")
		}
		tsBytes, err := decodeB64(ts.Signed)
		if err != nil || len(tsBytes) == 0 {
			return nil, reason.New(reason.SignatureMalformed, "the RFC 3161 timestamp is not base64", "reading RFC 3161 timestamp")
		}
		vm["timestampVerificationData"] = map[string]any{"rfc3161Timestamps": []any{map[string]any{"signedTimestamp": tsBytes}}}
	}
	b["verificationMaterial"] = vm
	out, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	return out, nil
}

// legacyTlogEntry converts cosign's bundle annotation (a Rekor entry and
// its signed entry timestamp) into a bundle tlog entry.
func legacyTlogEntry(raw string) (map[string]any, error) {
	malformed := func(err error, what string) error {
		return reason.Wrap(err, reason.SignatureMalformed, "the transparency log annotation "+AnnotationBundle+" is not cosign's Rekor bundle", "reading %s", what)
	}
	var rb struct {
		SET     string `json:"SignedEntryTimestamp"`
		Payload *struct {
			Body           string `json:"body"`
			IntegratedTime *int64 `json:"integratedTime"`
			LogIndex       *int64 `json:"logIndex"`
			LogID          string `json:"logID"`
		} `json:"Payload"`
	}
	if err := json.Unmarshal([]byte(raw), &rb); err != nil {
		return nil, malformed(err, "transparency log bundle")
	}
	if rb.Payload == nil || rb.Payload.IntegratedTime == nil || rb.Payload.LogIndex == nil {
		return nil, malformed(nil, "transparency log bundle: missing payload, integrated time or log index")
	}
	set, err := decodeB64(rb.SET)
	if err != nil || len(set) == 0 {
		return nil, malformed(err, "signed entry timestamp")
	}
	body, err := decodeB64(rb.Payload.Body)
	if err != nil || len(body) == 0 {
		return nil, malformed(err, "log entry body")
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil || len(logID) == 0 {
		return nil, malformed(err, "log id")
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kv); err != nil || kv.Kind == "" || kv.APIVersion == "" {
		return nil, malformed(err, "log entry kind")
	}
	return map[string]any{
		"logIndex":          strconv.FormatInt(*rb.Payload.LogIndex, 10),
		"logId":             map[string]any{"keyId": logID},
		"kindVersion":       map[string]any{"kind": kv.Kind, "version": kv.APIVersion},
		"integratedTime":    strconv.FormatInt(*rb.Payload.IntegratedTime, 10),
		"inclusionPromise":  map[string]any{"signedEntryTimestamp": set},
		"canonicalizedBody": body,
	}, nil
}

// decodeB64 accepts standard base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}
