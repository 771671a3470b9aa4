package attest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// KeyOnlyVerifier verifies key-based signatures with the key alone: no
// transparency log entry and no timestamp are checked. It is the
// relaxation of cosign's --insecure-ignore-tlog, for organisations that
// sign with a key and without a log (cosign sign --key --tlog-upload=false);
// the caller decides when it applies and records what was not checked.
// Keyless signatures are always refused: a short-lived certificate proves
// nothing without transparency evidence of when it was used.
type KeyOnlyVerifier struct {
	key   crypto.PublicKey
	keyID string
}

// NewKeyOnlyVerifier returns a verifier for signatures made with the
// private half of pub.
func NewKeyOnlyVerifier(pub crypto.PublicKey) (*KeyOnlyVerifier, error) {
	id, err := vocab.KeyID(pub)
	if err != nil {
		return nil, reason.As(err, reason.KeyInvalid, "")
	}
	return &KeyOnlyVerifier{key: pub, keyID: id}, nil
}

// KeyID is the key's id, the hex sha256 of its PKIX DER encoding.
func (k *KeyOnlyVerifier) KeyID() string { return k.keyID }

// HasTlogEntry reports whether the bundle carries a transparency log
// entry; a bundle whose entries cannot be read counts as carrying one, so
// that the full verifier looks at it and reports why.
func (p *ParsedBundle) HasTlogEntry() bool {
	entries, err := p.Bundle.TlogEntries()
	return err != nil || len(entries) > 0
}

// Verify checks the bundle's signature with the key alone. A DSSE
// envelope's statement must name art as a subject; a message signature
// must sign payload, whose sha256 is art.SHA256 (a cosign simple-signing
// payload, checked by the caller against the image it names). It returns
// the result (nil unless the signature verified) and the findings, the
// signature's first.
func (k *KeyOnlyVerifier) Verify(pb *ParsedBundle, art Artifact, payload []byte) (*SignatureResult, []Finding) {
	sigFail := func(e *reason.Error) (*SignatureResult, []Finding) {
		return nil, []Finding{{Check: vocab.CheckSignature, Err: e}}
	}
	if vc, err := pb.Bundle.VerificationContent(); err != nil || vc.Certificate() != nil {
		return sigFail(reason.New(reason.TlogMissing, "keyless signatures always need transparency log evidence; --insecure-ignore-tlog applies to key-based signatures only",
			"keyless signature without verifiable transparency log evidence"))
	}
	res := &SignatureResult{Bundle: pb, KeyID: k.keyID}
	var findings []Finding
	var message, sig []byte
	if env := pb.Bundle.GetDsseEnvelope(); env != nil {
		stmt, err := ParseStatement(env.GetPayloadType(), env.GetPayload())
		if err != nil {
			return nil, []Finding{{Check: vocab.CheckSubject, Err: reason.As(err, reason.StatementMalformed, "")}}
		}
		hexDigest := hex.EncodeToString(art.SHA256)
		s, ok := stmt.MatchSubject(hexDigest)
		if !ok {
			return nil, []Finding{{Check: vocab.CheckSubject, Err: &reason.Error{Code: reason.SubjectMismatch,
				Msg: "artifact is not a subject of the attestation", Got: stmt.SubjectSummary(), Want: "sha256:" + hexDigest,
				Hint: "the attestation is for other bytes: a changed file, or a re-tagged or changed image, has a new digest"}}}
		}
		msg := fmt.Sprintf("artifact is subject %q of the in-toto statement", s.Name)
		if s.Name == "" {
			msg = "artifact is an unnamed subject of the in-toto statement"
		}
		findings = append(findings, Finding{Check: vocab.CheckSubject, Message: msg})
		res.Statement = stmt
		sigs := env.GetSignatures()
		if len(sigs) != 1 {
			return sigFail(&reason.Error{Code: reason.BundleMalformed, Msg: "DSSE envelope must carry one signature", Got: fmt.Sprint(len(sigs)), Want: "1",
				Hint: "re-create the attestation"})
		}
		message = (&Envelope{PayloadType: env.GetPayloadType(), Payload: env.GetPayload()}).PAE()
		sig = sigs[0].GetSig()
	} else {
		ms := pb.Bundle.GetMessageSignature()
		if ms == nil || payload == nil {
			return sigFail(reason.New(reason.BundleMalformed, "re-create the signature", "signature has no signed payload to check"))
		}
		if !bytes.Equal(ms.GetMessageDigest().GetDigest(), art.SHA256) {
			return sigFail(reason.New(reason.DigestMismatch, "the signature was made over other bytes", "signed digest differs from the payload's digest"))
		}
		message, sig = payload, ms.GetSignature()
	}
	if !verifyKeySignature(k.key, message, sig) {
		return sigFail(reason.New(reason.SignatureInvalid,
			"the signature does not verify with --key: the artifact was signed with another key, or the signature or payload was changed",
			"verifying signature with the given key"))
	}
	findings = append([]Finding{{Check: vocab.CheckSignature,
		Message: fmt.Sprintf("%s verified: signed by key sha256:%s; no transparency log entry checked", pb.Describe(), k.keyID)}}, findings...)
	return res, findings
}

// verifyKeySignature checks sig over message with pub the way cosign signs
// with a key: ECDSA over SHA-256 (or the curve's own hash), RSA PKCS #1
// v1.5 or PSS over SHA-256, Ed25519 over the message.
func verifyKeySignature(pub crypto.PublicKey, message, sig []byte) bool {
	digest := func(h func() hash.Hash) []byte {
		x := h()
		x.Write(message)
		return x.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, digest(sha256.New), sig) {
			return true
		}
		switch k.Curve {
		case elliptic.P384():
			return ecdsa.VerifyASN1(k, digest(sha512.New384), sig)
		case elliptic.P521():
			return ecdsa.VerifyASN1(k, digest(sha512.New), sig)
		}
	case *rsa.PublicKey:
		d := digest(sha256.New)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil || rsa.VerifyPSS(k, crypto.SHA256, d, sig, nil) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, message, sig)
	}
	return false
}
