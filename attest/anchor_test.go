package attest

import (
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/sovcheck/sovcheck/internal/anchor"
)

// sigstore-go compiles the identity regexps again from the strings
// NewVerifier hands it: those strings are anchored, so sigstore-go's own
// match is no wider than sovcheck's.
func TestSigstoreIdentityAnchored(t *testing.T) {
	subject, err := anchor.Compile(`x|https://github\.com/acme/[a-z]+`)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := anchor.Compile(`https://token\.actions\.githubusercontent\.com`)
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity("", issuer.String(), "", subject.String())
	if err != nil {
		t.Fatal(err)
	}
	for san, want := range map[string]bool{
		"x":                                 true,
		"https://github.com/acme/tool":      true,
		"xy":                                false,
		"https://github.com/acme/tool/evil": false,
		"evil https://github.com/acme/tool": false,
		"https://github.com/mallory/tool":   false,
	} {
		for iss, issOK := range map[string]bool{"https://token.actions.githubusercontent.com": true, "https://token.actions.githubusercontent.com.evil": false} {
			s := certificate.Summary{SubjectAlternativeName: san, Extensions: certificate.Extensions{Issuer: iss}}
			got := id.Verify(s) == nil
			if got != (want && issOK) {
				t.Errorf("sigstore-go identity %q (issuer %q) = %v, want %v", san, iss, got, want && issOK)
			}
			if sovcheck := subject.MatchString(san) && issuer.MatchString(iss); sovcheck != got {
				t.Errorf("sovcheck and sigstore-go disagree on %q (issuer %q): %v and %v", san, iss, sovcheck, got)
			}
		}
	}
}
