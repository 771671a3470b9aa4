package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// RuleSBOMProfile requires the SBOM to conform to a conformance profile
// (sbom.profile), checked field by field by sovcheck's sbom package.
const RuleSBOMProfile = "sbom.profile"

// SBOMProfiles are the conformance profiles a policy may require. They are
// the profiles of sovcheck's sbom package (sbom.Profiles).
var SBOMProfiles = []string{"bsi-tr-03183-2"}

// SBOMProfile returns the conformance profile the policy requires of the
// SBOM, or "".
func (p *Policy) SBOMProfile() string {
	if p == nil || p.doc.SBOM == nil {
		return ""
	}
	return p.doc.SBOM.Profile
}

func (v *validator) sbomProfile() {
	name := v.p.doc.SBOM.Profile
	if name == "" {
		return
	}
	if !slices.Contains(SBOMProfiles, name) {
		v.ps.at("sbom.profile", "use one of: "+strings.Join(SBOMProfiles, ", "), "unknown SBOM profile %q", name)
		return
	}
	v.p.ruleIDs[RuleSBOMProfile] = true
}

func (ctx *evalContext) sbomProfileRule() *outcome {
	if o := ctx.withoutSBOM("check against " + ctx.p.doc.SBOM.Profile); o != nil {
		return o
	}
	want := ctx.p.doc.SBOM.Profile
	s := ctx.f.SBOM
	ev := ctx.sbomEvidence("sbom.profile", fmt.Sprintf("%s: %d gaps", want, s.ProfileGaps))
	switch {
	case s.Profile != want:
		ev.Failed = true
		return failed(reason.PolicySBOMProfile, fmt.Sprintf("the SBOM was not checked against %s", want),
			"run sovcheck verify with this policy, which checks the SBOM against the profile", ev)
	case !s.ProfileConformant:
		ev.Failed = true
		return failed(reason.PolicySBOMProfile, fmt.Sprintf("the SBOM does not conform to %s: %d gaps, first: %s", want, s.ProfileGaps, s.ProfileFirstGap),
			"run 'sovcheck sbom check --profile "+want+" SBOM' for every gap, and ask the supplier for an SBOM that fills them", ev)
	}
	return passed("the SBOM conforms to "+want, ev)
}
