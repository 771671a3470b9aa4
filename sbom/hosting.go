package sbom

import (
	"fmt"
	"slices"
	"strings"
)

// Hosting labels, on services (CycloneDX services, a SaaSBOM). They are
// judged per service and never enter the component questions.
const (
	LabelForeignHosted           Label = "foreign-hosted"
	LabelUncertifiedHost         Label = "uncertified-host"
	LabelUnauthenticatedEndpoint Label = "unauthenticated-endpoint"
	LabelCrossesTrustBoundary    Label = "crosses-trust-boundary"
	LabelSingleProvider          Label = "single-provider"
)

// hostingLabels lists the service labels in report order, with what a
// user can do about each.
var hostingLabels = []struct {
	label Label
	hint  string
}{
	{LabelForeignHosted, "host the service in an allowed jurisdiction, or qualify a provider there"},
	{LabelUncertifiedHost, "ask the provider for a certification the policy accepts (EUCS, SecNumCloud, C5), or record it in the trust registry"},
	{LabelUnauthenticatedEndpoint, "require authentication on the endpoint"},
	{LabelCrossesTrustBoundary, "review what data crosses the boundary and how it is protected"},
	{LabelSingleProvider, "qualify a second provider for part of the product"},
}

// DefaultHostCertifications are the certification schemes a provider
// needs to escape uncertified-host when Config.HostCertifications is
// empty: the EU cloud scheme and two national ones.
var DefaultHostCertifications = []string{"EUCS", "SecNumCloud", "C5"}

// Provider is a hosting provider in the trust registry.
type Provider struct {
	Name    string   `yaml:"name"`
	Aliases []string `yaml:"aliases"`
	// Regions the provider runs services in, as it names them.
	Regions []string `yaml:"regions"`
	Party   `yaml:",inline"`
}

// validateProviders checks the providers of a registry and indexes them.
func (reg *Registry) validateProviders(bad func(string, ...any) error) error {
	reg.byProvider = map[string]int{}
	for i := range reg.Providers {
		p := &reg.Providers[i]
		if strings.TrimSpace(p.Name) == "" {
			return bad("providers[%d] has no name", i)
		}
		if err := p.Party.validate(fmt.Sprintf("providers[%d]", i), bad); err != nil {
			return err
		}
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			key := supplierKey(n)
			if prev, dup := reg.byProvider[key]; dup && prev != i {
				return bad("provider name %q is used by providers[%d] and providers[%d]", n, prev, i)
			}
			reg.byProvider[key] = i
		}
	}
	return nil
}

// provider finds a provider by name or alias.
func (reg *Registry) provider(name string) (*Provider, int) {
	if reg == nil || name == "" {
		return nil, -1
	}
	if i, ok := reg.byProvider[supplierKey(name)]; ok {
		return &reg.Providers[i], i
	}
	return nil, -1
}

// ServiceResult is a service with its hosting labels.
type ServiceResult struct {
	Service
	Jurisdiction string       `json:"jurisdiction,omitempty"`
	Labels       []Finding    `json:"labels"`
	Unassessed   []Unassessed `json:"unassessed,omitempty"`
}

// HasLabel reports whether l fired on the service.
func (s *ServiceResult) HasLabel(l Label) bool {
	return slices.ContainsFunc(s.Labels, func(f Finding) bool { return f.Label == l })
}

// assessServices labels the services of a product.
func (a *Assessor) assessServices(g *Graph) []ServiceResult {
	if len(g.Services) == 0 {
		return nil
	}
	reg := a.data.Registry
	out := make([]ServiceResult, len(g.Services))
	providers := map[string]bool{}
	unknownProvider := false
	for i, s := range g.Services {
		r := ServiceResult{Service: s, Labels: []Finding{}}
		unass := map[string][]Label{}
		fire := func(l Label, rule, field, record, detail string) {
			r.Labels = append(r.Labels, Finding{Label: l, Rule: rule, Field: field, Record: record, Detail: detail})
		}
		p, pi := reg.provider(s.Provider)
		switch {
		case s.Provider == "":
			unknownProvider = true
		case p != nil: // one provider whatever the spelling
			providers[fmt.Sprintf("registry:%d", pi)] = true
		default:
			providers[supplierKey(s.Provider)] = true
		}
		record := ""
		if p != nil {
			record = fmt.Sprintf("%s#/providers/%d", reg.source, pi)
			r.Jurisdiction = p.Jurisdiction
		}
		switch {
		case s.Provider == "":
			unass["no provider in the SBOM"] = append(unass["no provider in the SBOM"], LabelForeignHosted, LabelUncertifiedHost)
		case reg == nil:
			unass["no trust registry given"] = append(unass["no trust registry given"], LabelForeignHosted, LabelUncertifiedHost)
		case p == nil:
			unass["provider not in the trust registry"] = append(unass["provider not in the trust registry"], LabelForeignHosted, LabelUncertifiedHost)
		default:
			allowed := a.cfg.AllowedJurisdictions
			switch {
			case len(allowed) == 0:
				unass["no allowed jurisdictions configured"] = append(unass["no allowed jurisdictions configured"], LabelForeignHosted)
			case p.Jurisdiction == "":
				unass["registry gives no jurisdiction"] = append(unass["registry gives no jurisdiction"], LabelForeignHosted)
			case !slices.Contains(allowed, p.Jurisdiction):
				fire(LabelForeignHosted, "hosting/foreign-provider", s.Location+"/provider", record+"/jurisdiction",
					fmt.Sprintf("provider %s is in %s, outside %s", p.Name, p.Jurisdiction, strings.Join(allowed, ",")))
			}
			if !a.hostCertified(p) {
				fire(LabelUncertifiedHost, "hosting/no-accepted-certification", s.Location+"/provider", record+"/certifications",
					fmt.Sprintf("provider %s holds no valid %s certification", p.Name, strings.Join(a.hostCertifications(), ", ")))
			}
		}
		switch {
		case s.Authenticated == nil:
			unass["SBOM does not say whether the service authenticates"] = append(unass["SBOM does not say whether the service authenticates"], LabelUnauthenticatedEndpoint)
		case !*s.Authenticated:
			fire(LabelUnauthenticatedEndpoint, "hosting/unauthenticated", s.Location+"/authenticated", "",
				fmt.Sprintf("authenticated: false for %d endpoint(s): %s", len(s.Endpoints), strings.Join(s.Endpoints, ", ")))
		}
		switch {
		case s.CrossesTrustBoundary == nil:
			unass["SBOM does not say whether the service crosses a trust boundary"] = append(unass["SBOM does not say whether the service crosses a trust boundary"], LabelCrossesTrustBoundary)
		case *s.CrossesTrustBoundary:
			detail := "x-trust-boundary: true"
			if len(s.Data) > 0 {
				detail += "; data " + strings.Join(s.Data, ", ")
			}
			fire(LabelCrossesTrustBoundary, "hosting/trust-boundary", s.Location+"/x-trust-boundary", "", detail)
		}
		for reason, ls := range unass {
			r.Unassessed = append(r.Unassessed, Unassessed{Reason: reason, Labels: ls})
		}
		slices.SortFunc(r.Unassessed, func(p, q Unassessed) int { return strings.Compare(p.Reason, q.Reason) })
		out[i] = r
	}
	// single-provider: every service of the product on one provider.
	for i := range out {
		switch {
		case unknownProvider:
			out[i].Unassessed = append(out[i].Unassessed, Unassessed{Reason: "a service of the product names no provider", Labels: []Label{LabelSingleProvider}})
		case len(providers) == 1 && len(out) > 1:
			out[i].Labels = append(out[i].Labels, Finding{Label: LabelSingleProvider, Rule: "hosting/single-provider", Field: out[i].Location + "/provider",
				Detail: fmt.Sprintf("all %d services of the product run on %s", len(out), out[i].Provider)})
		}
	}
	return out
}

func (a *Assessor) hostCertifications() []string {
	if len(a.cfg.HostCertifications) > 0 {
		return a.cfg.HostCertifications
	}
	return DefaultHostCertifications
}

// hostCertified reports whether p holds a certification of an accepted
// scheme that is valid on the assessment date.
func (a *Assessor) hostCertified(p *Provider) bool {
	for _, c := range p.Certifications {
		if !slices.ContainsFunc(a.hostCertifications(), func(s string) bool { return strings.EqualFold(s, c.Scheme) }) {
			continue
		}
		if c.validUntil.IsZero() || !a.now.After(c.validUntil) {
			return true
		}
	}
	return false
}

// writeServices prints the hosted services of a product with their labels.
func writeServices(ew *errWriter, rs []ServiceResult) {
	if len(rs) == 0 {
		return
	}
	ew.printf("Hosted services (%d):\n", len(rs))
	for _, s := range rs {
		provider := s.Provider
		if provider == "" {
			provider = "provider unknown"
		}
		if s.Jurisdiction != "" {
			provider += " (" + s.Jurisdiction + ")"
		}
		ew.printf("  %s  on %s\n", s.Name, provider)
		for _, f := range s.Labels {
			trace := f.Field
			if f.Record != "" {
				trace += ", " + f.Record
			}
			ew.printf("    %-25s %s  [%s] %s\n", f.Label, f.Detail, f.Rule, trace)
		}
		for _, u := range s.Unassessed {
			var ls []string
			for _, l := range u.Labels {
				ls = append(ls, string(l))
			}
			ew.printf("    unknown: %s (%s)\n", strings.Join(ls, ", "), u.Reason)
		}
	}
	ew.printf("\n")
}
