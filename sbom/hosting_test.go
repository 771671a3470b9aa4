package sbom

import (
	"slices"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// saasBOM is shaped like the SaaSBOM of the CycloneDX bom-examples
// repository: services with a provider, endpoints, authenticated,
// x-trust-boundary, data flows and nested services.
const saasBOM = `{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "application", "bom-ref": "shop", "name": "shop", "version": "2.0"}},
  "services": [
    {"bom-ref": "api", "provider": {"name": "Acme Cloud Inc."}, "name": "Stock ticker API",
     "endpoints": ["https://api.acme.example/v1/ticker"], "authenticated": false, "x-trust-boundary": true,
     "data": [{"flow": "inbound", "classification": "PII"}, {"flow": "outbound", "classification": "PIFI"}],
     "services": [{"bom-ref": "api-cache", "provider": {"name": "Acme Cloud Inc."}, "name": "Ticker cache", "authenticated": true, "x-trust-boundary": false}]},
    {"bom-ref": "mail", "provider": {"name": "acme cloud"}, "name": "Mail relay",
     "endpoints": ["smtps://mail.acme.example"], "authenticated": true}
  ]
}`

const providersRegistry = `providers:
  - name: Acme Cloud, Inc.
    aliases: [Acme Cloud]
    jurisdiction: US
    regions: [us-east-1, eu-west-1]
    certifications: [{scheme: ISO 27001}]
  - name: Ovh
    jurisdiction: FR
    certifications: [{scheme: SecNumCloud, validUntil: 2027-01-31}]
`

func serviceLabels(rs []ServiceResult, ref string) []Label {
	for _, r := range rs {
		if r.Ref == ref {
			var out []Label
			for _, f := range r.Labels {
				out = append(out, f.Label)
			}
			return out
		}
	}
	return nil
}

func TestHostingLabels(t *testing.T) {
	g, err := Read(strings.NewReader(saasBOM), "saas.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Services) != 3 || g.Services[1].Parent != "api" || g.Services[1].Provider != "Acme Cloud Inc." || g.Services[1].Location != "/services/0/services/0" {
		t.Fatalf("services %+v", g.Services)
	}
	reg, err := ReadRegistry(strings.NewReader(providersRegistry), "registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AllowedJurisdictions = []string{"EU", "FR", "DE"}
	a, err := NewAssessor(WithScoring(cfg), WithData(Data{Registry: reg}), WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	rep := a.Assess(g)
	want := map[string][]Label{
		"api":       {vocab.LabelForeignHosted, vocab.LabelUncertifiedHost, vocab.LabelUnauthenticatedEndpoint, vocab.LabelCrossesTrustBoundary, vocab.LabelSingleProvider},
		"api-cache": {vocab.LabelForeignHosted, vocab.LabelUncertifiedHost, vocab.LabelSingleProvider},
		"mail":      {vocab.LabelForeignHosted, vocab.LabelUncertifiedHost, vocab.LabelSingleProvider},
	}
	for ref, ls := range want {
		if got := serviceLabels(rep.Services, ref); !slices.Equal(got, ls) {
			t.Errorf("%s: labels %v, want %v", ref, got, ls)
		}
	}
	api := rep.Services[0]
	if f := api.Labels[0]; f.Record != "registry.yaml#/providers/0/jurisdiction" || f.Field != "/services/0/provider" {
		t.Errorf("foreign-hosted trace %+v", f)
	}

	// The failure twins: a certified provider in an allowed jurisdiction,
	// authenticated endpoints inside the boundary, two providers.
	twin := strings.NewReplacer(`"Acme Cloud Inc."`, `"OVH"`, `"authenticated": false, "x-trust-boundary": true`, `"authenticated": true, "x-trust-boundary": false`).Replace(saasBOM)
	g, err = Read(strings.NewReader(twin), "saas.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	rep = a.Assess(g)
	if got := serviceLabels(rep.Services, "api"); len(got) != 0 {
		t.Errorf("certified EU provider, authenticated: labels %v", got)
	}
	if got := serviceLabels(rep.Services, "mail"); !slices.Equal(got, []Label{vocab.LabelForeignHosted, vocab.LabelUncertifiedHost}) {
		t.Errorf("mail on a second provider: labels %v", got)
	}

	// Without a registry nothing is guessed: the questions stay open.
	a, _ = NewAssessor(WithScoring(cfg), WithClock(testClock))
	g, _ = Read(strings.NewReader(saasBOM), "saas.cdx.json")
	rep = a.Assess(g)
	if got := serviceLabels(rep.Services, "mail"); slices.Contains(got, vocab.LabelForeignHosted) || slices.Contains(got, vocab.LabelUncertifiedHost) {
		t.Errorf("no registry: labels %v", got)
	}
	if u := rep.Services[2].Unassessed; len(u) == 0 || u[0].Reason != "SBOM does not say whether the service crosses a trust boundary" {
		t.Errorf("unassessed %+v", u)
	}
}

// A nested service without a provider has none: the SaaSBOM example of
// the CycloneDX bom-examples repository nests an S3 bucket, with no
// provider, under its own gateway. Nothing is inherited, so its hosting
// questions and the product's single-provider stay unknown.
func TestHostingNestedServiceWithoutProvider(t *testing.T) {
	nested := strings.Replace(saasBOM, `{"bom-ref": "api-cache", "provider": {"name": "Acme Cloud Inc."}, `, `{"bom-ref": "api-cache", `, 1)
	g, err := Read(strings.NewReader(nested), "saas.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Services) != 3 || g.Services[1].Ref != "api-cache" || g.Services[1].Provider != "" {
		t.Fatalf("services %+v, want the nested api-cache without a provider", g.Services)
	}
	reg, err := ReadRegistry(strings.NewReader(providersRegistry), "registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AllowedJurisdictions = []string{"EU"}
	a, err := NewAssessor(WithScoring(cfg), WithData(Data{Registry: reg}), WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	rep := a.Assess(g)
	if got := serviceLabels(rep.Services, "api-cache"); len(got) != 0 {
		t.Errorf("api-cache without a provider: labels %v, want none", got)
	}
	if got := serviceLabels(rep.Services, "api"); slices.Contains(got, vocab.LabelSingleProvider) {
		t.Errorf("api: labels %v, want no single-provider while a provider is unknown", got)
	}
	var reasons []string
	for _, u := range rep.Services[1].Unassessed {
		reasons = append(reasons, u.Reason)
	}
	for _, want := range []string{"no provider in the SBOM", "a service of the product names no provider"} {
		if !slices.Contains(reasons, want) {
			t.Errorf("api-cache unassessed %v, want %q", reasons, want)
		}
	}
}

func TestProvidersRegistryInvalid(t *testing.T) {
	for reg, want := range map[string]string{
		"providers:\n  - jurisdiction: DE\n":                                        "providers[0] has no name",
		"providers:\n  - name: X\n    jurisdiction: Germany\n":                      "providers[0].jurisdiction",
		"providers:\n  - name: X\n  - name: Y\n    aliases: [x]\n":                  `provider name "x" is used by providers[0] and providers[1]`,
		"providers:\n  - name: X\n    certifications: [{validUntil: 2027-01-01}]\n": "providers[0].certifications[0] has no scheme",
	} {
		if _, err := ReadRegistry(strings.NewReader(reg), "r.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", reg, err, want)
		}
	}
}

func saasProduct(name string, providers ...string) string {
	var ss []string
	for i, p := range providers {
		prov := ""
		if p != "" {
			prov = `"provider": {"name": "` + p + `"}, `
		}
		ss = append(ss, `{"bom-ref": "s`+string(rune('0'+i))+`", `+prov+`"name": "svc`+string(rune('0'+i))+`", "authenticated": true}`)
	}
	return `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "` + name + `", "version": "1"}},
  "services": [` + strings.Join(ss, ",") + `]}`
}

func TestHostingConcentration(t *testing.T) {
	reg, err := ReadRegistry(strings.NewReader(providersRegistry), "registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	build := func(products map[string][]string) *PortfolioReport {
		a := newTestAssessor(t, Data{Registry: reg})
		p := a.NewPortfolio()
		for name, provs := range products {
			g, err := Read(strings.NewReader(saasProduct(name, provs...)), name+".cdx.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Add(g); err != nil {
				t.Fatal(err)
			}
		}
		return p.Report(0)
	}
	rep := build(map[string][]string{"a": {"Acme Cloud", "OVH"}, "b": {"Acme Cloud Inc."}, "c": {"Hetzner"}})
	h := rep.Hosting
	if h == nil || h.HHI == nil || h.Products != 3 {
		t.Fatalf("hosting %+v", h)
	}
	// Product dependencies: Acme 2, OVH 1, Hetzner 1: (1/2)^2 + 2 (1/4)^2.
	if *h.HHI != 0.375 {
		t.Errorf("HHI %v, want 0.375", *h.HHI)
	}
	if top := h.Providers[0]; top.Name != "Acme Cloud, Inc." || top.Products != 2 || top.Share != 0.667 || !slices.Equal(top.Labels, []Label{vocab.LabelHostingConcentration}) {
		t.Errorf("top provider %+v", top)
	}
	if len(h.Jurisdictions) != 3 || h.Jurisdictions[0].Name != "US" || h.Jurisdictions[0].Products != 2 {
		t.Errorf("jurisdictions %+v", h.Jurisdictions)
	}

	// The failure twin: one product whose service names no provider makes
	// the index unknown, never 0 and never a guess.
	rep = build(map[string][]string{"a": {"Acme Cloud"}, "b": {"", "OVH"}})
	if h := rep.Hosting; h.HHI != nil || h.HHIUnknown != "1 of 2 products have a service that names no provider" {
		t.Errorf("unknown provider: HHI %v (%q)", h.HHI, h.HHIUnknown)
	}
	// Without services there is no hosting section at all.
	if rep := build(map[string][]string{}); rep.Hosting != nil {
		t.Errorf("empty portfolio has hosting %+v", rep.Hosting)
	}
}

// FuzzReadServices: a CycloneDX document with services, mutated, never
// panics reading or labelling them.
func FuzzReadServices(f *testing.F) {
	f.Add([]byte(saasBOM))
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Read(strings.NewReader(string(data)), "fuzz.cdx.json")
		if err != nil {
			return
		}
		if rep := a.Assess(g); len(rep.Services) != len(g.Services) {
			t.Fatalf("%d services read, %d assessed", len(g.Services), len(rep.Services))
		}
	})
}
