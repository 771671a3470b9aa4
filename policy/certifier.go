package policy

import (
	"crypto"
	"fmt"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Certifier is a key the policy trusts to sign Verification Summary
// Attestations.
type Certifier struct {
	KeyID string // hex sha256 of the key's PKIX DER encoding
	// Key is the public key when the policy gives it in full (PEM); nil
	// when the policy names the key by its id only, and the caller must
	// find the key elsewhere to check a VSA's signature.
	Key crypto.PublicKey
}

// Certifiers lists the certifier keys of the policy's certification
// section, sorted by key id. A policy without one trusts no certifier.
func (p *Policy) Certifiers() []Certifier {
	out := make([]Certifier, 0, len(p.certKeys))
	for id := range p.certKeys {
		out = append(out, Certifier{KeyID: id, Key: p.certPubs[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KeyID < out[j].KeyID })
	return out
}

// certifierKey returns the public key of a certifier entry written as PEM,
// or nil for one written as sha256:<hex>. The entry was validated by
// parseKeyRef.
func certifierKey(s string) crypto.PublicKey {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "-----BEGIN ") {
		return nil
	}
	pub, err := vocab.ReadPublicKey(strings.NewReader(s))
	if err != nil {
		return nil
	}
	return pub
}

// vsaPolicies validates certification.policies: the sha256 of the policy
// files under which a VSA must have been issued to count.
func (v *validator) vsaPolicies(list []string) {
	v.p.certPols = map[string]bool{}
	for i, s := range list {
		hexSum := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"))
		if _, err := vocab.ParseSHA256(hexSum); err != nil {
			v.ps.at(fmt.Sprintf("certification.policies[%d]", i), "give sha256:<hex> of the policy file, as 'sovcheck policy check' prints it", "%v", err)
			continue
		}
		v.p.certPols[hexSum] = true
	}
}
