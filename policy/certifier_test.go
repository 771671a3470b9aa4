package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func TestCertifiers(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	id, err := parseKeyRef(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, "certification:\n  certifiers:\n    - sha256:"+testCertKey+"\n    - |\n"+indent(pemKey, "      ")+"\n")
	got := p.Certifiers()
	if len(got) != 2 {
		t.Fatalf("Certifiers = %+v, want 2", got)
	}
	byID := map[string]Certifier{got[0].KeyID: got[0], got[1].KeyID: got[1]}
	if c := byID[testCertKey]; c.Key != nil {
		t.Errorf("a certifier named by its id has a key: %+v", c)
	}
	if c := byID[id]; c.Key == nil || !key.PublicKey.Equal(c.Key) {
		t.Errorf("the PEM certifier's key = %v, want the key itself", c.Key)
	}
	if got[0].KeyID > got[1].KeyID {
		t.Errorf("certifiers not sorted: %s, %s", got[0].KeyID, got[1].KeyID)
	}
	if n := len(mustLoad(t, "").Certifiers()); n != 0 {
		t.Errorf("a policy without certification has %d certifiers", n)
	}
}

// TestVSAPolicies: with certification.policies, a VSA counts only when the
// certifier verified under one of the listed policies.
func TestVSAPolicies(t *testing.T) {
	accepted, other := hexSHA("accepted policy"), hexSHA("other policy")
	p := mustLoad(t, "certification:\n  certifiers: [\"sha256:"+testCertKey+"\"]\n  policies: [\"sha256:"+strings.ToUpper(accepted)+"\"]\n")
	vsa := VSA{CertifierKeyID: testCertKey, Result: vocab.VSAPassed, PolicyDigest: accepted, Evidence: "x.vsa.json"}
	c := Component{PURL: "pkg:golang/example.com/x@v1.0.0", VSAs: []VSA{vsa}}
	if got := p.Certify(c, testNow); !got.Certified || got.By != "vsa" {
		t.Fatalf("VSA under an accepted policy: %+v", got)
	}
	vsa.PolicyDigest = other
	c.VSAs = []VSA{vsa}
	got := p.Certify(c, testNow)
	if got.Certified || got.Reason != reason.PolicyUncertified || !strings.Contains(got.Message, "issued under policy sha256:"+other) ||
		!strings.Contains(got.Hint, "certification.policies") {
		t.Fatalf("VSA under another policy: %+v", got)
	}
	vsa.PolicyDigest = ""
	c.VSAs = []VSA{vsa}
	if got := p.Certify(c, testNow); got.Certified || !strings.Contains(got.Message, "no digest recorded") {
		t.Fatalf("VSA without a policy digest: %+v", got)
	}
	// Without the list, any policy will do.
	q := mustLoad(t, "certification:\n  certifiers: [\"sha256:"+testCertKey+"\"]\n")
	if got := q.Certify(c, testNow); !got.Certified {
		t.Fatalf("VSA without certification.policies: %+v", got)
	}

	_, err := Load([]byte(header+"certification:\n  certifiers: [\"sha256:"+testCertKey+"\"]\n  policies: [\"sha256:abc\"]\n"), "p.yaml", testNow)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Problems[0].Path != "certification.policies[0]" || fe.Problems[0].Line != 5 {
		t.Fatalf("invalid policy digest: %v", err)
	}
}
