package verify

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// sbomLabelChecks assesses the SBOMs carried by verified attestations (a
// CycloneDX or SPDX predicate, as `cosign attest --type cyclonedx` makes
// them, for files and images alike) with the default scoring and no data
// files: the grade and the worst component, as information for the reader
// and the policy. The check is not required; a signed SBOM that does not
// parse fails it, since the publisher vouched for it.
func sbomLabelChecks(g *gathered, subject policy.Subject, verified []verifiedBundle, logger *slog.Logger) []policy.Check {
	var checks []policy.Check
	seen := map[[sha256.Size]byte]bool{} // the same SBOM found twice (referrer and tag) is assessed once
	for _, vb := range verified {
		st := vb.res.Statement
		if st == nil || (st.PredicateType != vocab.PredicateCycloneDX && st.PredicateType != vocab.PredicateSPDX) {
			continue
		}
		sum := sha256.Sum256(st.Predicate)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		graph, err := g.attestedSBOM(st, vb.evidence, logger)
		if err != nil {
			checks = append(checks, failCheck(vocab.CheckSBOMLabels, subject, reason.As(err, reason.SBOMMalformed, "the signed SBOM cannot be read; ask the publisher for a valid one"), vb.evidence))
			continue
		}
		a, err := sbom.NewAssessor()
		if err != nil {
			checks = append(checks, failCheck(vocab.CheckSBOMLabels, subject, reason.As(err, reason.InternalError, ""), vb.evidence))
			continue
		}
		rep := a.Assess(graph)
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
		checks = append(checks, policy.Check{ID: vocab.CheckSBOMLabels, Subject: subject, Status: policy.StatusPass, Message: msg, Evidence: vb.evidence,
			Hint: "run 'sovcheck sbom labels' on the SBOM with --registry, --vulns and --kev for a full assessment"})
	}
	return checks
}

// readSBOM is sbom.Read; attestedSBOM calls it once per attested SBOM of
// an artifact (a test counts the calls).
var readSBOM = sbom.Read

// parsedSBOM is an attested SBOM read once for the label check and the
// policy: the same predicate is parsed once per artifact.
type parsedSBOM struct {
	graph *sbom.Graph
	err   error
}

// attestedSBOM reads the SBOM predicate of a verified attestation, once;
// reading takes no clock, so the label check and the policy share it.
func (g *gathered) attestedSBOM(st *attest.Statement, evidence string, logger *slog.Logger) (*sbom.Graph, error) {
	sum := sha256.Sum256(st.Predicate)
	if p, ok := g.sboms[sum]; ok {
		return p.graph, p.err
	}
	graph, err := readSBOM(bytes.NewReader(st.Predicate), evidence, sbom.WithLogger(logger))
	if g.sboms == nil {
		g.sboms = map[[sha256.Size]byte]parsedSBOM{}
	}
	g.sboms[sum] = parsedSBOM{graph, err}
	return graph, err
}
