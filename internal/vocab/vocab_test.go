package vocab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestParseSHA256(t *testing.T) {
	const d = "06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b"
	b, err := ParseSHA256(strings.ToUpper(d))
	if err != nil || FormatSHA256(b) != SHA256Prefix+d {
		t.Fatalf("ParseSHA256: %v, %s", err, FormatSHA256(b))
	}
	for _, bad := range []string{"", d[:62], d + "00", "zz" + d[2:]} {
		if _, err := ParseSHA256(bad); err == nil {
			t.Errorf("ParseSHA256(%q) succeeded", bad)
		}
	}
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestReadPublicKey(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(strings.NewReader(pemOf(t, "PUBLIC KEY", der)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := KeyID(pub)
	if err != nil || len(id) != 64 {
		t.Fatalf("KeyID: %q, %v", id, err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		in   string
		want KeyProblem
		msg  string
	}{
		"private key": {pemOf(t, "EC PRIVATE KEY", der), KeyInvalid, `unexpected PEM block: got "EC PRIVATE KEY", want "PUBLIC KEY"`},
		"no PEM":      {"sha256:abc", KeyInvalid, "reading public key: no PEM block"},
		"short RSA":   {pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&small.PublicKey)), KeyInvalid, `RSA key too short: got "1024 bits", want "at least 2048 bits"`},
		"garbage DER": {pemOf(t, "PUBLIC KEY", []byte{1, 2, 3}), KeyInvalid, "parsing public key: "},
		"too large":   {strings.Repeat("x", MaxKeyFileSize+1), KeyTooLarge, `key file exceeds the size limit: got "", want "at most 65536 bytes"`},
	} {
		_, err := ReadPublicKey(strings.NewReader(tc.in))
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Problem != tc.want || ke.Hint == "" || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want problem %d with message %q", name, err, tc.want, tc.msg)
		}
	}
}

func TestResolvePredicateType(t *testing.T) {
	for in, want := range map[string]string{"slsaprovenance1": PredicateSLSAProvenanceV1, "SPDXJSON": PredicateSPDX, "https://example.com/p/v1": "https://example.com/p/v1"} {
		if got, err := ResolvePredicateType(in); err != nil || got != want {
			t.Errorf("ResolvePredicateType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ResolvePredicateType("slsa"); err == nil || !strings.Contains(err.Error(), "cyclonedx, link, openvex") {
		t.Errorf("unknown alias: got %v", err)
	}
	if got := NormalizeSourceURI("git+https://github.com/org/repo.git/"); got != "github.com/org/repo" {
		t.Errorf("NormalizeSourceURI: got %q", got)
	}
}

func TestGrades(t *testing.T) {
	if GradeRank("A") != 0 || GradeRank("G") != 6 || GradeRank("H") != -1 || GradeRank("a") != -1 {
		t.Error("GradeRank off the scale")
	}
	if !GradeG.Worse(GradeF) || GradeA.Worse(GradeA) || Grade("").Valid() {
		t.Error("Worse or Valid wrong")
	}
	if strings.Join(GradeNames(), "") != "ABCDEFG" {
		t.Errorf("GradeNames: %v", GradeNames())
	}
}

// TestNamesAreDistinct: a name listed twice in a vocabulary list would be
// counted twice in reports.
func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range append(append([]Label{}, Labels...), append(ServiceLabels, LabelHostingConcentration)...) {
		if seen[string(l)] {
			t.Errorf("label %s listed twice", l)
		}
		seen[string(l)] = true
	}
	if len(Labels) != 28 || len(ServiceLabels) != 5 {
		t.Errorf("got %d component and %d service labels, want 28 and 5", len(Labels), len(ServiceLabels))
	}
	caps := map[string]bool{}
	for _, c := range WasmCapabilities {
		if caps[c] {
			t.Errorf("capability %s listed twice", c)
		}
		caps[c] = true
	}
}

func TestBuilderMatches(t *testing.T) {
	const b = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml"
	for _, tc := range []struct {
		got, want string
		match     bool
	}{
		{b + "@refs/tags/v2.0.0", b, true},
		{b + "@refs/tags/v2.0.0", b + "@refs/tags/v2.0.0", true},
		{b, b, true},
		{b + "@refs/tags/v2.0.0", b + "@refs/tags/v1.9.0", false},
		{b, b + "@refs/tags/v2.0.0", false},
		{b + "-evil@refs/tags/v2.0.0", b, false},
		{"", b, false},
	} {
		if got := BuilderMatches(tc.got, tc.want); got != tc.match {
			t.Errorf("BuilderMatches(%q, %q) = %v, want %v", tc.got, tc.want, got, tc.match)
		}
	}
}
