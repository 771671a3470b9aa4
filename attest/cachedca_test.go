package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func issueTestCert(t *testing.T, tmpl *x509.Certificate, parent *testCert, curve elliptic.Curve) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{c, key}
}

func caTemplate(name string, from, to time.Time, maxPathZero bool) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: from, NotAfter: to,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: maxPathZero,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
}

func leafTemplate(at time.Time) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: at.Add(-time.Minute), NotAfter: at.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, EmailAddresses: []string{"a@example.com"}}
}

// TestCachedCAAgreesWithSigstore compares the cached CA with sigstore-go's
// own on the cases that matter: a good leaf, a leaf of another CA, a
// signing time outside the leaf, intermediate and root validity, and an
// intermediate the root did not sign.
func TestCachedCAAgreesWithSigstore(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rootCA := issueTestCert(t, caTemplate("root", t0, t0.AddDate(10, 0, 0), false), nil, elliptic.P384())
	inter := issueTestCert(t, caTemplate("intermediate", t0, t0.AddDate(1, 0, 0), false), rootCA, elliptic.P384())
	otherRoot := issueTestCert(t, caTemplate("other", t0, t0.AddDate(10, 0, 0), false), nil, elliptic.P384())
	forged := issueTestCert(t, caTemplate("intermediate", t0, t0.AddDate(1, 0, 0), false), otherRoot, elliptic.P384())

	at := t0.Add(48 * time.Hour)
	good := issueTestCert(t, leafTemplate(at), inter, elliptic.P256()).cert
	foreign := issueTestCert(t, leafTemplate(at), issueTestCert(t, caTemplate("x", t0, t0.AddDate(1, 0, 0), false), otherRoot, elliptic.P384()), elliptic.P256()).cert
	late := issueTestCert(t, leafTemplate(t0.AddDate(2, 0, 0)), inter, elliptic.P256()).cert
	forgedLeaf := issueTestCert(t, leafTemplate(at), forged, elliptic.P256()).cert

	for _, tc := range []struct {
		name    string
		ca      *root.FulcioCertificateAuthority
		leaf    *x509.Certificate
		at      time.Time
		wantErr bool
	}{
		{"good leaf", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}}, good, at, false},
		{"leaf of another CA", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}}, foreign, at, true},
		{"signed outside the leaf's validity", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}}, good, at.Add(time.Hour), true},
		{"intermediate expired", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}}, late, t0.AddDate(2, 0, 0), true},
		{"outside the trusted root window", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}, ValidityPeriodEnd: at.Add(-time.Second)}, good, at, true},
		{"intermediate not signed by the root", &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{forged.cert}}, forgedLeaf, at, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, wantErr := tc.ca.Verify(tc.leaf, tc.at)
			if (wantErr != nil) != tc.wantErr {
				t.Fatalf("sigstore-go's CA: err = %v, want error %v", wantErr, tc.wantErr)
			}
			if !cacheable(tc.ca) {
				t.Fatal("test CA not cacheable")
			}
			cached := &cachedCA{FulcioCertificateAuthority: tc.ca}
			for range 2 { // the second call uses the cached anchor
				chains, err := cached.Verify(tc.leaf, tc.at)
				if (err != nil) != tc.wantErr {
					t.Fatalf("cached CA: err = %v, want error %v", err, tc.wantErr)
				}
				if err == nil && (len(chains) == 0 || len(chains[0]) != 3 || chains[0][2] != rootCA.cert) {
					t.Fatalf("cached CA chains = %v, want leaf, intermediate, root", chains)
				}
			}
		})
	}
}

func TestCachedCANotUsedWhenRootConstrains(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rootCA := issueTestCert(t, caTemplate("root", t0, t0.AddDate(10, 0, 0), true), nil, elliptic.P384())
	inter := issueTestCert(t, caTemplate("intermediate", t0, t0.AddDate(1, 0, 0), false), rootCA, elliptic.P384())
	ca := &root.FulcioCertificateAuthority{Root: rootCA.cert, Intermediates: []*x509.Certificate{inter.cert}}
	if cacheable(ca) {
		t.Fatal("a root with path length zero must not be bypassed")
	}
	if cacheable(&root.FulcioCertificateAuthority{Root: rootCA.cert}) {
		t.Fatal("a CA without exactly one intermediate must not be cached")
	}
}
