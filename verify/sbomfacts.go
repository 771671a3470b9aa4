package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// sbomFacts finds the SBOM the policy judges and returns the check that
// reports the policy's assessment of it (the one assessment of that SBOM:
// the label check of an attested SBOM shares it), or nil when the
// artifact has no SBOM.
func (pr *policyRun) sbomFacts(r *Runner, subject policy.Subject, g *gathered) (*policy.Check, []policy.Vulnerability, policy.SBOM) {
	opts := []sbom.Option{sbom.WithLogger(r.logger), sbom.WithClock(pr.opts.Now)}
	var doc *sbom.Document
	var err error
	var attested *attest.Statement
	source := pr.opts.SBOM
	switch {
	case source != "":
		doc, err = sbom.ReadDocumentFile(source, opts...)
	case g.art.Path != "":
		for _, s := range SBOMSuffixes {
			if fi, statErr := os.Stat(g.art.Path + s); statErr == nil && fi.Mode().IsRegular() {
				source = g.art.Path + s
				break
			}
		}
		if source != "" {
			doc, err = sbom.ReadDocumentFile(source, opts...)
		}
	}
	if source == "" {
		// A signed SBOM attestation, as cosign attest --type cyclonedx
		// makes them.
		for _, vb := range g.verified {
			if st := vb.res.Statement; st != nil && (st.PredicateType == vocab.PredicateCycloneDX || st.PredicateType == vocab.PredicateSPDX) {
				source, attested = vb.evidence, st
				doc, err = g.attestedSBOM(r, st, vb.evidence)
				break
			}
		}
	}
	if source == "" {
		return nil, nil, policy.SBOM{}
	}
	if err != nil {
		c := failCheck(vocab.CheckSBOMAssessed, subject, reason.As(err, reason.SBOMMalformed, "give the artifact's SBOM as CycloneDX or SPDX JSON"), source)
		return &c, nil, policy.SBOM{}
	}
	bound := sbomBinding(subject, g.art.Name, doc.Graph, source, attested)
	if bound.Status != policy.StatusPass {
		return &bound, nil, policy.SBOM{}
	}
	if strings.HasPrefix(bound.Message, "warning:") {
		r.logger.Warn(bound.Message, "sbom", source)
	}
	rep, rerr := r.assessment(g, doc)
	if rerr != nil {
		c := failCheck(vocab.CheckSBOMAssessed, subject, rerr, source)
		return &c, nil, policy.SBOM{}
	}
	sum := policy.SBOM{Present: true, Source: source, Quality: 1 - rep.Coverage.Unassessed, ProductGrade: string(rep.Product.Grade), Components: []policy.Component{}}
	if profile := pr.opts.Policy.SBOMProfile(); profile != "" {
		if c := sbomProfileFacts(subject, &sum, profile, source, doc); c != nil {
			return c, nil, policy.SBOM{}
		}
	}
	var vulns []policy.Vulnerability
	for _, cr := range rep.Components {
		c := policy.Component{Ref: cr.Ref, Name: cr.Name, Version: cr.Version, PURL: cr.PURL, SHA256: cr.SHA256, Upstream: cr.Upstream,
			Supplier: cr.Supplier, Jurisdiction: cr.Jurisdiction, Licence: licenceExpression(cr.Licences), Grade: string(cr.Grade),
			Labels: []string{}, Pointer: cr.Location, VSAs: []policy.VSA{}}
		for _, l := range cr.Labels {
			c.Labels = append(c.Labels, string(l.Label))
		}
		sum.Components = append(sum.Components, c)
		for _, vr := range cr.Vulnerabilities {
			if vr.Suppressed {
				continue // a trusted VEX statement says not_affected: listed in the report
			}
			vulns = append(vulns, policy.Vulnerability{ID: vr.ID, Component: cr.Ref, Severity: vr.Severity, KnownExploited: vr.KnownExploited, Record: vr.Record})
		}
	}
	sum.Advisories = advisoryFacts(rep)
	sum.Services = serviceFacts(rep.Services)
	c := policy.Check{ID: vocab.CheckSBOMAssessed, Subject: subject, Status: policy.StatusPass, Evidence: source, AdvisoriesAsOf: rep.AdvisoriesAsOf(), Grade: string(rep.Product.Grade),
		Message: fmt.Sprintf("SBOM (%s %s, %d component%s): product grade %s, %.0f%% assessed; %s", rep.Product.Format.Title(), rep.Product.SpecVersion,
			rep.Product.Components, map[bool]string{true: "", false: "s"}[rep.Product.Components == 1], orUngraded(rep.Product.Grade), 100*sum.Quality,
			bound.Message)}
	c.Message += vulnerabilityNote(rep)
	return &c, vulns, sum
}

func orUngraded(g sbom.Grade) string {
	if g == "" {
		return "none"
	}
	return string(g)
}

// licenceExpression joins the licences an SBOM gives a component into one
// SPDX expression: all of them apply.
func licenceExpression(ls []string) string {
	if len(ls) == 1 {
		return ls[0]
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = "(" + l + ")"
	}
	return strings.Join(parts, " AND ")
}
