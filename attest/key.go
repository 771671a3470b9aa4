package attest

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// sctListOID is the X.509 extension carrying embedded SCTs (RFC 6962).
var sctListOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

func hasSCTExtension(exts []pkix.Extension) bool {
	for _, e := range exts {
		if e.Id.Equal(sctListOID) {
			return true
		}
	}
	return false
}

// ReadPublicKey reads a PEM public key as vocab.ReadPublicKey does, and
// returns its failures as reason errors: INPUT_UNREADABLE, INPUT_TOO_LARGE
// or KEY_INVALID.
func ReadPublicKey(r io.Reader) (crypto.PublicKey, error) {
	pub, err := vocab.ReadPublicKey(r)
	var ke *vocab.KeyError
	if errors.As(err, &ke) {
		code := reason.KeyInvalid
		switch ke.Problem {
		case vocab.KeyUnreadable:
			code = reason.InputUnreadable
		case vocab.KeyTooLarge:
			code = reason.InputTooLarge
		}
		return nil, &reason.Error{Code: code, Msg: ke.Msg, Hint: ke.Hint, Got: ke.Got, Want: ke.Want, Err: ke.Err}
	}
	return pub, err
}
