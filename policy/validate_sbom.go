package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

func (v *validator) sbom() {
	s := v.p.doc.SBOM
	if s == nil {
		return
	}
	v.p.ruleIDs[RuleSBOMRequired] = true
	if q := s.MinQuality; q != nil {
		if *q < 0 || *q > 1 {
			v.ps.at("sbom.minQuality", "give the share of the product that must be assessable, e.g. 0.8", "minQuality %v out of range, want 0 to 1", *q)
		}
		v.p.ruleIDs[RuleSBOMQuality] = true
	}
	if s.MaxProductGrade != "" {
		v.grade("sbom.maxProductGrade", s.MaxProductGrade)
		v.p.ruleIDs[RuleProductGrade] = true
	}
	if s.MaxComponentGrade != "" {
		v.grade("sbom.maxComponentGrade", s.MaxComponentGrade)
		v.p.ruleIDs[RuleComponentGrade] = true
	}
	v.sbomProfile()
	v.labels("sbom.forbiddenLabels", s.ForbiddenLabels)
	if len(s.ForbiddenLabels) > 0 {
		v.p.ruleIDs[RuleForbiddenLabels] = true
	}
	if j := s.Jurisdictions; j != nil {
		if len(j.Allowed) == 0 {
			v.missing("sbom.jurisdictions", "allowed", "list the allowed jurisdictions, e.g. allowed: [EU, CH]")
		}
		for i, code := range j.Allowed {
			if !jurisdictionPattern().MatchString(code) {
				v.ps.at(fmt.Sprintf("sbom.jurisdictions.allowed[%d]", i), "use ISO 3166 codes such as DE or FR, or EU", "invalid jurisdiction %q", code)
			}
		}
		v.p.ruleIDs[RuleJurisdictions] = true
	}
}

var jurisdictionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`) })

func (v *validator) grade(path, g string) {
	if vocab.GradeRank(g) < 0 {
		v.ps.at(path, "grades run from A (best) to G", "unknown grade %q", g)
	}
}

func (v *validator) labels(path string, labels []string) {
	seen := map[string]bool{}
	for i, l := range labels {
		lp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !isKnownLabel(l):
			v.ps.at(lp, "known labels: "+strings.Join(KnownLabels(), ", "), "unknown label %q", l)
		case seen[l]:
			v.ps.at(lp, "remove the duplicate", "label %q listed twice", l)
		}
		seen[l] = true
	}
}

func (v *validator) licences() {
	l := v.p.doc.Licences
	if l == nil {
		return
	}
	v.p.ruleIDs[RuleLicences] = true
	if len(l.Allow) == 0 && len(l.Deny) == 0 && !l.AllowUnknown {
		v.ps.at("licences", "list licences under allow or deny", "licences section lists no licence")
	}
	parse := func(field string, list []string) []licenceMatcher {
		var out []licenceMatcher
		for i, s := range list {
			path := fmt.Sprintf("licences.%s[%d]", field, i)
			e, err := parseLicence(s)
			if err != nil {
				v.ps.at(path, "write an SPDX licence id such as Apache-2.0, optionally with 'WITH <exception>'", "invalid SPDX expression: %v", err)
				continue
			}
			if e.op != "" {
				v.ps.at(path, "list each licence on its own; the SBOM's expressions are combined with AND and OR when checked", "compound expression %q in a licence list", s)
				continue
			}
			out = append(out, licenceMatcher{id: e.term.ID, exception: e.term.Exception})
		}
		return out
	}
	v.p.allow = parse("allow", l.Allow)
	v.p.deny = parse("deny", l.Deny)
	for i, d := range v.p.deny {
		for _, a := range v.p.allow {
			if strings.EqualFold(a.id, d.id) && strings.EqualFold(a.exception, d.exception) {
				v.ps.at(fmt.Sprintf("licences.deny[%d]", i), "keep each licence in one list", "licence %q is both allowed and denied", d.id)
			}
		}
	}
}

func (v *validator) vulnerabilities() {
	v.p.ruleIDs[RuleKnownExploited] = true
	vs := v.p.doc.Vulnerabilities
	if vs == nil {
		return
	}
	switch vs.KnownExploited {
	case "", knownExploitedKnockOut, knownExploitedWarn:
	default:
		v.ps.at("vulnerabilities.knownExploited", "use knock-out (the default) or warn", "unknown value %q", vs.KnownExploited)
	}
	for _, sev := range sortedKeys(vs.Maximum) {
		path := "vulnerabilities.maximum." + sev
		if !slices.Contains(vocab.Severities, sev) {
			v.ps.at(path, "use "+strings.Join(vocab.Severities, ", "), "unknown severity %q", sev)
		}
		if vs.Maximum[sev] < 0 {
			v.ps.at(path, "give the most vulnerabilities allowed, 0 for none", "negative maximum %d", vs.Maximum[sev])
		}
	}
	if len(vs.Maximum) > 0 {
		v.p.ruleIDs[RuleVulnerabilityLimit] = true
	}
	v.vulnerabilityData(vs)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
