package verify

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// VEXSuffixes name the VEX documents discovered beside an artifact. They
// are evidence under test: shown, never trusted to suppress, unless the
// policy pins the same document by sha256 (then the pinned copy speaks).
var VEXSuffixes = []string{".vex.json", ".openvex.json"}

// vexPredicates are the predicate types of VEX attestations; a verified
// one is trusted like any other verified attestation.
var vexPredicates = []string{vocab.PredicateOpenVEX, "https://openvex.dev/ns/v0.2.0", "https://cyclonedx.org/vex", "https://docs.oasis-open.org/csaf/csaf/v2.0"}

// vexData adds to the policy's data the VEX documents found for this
// artifact: attested ones (verified signatures: trusted) and files beside
// it (untrusted).
func (pr *policyRun) vexData(g *gathered) (sbom.Data, error) {
	d := pr.opts.Data
	d.VEX = slices.Clone(d.VEX)
	for _, vb := range g.verified {
		st := vb.res.Statement
		if st == nil || !slices.Contains(vexPredicates, st.PredicateType) {
			continue
		}
		v, err := sbom.ReadVEX(bytes.NewReader(st.Predicate), vb.evidence)
		if err != nil {
			return d, err
		}
		d.VEX = append(d.VEX, v.Trust("signed attestation verified"))
	}
	if g.art.Path == "" {
		return d, nil
	}
	for _, s := range VEXSuffixes {
		path := g.art.Path + s
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		v, err := sbom.LoadVEX(path)
		if err != nil {
			return d, err
		}
		d.VEX = append(d.VEX, v)
	}
	return d, nil
}

// assessConfig is the scoring configuration under the policy: how
// unknown severities count, and whether stale advisory data answers
// nothing.
func (pr *policyRun) assessConfig() sbom.Config {
	cfg := sbom.DefaultConfig()
	p := pr.opts.Policy
	if p == nil {
		return cfg
	}
	cfg.UnknownSeverity = p.UnknownSeverity()
	if age, mode := p.MaxDataAge(); mode == policy.StaleDataUnassessed {
		cfg.MaxAdvisoryAgeDays = max(1, int(age.Hours()/24))
	}
	return cfg
}

// advisoryFacts summarises what the vulnerability facts rest on.
func advisoryFacts(rep *sbom.Report) policy.Advisories {
	var a policy.Advisories
	for _, d := range rep.Data {
		if d.Kind == "osv" && d.AsOf != "unknown" {
			a.AsOf = d.AsOf
		}
	}
	// Assessed counts the components whose known-vulnerable question the
	// advisories answered (known-exploited needs a KEV catalogue too).
	a.Total = len(rep.Components)
	a.Assessed = a.Total
	for _, c := range rep.Components {
		for _, u := range c.Unassessed {
			if slices.Contains(u.Labels, vocab.LabelKnownVulnerable) {
				a.Assessed--
				break
			}
		}
	}
	a.Suppressed = len(rep.Suppressions)
	return a
}

// vulnerabilityNote says, for the sbom.assessed check, how fresh the
// advisory data is (its newest "modified") when advisories were matched,
// and lists the findings trusted VEX statements suppressed, with their
// sources.
func vulnerabilityNote(rep *sbom.Report) string {
	var note string
	for _, d := range rep.Data {
		if d.Kind == "osv" {
			note = fmt.Sprintf("; advisories as of %s (%d advisor%s)", d.AsOf, d.Records, map[bool]string{true: "y", false: "ies"}[d.Records == 1])
		}
	}
	if len(rep.Suppressions) == 0 {
		return note
	}
	parts := make([]string, 0, len(rep.Suppressions))
	for _, s := range rep.Suppressions {
		parts = append(parts, fmt.Sprintf("%s on %s (%s)", s.Vulnerability, s.Component, s.Source))
	}
	return note + "; suppressed by VEX: " + strings.Join(parts, ", ")
}
