package sigstoretest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrInvalidOptions is returned (wrapped) when options or sign options are
// inconsistent, unknown, or describe a bundle a real Sigstore would not make.
var ErrInvalidOptions = errors.New("invalid virtual sigstore options")

// The service addresses written into the trusted root. They use the
// reserved .test domain so nothing can ever resolve them.
const (
	fulcioURI = "https://fulcio.sovcheck.test"
	ctlogURI  = "https://ctfe.sovcheck.test/sovcheck"
	tsaURI    = "https://tsa.sovcheck.test/api/v1/timestamp"
	// rekorV1URL's host names the Rekor v1 checkpoint origin, which must end
	// in " - <tree ID>" for sigstore-go to treat the checkpoint as Rekor v1.
	rekorV1URL    = "https://rekor.sovcheck.test"
	rekorV1TreeID = 1193050959916656506
	// rekorV2URL's host is the Rekor v2 checkpoint origin: sigstore-go
	// derives the expected origin from the log's baseUrl in the trusted root.
	rekorV2URL = "https://log2025-1.rekor.sovcheck.test"
	// defaultWindow is how far the validity window reaches on either side of
	// the clock when WithValidity is not given.
	defaultWindow = 24 * time.Hour
	// logFiller is how many unrelated entries each log holds before the
	// first signature, so that even the first inclusion proof has hashes.
	logFiller = 5
)

// Authority is a virtual Sigstore: Fulcio root and intermediate CA, a CT log
// key, a Rekor v1 log, a Rekor v2 log (with its checkpoint origin) and a
// timestamping authority (root, intermediate, leaf). All keys are fresh per
// New.
type Authority struct {
	now        time.Time
	start, end time.Time

	fulcioRoot         *x509.Certificate
	fulcioIntermediate *x509.Certificate
	fulcioKey          *ecdsa.PrivateKey // signs leaf certificates

	ctKey *ecdsa.PrivateKey

	tsaRoot         *x509.Certificate
	tsaIntermediate *x509.Certificate
	tsaLeaf         *x509.Certificate
	tsaKey          *ecdsa.PrivateKey

	rekorV1 *virtualLog
	rekorV2 *virtualLog
}

type config struct {
	now         time.Time
	start, end  time.Time
	hasValidity bool
}

// Option configures New.
type Option func(*config) error

// WithNow sets the "current" time all validity windows are built around and
// the default signing time. The default is time.Now().
func WithNow(t time.Time) Option {
	return func(c *config) error {
		if t.IsZero() {
			return fmt.Errorf("%w: setting clock: got zero time, want a time", ErrInvalidOptions)
		}
		c.now = t
		return nil
	}
}

// WithValidity sets the validity window of the CAs, logs, CT log and TSA in
// the trusted root and of their certificates. The default is one day either
// side of the clock. Committed demo material uses a long window (for example
// 2026..2036) so that it keeps verifying for years.
func WithValidity(start, end time.Time) Option {
	return func(c *config) error {
		if !end.After(start) {
			return fmt.Errorf("%w: setting validity: got end %s not after start %s", ErrInvalidOptions,
				end.Format(time.RFC3339), start.Format(time.RFC3339))
		}
		c.start, c.end, c.hasValidity = start, end, true
		return nil
	}
}

// New creates an Authority with fresh keys.
func New(opts ...Option) (*Authority, error) {
	var c config
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return nil, fmt.Errorf("creating virtual sigstore: %w", err)
		}
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if !c.hasValidity {
		c.start, c.end = c.now.Add(-defaultWindow), c.now.Add(defaultWindow)
	}
	a := &Authority{now: utcSeconds(c.now), start: utcSeconds(c.start), end: utcSeconds(c.end)}
	if err := a.makeFulcio(); err != nil {
		return nil, fmt.Errorf("creating virtual fulcio: %w", err)
	}
	if err := a.makeTSA(); err != nil {
		return nil, fmt.Errorf("creating virtual timestamping authority: %w", err)
	}
	var err error
	if a.ctKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, fmt.Errorf("creating virtual ct log key: %w", err)
	}
	if a.rekorV1, err = newVirtualLog(rekorV1URL); err != nil {
		return nil, fmt.Errorf("creating virtual rekor v1 log: %w", err)
	}
	if a.rekorV2, err = newVirtualLog(rekorV2URL); err != nil {
		return nil, fmt.Errorf("creating virtual rekor v2 log: %w", err)
	}
	return a, nil
}

func utcSeconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func (a *Authority) makeFulcio() error {
	var err error
	a.fulcioRoot, a.fulcioIntermediate, a.fulcioKey, err = a.caChain("fulcio", x509.ExtKeyUsageCodeSigning)
	return err
}

// caChain issues a P-384 root and a P-256 intermediate below it for the
// given extended key usage, both valid for the authority's window, as the
// public-good Fulcio and TSA chains are built.
func (a *Authority) caChain(name string, usage x509.ExtKeyUsage) (root, inter *x509.Certificate, interKey *ecdsa.PrivateKey, err error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	root, err = issue(&x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"sovcheck.test"}, CommonName: "sovcheck virtual " + name + " root"},
		NotBefore:             a.start,
		NotAfter:              a.end,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}, nil, rootKey.Public(), rootKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("issuing %s root: %w", name, err)
	}
	if interKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, nil, nil, err
	}
	inter, err = issue(&x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"sovcheck.test"}, CommonName: "sovcheck virtual " + name + " intermediate"},
		NotBefore:             a.start,
		NotAfter:              a.end,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, root, interKey.Public(), rootKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("issuing %s intermediate: %w", name, err)
	}
	return root, inter, interKey, nil
}

// oidExtKeyUsage is the extended key usage extension, oidTimeStamping its
// id-kp-timeStamping purpose (RFC 5280 4.2.1.12).
var (
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

func (a *Authority) makeTSA() error {
	var interKey *ecdsa.PrivateKey
	var err error
	a.tsaRoot, a.tsaIntermediate, interKey, err = a.caChain("tsa", x509.ExtKeyUsageTimeStamping)
	if err != nil {
		return err
	}
	if a.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	// RFC 3161 2.3: the TSA certificate has exactly one extended key usage,
	// id-kp-timeStamping, and the extension is critical. Go's ExtKeyUsage
	// field cannot mark the extension critical, so it is written by hand.
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	if err != nil {
		return err
	}
	a.tsaLeaf, err = issue(&x509.Certificate{
		Subject:         pkix.Name{Organization: []string{"sovcheck.test"}, CommonName: "sovcheck virtual tsa"},
		NotBefore:       a.start,
		NotAfter:        a.end,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}, a.tsaIntermediate, a.tsaKey.Public(), interKey)
	if err != nil {
		return fmt.Errorf("issuing leaf: %w", err)
	}
	return nil
}

// issue signs template with signer, as issued by parent; a nil parent makes
// a self-signed certificate. It fills in a random serial number and a
// subject key identifier.
func issue(template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("drawing serial number: %w", err)
	}
	template.SerialNumber = serial
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	ski := sha256.Sum256(spki)
	template.SubjectKeyId = ski[:20]
	if parent == nil {
		parent = template
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// TrustedRootJSON returns the trusted root in the Sigstore trusted_root.json
// format (media type application/vnd.dev.sigstore.trustedroot+json;version=0.1),
// loadable by root.NewTrustedRootFromJSON. It lists the Rekor v1 and Rekor v2
// logs, the CT log, the Fulcio CA and the TSA, each valid over the Authority's
// validity window. The output is indented JSON and the same bytes on every
// call.
func (a *Authority) TrustedRootJSON() ([]byte, error) {
	validFor := &protocommon.TimeRange{Start: timestamppb.New(a.start), End: timestamppb.New(a.end)}
	var tlogs []*prototrustroot.TransparencyLogInstance
	for _, l := range []*virtualLog{a.rekorV1, a.rekorV2} {
		inst, err := logInstance(l.baseURL, l.key.Public(), validFor)
		if err != nil {
			return nil, fmt.Errorf("writing rekor log %s: %w", l.baseURL, err)
		}
		tlogs = append(tlogs, inst)
	}
	ctlog, err := logInstance(ctlogURI, a.ctKey.Public(), validFor)
	if err != nil {
		return nil, fmt.Errorf("writing ct log: %w", err)
	}
	tr := &prototrustroot.TrustedRoot{
		MediaType: root.TrustedRootMediaType01,
		Tlogs:     tlogs,
		Ctlogs:    []*prototrustroot.TransparencyLogInstance{ctlog},
		CertificateAuthorities: []*prototrustroot.CertificateAuthority{
			certAuthority(fulcioURI, validFor, a.fulcioIntermediate, a.fulcioRoot),
		},
		TimestampAuthorities: []*prototrustroot.CertificateAuthority{
			certAuthority(tsaURI, validFor, a.tsaLeaf, a.tsaIntermediate, a.tsaRoot),
		},
	}
	return marshalProto(tr)
}

func logInstance(baseURL string, pub crypto.PublicKey, validFor *protocommon.TimeRange) (*prototrustroot.TransparencyLogInstance, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(spki)
	return &prototrustroot.TransparencyLogInstance{
		BaseUrl:       baseURL,
		HashAlgorithm: protocommon.HashAlgorithm_SHA2_256,
		PublicKey: &protocommon.PublicKey{
			RawBytes:   spki,
			KeyDetails: protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
			ValidFor:   validFor,
		},
		LogId: &protocommon.LogId{KeyId: id[:]},
	}, nil
}

// certAuthority lists chain from leaf-most to root, as trusted_root.json does.
func certAuthority(uri string, validFor *protocommon.TimeRange, chain ...*x509.Certificate) *prototrustroot.CertificateAuthority {
	rootCert := chain[len(chain)-1]
	certs := make([]*protocommon.X509Certificate, len(chain))
	for i, c := range chain {
		certs[i] = &protocommon.X509Certificate{RawBytes: c.Raw}
	}
	return &prototrustroot.CertificateAuthority{
		Subject: &protocommon.DistinguishedName{
			Organization: rootCert.Subject.Organization[0],
			CommonName:   rootCert.Subject.CommonName,
		},
		Uri:       uri,
		CertChain: &protocommon.X509CertificateChain{Certificates: certs},
		ValidFor:  validFor,
	}
}

// marshalProto writes m as indented JSON. protojson deliberately varies its
// whitespace between runs; re-indenting makes the bytes stable.
func marshalProto(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("indenting %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
