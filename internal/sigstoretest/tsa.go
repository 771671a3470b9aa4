package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// TSA selects the RFC 3161 timestamp in a bundle.
type TSA int

const (
	// TSANone leaves the bundle without a signed timestamp. It is the zero value.
	TSANone TSA = iota
	// TSAWithCerts embeds the TSA leaf and intermediate certificates in the
	// timestamp token.
	TSAWithCerts
	// TSAWithoutCerts omits the certificates; a verifier finds the TSA leaf
	// in the trusted root.
	TSAWithoutCerts
)

func (t TSA) String() string {
	switch t {
	case TSANone:
		return "none"
	case TSAWithCerts:
		return "with certificates"
	case TSAWithoutCerts:
		return "without certificates"
	}
	return fmt.Sprintf("TSA(%d)", int(t))
}

// The object identifiers of an RFC 3161 timestamp token (RFC 3161, RFC 5652,
// RFC 5035, RFC 5758).
var (
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidAttrContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrSigningCertV2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSigstoreTSAPolicy  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}
	sha256AlgorithmNoArgs = pkix.AlgorithmIdentifier{Algorithm: oidSHA256}
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time `asn1:"generalized"`
}

type essCertIDv2 struct {
	CertHash []byte // SHA-256, the default hash algorithm, so it is not named
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue // a SET holding the value
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue // [0] IMPLICIT SET OF Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue // [0] EXPLICIT OCTET STRING
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional"` // [0] IMPLICIT SET OF Certificate
	SignerInfos      []signerInfo  `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT
}

type pkiStatusInfo struct {
	Status int
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue
}

// timestamp is the TSA's RFC 3161 response over sig: the message imprint is
// the SHA-256 of the signature bytes, as Sigstore clients request it. The
// token is written here rather than by github.com/digitorus/timestamp,
// because that library stamps the CMS signing-time attribute with the wall
// clock and verifiers check it against the TSA certificate: here both the
// generation time and the signing time are at.
func (a *Authority) timestamp(sig []byte, at time.Time, mode TSA) ([]byte, error) {
	imprint := sha256.Sum256(sig)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("drawing timestamp serial: %w", err)
	}
	info, err := asn1.Marshal(tstInfo{
		Version:        1,
		Policy:         oidSigstoreTSAPolicy,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}, HashedMessage: imprint[:]},
		SerialNumber:   serial,
		GenTime:        at.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding timestamp info: %w", err)
	}
	infoDigest := sha256.Sum256(info)
	leafDigest := sha256.Sum256(a.tsaLeaf.Raw)
	attrs, err := signedAttributes(
		attrValue{oidAttrContentType, oidTSTInfo},
		attrValue{oidAttrSigningTime, at.UTC()},
		attrValue{oidAttrMessageDigest, infoDigest[:]},
		attrValue{oidAttrSigningCertV2, signingCertificateV2{Certs: []essCertIDv2{{CertHash: leafDigest[:]}}}},
	)
	if err != nil {
		return nil, err
	}
	// The signature covers the attributes encoded as a universal SET; the
	// token stores the same bytes under the [0] IMPLICIT tag.
	attrsDigest := sha256.Sum256(attrs.FullBytes)
	signature, err := a.tsaKey.Sign(rand.Reader, attrsDigest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing timestamp: %w", err)
	}
	attrs.Class, attrs.Tag, attrs.FullBytes = asn1.ClassContextSpecific, 0, nil

	eContent, err := asn1.Marshal(info)
	if err != nil {
		return nil, err
	}
	sd := signedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{sha256AlgorithmNoArgs},
		EncapContentInfo: encapContentInfo{
			EContentType: oidTSTInfo,
			EContent:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: eContent},
		},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: a.tsaLeaf.RawIssuer}, Serial: a.tsaLeaf.SerialNumber},
			DigestAlgorithm:    sha256AlgorithmNoArgs,
			SignedAttrs:        attrs,
			SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256},
			Signature:          signature,
		}},
	}
	if mode == TSAWithCerts {
		var certs []byte
		for _, c := range []*x509.Certificate{a.tsaLeaf, a.tsaIntermediate} {
			certs = append(certs, c.Raw...)
		}
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs}
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("encoding signed data: %w", err)
	}
	token, err := asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding timestamp token: %w", err)
	}
	resp, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 0}, TimeStampToken: asn1.RawValue{FullBytes: token}})
	if err != nil {
		return nil, fmt.Errorf("encoding timestamp response: %w", err)
	}
	return resp, nil
}

type attrValue struct {
	oid   asn1.ObjectIdentifier
	value any
}

// signedAttributes encodes the attributes as a DER SET OF Attribute: each
// value wrapped in a SET, the attributes sorted by their encoding.
func signedAttributes(values ...attrValue) (asn1.RawValue, error) {
	var encoded [][]byte
	for _, v := range values {
		inner, err := asn1.Marshal(v.value)
		if err != nil {
			return asn1.RawValue{}, fmt.Errorf("encoding attribute %s: %w", v.oid, err)
		}
		der, err := asn1.Marshal(attribute{Type: v.oid, Values: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: inner}})
		if err != nil {
			return asn1.RawValue{}, fmt.Errorf("encoding attribute %s: %w", v.oid, err)
		}
		encoded = append(encoded, der)
	}
	slices.SortFunc(encoded, bytes.Compare)
	set := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(encoded, nil)}
	full, err := asn1.Marshal(set)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("encoding signed attributes: %w", err)
	}
	set.FullBytes = full
	return set, nil
}
