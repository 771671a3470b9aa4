package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// MaxKeyFileSize is the largest public key file read.
const MaxKeyFileSize = 64 << 10

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

// ReadPublicKey reads a PEM public key (PKIX "PUBLIC KEY", PKCS#1 "RSA
// PUBLIC KEY", or a certificate whose key is used). ECDSA, Ed25519 and RSA
// (2048 bits or more) are accepted.
func ReadPublicKey(r io.Reader) (crypto.PublicKey, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyFileSize+1))
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the key file is readable", "reading public key")
	}
	if len(data) > MaxKeyFileSize {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "key file exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxKeyFileSize), Hint: "give a PEM public key file"}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, reason.New(reason.KeyInvalid, "give a PEM file that starts with -----BEGIN PUBLIC KEY-----, such as cosign.pub", "reading public key: no PEM block")
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
		return nil, &reason.Error{Code: reason.KeyInvalid, Msg: "unexpected PEM block", Got: block.Type, Want: "PUBLIC KEY",
			Hint: "give the public key, never the private key"}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.KeyInvalid, "the PEM block does not hold a valid public key", "parsing public key")
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, &reason.Error{Code: reason.KeyInvalid, Msg: "RSA key too short", Got: fmt.Sprintf("%d bits", k.N.BitLen()), Want: "at least 2048 bits", Hint: "ask the publisher for a stronger key"}
		}
	default:
		return nil, &reason.Error{Code: reason.KeyInvalid, Msg: "unsupported key type", Got: fmt.Sprintf("%T", pub), Want: "ECDSA, Ed25519 or RSA", Hint: "give an ECDSA, Ed25519 or RSA public key"}
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
