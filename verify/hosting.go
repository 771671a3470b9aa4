package verify

import (
	"bytes"
	"fmt"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
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

// readRiskData reads a risk data snapshot the policy pins and applies the
// policy's staleness rule: a snapshot older than maxAgeDays at now is an
// error at the line that names it, since its facts no longer describe
// the registries.
func readRiskData(policyPath string, df policy.DataFile, content []byte, file string, now time.Time, opts []sbom.Option) (*sbom.RiskData, error) {
	if err := checkRiskDataSignature(policyPath, df, content, file); err != nil {
		return nil, err
	}
	rd, err := sbom.ReadRiskData(bytes.NewReader(content), file, opts...)
	if err != nil || df.MaxAgeDays == 0 {
		return rd, err
	}
	age := now.Sub(rd.AsOfTime())
	if limit := time.Duration(df.MaxAgeDays) * 24 * time.Hour; age > limit {
		return nil, &policy.FileError{Name: policyPath, Problems: []policy.Problem{{Pos: df.Pos, Code: reason.RiskDataStale,
			Path: "data[" + df.Name + "]",
			Msg:  fmt.Sprintf("risk data %s is stale: gathered %s, %d days before %s (maxAgeDays %d)", df.Name, rd.AsOf, int(age.Hours()/24), now.UTC().Format(time.DateOnly), df.MaxAgeDays),
			Hint: "run 'sovcheck data pull' again and pin the new snapshot's sha256 in the policy"}}}
	}
	return rd, nil
}
