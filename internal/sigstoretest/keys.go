package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// The key algorithms NewKey and SignOptions.KeyAlg accept.
const (
	KeyECDSAP256 = "ecdsa-p256"
	KeyECDSAP384 = "ecdsa-p384"
	KeyEd25519   = "ed25519"
	KeyRSA2048   = "rsa-2048"
)

// NewKey generates a signing key: "ecdsa-p256", "ecdsa-p384", "ed25519" or
// "rsa-2048".
func NewKey(alg string) (crypto.Signer, error) {
	switch alg {
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case KeyEd25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("%w: generating key: got algorithm %q, want one of %s, %s, %s, %s",
		ErrInvalidOptions, alg, KeyECDSAP256, KeyECDSAP384, KeyEd25519, KeyRSA2048)
}

// PublicKeyPEM encodes k's public key as a PEM "PUBLIC KEY" block (PKIX), the
// form cosign's --key and sovcheck's --key read.
func PublicKeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// PrivateKeyPEM encodes k as an unencrypted PEM "PRIVATE KEY" block (PKCS#8).
func PrivateKeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// KeyHint is the public key hint a key-signed bundle carries: the base64 of
// the SHA-256 of the DER (PKIX) public key, as sigstore-go's signer writes it.
// A verifier that maps hints to keys (root.NewTrustedPublicKeyMaterialFromMapping)
// needs it as the map key.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// signingKey signs the way Sigstore clients do for the key's type. Message
// signatures (hashedrekord) of Ed25519 keys are Ed25519ph over the SHA-512
// digest, since that is the only Ed25519 form Rekor's hashedrekord accepts;
// DSSE signatures of Ed25519 keys are pure Ed25519 over the PAE encoding.
// ECDSA and RSA (PKCS#1 v1.5) keys use the key's default hash: SHA-256 for
// P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521.
type signingKey struct {
	key     crypto.Signer
	details signature.AlgorithmDetails // with Ed25519ph for Ed25519 keys
}

func newSigningKey(key crypto.Signer) (signingKey, error) {
	details, err := signature.GetDefaultAlgorithmDetails(key.Public(), options.WithED25519ph())
	if err != nil {
		return signingKey{}, fmt.Errorf("%w: choosing signature algorithm: %w", ErrInvalidOptions, err)
	}
	return signingKey{key: key, details: details}, nil
}

// hash is the digest function of message signatures and log entries.
func (s signingKey) hash() crypto.Hash { return s.details.GetHashType() }

// hashAlgorithm is hash as a bundle HashAlgorithm.
func (s signingKey) hashAlgorithm() protocommon.HashAlgorithm { return s.details.GetProtoHashType() }

func (s signingKey) isEd25519() bool {
	_, ok := s.key.Public().(ed25519.PublicKey)
	return ok
}

// signDigest signs a digest made with s.hash().
func (s signingKey) signDigest(digest []byte) ([]byte, error) {
	var opts crypto.SignerOpts = s.hash()
	if s.isEd25519() {
		opts = &ed25519.Options{Hash: crypto.SHA512}
	}
	return s.key.Sign(rand.Reader, digest, opts)
}

// signMessage signs msg as a DSSE signer does (pure Ed25519 for Ed25519).
func (s signingKey) signMessage(msg []byte) ([]byte, error) {
	if s.isEd25519() {
		return s.key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	h := s.hash().New()
	h.Write(msg)
	return s.signDigest(h.Sum(nil))
}
