package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func (ctx *evalContext) expiry() *outcome {
	p := ctx.p
	ev := Evidence{Source: p.name, Field: "metadata.expires", Detail: p.doc.Metadata.Expires}
	switch {
	case p.expires.IsZero():
		return passed("the policy sets no expiry date")
	case !ctx.now.Before(p.expires):
		ev.Failed = true
		return failed(reason.PolicyExpired, "the policy expired on "+p.doc.Metadata.Expires,
			"the policy's owner must review it and set a new metadata.expires", ev)
	}
	return passed("the policy expires on "+p.doc.Metadata.Expires, ev)
}

// checkEvidence lists the verdict's checks with the given ids.
func (ctx *evalContext) checkEvidence(ids ...string) []Evidence {
	var ev []Evidence
	for _, c := range ctx.f.Checks {
		if slices.Contains(ids, c.ID) {
			detail := string(c.Status)
			if c.Reason != "" {
				detail += " " + c.Reason
			}
			ev = append(ev, Evidence{Check: c.ID, Source: c.Evidence, Detail: detail})
		}
	}
	return ev
}

func (s *artifactRules) trusts(sg Signer) bool {
	if len(s.keys) == 0 && len(s.identities) == 0 {
		return true // the signer the caller verified against is the trust
	}
	if sg.KeyID != "" && slices.Contains(s.keys, strings.ToLower(sg.KeyID)) {
		return true
	}
	for _, m := range s.identities {
		if m.matches(sg) {
			return true
		}
	}
	return false
}

func signerString(sg Signer) string {
	if sg.KeyID != "" {
		return "key sha256:" + strings.ToLower(sg.KeyID)
	}
	return fmt.Sprintf("%s (issuer %s)", sg.Subject, sg.Issuer)
}

func (ctx *evalContext) signature() *outcome {
	s := ctx.section
	trustList := len(s.keys) > 0 || len(s.identities) > 0
	if !s.signatureRequired && !trustList {
		return skipped("the policy requires no signature of this artifact")
	}
	ev := ctx.checkEvidence(vocab.CheckSignature, vocab.CheckIdentity)
	trusted := 0
	var untrusted []string
	for _, sg := range ctx.f.Signers {
		e := Evidence{Source: sg.Evidence, Field: "signers", Detail: signerString(sg)}
		if s.trusts(sg) {
			trusted++
			e.Detail += ": trusted"
		} else {
			untrusted = append(untrusted, signerString(sg))
			e.Detail += ": not trusted by the policy"
			e.Failed = s.signatureRequired
		}
		ev = append(ev, e)
	}
	switch {
	case trusted > 0:
		return passed(fmt.Sprintf("signed by %d trusted signer%s", trusted, plural(trusted)), ev...)
	case !s.signatureRequired:
		return passed("no trusted signature, and the policy does not require one for this artifact", ev...)
	case len(ctx.f.Signers) == 0:
		return failed(reason.PolicySignatureMissing, "no verified signature",
			"publish a Sigstore bundle beside the artifact (ARTIFACT.sigstore.json) and verify it", ev...)
	}
	return failed(reason.PolicySignerUntrusted, "signed only by signers the policy does not trust: "+strings.Join(untrusted, ", "),
		"the policy trusts "+s.trustedSigners()+"; ask the publisher which key or identity signs releases, then review the policy", ev...)
}

func (s *artifactRules) trustedSigners() string {
	var parts []string
	for _, k := range s.keys {
		parts = append(parts, "key sha256:"+k)
	}
	for _, m := range s.identities {
		parts = append(parts, m.String())
	}
	return strings.Join(parts, ", ")
}

func (ctx *evalContext) attestations() *outcome {
	want := ctx.section.predicateTypes
	if len(want) == 0 {
		return skipped("the policy requires no attestation of this artifact")
	}
	var ev []Evidence
	var missing []string
	for _, t := range want {
		if slices.Contains(ctx.f.PredicateTypes, t) {
			ev = append(ev, Evidence{Field: "predicateTypes", Detail: "verified " + t})
		} else {
			missing = append(missing, t)
			ev = append(ev, Evidence{Field: "predicateTypes", Detail: "missing " + t, Failed: true})
		}
	}
	if len(missing) > 0 {
		hint := "publish the attestation as a signed bundle beside the artifact (ARTIFACT.intoto.jsonl)"
		if other := ctx.otherProvenanceVersion(missing); other != "" {
			hint = "the artifact has verified SLSA provenance " + other + "; to accept any SLSA provenance version, " +
				"drop the version from attestations and require provenance (provenance: {required: true})"
		}
		return failed(reason.PolicyAttestationMissing, "no verified attestation of type "+strings.Join(missing, ", "), hint, ev...)
	}
	return passed("verified attestations of every required type", ev...)
}

// otherProvenanceVersion names the SLSA provenance the artifact has when
// the policy misses another version of it, so that the verdict does not
// read as if the artifact had no provenance at all.
func (ctx *evalContext) otherProvenanceVersion(missing []string) string {
	if !slices.ContainsFunc(missing, vocab.IsSLSAProvenance) {
		return ""
	}
	for _, t := range ctx.f.PredicateTypes {
		if vocab.IsSLSAProvenance(t) && !slices.Contains(missing, t) {
			return t
		}
	}
	return ""
}

func (ctx *evalContext) provenance() *outcome {
	s := ctx.section
	constrained := len(s.builderIDs)+len(s.sourceRepos)+len(s.tags)+len(s.branches) > 0
	if !s.provenanceRequired && !constrained {
		return skipped("the policy requires no provenance of this artifact")
	}
	if len(ctx.f.Provenance) == 0 {
		if !s.provenanceRequired {
			return passed("no provenance, and the policy does not require one for this artifact")
		}
		return failed(reason.PolicyProvenanceMissing, "no verified SLSA provenance",
			"publish the build's SLSA provenance as a signed attestation beside the artifact (ARTIFACT.intoto.jsonl)")
	}
	var ev []Evidence
	var firstProblems []string
	ok := false
	for _, pv := range ctx.f.Provenance {
		problems := s.provenanceProblems(pv)
		e := Evidence{Source: pv.Evidence, Field: "provenance",
			Detail: fmt.Sprintf("builder %s, source %s, ref %s", pv.BuilderID, pv.SourceURI, pv.SourceRef)}
		if len(problems) == 0 {
			ok = true
		} else {
			e.Detail += ": " + strings.Join(problems, "; ")
			e.Failed = true
			if firstProblems == nil {
				firstProblems = problems
			}
		}
		ev = append(ev, e)
	}
	if ok {
		return passed("built by a trusted builder from a trusted source", ev...)
	}
	return failed(reason.PolicyProvenanceMismatch, "no verified provenance meets the policy: "+strings.Join(firstProblems, "; "),
		"the artifact was built elsewhere or from other sources than the policy trusts; do not accept it without review", ev...)
}

func (s *artifactRules) provenanceProblems(pv Provenance) []string {
	var out []string
	if len(s.builderIDs) > 0 && !slices.ContainsFunc(s.builderIDs, func(want string) bool { return vocab.BuilderMatches(pv.BuilderID, want) }) {
		out = append(out, fmt.Sprintf("builder %q not trusted", pv.BuilderID))
	}
	if len(s.sourceRepos) > 0 && !slices.Contains(s.sourceRepos, vocab.NormalizeSourceURI(pv.SourceURI)) {
		out = append(out, fmt.Sprintf("source %q not trusted", pv.SourceURI))
	}
	if len(s.tags)+len(s.branches) > 0 {
		tag, isTag := strings.CutPrefix(pv.SourceRef, "refs/tags/")
		branch, isBranch := strings.CutPrefix(pv.SourceRef, "refs/heads/")
		if !(isTag && anyGlob(s.tags, tag) || isBranch && anyGlob(s.branches, branch)) {
			out = append(out, fmt.Sprintf("ref %q not among the trusted tags and branches", pv.SourceRef))
		}
	}
	return out
}

func anyGlob(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return globMatch(p, s) })
}

func (ctx *evalContext) rebuild() *outcome {
	s := ctx.section
	if s.rebuild == rebuildNone {
		return skipped("the policy requires no rebuild of this artifact")
	}
	rb := ctx.f.Rebuild
	ev := []Evidence{{Field: "rebuild", Source: rb.Evidence, Detail: strings.TrimSpace(rb.Status + " " + rb.Reason)}}
	switch rb.Status {
	case RebuildMatch:
		return passed("rebuilt bit for bit", ev...)
	case RebuildMismatch:
		var other []string
		for _, c := range rb.Causes {
			ok := s.rebuild == rebuildEquivalent && s.allowedCauses[c]
			if !ok {
				other = append(other, c)
			}
			ev = append(ev, Evidence{Field: "rebuild.causes", Detail: c, Failed: !ok})
		}
		switch {
		case len(rb.Causes) == 0:
			other = []string{"unexplained difference"}
		case len(other) == 0:
			return passed("rebuilt equivalent: the differences are limited to "+strings.Join(s.normalisations, ", "), ev...)
		}
		return failed(reason.PolicyNotReproducible, "rebuilding did not reproduce the artifact: "+strings.Join(other, ", "),
			"read the rebuild report for each difference, and ask the producer for a reproducible build", ev...)
	case RebuildSkip:
		return failed(reason.PolicyRebuildMissing, "the rebuild could not be tried ("+rb.Reason+")",
			"rebuild where the toolchain, sources and sandbox are available, then evaluate again", ev...)
	}
	return failed(reason.PolicyRebuildMissing, "no rebuild result", "rebuild the artifact with sovcheck and give the result")
}

func (ctx *evalContext) certifiedArtifact() *outcome {
	f := ctx.f
	c := ctx.p.certify("", f.Artifact.Digest["sha256"], f.VSAs, ctx.now)
	if c.Certified {
		return passed("certified ("+c.By+")", Evidence{Source: c.Source, Pointer: c.Pointer, Detail: c.Detail})
	}
	return failed(c.Reason, "the artifact is not certified: "+c.Message, c.Hint, Evidence{Field: "vsas", Detail: fmt.Sprintf("%d verified VSAs", len(f.VSAs)), Failed: true})
}

func (ctx *evalContext) certifiedComponents() *outcome {
	if o := ctx.withoutSBOM("find the components of"); o != nil {
		return o
	}
	if cs := ctx.p.doc.Certification; cs.List != "" && ctx.p.certs == nil {
		return failed(reason.DataNotLoaded, fmt.Sprintf("certification list %q was not loaded", cs.List),
			"this is a defect in the caller: the policy's data files must be loaded before evaluating")
	}
	o := &outcome{reason: reason.PolicyUncertified, what: "uncertified components",
		hint:     "have these components certified (a VSA from a trusted certifier, or an entry in the certification list), or replace them",
		message:  "every component certified",
		evidence: []Evidence{ctx.sbomEvidence("sbom.components[].vsas", "")}}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		if cert := ctx.p.Certify(*c, ctx.now); !cert.Certified {
			e := ctx.componentEvidence(c)
			e.Detail = cert.Message
			o.addItem(c, e)
		}
	}
	return o
}

func (ctx *evalContext) penalty(pen penaltySpec) *outcome {
	if !ctx.f.SBOM.Present {
		return skipped("no SBOM: no component to penalise")
	}
	what := strings.Join(pen.Labels, " + ")
	if pen.Uncertified {
		what = strings.TrimPrefix(what+" + uncertified", " + ")
	}
	o := &outcome{reason: reason.PolicyPenalty, what: "components penalised (" + what + ")",
		hint:      "remediate or certify these components to earn the points back",
		message:   "no component is " + what,
		evidence:  []Evidence{ctx.sbomEvidence("sbom.components[].labels", "")},
		pointsPer: pen.Points, pointsMax: pen.Max}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		if !slices.ContainsFunc(pen.Labels, func(l string) bool { return !c.HasLabel(l) }) &&
			(!pen.Uncertified || !ctx.p.Certify(*c, ctx.now).Certified) {
			e := ctx.componentEvidence(c)
			e.Label, e.Detail = strings.Join(pen.Labels, ","), what
			o.addItem(c, e)
		}
	}
	return o
}

func (ctx *evalContext) pointsGrade() *outcome {
	pt := ctx.p.doc.Points
	g := ctx.f.SBOM.ProductGrade
	ev := ctx.sbomEvidence("sbom.productGrade", g)
	if !ctx.f.SBOM.Present || vocab.GradeRank(g) < 0 {
		o := failed(reason.PolicyGradeExceeded, fmt.Sprintf("no product grade: 0 of %d points", pt.Maximum), hintSBOM, ev)
		if !ctx.f.SBOM.Present {
			o.reason = reason.PolicySBOMMissing
			if ctx.sbomRequired() {
				// sbom.required fails and says what to do.
				o.message, o.hint = fmt.Sprintf("no product grade without an SBOM (%s fails): 0 of %d points", RuleSBOMRequired, pt.Maximum), ""
			}
		}
		o.failPoints = pt.Maximum
		return o
	}
	earned := pt.Grades[g]
	o := passed(fmt.Sprintf("product grade %s earns %d of %d points", g, earned, pt.Maximum), ev)
	o.lost = pt.Maximum - earned
	return o
}

func (r *celRule) outcome(ctx *evalContext) *outcome {
	var ev []Evidence
	for _, in := range r.inputs {
		ev = append(ev, Evidence{Field: in})
	}
	what := r.spec.Message
	if what == "" {
		what = clip(strings.Join(strings.Fields(r.spec.Expr), " "), 120)
	}
	ok, err := r.eval(ctx.act, ctx.budget)
	var o *outcome
	switch {
	case errors.Is(err, errBudgetSpent):
		o = failed(reason.PolicyEvaluationCostExceeded, fmt.Sprintf("not evaluated: the CEL rules before it spent the evaluation's cost budget of %d: %s", ctx.budget.limit, what),
			"the policy's CEL rules together cost too much for one artifact: merge or simplify them", ev...)
	case errors.Is(err, errCostExceeded):
		o = failed(reason.PolicyRuleCostExceeded, fmt.Sprintf("stopped at its CEL cost limit of %d: %s", ctx.p.costLimit, what),
			"simplify the expression: avoid comparing every component with every other", ev...)
	case err != nil:
		o = failed(reason.PolicyRuleError, fmt.Sprintf("%v: %s", err, what),
			"fix the rule: guard optional fields with has() and map keys with 'in'", ev...)
	case ok:
		o = passed("holds: "+what, ev...)
	default:
		o = failed(reason.PolicyRuleFailed, "does not hold: "+what, "", ev...)
	}
	o.failPoints = r.spec.Points
	return o
}
