package attest

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Fulcio-style chains are root -> one intermediate -> short-lived leaf, and
// a release's bundles all share the intermediate. Verifying a leaf with Go's
// x509 re-checks the intermediate's signature by the root every time: one
// P-384 verification of the two per bundle. cachedCA verifies the
// intermediate against the root once, then anchors each leaf at the
// intermediate, still with Go's x509 (validity of both certificates at the
// signing time, key usages, basic constraints). It is used only where
// anchoring at the intermediate loses nothing: the root carries no name or
// policy constraints and allows the intermediate below it. Otherwise the
// CA verifies exactly as sigstore-go does.

var (
	oidNameConstraints   = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidInhibitAnyPolicy  = asn1.ObjectIdentifier{2, 5, 29, 54}
)

type cachedCA struct {
	*root.FulcioCertificateAuthority
	once     sync.Once
	anchorOK bool // the intermediate chains to the root
}

// withCachedCAs wraps tm so that eligible Fulcio CAs verify leaves with a
// cached intermediate.
func withCachedCAs(tm root.TrustedMaterial) root.TrustedMaterial {
	var cas []root.CertificateAuthority
	changed := false
	for _, ca := range tm.FulcioCertificateAuthorities() {
		if f, ok := ca.(*root.FulcioCertificateAuthority); ok && cacheable(f) {
			cas = append(cas, &cachedCA{FulcioCertificateAuthority: f})
			changed = true
			continue
		}
		cas = append(cas, ca)
	}
	if !changed {
		return tm
	}
	return &cachedCAMaterial{TrustedMaterial: tm, cas: cas}
}

type cachedCAMaterial struct {
	root.TrustedMaterial
	cas []root.CertificateAuthority
}

func (m *cachedCAMaterial) FulcioCertificateAuthorities() []root.CertificateAuthority { return m.cas }

func cacheable(f *root.FulcioCertificateAuthority) bool {
	if f.Root == nil || len(f.Intermediates) != 1 {
		return false
	}
	for _, e := range f.Root.Extensions {
		if e.Id.Equal(oidNameConstraints) || e.Id.Equal(oidPolicyConstraints) || e.Id.Equal(oidInhibitAnyPolicy) {
			return false
		}
	}
	return !(f.Root.BasicConstraintsValid && f.Root.MaxPathLen == 0 && f.Root.MaxPathLenZero)
}

var errOutsideCAWindow = errors.New("certificate authority not valid at the signing time")

// Verify follows root.FulcioCertificateAuthority.Verify: the CA's validity
// window in the trusted root, then x509 path validation at the observer
// time with code-signing key usage.
func (c *cachedCA) Verify(cert *x509.Certificate, observed time.Time) ([][]*x509.Certificate, error) {
	if !c.ValidityPeriodStart.IsZero() && observed.Before(c.ValidityPeriodStart) {
		return nil, errOutsideCAWindow
	}
	if !c.ValidityPeriodEnd.IsZero() && observed.After(c.ValidityPeriodEnd) {
		return nil, errOutsideCAWindow
	}
	inter := c.Intermediates[0]
	c.once.Do(func() {
		// The signature of the root over the intermediate, and the
		// constraints between them, do not depend on the time: check them
		// at a time when both are valid.
		at := inter.NotBefore
		if c.Root.NotBefore.After(at) {
			at = c.Root.NotBefore
		}
		_, err := inter.Verify(verifyOptions(c.Root, at))
		c.anchorOK = err == nil
	})
	rootValid := !observed.Before(c.Root.NotBefore) && !observed.After(c.Root.NotAfter)
	if !c.anchorOK || !rootValid {
		return c.FulcioCertificateAuthority.Verify(cert, observed)
	}
	chains, err := cert.Verify(verifyOptions(inter, observed))
	if err != nil {
		return nil, err
	}
	for i := range chains {
		chains[i] = append(chains[i], c.Root)
	}
	return chains, nil
}

func verifyOptions(anchor *x509.Certificate, at time.Time) x509.VerifyOptions {
	roots := x509.NewCertPool()
	roots.AddCert(anchor)
	return x509.VerifyOptions{CurrentTime: at, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
}
