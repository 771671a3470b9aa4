package verify

import (
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// serviceFacts are the SBOM's hosted services as the policy reads them.
func serviceFacts(rs []sbom.ServiceResult) []policy.Service {
	out := make([]policy.Service, 0, len(rs))
	for _, r := range rs {
		s := policy.Service{Ref: r.Ref, Name: r.Name, Provider: r.Provider, Jurisdiction: r.Jurisdiction,
			Certifications: append([]string{}, r.Certifications...), Labels: []string{}, Pointer: r.Location}
		for _, f := range r.Labels {
			s.Labels = append(s.Labels, string(f.Label))
		}
		out = append(out, s)
	}
	return out
}
