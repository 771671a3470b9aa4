package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RuleHostingProviders is the rule of the hosting: section.
const RuleHostingProviders = "hosting.providers"

// Service is a hosted service of the SBOM (a CycloneDX service) with its
// provider as the trust registry knows it.
type Service struct {
	Ref          string `json:"ref"`
	Name         string `json:"name"`
	Provider     string `json:"provider"`     // empty if the SBOM names none
	Jurisdiction string `json:"jurisdiction"` // the provider's, from the registry; empty if unknown
	// Certifications are the schemes the provider holds, valid on the
	// assessment date.
	Certifications []string `json:"certifications"`
	Labels         []string `json:"labels"`
	Pointer        string   `json:"pointer"`
}

// hostingSection limits where and by whom the product's services run.
type hostingSection struct {
	AllowedJurisdictions []string `yaml:"allowedJurisdictions"`
	// AllowUnknown lets a service whose provider's jurisdiction is
	// unknown pass the jurisdiction limit.
	AllowUnknown bool `yaml:"allowUnknown"`
	// RequireCertifications: the provider must hold one of these schemes.
	RequireCertifications []string `yaml:"requireCertifications"`
	ForbiddenLabels       []string `yaml:"forbiddenLabels"`
	Action                string   `yaml:"action"`
	// Points are lost per failing service (penalize).
	Points int `yaml:"points"`
}

func (v *validator) hosting() {
	s := v.p.doc.Hosting
	if s == nil {
		return
	}
	if len(s.AllowedJurisdictions) == 0 && len(s.RequireCertifications) == 0 && len(s.ForbiddenLabels) == 0 {
		v.missing("hosting", "allowedJurisdictions", "limit hosting by allowedJurisdictions, requireCertifications or forbiddenLabels")
	}
	for i, code := range s.AllowedJurisdictions {
		if !jurisdictionPattern().MatchString(code) {
			v.ps.at(fmt.Sprintf("hosting.allowedJurisdictions[%d]", i), "use ISO 3166 codes such as DE or FR, or EU", "invalid jurisdiction %q", code)
		}
	}
	for i, c := range s.RequireCertifications {
		if strings.TrimSpace(c) == "" {
			v.ps.at(fmt.Sprintf("hosting.requireCertifications[%d]", i), "name a scheme such as EUCS, SecNumCloud or C5", "empty certification scheme")
		}
	}
	for i, l := range s.ForbiddenLabels {
		if !slices.Contains(vocab.ServiceLabels, vocab.Label(l)) {
			v.ps.at(fmt.Sprintf("hosting.forbiddenLabels[%d]", i), "service labels: "+strings.Join(vocab.LabelNames(vocab.ServiceLabels), ", "), "unknown service label %q", l)
		}
	}
	v.action("hosting", s.Action, s.Points, "give the points lost per failing service, e.g. points: 10", false)
	v.p.ruleIDs[RuleHostingProviders] = true
}

func (p *Policy) hostingAction() string {
	if s := p.doc.Hosting; s != nil && s.Action != "" {
		return s.Action
	}
	return ActionFail
}

// hostingProviders fails for each service on a provider outside the
// allowed jurisdictions, without a required certification, or with a
// forbidden label.
func (ctx *evalContext) hostingProviders() *outcome {
	s := ctx.p.doc.Hosting
	sb := ctx.f.SBOM
	if !sb.Present {
		return skipped("no SBOM: no hosted service to judge")
	}
	if len(sb.Services) == 0 {
		return passed("the SBOM lists no hosted service", ctx.sbomEvidence("sbom.services", "0 services"))
	}
	var ev []Evidence
	reasonCode := ""
	failing := 0
	for _, sv := range sb.Services {
		var problems []string
		code := ""
		if len(s.AllowedJurisdictions) > 0 {
			switch {
			case sv.Jurisdiction == "" && !s.AllowUnknown:
				problems = append(problems, "provider's jurisdiction unknown")
				code = reason.HostingJurisdiction
			case sv.Jurisdiction != "" && !jurisdictionAllowed(s.AllowedJurisdictions, sv.Jurisdiction):
				problems = append(problems, fmt.Sprintf("jurisdiction %s is outside %s", sv.Jurisdiction, strings.Join(s.AllowedJurisdictions, ",")))
				code = reason.HostingJurisdiction
			}
		}
		if len(s.RequireCertifications) > 0 && !slices.ContainsFunc(sv.Certifications, func(c string) bool {
			return slices.ContainsFunc(s.RequireCertifications, func(r string) bool { return strings.EqualFold(r, c) })
		}) {
			problems = append(problems, "no "+strings.Join(s.RequireCertifications, " or ")+" certification")
			code = cmpOr(code, reason.HostingUncertified)
		}
		for _, l := range s.ForbiddenLabels {
			if slices.Contains(sv.Labels, l) {
				problems = append(problems, "label "+l)
				code = cmpOr(code, reason.HostingForbiddenLabel)
			}
		}
		provider := cmpOr(sv.Provider, "unknown provider")
		e := Evidence{Component: sv.Name, Source: sb.Source, Pointer: sv.Pointer, Field: "sbom.services", Detail: provider}
		if len(problems) > 0 {
			e.Failed, e.Detail = true, provider+": "+strings.Join(problems, "; ")
			failing++
			reasonCode = cmpOr(reasonCode, code)
		}
		ev = append(ev, e)
	}
	if failing == 0 {
		return passed(fmt.Sprintf("all %d hosted services meet the hosting limits", len(sb.Services)), ev...)
	}
	var names []string
	for _, e := range ev {
		if e.Failed && len(names) < 3 {
			names = append(names, e.Component+" ("+e.Detail+")")
		}
	}
	o := failed(reasonCode, fmt.Sprintf("%d of %d hosted services break the hosting limits: %s", failing, len(sb.Services), strings.Join(names, ", ")),
		"move the service to a provider in an allowed jurisdiction with an accepted certification, or record the provider in the trust registry", ev...)
	o.failPoints = s.Points * failing
	return o
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
