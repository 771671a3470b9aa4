package verify

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// sbomLabelChecks reports the SBOMs carried by verified attestations (a
// CycloneDX or SPDX predicate, as `cosign attest --type cyclonedx` makes
// them, for files and images alike): the grade and the worst component,
// as information for the reader and the policy. Each SBOM is assessed
// once (assessment): under a policy with the policy's scoring and data,
// without one with the default scoring and no data files. The check is
// not required; a signed SBOM that does not parse fails it, since the
// publisher vouched for it.
func (r *Runner) sbomLabelChecks(g *gathered, subject policy.Subject, verified []verifiedBundle) []policy.Check {
	var checks []policy.Check
	seen := map[[sha256.Size]byte]bool{} // the same SBOM found twice (referrer and tag) is reported once
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
		doc, err := g.attestedSBOM(r, st, vb.evidence)
		if err != nil {
			checks = append(checks, failCheck(vocab.CheckSBOMLabels, subject, reason.As(err, reason.SBOMMalformed, "the signed SBOM cannot be read; ask the publisher for a valid one"), vb.evidence))
			continue
		}
		rep, rerr := r.assessment(g, doc)
		if rerr != nil {
			checks = append(checks, failCheck(vocab.CheckSBOMLabels, subject, rerr, vb.evidence))
			continue
		}
		msg := fmt.Sprintf("signed SBOM (%s %s, %d components): product grade %s, worst component risk %d/100; %.0f%% not assessed %s",
			rep.Product.Format, rep.Product.SpecVersion, rep.Product.Components, rep.Product.Grade, rep.Product.Risk, 100*rep.Coverage.Unassessed, dataNote(rep))
		if len(rep.Components) > 0 {
			worst := rep.Components[0]
			var labels []string
			for _, l := range worst.Labels {
				labels = append(labels, string(l.Label))
			}
			msg += fmt.Sprintf("; worst: %s@%s (%s)", worst.Name, worst.Version, strings.Join(labels, ", "))
		}
		checks = append(checks, policy.Check{ID: vocab.CheckSBOMLabels, Subject: subject, Status: policy.StatusPass, Message: msg, Evidence: vb.evidence,
			AdvisoriesAsOf: rep.AdvisoriesAsOf(), Grade: string(rep.Product.Grade), Hint: "run 'sovcheck sbom labels' on the SBOM with --registry, --vulns and --kev for a full assessment"})
	}
	return checks
}

// dataNote says what an assessment read beyond the SBOM: "without data
// files", or the kinds of data it was given.
func dataNote(rep *sbom.Report) string {
	var kinds []string
	for _, d := range rep.Data {
		if !slices.Contains(kinds, d.Kind) {
			kinds = append(kinds, d.Kind)
		}
	}
	if len(kinds) == 0 {
		return "without data files"
	}
	return "with data " + strings.Join(kinds, ", ")
}

// readSBOM is sbom.ReadDocument; attestedSBOM calls it once per attested
// SBOM of an artifact (a test counts the calls).
var readSBOM = sbom.ReadDocument

// assessSBOM is (*sbom.Assessor).Assess; assessment calls it once per SBOM
// of an artifact (a test counts the calls).
var assessSBOM = (*sbom.Assessor).Assess

// sbomCache is what the pipeline of one artifact knows of its SBOMs: each
// attested SBOM read once, each SBOM assessed once, by one assessor.
type sbomCache struct {
	parsed   map[[sha256.Size]byte]parsedSBOM // attested SBOMs by predicate sha256
	reports  map[*sbom.Document]*sbom.Report
	assessor *sbom.Assessor
	err      *reason.Error // why the assessor could not be made
}

// parsedSBOM is an attested SBOM read once for the label check and the
// policy: the same predicate is read once per artifact.
type parsedSBOM struct {
	doc *sbom.Document
	err error
}

// attestedSBOM reads the SBOM predicate of a verified attestation, once;
// reading takes no clock, so the label check and the policy share it. The
// document keeps its bytes for the policy's profile check.
func (g *gathered) attestedSBOM(r *Runner, st *attest.Statement, evidence string) (*sbom.Document, error) {
	sum := sha256.Sum256(st.Predicate)
	if p, ok := g.sboms.parsed[sum]; ok {
		return p.doc, p.err
	}
	doc, err := readSBOM(bytes.NewReader(st.Predicate), evidence, sbom.WithLogger(r.logger))
	if g.sboms.parsed == nil {
		g.sboms.parsed = map[[sha256.Size]byte]parsedSBOM{}
	}
	g.sboms.parsed[sum] = parsedSBOM{doc, err}
	return doc, err
}

// assessment assesses an SBOM of the artifact, once: the label check and
// the policy's facts share the report.
func (r *Runner) assessment(g *gathered, doc *sbom.Document) (*sbom.Report, *reason.Error) {
	if rep, ok := g.sboms.reports[doc]; ok {
		return rep, nil
	}
	a, err := r.sbomAssessor(g)
	if err != nil {
		return nil, err
	}
	rep := assessSBOM(a, doc.Graph)
	if g.sboms.reports == nil {
		g.sboms.reports = map[*sbom.Document]*sbom.Report{}
	}
	g.sboms.reports[doc] = rep
	return rep, nil
}

// sbomAssessor is the artifact's one assessor: under a policy, the
// policy's scoring, clock and data with the VEX documents found for the
// artifact; without one, the default scoring and no data.
func (r *Runner) sbomAssessor(g *gathered) (*sbom.Assessor, *reason.Error) {
	c := &g.sboms
	if c.assessor != nil || c.err != nil {
		return c.assessor, c.err
	}
	var opts []sbom.Option
	if pr := r.policy; pr != nil {
		data, err := pr.vexData(g)
		if err != nil {
			c.err = reason.As(err, reason.VEXMalformed, "give an OpenVEX, CycloneDX VEX or CSAF VEX document")
			return nil, c.err
		}
		opts = []sbom.Option{sbom.WithLogger(r.logger), sbom.WithClock(pr.opts.Now), sbom.WithScoring(pr.assessConfig()), sbom.WithData(data)}
	}
	a, err := sbom.NewAssessor(opts...)
	if err != nil {
		c.err = reason.As(err, reason.InternalError, "")
		return nil, c.err
	}
	c.assessor = a
	return a, nil
}
