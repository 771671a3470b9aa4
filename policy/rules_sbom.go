package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// sbomRequired reports whether the policy requires an SBOM: a sbom
// section requires one unless it says required: false.
func (ctx *evalContext) sbomRequired() bool {
	s := ctx.p.doc.SBOM
	return s != nil && (s.Required == nil || *s.Required)
}

const hintSBOM = "give the artifact's SBOM (ARTIFACT.cdx.json or ARTIFACT.spdx.json)"

// withoutSBOM is the outcome of a rule that needs an SBOM when there is
// none, or nil when there is one. It is a skip: when the policy requires
// an SBOM, sbom.required fails the artifact and gives the one hint, so
// that a missing SBOM reads as one failure, not one per rule that reads it.
func (ctx *evalContext) withoutSBOM(what string) *outcome {
	if ctx.f.SBOM.Present {
		return nil
	}
	if ctx.sbomRequired() {
		return skipped("no SBOM to " + what + " (" + RuleSBOMRequired + " fails)")
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
