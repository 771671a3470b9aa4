package attest

import (
	"bytes"
	"crypto"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// VerifyStatementWithKey checks a DSSE envelope, or a Sigstore bundle
// carrying one (as SignStatementWithKey writes them), with the public key
// pub alone: no transparency log, no timestamp, the trust is in the key
// the caller chose. One signature that verifies is enough; the keyids are
// hints and not trusted. It returns the signed in-toto statement, whose
// subject must name sha256Hex.
func VerifyStatementWithKey(data []byte, pub crypto.PublicKey, sha256Hex string) (*Statement, error) {
	env, err := ReadEnvelope(data)
	if err != nil {
		return nil, err
	}
	if env.Certificate {
		return nil, reason.New(reason.KeyMismatch, "sign with the key whose public half is given", "the %s is signed keylessly, not with a key", env.Form)
	}
	ver, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, reason.Wrap(err, reason.KeyInvalid, "give an ECDSA or Ed25519 public key", "loading the public key")
	}
	id, err := vocab.KeyID(pub)
	if err != nil {
		return nil, err
	}
	signed := false
	for _, s := range env.Signatures {
		if ver.VerifySignature(bytes.NewReader(s.Sig), bytes.NewReader(env.PAE())) == nil {
			signed = true
			break
		}
	}
	if !signed {
		return nil, &reason.Error{Code: reason.SignatureInvalid, Msg: "no signature of the " + env.Form + " verifies with the key",
			Want: "a signature by sha256:" + id, Hint: "the file was changed after it was signed, or signed with another key"}
	}
	st, err := ParseStatement(env.PayloadType, env.Payload)
	if err != nil {
		return nil, err
	}
	if _, ok := st.MatchSubject(sha256Hex); !ok {
		return nil, &reason.Error{Code: reason.SubjectMismatch, Msg: "the signed statement is about another file",
			Got: st.SubjectSummary(), Want: "sha256:" + sha256Hex, Hint: "the file was changed after it was signed; sign it again"}
	}
	return st, nil
}
