package vocab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
)

// MaxKeyFileSize is the largest public key file read.
const MaxKeyFileSize = 64 << 10

// KeyProblem says why a public key could not be read, so that a caller
// with reason codes can map it to one.
type KeyProblem int

// Key problems.
const (
	KeyUnreadable KeyProblem = iota + 1 // the reader failed
	KeyTooLarge                         // more than MaxKeyFileSize bytes
	KeyInvalid                          // not a PEM public key sovcheck accepts
)

// KeyError is a public key that could not be read. Its fields follow
// reason.Error, so a caller turns it into one without losing anything.
type KeyError struct {
	Problem KeyProblem
	Msg     string // what went wrong, lowercase
	Hint    string // what the user can do next
	Got     string
	Want    string
	Err     error // underlying cause, if any
}

func (e *KeyError) Error() string {
	msg := e.Msg
	if e.Got != "" || e.Want != "" {
		msg = fmt.Sprintf("%s: got %q, want %q", msg, e.Got, e.Want)
	}
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *KeyError) Unwrap() error { return e.Err }

// ReadPublicKey reads a PEM public key (PKIX "PUBLIC KEY", PKCS#1 "RSA
// PUBLIC KEY", or a certificate whose key is used). ECDSA, Ed25519 and RSA
// (2048 bits or more) are accepted. Errors are *KeyError.
func ReadPublicKey(r io.Reader) (crypto.PublicKey, error) {
	// vocab is a leaf and cannot use internal/boundedio: the limit is
	// applied here, with the same one-byte-over check.
	// Not boundedio.ReadAll: boundedio imports vocab, and vocab imports
	// nothing of sovcheck.
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyFileSize+1))
	if err != nil {
		return nil, &KeyError{Problem: KeyUnreadable, Msg: "reading public key", Hint: "check that the key file is readable", Err: err}
	}
	if len(data) > MaxKeyFileSize {
		return nil, &KeyError{Problem: KeyTooLarge, Msg: "key file exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxKeyFileSize), Hint: "give a PEM public key file"}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, &KeyError{Problem: KeyInvalid, Hint: "give a PEM file that starts with -----BEGIN PUBLIC KEY-----, such as cosign.pub", Msg: "reading public key: no PEM block"}
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = c.PublicKey
		}
	default:
		return nil, &KeyError{Problem: KeyInvalid, Msg: "unexpected PEM block", Got: block.Type, Want: "PUBLIC KEY",
			Hint: "give the public key, never the private key"}
	}
	if err != nil {
		return nil, &KeyError{Problem: KeyInvalid, Hint: "the PEM block does not hold a valid public key", Msg: "parsing public key", Err: err}
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, &KeyError{Problem: KeyInvalid, Msg: "RSA key too short", Got: fmt.Sprintf("%d bits", k.N.BitLen()), Want: "at least 2048 bits", Hint: "ask the publisher for a stronger key"}
		}
	default:
		return nil, &KeyError{Problem: KeyInvalid, Msg: "unsupported key type", Got: fmt.Sprintf("%T", pub), Want: "ECDSA, Ed25519 or RSA", Hint: "give an ECDSA, Ed25519 or RSA public key"}
	}
	return pub, nil
}

// KeyID returns the hex sha256 of the key's PKIX DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}
