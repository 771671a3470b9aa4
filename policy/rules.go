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
		return failed(reason.PolicyAttestationMissing, "no verified attestation of type "+strings.Join(missing, ", "),
			"publish the attestation as a signed bundle beside the artifact (ARTIFACT.intoto.jsonl)", ev...)
	}
	return passed("verified attestations of every required type", ev...)
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
	if len(s.builderIDs) > 0 && !slices.ContainsFunc(s.builderIDs, func(want string) bool { return builderMatches(pv.BuilderID, want) }) {
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

// builderMatches compares builder ids as slsa-verifier does: a wanted id
// without "@" matches any version of that builder.
func builderMatches(got, want string) bool {
	if strings.Contains(want, "@") {
		return got == want
	}
	base, _, _ := strings.Cut(got, "@")
	return base == want
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

// sbomRequired reports whether the policy requires an SBOM: a sbom
// section requires one unless it says required: false.
func (ctx *evalContext) sbomRequired() bool {
	s := ctx.p.doc.SBOM
	return s != nil && (s.Required == nil || *s.Required)
}

const hintSBOM = "give the artifact's SBOM (ARTIFACT.cdx.json or ARTIFACT.spdx.json)"

// withoutSBOM is the outcome of a rule that needs an SBOM when there is
// none, or nil when there is one.
func (ctx *evalContext) withoutSBOM(what string) *outcome {
	if ctx.f.SBOM.Present {
		return nil
	}
	if ctx.sbomRequired() {
		return failed(reason.PolicySBOMMissing, "no SBOM to "+what, hintSBOM)
	}
	return skipped("no SBOM to " + what)
}

func (ctx *evalContext) sbomEvidence(field, detail string) Evidence {
	return Evidence{Source: ctx.f.SBOM.Source, Field: field, Detail: detail}
}

func (ctx *evalContext) sbomRequiredRule() *outcome {
	switch {
	case ctx.f.SBOM.Present:
		n := len(ctx.f.SBOM.Components)
		return passed(fmt.Sprintf("SBOM with %d component%s", n, plural(n)), ctx.sbomEvidence("sbom", ""))
	case ctx.sbomRequired():
		return failed(reason.PolicySBOMMissing, "no SBOM", hintSBOM)
	}
	return skipped("no SBOM, and the policy does not require one")
}

func (ctx *evalContext) sbomQuality() *outcome {
	if o := ctx.withoutSBOM("judge the quality of"); o != nil {
		return o
	}
	want, got := *ctx.p.doc.SBOM.MinQuality, ctx.f.SBOM.Quality
	ev := ctx.sbomEvidence("sbom.quality", fmt.Sprintf("%.2f", got))
	if got < want {
		ev.Failed = true
		return failed(reason.PolicySBOMQuality, fmt.Sprintf("only %.0f%% of the product could be assessed, want at least %.0f%%", got*100, want*100),
			"ask the supplier for an SBOM with identifiers (purl), hashes, licences and dependency relationships", ev)
	}
	return passed(fmt.Sprintf("%.0f%% of the product could be assessed (at least %.0f%% needed)", got*100, want*100), ev)
}

func (ctx *evalContext) productGrade() *outcome {
	if o := ctx.withoutSBOM("grade"); o != nil {
		return o
	}
	maxG, g := ctx.p.doc.SBOM.MaxProductGrade, ctx.f.SBOM.ProductGrade
	ev := ctx.sbomEvidence("sbom.productGrade", g)
	switch r := vocab.GradeRank(g); {
	case r < 0:
		ev.Failed = true
		return failed(reason.PolicyGradeExceeded, "the product has no grade", "assess the SBOM with sovcheck to grade the product", ev)
	case r > vocab.GradeRank(maxG):
		ev.Failed = true
		return failed(reason.PolicyGradeExceeded, fmt.Sprintf("product grade %s is worse than %s", g, maxG),
			"act on the worst components first: the product grade follows them", ev)
	}
	return passed(fmt.Sprintf("product grade %s, %s or better needed", g, maxG), ev)
}

func (ctx *evalContext) componentGrade() *outcome {
	if o := ctx.withoutSBOM("grade components of"); o != nil {
		return o
	}
	maxG := ctx.p.doc.SBOM.MaxComponentGrade
	o := &outcome{reason: reason.PolicyGradeExceeded, what: "components worse than grade " + maxG,
		hint:     "replace, upgrade or certify these components, or waive them with a reason, an owner and an expiry",
		message:  fmt.Sprintf("every component at grade %s or better", maxG),
		evidence: []Evidence{ctx.sbomEvidence("sbom.components[].grade", "")}}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		r := vocab.GradeRank(c.Grade)
		if r >= 0 && r <= vocab.GradeRank(maxG) {
			continue
		}
		e := ctx.componentEvidence(c)
		e.Field, e.Detail = "grade", "grade "+c.Grade
		if r < 0 {
			e.Detail = "ungraded"
		}
		o.addItem(c, e)
	}
	return o
}

func (ctx *evalContext) forbiddenLabels() *outcome {
	if o := ctx.withoutSBOM("read labels from"); o != nil {
		return o
	}
	forbidden := ctx.p.doc.SBOM.ForbiddenLabels
	o := &outcome{reason: reason.PolicyForbiddenLabel, what: "forbidden labels on components",
		hint:     "replace or remediate these components, or waive them with a reason, an owner and an expiry",
		message:  "no component carries a forbidden label (" + strings.Join(forbidden, ", ") + ")",
		evidence: []Evidence{ctx.sbomEvidence("sbom.components[].labels", "")}}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		for _, l := range c.Labels {
			if slices.Contains(forbidden, l) {
				e := ctx.componentEvidence(c)
				e.Label, e.Detail = l, l
				o.addItem(c, e)
			}
		}
	}
	return o
}

// euMembers are the member states of the European Union: "EU" in an
// allowed list covers each of them.
var euMembers = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
	"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

func jurisdictionAllowed(allowed []string, j string) bool {
	country, _, _ := strings.Cut(strings.ToUpper(j), "-")
	for _, a := range allowed {
		if a == strings.ToUpper(j) || a == country || a == "EU" && slices.Contains(euMembers, country) {
			return true
		}
	}
	return false
}

func (ctx *evalContext) jurisdictions() *outcome {
	if o := ctx.withoutSBOM("find the suppliers' jurisdictions in"); o != nil {
		return o
	}
	spec := ctx.p.doc.SBOM.Jurisdictions
	o := &outcome{reason: reason.PolicyJurisdiction, what: "components from suppliers outside the allowed jurisdictions",
		hint:     "qualify a supplier within " + strings.Join(spec.Allowed, ", ") + ", or record the supplier's jurisdiction in the trust registry",
		message:  "every supplier is within " + strings.Join(spec.Allowed, ", "),
		evidence: []Evidence{ctx.sbomEvidence("sbom.components[].jurisdiction", "")}}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		switch {
		case c.Jurisdiction == "" && spec.AllowUnknown:
			continue
		case c.Jurisdiction == "":
			e := ctx.componentEvidence(c)
			e.Field, e.Detail = "jurisdiction", "jurisdiction unknown"
			o.addItem(c, e)
		case !jurisdictionAllowed(spec.Allowed, c.Jurisdiction):
			e := ctx.componentEvidence(c)
			e.Field, e.Detail = "jurisdiction", "jurisdiction "+c.Jurisdiction
			o.addItem(c, e)
		}
	}
	return o
}

// licenceVerdict is the judgement of one licence expression, cached per
// evaluation since many components share an expression.
type licenceVerdict struct {
	ok     bool
	detail string
}

func (ctx *evalContext) judgeLicence(expr string) licenceVerdict {
	if v, ok := ctx.licences[expr]; ok {
		return v
	}
	v := ctx.p.judgeLicence(expr)
	ctx.licences[expr] = v
	return v
}

func (p *Policy) judgeLicence(expr string) licenceVerdict {
	if isUnknownLicence(expr) {
		if p.doc.Licences.AllowUnknown {
			return licenceVerdict{ok: true}
		}
		return licenceVerdict{detail: "licence unknown"}
	}
	e, err := parseLicence(expr)
	if err != nil {
		return licenceVerdict{detail: fmt.Sprintf("licence %q does not parse: %v", clip(expr, 80), err)}
	}
	notDenied := func(t licenceTerm) bool { return !matchesAny(p.deny, t) }
	allowed := func(t licenceTerm) bool { return (len(p.allow) == 0 || matchesAny(p.allow, t)) && notDenied(t) }
	switch {
	case e.satisfiable(allowed):
		return licenceVerdict{ok: true}
	case !e.satisfiable(notDenied):
		var denied []string
		for _, t := range e.terms(nil) {
			if !notDenied(t) {
				denied = append(denied, t.String())
			}
		}
		return licenceVerdict{detail: fmt.Sprintf("licence %s requires denied %s", clip(expr, 80), strings.Join(denied, ", "))}
	}
	return licenceVerdict{detail: fmt.Sprintf("licence %s is not allowed", clip(expr, 80))}
}

func (ctx *evalContext) licenceRule() *outcome {
	if o := ctx.withoutSBOM("read licences from"); o != nil {
		return o
	}
	o := &outcome{reason: reason.PolicyLicence, what: "components under licences the policy does not accept",
		hint:     "replace these components, obtain another licence, or waive them with a reason, an owner and an expiry",
		message:  "every component under accepted licences",
		evidence: []Evidence{ctx.sbomEvidence("sbom.components[].licence", "")}}
	for i := range ctx.f.SBOM.Components {
		c := &ctx.f.SBOM.Components[i]
		if v := ctx.judgeLicence(c.Licence); !v.ok {
			e := ctx.componentEvidence(c)
			e.Field, e.Detail = "licence", v.detail
			o.addItem(c, e)
		}
	}
	return o
}

// vulnComponent finds the component a vulnerability belongs to.
func (ctx *evalContext) vulnComponent(v *Vulnerability) *Component {
	if c := ctx.byRef[v.Component]; c != nil {
		return c
	}
	return &Component{Ref: v.Component, Name: v.Component}
}

func vulnEvidence(c *Component, v *Vulnerability, detail string) Evidence {
	source, pointer, _ := strings.Cut(v.Record, "#")
	return Evidence{Component: componentName(c), Source: source, Pointer: pointer, Field: "vulnerabilities", Detail: detail}
}

func (ctx *evalContext) knownExploited() *outcome {
	f := ctx.f
	if len(f.Vulnerabilities) == 0 {
		if o := ctx.withoutSBOM("look up known-exploited vulnerabilities for"); o != nil {
			return o
		}
	}
	o := &outcome{reason: reason.PolicyKnownExploited, what: "known-exploited vulnerabilities",
		hint:     "patch or replace these components now: the vulnerabilities are exploited in the wild",
		message:  fmt.Sprintf("no known-exploited vulnerability among %d known", len(f.Vulnerabilities)),
		evidence: []Evidence{{Field: "vulnerabilities"}, ctx.sbomEvidence("sbom.components[].labels", "")}}
	seen := map[*Component]bool{}
	for i := range f.Vulnerabilities {
		v := &f.Vulnerabilities[i]
		if !v.KnownExploited {
			continue
		}
		c := ctx.vulnComponent(v)
		seen[c] = true
		o.addItem(c, vulnEvidence(c, v, v.ID+" is exploited in the wild"))
	}
	for i := range f.SBOM.Components {
		c := &f.SBOM.Components[i]
		if !seen[c] && c.HasLabel(string(vocab.LabelKnownExploited)) {
			e := ctx.componentEvidence(c)
			e.Label, e.Detail = string(vocab.LabelKnownExploited), string(vocab.LabelKnownExploited)
			o.addItem(c, e)
		}
	}
	return o
}

func (ctx *evalContext) vulnerabilityLimit() *outcome {
	f := ctx.f
	if len(f.Vulnerabilities) == 0 {
		if o := ctx.withoutSBOM("count vulnerabilities of"); o != nil {
			return o
		}
	}
	if o := ctx.vulnerabilitiesUnassessed(); o != nil {
		return o
	}
	limits := ctx.p.doc.Vulnerabilities.Maximum
	o := &outcome{reason: reason.PolicyVulnerabilityThreshold,
		hint:     "upgrade the components to versions the advisories list as fixed, or waive them with a reason, an owner and an expiry",
		evidence: []Evidence{{Field: "vulnerabilities"}}}
	sevOf := map[int]string{}
	for i := range f.Vulnerabilities {
		v := &f.Vulnerabilities[i]
		sev := ctx.p.countedSeverity(v.Severity)
		if _, limited := limits[sev]; !limited {
			continue
		}
		c := ctx.vulnComponent(v)
		sevOf[len(o.evidence)] = sev
		o.addItem(c, vulnEvidence(c, v, v.ID+" "+sev))
	}
	o.settle = func(items []Evidence) (bool, string) {
		counts := map[string]int{}
		for i, e := range items {
			if !e.Waived {
				counts[sevOf[i]]++
			}
		}
		var over, within []string
		overSev := map[string]bool{}
		for _, sev := range vocab.Severities {
			limit, ok := limits[sev]
			if !ok {
				continue
			}
			s := fmt.Sprintf("%d %s (at most %d)", counts[sev], sev, limit)
			if counts[sev] > limit {
				over = append(over, s)
				overSev[sev] = true
			} else {
				within = append(within, s)
			}
		}
		for i := range items {
			items[i].Failed = overSev[sevOf[i]]
		}
		if len(over) > 0 {
			return true, "too many vulnerabilities: " + strings.Join(over, ", ")
		}
		return false, "vulnerabilities within limits: " + strings.Join(within, ", ")
	}
	return o
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
