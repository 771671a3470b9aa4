package sigstoretest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net/url"
	"strings"
	"time"

	ct "github.com/google/certificate-transparency-go"
	"github.com/google/certificate-transparency-go/ctutil"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	"github.com/google/certificate-transparency-go/x509util"
)

// GitHubClaims are the Fulcio certificate extensions a GitHub Actions
// workflow identity carries. Each non-empty field is written as a DER
// UTF8String under its Fulcio OID (1.3.6.1.4.1.57264.1.N), as Fulcio does;
// the deprecated GitHub-specific OIDs 1.2 to 1.6 are not written.
type GitHubClaims struct {
	BuildSignerURI             string // 1.9, e.g. https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1
	BuildSignerDigest          string // 1.10, commit of the workflow file
	RunnerEnvironment          string // 1.11, github-hosted or self-hosted
	SourceRepositoryURI        string // 1.12, e.g. https://github.com/o/r
	SourceRepositoryDigest     string // 1.13, commit the build ran on
	SourceRepositoryRef        string // 1.14, e.g. refs/tags/v1
	SourceRepositoryIdentifier string // 1.15, numeric repository ID
	SourceRepositoryOwnerURI   string // 1.16, e.g. https://github.com/o
	SourceRepositoryOwnerID    string // 1.17, numeric owner ID
	BuildConfigURI             string // 1.18, top-level workflow
	BuildConfigDigest          string // 1.19, commit of the top-level workflow
	BuildTrigger               string // 1.20, event name, e.g. push
	RunInvocationURI           string // 1.21, URL of the workflow run
	SourceRepositoryVisibility string // 1.22, public or private
}

func fulcioOID(n int) asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, n}
}

// fulcioExtensions returns the issuer extensions (deprecated 1.1 as raw
// bytes, 1.8 as DER UTF8String) and the GitHub claims, in OID order.
func fulcioExtensions(issuer string, gh *GitHubClaims) ([]pkix.Extension, error) {
	exts := []pkix.Extension{{Id: fulcioOID(1), Value: []byte(issuer)}}
	values := []struct {
		n int
		v string
	}{{8, issuer}}
	if gh != nil {
		values = append(values, []struct {
			n int
			v string
		}{
			{9, gh.BuildSignerURI}, {10, gh.BuildSignerDigest}, {11, gh.RunnerEnvironment},
			{12, gh.SourceRepositoryURI}, {13, gh.SourceRepositoryDigest}, {14, gh.SourceRepositoryRef},
			{15, gh.SourceRepositoryIdentifier}, {16, gh.SourceRepositoryOwnerURI}, {17, gh.SourceRepositoryOwnerID},
			{18, gh.BuildConfigURI}, {19, gh.BuildConfigDigest}, {20, gh.BuildTrigger},
			{21, gh.RunInvocationURI}, {22, gh.SourceRepositoryVisibility},
		}...)
	}
	for _, e := range values {
		if e.v == "" {
			continue
		}
		der, err := asn1.MarshalWithParams(e.v, "utf8")
		if err != nil {
			return nil, fmt.Errorf("encoding extension %s: %w", fulcioOID(e.n), err)
		}
		exts = append(exts, pkix.Extension{Id: fulcioOID(e.n), Value: der})
	}
	return exts, nil
}

// leafLifetime is how long a Fulcio leaf certificate is valid; it is issued
// leafLead before the signing time.
const (
	leafLifetime = 10 * time.Minute
	leafLead     = time.Minute
)

// issueLeaf issues a Fulcio code-signing certificate for pub. Unless noSCT,
// it goes through the CT precertificate flow: a poisoned precertificate is
// logged, and the SCT the CT log signs over it is embedded in the final
// certificate, which is checked with the CT library before it is returned.
func (a *Authority) issueLeaf(pub crypto.PublicKey, identity, issuer string, gh *GitHubClaims, signedAt time.Time, noSCT bool) (*x509.Certificate, error) {
	exts, err := fulcioExtensions(issuer, gh)
	if err != nil {
		return nil, err
	}
	notBefore := signedAt.Add(-leafLead)
	template := &x509.Certificate{
		NotBefore:       notBefore,
		NotAfter:        notBefore.Add(leafLifetime),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: exts,
	}
	if strings.Contains(identity, "://") {
		u, err := url.Parse(identity)
		if err != nil {
			return nil, fmt.Errorf("%w: parsing identity %q as a URI: %w", ErrInvalidOptions, identity, err)
		}
		template.URIs = []*url.URL{u}
	} else {
		template.EmailAddresses = []string{identity}
	}
	if noSCT {
		return issue(template, a.fulcioIntermediate, pub, a.fulcioKey)
	}

	template.ExtraExtensions = append(exts, pkix.Extension{Id: asn1.ObjectIdentifier(ctx509.OIDExtensionCTPoison), Critical: true, Value: asn1.NullBytes})
	precert, err := issue(template, a.fulcioIntermediate, pub, a.fulcioKey)
	if err != nil {
		return nil, fmt.Errorf("issuing precertificate: %w", err)
	}
	tbs, err := ctx509.BuildPrecertTBS(precert.RawTBSCertificate, nil)
	if err != nil {
		return nil, fmt.Errorf("building precertificate tbs: %w", err)
	}
	sct, err := a.signSCT(tbs, uint64(notBefore.UnixMilli()))
	if err != nil {
		return nil, err
	}
	list, err := x509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{sct})
	if err != nil {
		return nil, fmt.Errorf("encoding sct list: %w", err)
	}
	tlsList, err := cttls.Marshal(*list)
	if err != nil {
		return nil, fmt.Errorf("encoding sct list: %w", err)
	}
	extValue, err := asn1.Marshal(tlsList)
	if err != nil {
		return nil, fmt.Errorf("encoding sct list extension: %w", err)
	}
	// The final certificate repeats the precertificate with the SCT list in
	// the poison's place; same serial, same extension order, so removing the
	// SCT list gives back exactly the TBS the CT log signed.
	template.ExtraExtensions = append(exts, pkix.Extension{Id: asn1.ObjectIdentifier(ctx509.OIDExtensionCTSCT), Value: extValue})
	template.SerialNumber = precert.SerialNumber
	der, err := x509.CreateCertificate(rand.Reader, template, a.fulcioIntermediate, pub, a.fulcioKey)
	if err != nil {
		return nil, fmt.Errorf("issuing certificate: %w", err)
	}
	if err := a.checkSCT(der, sct); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// signSCT is the CT log's signed certificate timestamp over a
// precertificate entry (RFC 6962 3.2).
func (a *Authority) signSCT(tbs []byte, timestampMillis uint64) (*ct.SignedCertificateTimestamp, error) {
	spki, err := ctx509.MarshalPKIXPublicKey(a.ctKey.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding ct log key: %w", err)
	}
	sct := &ct.SignedCertificateTimestamp{
		SCTVersion: ct.V1,
		LogID:      ct.LogID{KeyID: sha256.Sum256(spki)},
		Timestamp:  timestampMillis,
	}
	entry := ct.LogEntry{Leaf: ct.MerkleTreeLeaf{
		Version:  ct.V1,
		LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			EntryType: ct.PrecertLogEntryType,
			Timestamp: timestampMillis,
			PrecertEntry: &ct.PreCert{
				IssuerKeyHash:  sha256.Sum256(a.fulcioIntermediate.RawSubjectPublicKeyInfo),
				TBSCertificate: tbs,
			},
		},
	}}
	input, err := ct.SerializeSCTSignatureInput(*sct, entry)
	if err != nil {
		return nil, fmt.Errorf("encoding sct signature input: %w", err)
	}
	digest := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(rand.Reader, a.ctKey, digest[:])
	if err != nil {
		return nil, fmt.Errorf("signing sct: %w", err)
	}
	sct.Signature = ct.DigitallySigned{
		Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA},
		Signature: sig,
	}
	return sct, nil
}

// checkSCT verifies the embedded SCT of the certificate der the way
// sigstore-go does, so a mistake here fails at issuance and not in a test.
func (a *Authority) checkSCT(der []byte, sct *ct.SignedCertificateTimestamp) error {
	leaf, err := ctx509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parsing certificate for sct check: %w", err)
	}
	issuer, err := ctx509.ParseCertificate(a.fulcioIntermediate.Raw)
	if err != nil {
		return fmt.Errorf("parsing intermediate for sct check: %w", err)
	}
	if err := ctutil.VerifySCT(a.ctKey.Public(), []*ctx509.Certificate{leaf, issuer}, sct, true); err != nil {
		return fmt.Errorf("checking embedded sct: %w", err)
	}
	return nil
}
