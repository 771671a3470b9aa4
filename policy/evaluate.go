package policy

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Evaluate applies the policy to the facts of one artifact at time now.
// It never fails as a whole: an error while evaluating a rule (a CEL
// runtime error, an exceeded cost limit, a licence expression that does
// not parse) fails that rule. A nil policy or nil facts fail the result.
func Evaluate(p *Policy, f *Facts, now time.Time) *Result {
	if p == nil || f == nil {
		res := &Result{Status: StatusFail, Reason: reason.PolicyRuleError, AsOf: now.UTC().Format(time.RFC3339)}
		if f != nil {
			res.Subject = f.Artifact
		}
		res.Rules = []RuleResult{{ID: RulePolicyExpiry, Action: ActionFail, Status: RuleFail, Reason: reason.PolicyRuleError,
			Message: "no policy or no facts to evaluate", Hint: "this is a defect in the caller", Evidence: []Evidence{}}}
		return res
	}
	ctx := newEvalContext(p, f, now)
	res := &Result{
		Policy:  PolicyRef{Name: p.Name(), File: p.name, SHA256: p.sha256},
		Subject: f.Artifact,
		AsOf:    now.UTC().Format(time.RFC3339),
		Status:  StatusPass,
	}
	for _, r := range ctx.plan() {
		res.Rules = append(res.Rules, ctx.run(r))
	}
	if pt := p.doc.Points; pt != nil {
		lost := 0
		for _, rr := range res.Rules {
			lost += rr.PointsLost
		}
		score := &Score{Earned: max(pt.Maximum-lost, 0), Maximum: pt.Maximum, Pass: pt.Pass}
		res.Points = score
		res.Rules = append(res.Rules, pointsPassRule(score))
	}
	for _, rr := range res.Rules {
		if rr.Action == ActionFail && rr.Status == RuleFail {
			res.Status, res.Reason = StatusFail, rr.Reason
			break
		}
	}
	return res
}

// evalContext is the state of one evaluation.
type evalContext struct {
	p        *Policy
	f        *Facts
	now      time.Time
	section  *artifactRules
	byRef    map[string]*Component
	licences map[string]licenceVerdict // cache by expression text
	act      *celActivation
	budget   *costBudget // CEL cost, all rules together
}

func newEvalContext(p *Policy, f *Facts, now time.Time) *evalContext {
	ctx := &evalContext{p: p, f: f, now: now, section: p.fallback, licences: map[string]licenceVerdict{}}
	for _, a := range p.artifacts {
		if matchesArtifact(a.patterns, f.Artifact.Name) {
			ctx.section = a
			break
		}
	}
	ctx.byRef = make(map[string]*Component, len(f.SBOM.Components))
	for i := range f.SBOM.Components {
		c := &f.SBOM.Components[i]
		if c.Ref != "" {
			ctx.byRef[c.Ref] = c
		}
	}
	return ctx
}

// matchesArtifact matches an artifact name against glob patterns; a
// pattern without "/" also matches the name's last element.
func matchesArtifact(patterns []string, name string) bool {
	base := name[strings.LastIndex(name, "/")+1:]
	for _, p := range patterns {
		if globMatch(p, name) || !strings.Contains(p, "/") && globMatch(p, base) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern where "*" matches any run of
// characters (including "/") and "?" any one character.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextPx >= 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			nextSx++
			continue
		}
		return false
	}
	return true
}

// rule is one step of an evaluation plan.
type rule struct {
	id       string
	action   string
	severity string
	eval     func(*evalContext) *outcome
}

// outcome is what a rule found, before waivers.
type outcome struct {
	skip     bool
	failed   bool // the rule as a whole failed (not per component)
	reason   string
	message  string // the failure, or what passed
	hint     string
	evidence []Evidence
	// comps holds, for each evidence item that failed per component, the
	// component, so that component waivers can cover it.
	comps map[int]*Component
	// what names the failing items in the message, e.g. "components
	// above the grade limit"; set by per-component rules.
	what string
	// pointsPer and pointsMax make a penalty: points lost per failing
	// item, capped at pointsMax when positive. failPoints are lost when
	// the rule fails as a whole; lost are lost whatever the status.
	pointsPer, pointsMax, failPoints, lost int
	// settle, when set, decides after waivers whether the rule failed,
	// and returns the failure message.
	settle func(items []Evidence) (bool, string)
}

func skipped(msg string) *outcome { return &outcome{skip: true, message: msg} }

func passed(msg string, ev ...Evidence) *outcome { return &outcome{message: msg, evidence: ev} }

func failed(reason, msg, hint string, ev ...Evidence) *outcome {
	return &outcome{failed: true, reason: reason, message: msg, hint: hint, evidence: ev}
}

// addItem records a per-component failure.
func (o *outcome) addItem(c *Component, e Evidence) {
	if o.comps == nil {
		o.comps = map[int]*Component{}
	}
	e.Failed = true
	o.comps[len(o.evidence)] = c
	o.evidence = append(o.evidence, e)
}

// plan lists the rules of the policy in their fixed order.
func (ctx *evalContext) plan() []rule {
	p := ctx.p
	var rs []rule
	add := func(id, action string, eval func(*evalContext) *outcome) {
		if p.ruleIDs[id] {
			rs = append(rs, rule{id: id, action: action, eval: eval})
		}
	}
	add(RulePolicyExpiry, ActionFail, (*evalContext).expiry)
	add(RuleSignature, ActionFail, (*evalContext).signature)
	add(RuleAttestations, ActionFail, (*evalContext).attestations)
	add(RuleProvenance, ActionFail, (*evalContext).provenance)
	add(RuleRebuild, ActionFail, (*evalContext).rebuild)
	add(RuleRebuildIndependent, ActionFail, (*evalContext).independentRebuilds)
	add(RuleSBOMRequired, ActionFail, (*evalContext).sbomRequiredRule)
	add(RuleSBOMQuality, ActionFail, (*evalContext).sbomQuality)
	add(RuleSBOMProfile, ActionFail, (*evalContext).sbomProfileRule)
	add(RuleProductGrade, ActionFail, (*evalContext).productGrade)
	add(RuleComponentGrade, ActionFail, (*evalContext).componentGrade)
	add(RuleForbiddenLabels, ActionFail, (*evalContext).forbiddenLabels)
	add(RuleJurisdictions, ActionFail, (*evalContext).jurisdictions)
	add(RuleLicences, ActionFail, (*evalContext).licenceRule)
	keAction := ActionFail
	if v := p.doc.Vulnerabilities; v != nil && v.KnownExploited == knownExploitedWarn {
		keAction = ActionWarn
	}
	add(RuleKnownExploited, keAction, (*evalContext).knownExploited)
	add(RuleVulnerabilityLimit, ActionFail, (*evalContext).vulnerabilityLimit)
	add(RuleVulnerabilityDataAge, ActionFail, (*evalContext).vulnerabilityDataAge)
	add(RuleCertifiedArtifact, ActionFail, (*evalContext).certifiedArtifact)
	add(RuleCertifiedComponent, ActionFail, (*evalContext).certifiedComponents)
	add(RuleWasmCapabilities, p.wasmAction(), (*evalContext).wasmCapabilities)
	add(RuleHostingProviders, p.hostingAction(), (*evalContext).hostingProviders)
	for i, o := range ctx.evalCEL() {
		spec := p.rules[i].spec
		rs = append(rs, rule{id: spec.ID, action: spec.Action, severity: spec.Severity, eval: func(*evalContext) *outcome { return o }})
	}
	if pt := p.doc.Points; pt != nil {
		for _, pen := range pt.Penalties {
			rs = append(rs, rule{id: penaltyPrefix + pen.ID, action: ActionPenalize, eval: func(ctx *evalContext) *outcome { return ctx.penalty(pen) }})
		}
	}
	add(RulePointsGrade, ActionPenalize, (*evalContext).pointsGrade)
	return rs
}

// evalCEL evaluates the CEL rules, which are independent of each other,
// on up to GOMAXPROCS goroutines, and returns their outcomes in rule
// order.
func (ctx *evalContext) evalCEL() []*outcome {
	rules := ctx.p.rules
	out := make([]*outcome, len(rules))
	if len(rules) == 0 {
		return out
	}
	ctx.act = newCELActivation(ctx.f, ctx.now)
	ctx.budget = &costBudget{limit: ctx.p.evalCostLimit}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(rules); i = int(next.Add(1)) - 1 {
				out[i] = rules[i].outcome(ctx)
			}
		})
	}
	wg.Wait()
	return out
}

// run evaluates one rule and applies the waivers of the policy to it.
func (ctx *evalContext) run(r rule) RuleResult {
	o := r.eval(ctx)
	rr := RuleResult{ID: r.id, Action: r.action, Severity: r.severity, Message: o.message, Evidence: o.evidence}
	if o.skip {
		rr.Status, rr.Reason = RuleSkip, reason.PolicyNotApplicable
		return ctx.finish(rr)
	}
	ruleWaiver := ctx.applyWaivers(r.id, o, &rr)
	items := 0
	for idx := range o.comps {
		if !o.evidence[idx].Waived {
			items++
		}
	}
	failing := o.failed || items > 0
	switch {
	case o.settle != nil:
		var msg string
		failing, msg = o.settle(o.evidence)
		o.message = msg
	case items > 0:
		o.message = itemMessage(items, o.what, o.evidence, false)
	case len(o.comps) > 0:
		o.message = itemMessage(len(o.comps), o.what, o.evidence, true)
	}
	switch {
	case !failing && hasWaived(o.evidence):
		rr.Status, rr.Reason = RuleWaived, reason.PolicyWaived
		rr.Message = "every failure is waived: " + o.message
	case !failing:
		rr.Status = RulePass
		rr.Message = o.message
	case ruleWaiver != nil:
		rr.Status, rr.Reason = RuleWaived, reason.PolicyWaived
		rr.Message = fmt.Sprintf("waived until %s by %s (%s): %s", ruleWaiver.Expires, ruleWaiver.Owner, ruleWaiver.Reason, o.message)
		for i := range o.evidence {
			if o.evidence[i].Failed {
				o.evidence[i].Waived = true
			}
		}
	default:
		rr.Status, rr.Reason, rr.Message, rr.Hint = RuleFail, o.reason, o.message, o.hint
	}
	rr.Evidence = o.evidence
	rr.PointsLost = o.lost
	if rr.Status == RuleFail && r.action == ActionPenalize {
		rr.PointsLost += o.failPoints + items*o.pointsPer
		if o.pointsMax > 0 {
			rr.PointsLost = min(rr.PointsLost, o.pointsMax)
		}
	}
	if rr.Status == RuleFail || rr.Status == RuleWaived {
		if note := expiredNote(rr.Waivers); note != "" {
			rr.Message += "; " + note
		}
	}
	return ctx.finish(rr)
}

func hasWaived(ev []Evidence) bool {
	for _, e := range ev {
		if e.Waived {
			return true
		}
	}
	return false
}

// finish caps the evidence list and makes empty lists explicit.
func (ctx *evalContext) finish(rr RuleResult) RuleResult {
	if len(rr.Evidence) > MaxEvidence {
		// Keep failures first: they are what a reader needs.
		kept := make([]Evidence, 0, MaxEvidence)
		for _, e := range rr.Evidence {
			if e.Failed && len(kept) < MaxEvidence {
				kept = append(kept, e)
			}
		}
		for _, e := range rr.Evidence {
			if !e.Failed && len(kept) < MaxEvidence {
				kept = append(kept, e)
			}
		}
		rr.EvidenceOmitted = len(rr.Evidence) - len(kept)
		rr.Evidence = kept
	}
	if rr.Evidence == nil {
		rr.Evidence = []Evidence{}
	}
	return rr
}

// itemMessage summarises per-component failures: the count and the first
// few components, waived ones only when asked.
func itemMessage(n int, what string, ev []Evidence, waived bool) string {
	const show = 3
	var parts []string
	for _, e := range ev {
		if !e.Failed || e.Waived && !waived {
			continue
		}
		if len(parts) == show {
			parts = append(parts, "...")
			break
		}
		s := e.Component
		if e.Detail != "" {
			s += " (" + e.Detail + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%s (%d): %s", what, n, strings.Join(parts, ", "))
}

// applyWaivers marks failures covered by valid component waivers, records
// the waivers that applied or expired, and returns a valid rule-wide
// waiver, if any.
func (ctx *evalContext) applyWaivers(id string, o *outcome, rr *RuleResult) *waiver {
	var ruleWide *waiver
	for i := range ctx.p.waivers {
		w := &ctx.p.waivers[i]
		if w.Rule != id {
			continue
		}
		note := WaiverNote{Component: w.Component, Reason: w.Reason, Owner: w.Owner, Expires: w.Expires, Line: w.pos.Line}
		if !ctx.now.Before(w.until) {
			note.Expired = true
			rr.Waivers = append(rr.Waivers, note)
			continue
		}
		if w.Component == "" {
			if ruleWide == nil {
				ruleWide = w
				rr.Waivers = append(rr.Waivers, note)
			}
			continue
		}
		used := false
		for idx, c := range o.comps {
			if !o.evidence[idx].Waived && waiverCovers(w.Component, c) {
				o.evidence[idx].Waived = true
				used = true
			}
		}
		if used {
			rr.Waivers = append(rr.Waivers, note)
		}
	}
	return ruleWide
}

// waiverCovers reports whether a waiver's component names c: a purl
// (without version: every version), a ref or a name.
func waiverCovers(target string, c *Component) bool {
	if strings.HasPrefix(target, "pkg:") {
		wb, wv, ok := splitPURL(target)
		cb, cv, cok := splitPURL(c.PURL)
		return ok && cok && wb == cb && (wv == "" || wv == cv)
	}
	return target == c.Ref || target == c.Name
}

func expiredNote(ws []WaiverNote) string {
	var parts []string
	for _, w := range ws {
		if w.Expired {
			who := w.Owner
			if w.Component != "" {
				who = w.Component + ", " + w.Owner
			}
			parts = append(parts, fmt.Sprintf("waiver (%s) expired on %s and no longer applies", who, w.Expires))
		}
	}
	return strings.Join(parts, "; ")
}

func pointsPassRule(s *Score) RuleResult {
	rr := RuleResult{ID: RulePointsPass, Action: ActionFail, Status: RulePass, Evidence: []Evidence{}}
	msg := fmt.Sprintf("%d of %d points; at least %d needed", s.Earned, s.Maximum, s.Pass)
	if s.Earned < s.Pass {
		rr.Status, rr.Reason = RuleFail, reason.PolicyPointsBelowPass
		rr.Hint = "see why each point was lost (sovcheck verify --explain)"
	}
	rr.Message = msg
	return rr
}

// componentName names a component in messages: its purl, else its name
// and version, else its ref.
func componentName(c *Component) string {
	switch {
	case c.PURL != "":
		return c.PURL
	case c.Name != "" && c.Version != "":
		return c.Name + "@" + c.Version
	case c.Name != "":
		return c.Name
	}
	return c.Ref
}

func (ctx *evalContext) componentEvidence(c *Component) Evidence {
	return Evidence{Component: componentName(c), Source: ctx.f.SBOM.Source, Pointer: c.Pointer}
}
