package sbom

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// hostingLabels lists the service labels in report order, with what a
// user can do about each.
var hostingLabels = []struct {
	label Label
	hint  string
}{
	{vocab.LabelForeignHosted, "host the service in an allowed jurisdiction, or qualify a provider there"},
	{vocab.LabelUncertifiedHost, "ask the provider for a certification the policy accepts (EUCS, SecNumCloud, C5), or record it in the trust registry"},
	{vocab.LabelUnauthenticatedEndpoint, "require authentication on the endpoint"},
	{vocab.LabelCrossesTrustBoundary, "review what data crosses the boundary and how it is protected"},
	{vocab.LabelSingleProvider, "qualify a second provider for part of the product"},
}

// serviceHint says what to do about a hosting label.
func serviceHint(l Label) string {
	for _, h := range hostingLabels {
		if h.label == l {
			return h.hint
		}
	}
	return ""
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
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Certifications are the schemes the provider holds, valid on the
	// assessment date, from the trust registry.
	Certifications []string     `json:"certifications,omitempty"`
	Labels         []Finding    `json:"labels"`
	Unassessed     []Unassessed `json:"unassessed,omitempty"`
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
			for _, c := range p.Certifications {
				if c.validUntil.IsZero() || !a.now.After(c.validUntil) {
					r.Certifications = append(r.Certifications, c.Scheme)
				}
			}
		}
		switch {
		case s.Provider == "":
			unass["no provider in the SBOM"] = append(unass["no provider in the SBOM"], vocab.LabelForeignHosted, vocab.LabelUncertifiedHost)
		case reg == nil:
			unass["no trust registry given"] = append(unass["no trust registry given"], vocab.LabelForeignHosted, vocab.LabelUncertifiedHost)
		case p == nil:
			unass["provider not in the trust registry"] = append(unass["provider not in the trust registry"], vocab.LabelForeignHosted, vocab.LabelUncertifiedHost)
		default:
			allowed := a.cfg.AllowedJurisdictions
			switch {
			case len(allowed) == 0:
				unass["no allowed jurisdictions configured"] = append(unass["no allowed jurisdictions configured"], vocab.LabelForeignHosted)
			case p.Jurisdiction == "":
				unass["registry gives no jurisdiction"] = append(unass["registry gives no jurisdiction"], vocab.LabelForeignHosted)
			case !slices.Contains(allowed, p.Jurisdiction):
				fire(vocab.LabelForeignHosted, "hosting/foreign-provider", s.Location+"/provider", record+"/jurisdiction",
					fmt.Sprintf("provider %s is in %s, outside %s", p.Name, p.Jurisdiction, strings.Join(allowed, ",")))
			}
			if !a.hostCertified(p) {
				fire(vocab.LabelUncertifiedHost, "hosting/no-accepted-certification", s.Location+"/provider", record+"/certifications",
					fmt.Sprintf("provider %s holds no valid %s certification", p.Name, strings.Join(a.hostCertifications(), ", ")))
			}
		}
		switch {
		case s.Authenticated == nil:
			unass["SBOM does not say whether the service authenticates"] = append(unass["SBOM does not say whether the service authenticates"], vocab.LabelUnauthenticatedEndpoint)
		case !*s.Authenticated:
			fire(vocab.LabelUnauthenticatedEndpoint, "hosting/unauthenticated", s.Location+"/authenticated", "",
				fmt.Sprintf("authenticated: false for %d endpoint(s): %s", len(s.Endpoints), strings.Join(s.Endpoints, ", ")))
		}
		switch {
		case s.CrossesTrustBoundary == nil:
			unass["SBOM does not say whether the service crosses a trust boundary"] = append(unass["SBOM does not say whether the service crosses a trust boundary"], vocab.LabelCrossesTrustBoundary)
		case *s.CrossesTrustBoundary:
			detail := "x-trust-boundary: true"
			if len(s.Data) > 0 {
				detail += "; data " + strings.Join(s.Data, ", ")
			}
			fire(vocab.LabelCrossesTrustBoundary, "hosting/trust-boundary", s.Location+"/x-trust-boundary", "", detail)
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
			out[i].Unassessed = append(out[i].Unassessed, Unassessed{Reason: "a service of the product names no provider", Labels: []Label{vocab.LabelSingleProvider}})
		case len(providers) == 1 && len(out) > 1:
			out[i].Labels = append(out[i].Labels, Finding{Label: vocab.LabelSingleProvider, Rule: "hosting/single-provider", Field: out[i].Location + "/provider",
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

// hostingAgg gathers, per product, the providers its services run on.
type hostingAgg struct {
	withServices int // products with at least one service
	unknown      int // of those, products with a service naming no provider
	providers    map[string]*providerAgg
	// jurisdictions counts products per provider jurisdiction ("unknown"
	// for providers the registry does not place).
	jurisdictions map[string]int
}

type providerAgg struct {
	name, jurisdiction string
	products           int
}

// add records the providers of one product's services.
func (h *hostingAgg) add(reg *Registry, services []Service) {
	if len(services) == 0 {
		return
	}
	if h.providers == nil {
		h.providers, h.jurisdictions = map[string]*providerAgg{}, map[string]int{}
	}
	seenJur := map[string]bool{}
	h.withServices++
	seen := map[string]bool{}
	unknown := false
	for _, s := range services {
		if s.Provider == "" {
			unknown = true
			continue
		}
		key, name, jur := supplierKey(s.Provider), s.Provider, ""
		if p, i := reg.provider(s.Provider); p != nil {
			key, name, jur = fmt.Sprintf("registry:%d", i), p.Name, p.Jurisdiction
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		agg := h.providers[key]
		if agg == nil {
			agg = &providerAgg{name: name, jurisdiction: jur}
			h.providers[key] = agg
		}
		agg.products++
		if jur == "" {
			jur = "unknown"
		}
		if !seenJur[jur] {
			seenJur[jur] = true
			h.jurisdictions[jur]++
		}
	}
	if unknown {
		h.unknown++
	}
}

// HostingConcentration is how much of a portfolio depends on one hosting
// provider or jurisdiction.
type HostingConcentration struct {
	// Products is the number of products with hosted services;
	// UnknownProvider how many of them have a service naming no provider.
	Products        int `json:"products"`
	UnknownProvider int `json:"unknownProvider"`
	// Providers and Jurisdictions give, for each, the share of the
	// products with services that depend on it.
	Providers     []HostingShare `json:"providers"`
	Jurisdictions []HostingShare `json:"jurisdictions"`
	// HHI is the Herfindahl-Hirschman index of the providers' shares of
	// product dependencies (1 means a single provider). It is null, with
	// HHIUnknown saying why, when a provider is unknown: an unknown
	// provider could be any of them, so no number would be honest.
	HHI        *float64 `json:"hhi"`
	HHIUnknown string   `json:"hhiUnknown,omitempty"`
}

// HostingShare is one provider's or jurisdiction's share of products.
type HostingShare struct {
	Name         string  `json:"name"`
	Jurisdiction string  `json:"jurisdiction,omitempty"`
	Products     int     `json:"products"`
	Share        float64 `json:"share"`
	Labels       []Label `json:"labels,omitempty"`
}

func (h *hostingAgg) report(cfg Config) *HostingConcentration {
	if h.withServices == 0 {
		return nil
	}
	out := &HostingConcentration{Products: h.withServices, UnknownProvider: h.unknown, Providers: []HostingShare{}, Jurisdictions: []HostingShare{}}
	label := func(products int) []Label {
		if products >= cfg.PervasiveMinProducts && float64(products)/float64(h.withServices) >= cfg.PervasiveShare {
			return []Label{vocab.LabelHostingConcentration}
		}
		return nil
	}
	deps := 0
	for _, p := range h.providers {
		deps += p.products
		out.Providers = append(out.Providers, HostingShare{Name: p.name, Jurisdiction: p.jurisdiction, Products: p.products,
			Share: round3(float64(p.products) / float64(h.withServices)), Labels: label(p.products)})
	}
	for j, n := range h.jurisdictions {
		hs := HostingShare{Name: j, Products: n, Share: round3(float64(n) / float64(h.withServices))}
		if j != "unknown" {
			hs.Labels = label(hs.Products)
		}
		out.Jurisdictions = append(out.Jurisdictions, hs)
	}
	byShare := func(x, y HostingShare) int {
		return cmp.Or(cmp.Compare(y.Products, x.Products), cmp.Compare(x.Name, y.Name))
	}
	slices.SortFunc(out.Providers, byShare)
	slices.SortFunc(out.Jurisdictions, byShare)
	if h.unknown > 0 {
		out.HHIUnknown = fmt.Sprintf("%d of %d products have a service that names no provider", h.unknown, h.withServices)
		return out
	}
	hhi := 0.0
	for _, p := range h.providers {
		s := float64(p.products) / float64(deps)
		hhi += s * s
	}
	hhi = round3(hhi)
	out.HHI = &hhi
	return out
}
