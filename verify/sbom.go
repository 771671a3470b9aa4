package verify

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// CheckSBOMLabels is the check id of an attested SBOM's systemic-risk
// assessment.
const CheckSBOMLabels = "sbom.labels"

// sbomLabelChecks assesses the SBOMs carried by verified attestations (a
// CycloneDX or SPDX predicate, as `cosign attest --type cyclonedx` makes
// them, for files and images alike) with the default scoring and no data
// files: the grade and the worst component, as information for the reader
// and the policy. The check is not required; a signed SBOM that does not
// parse fails it, since the publisher vouched for it.
func sbomLabelChecks(subject policy.Subject, verified []verifiedBundle) []policy.Check {
	var checks []policy.Check
	seen := map[[sha256.Size]byte]bool{} // the same SBOM found twice (referrer and tag) is assessed once
	for _, vb := range verified {
		st := vb.res.Statement
		if st == nil || (st.PredicateType != vocab.PredicateCycloneDX && st.PredicateType != vocab.PredicateSPDX) {
			continue
		}
		if sum := sha256.Sum256(st.Predicate); seen[sum] {
			continue
		} else {
			seen[sum] = true
		}
		g, err := sbom.Read(bytes.NewReader(st.Predicate), vb.evidence)
		if err != nil {
			checks = append(checks, failCheck(CheckSBOMLabels, subject, reason.As(err, sbom.CodeMalformed, "the signed SBOM cannot be read; ask the publisher for a valid one"), vb.evidence))
			continue
		}
		a, err := sbom.NewAssessor()
		if err != nil {
			checks = append(checks, failCheck(CheckSBOMLabels, subject, reason.As(err, reason.InternalError, ""), vb.evidence))
			continue
		}
		rep := a.Assess(g)
		msg := fmt.Sprintf("signed SBOM (%s %s, %d components): product grade %s, worst component risk %d/100; %.0f%% not assessed without data files",
			rep.Product.Format, rep.Product.SpecVersion, rep.Product.Components, rep.Product.Grade, rep.Product.Risk, 100*rep.Coverage.Unassessed)
		if len(rep.Components) > 0 {
			worst := rep.Components[0]
			var labels []string
			for _, l := range worst.Labels {
				labels = append(labels, string(l.Label))
			}
			msg += fmt.Sprintf("; worst: %s@%s (%s)", worst.Name, worst.Version, strings.Join(labels, ", "))
		}
		checks = append(checks, policy.Check{ID: CheckSBOMLabels, Subject: subject, Status: policy.StatusPass, Message: msg, Evidence: vb.evidence,
			Hint: "run 'sovcheck sbom labels' on the SBOM with --registry, --vulns and --kev for a full assessment"})
	}
	return checks
}
