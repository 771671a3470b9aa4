package attest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// MaxEnvelopeSignatures is the most signatures read from one DSSE envelope.
const MaxEnvelopeSignatures = 16

// Envelope is a DSSE envelope, read from its JSON form or from a Sigstore
// bundle that carries one.
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     []byte              `json:"payload"`
	Signatures  []EnvelopeSignature `json:"signatures"`
	// Form says what the file held: "DSSE envelope", or the bundle's
	// description ("bundle v0.3, DSSE envelope").
	Form string `json:"-"`
	// Certificate is set when the bundle's verification material is a
	// certificate (a keyless signature) rather than a public key hint.
	Certificate bool `json:"-"`
	// KeyHint is the bundle's public key hint, a hint only, like the keyids.
	KeyHint string `json:"-"`
}

// EnvelopeSignature is one signature of a DSSE envelope. KeyID is a hint
// only: the key that verifies the signature is chosen by the verifier.
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// PAE returns DSSE's pre-authentication encoding of the envelope's
// payload: what each signature signs.
func (e *Envelope) PAE() []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(e.PayloadType), e.PayloadType, len(e.Payload), e.Payload)
}

// ReadEnvelope reads a DSSE envelope in its JSON form, or a Sigstore bundle
// (v0.1 to v0.3) that carries one. It reads at most MaxBundleSize bytes.
// Nothing is verified here.
func ReadEnvelope(data []byte) (*Envelope, error) {
	if len(data) > MaxBundleSize {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "signed statement exceeds the size limit",
			Got: fmt.Sprintf("%d bytes", len(data)), Want: fmt.Sprintf("at most %d bytes", MaxBundleSize), Hint: "check that the right file was given"}
	}
	var head struct {
		MediaType *string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "give a DSSE envelope or a Sigstore bundle (JSON)", "parsing signed statement")
	}
	if head.MediaType != nil {
		pb, err := ParseBundle(data)
		if err != nil {
			return nil, err
		}
		env := pb.Bundle.GetDsseEnvelope()
		if env == nil {
			return nil, reason.New(reason.BundleMalformed, "give a bundle that carries a DSSE envelope (an attestation), not a message signature",
				"bundle carries no DSSE envelope")
		}
		pk := pb.Bundle.GetVerificationMaterial().GetPublicKey()
		e := &Envelope{PayloadType: env.GetPayloadType(), Payload: env.GetPayload(), Form: pb.Describe(), Certificate: pk == nil, KeyHint: pk.GetHint()}
		for _, s := range env.GetSignatures() {
			e.Signatures = append(e.Signatures, EnvelopeSignature{KeyID: s.GetKeyid(), Sig: s.GetSig()})
		}
		if err := e.check(); err != nil {
			return nil, err
		}
		return e, nil
	}
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "give a DSSE envelope or a Sigstore bundle (JSON)", "parsing DSSE envelope")
	}
	e.Form = "DSSE envelope"
	if err := e.check(); err != nil {
		return nil, err
	}
	return &e, nil
}

func (e *Envelope) check() error {
	switch {
	case e.PayloadType == "" || len(e.Payload) == 0:
		return reason.New(reason.BundleMalformed, "give a DSSE envelope with payloadType and payload", "DSSE envelope has no payload")
	case len(e.Signatures) == 0:
		return reason.New(reason.BundleMalformed, "the statement is not signed; give the signed envelope", "DSSE envelope has no signature")
	case len(e.Signatures) > MaxEnvelopeSignatures:
		return &reason.Error{Code: reason.InputTooLarge, Msg: "DSSE envelope has too many signatures",
			Got: fmt.Sprint(len(e.Signatures)), Want: fmt.Sprintf("at most %d", MaxEnvelopeSignatures), Hint: "check that the right file was given"}
	}
	return nil
}

// EnvelopeKeyID is the keyid a DSSE signature by pub carries: the
// SHA256:<base64> fingerprint of the key in SSH form, as
// go-securesystemslib, sigstore-go and cosign compute it.
func EnvelopeKeyID(pub crypto.PublicKey) (string, error) {
	id, err := dsse.SHA256KeyID(pub)
	if err != nil {
		return "", reason.Wrap(err, reason.KeyInvalid, "sign with an ECDSA or Ed25519 key", "computing the key's DSSE keyid")
	}
	return id, nil
}

// SignStatementWithKey signs an in-toto statement with key, once, and
// returns the signed DSSE envelope in two forms: as DSSE's JSON, and as a
// Sigstore bundle v0.3 whose public key hint is the key's id (hex sha256
// of its PKIX DER encoding). The bundle has no transparency log entry and
// no timestamp: it is made offline, and a verifier checks it with the
// signer's public key alone. The signature's keyid is the key's DSSE
// fingerprint (EnvelopeKeyID): the DSSE verifier of sigstore-go and cosign
// skips a signature whose keyid is not its own fingerprint of the key.
//
// The bundle is the one sigstore-go's sign.Bundle makes with a key and
// neither transparency log nor timestamp authority, built here from the
// bundle's protobuf types: package sign would pull a dozen modules (OIDC
// and TUF clients, HTTP retries) into sovcheck for code never run offline.
func SignStatementWithKey(statement []byte, key crypto.Signer) (envelope, bundleJSON []byte, err error) {
	id, err := vocab.KeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	env := &Envelope{PayloadType: vocab.InTotoPayloadType, Payload: statement}
	sig, err := signMessage(key, env.PAE())
	if err != nil {
		return nil, nil, err
	}
	fp, err := EnvelopeKeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	env.Signatures = []EnvelopeSignature{{KeyID: fp, Sig: sig}}
	if envelope, err = json.Marshal(env); err != nil {
		return nil, nil, fmt.Errorf("encoding DSSE envelope: %w", err)
	}
	pb := &protobundle.Bundle{
		MediaType: vocab.MediaTypeBundleV03,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: id}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: statement, PayloadType: vocab.InTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig, Keyid: fp}},
		}},
	}
	if _, err := bundle.NewBundle(pb); err != nil {
		return nil, nil, fmt.Errorf("checking the signed bundle: %w", err)
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding bundle: %w", err)
	}
	// protojson varies its whitespace on purpose; re-indent for a stable file.
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return nil, nil, fmt.Errorf("encoding bundle: %w", err)
	}
	buf.WriteByte('\n')
	return append(envelope, '\n'), buf.Bytes(), nil
}

// signMessage signs a message as DSSE and Sigstore expect for the key:
// ECDSA over the message's digest (SHA-256, -384 or -512 by curve), pure
// Ed25519 over the message itself.
func signMessage(key crypto.Signer, message []byte) ([]byte, error) {
	pkd, err := signature.GetDefaultPublicKeyDetails(key.Public())
	if err != nil {
		return nil, reason.Wrap(err, reason.KeyInvalid, "sign with an ECDSA or Ed25519 key", "choosing signature algorithm")
	}
	details, err := signature.GetAlgorithmDetails(pkd)
	if err != nil {
		return nil, reason.Wrap(err, reason.KeyInvalid, "sign with an ECDSA or Ed25519 key", "choosing signature algorithm")
	}
	h := details.GetHashType()
	signed := message
	if h != crypto.Hash(0) {
		x := h.New()
		x.Write(message)
		signed = x.Sum(nil)
	}
	sig, err := key.Sign(rand.Reader, signed, h)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return sig, nil
}
