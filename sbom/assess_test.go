package sbom

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func shopGraph(t *testing.T) *Graph {
	return readBytes(t, encodeCDX(t, shopBOM(), cdx.SpecVersion1_6, cdx.BOMFileFormatJSON), "shop.cdx.json")
}

func resultOf(t *testing.T, r *Report, name string) *ComponentResult {
	t.Helper()
	for i := range r.Components {
		if r.Components[i].Name == name {
			return &r.Components[i]
		}
	}
	t.Fatalf("no component %q in the report", name)
	return nil
}

func labelsOf(c *ComponentResult) []Label {
	var out []Label
	for _, f := range c.Labels {
		if !slices.Contains(out, f.Label) {
			out = append(out, f.Label)
		}
	}
	return out
}

func finding(c *ComponentResult, l Label) *Finding {
	for i := range c.Labels {
		if c.Labels[i].Label == l {
			return &c.Labels[i]
		}
	}
	return nil
}

func unassessed(c *ComponentResult, l Label) string {
	for _, u := range c.Unassessed {
		if slices.Contains(u.Labels, l) {
			return u.Reason
		}
	}
	return ""
}

func TestAssessXZPattern(t *testing.T) {
	r := newTestAssessor(t, testData(t)).Assess(shopGraph(t))
	if r.MediaType != vocab.MediaTypeSBOMLabels || r.AsOf != "2026-06-01" {
		t.Fatalf("media type %q as of %q", r.MediaType, r.AsOf)
	}
	xz := resultOf(t, r, "liblzma5")
	if r.Components[0].Name != "liblzma5" {
		t.Fatalf("worst component is %s, want liblzma5", r.Components[0].Name)
	}
	want := []Label{vocab.LabelAnonymousMaintainer, vocab.LabelAbandoned, vocab.LabelUncertifiedSteward, vocab.LabelUnsandboxedNative,
		vocab.LabelKnownVulnerable, vocab.LabelKnownExploited, vocab.LabelHighBlastRadius, vocab.LabelSystemicFragile}
	if got := labelsOf(xz); !slices.Equal(got, want) {
		t.Fatalf("liblzma5 labels %v, want %v", got, want)
	}
	if xz.Upstream != "xz" || xz.Grade != vocab.GradeG || r.Product.Grade != vocab.GradeG || r.Product.Risk != xz.Risk {
		t.Fatalf("upstream %q grade %s product %s risk %d/%d", xz.Upstream, xz.Grade, r.Product.Grade, xz.Risk, r.Product.Risk)
	}
	// Every finding says which rule fired and what it read.
	for _, c := range r.Components {
		for _, f := range c.Labels {
			if f.Rule == "" || f.Detail == "" || (f.Field == "" && f.Record == "" && f.Label != vocab.LabelSystemicFragile) {
				t.Errorf("%s/%s: untraceable finding %+v", c.Name, f.Label, f)
			}
		}
	}
	if f := finding(xz, vocab.LabelAbandoned); f.Record != "stewards.yaml#/stewards/0/lastRelease" || !strings.Contains(f.Detail, "828 days") {
		t.Errorf("abandoned: %+v", f)
	}
	if f := finding(xz, vocab.LabelKnownExploited); f.Record != "kev.json#/vulnerabilities/0" {
		t.Errorf("known-exploited: %+v", f)
	}
	if xz.Impact.Dependents != 5 || xz.Impact.DependentsSignal < 0.6 {
		t.Errorf("impact %+v: five packages depend on liblzma5", xz.Impact)
	}
	// Risk is reproducible from the numbers in the report.
	cfg := r.Config
	if want := int(100*xz.Fragility*(cfg.ImpactFloor+(1-cfg.ImpactFloor)*xz.Impact.Value) + 0.5); want != xz.Risk {
		t.Errorf("risk %d, recomputed %d", xz.Risk, want)
	}

	ssh := resultOf(t, r, "openssh-server")
	if !slices.Contains(labelsOf(ssh), vocab.LabelForeignSingleSource) || !slices.Contains(labelsOf(ssh), vocab.LabelSingleMaintainer) {
		t.Errorf("openssh-server labels %v", labelsOf(ssh))
	}
	lodash := resultOf(t, r, "lodash")
	if got := labelsOf(lodash); !slices.Contains(got, vocab.LabelNotReproducible) || slices.Contains(got, vocab.LabelUnsigned) || slices.Contains(got, vocab.LabelNoProvenance) {
		t.Errorf("lodash provenance labels %v: facts say signed and with provenance, not reproducible", got)
	}
	if v := lodash.Vulnerabilities; len(v) != 1 || v[0].ID != "GHSA-35jh-r3h4-6jhm" || v[0].Severity != "high" || v[0].KnownExploited {
		t.Errorf("lodash vulnerabilities %+v", v)
	}
	if v := xz.Vulnerabilities; len(v) != 1 || !v[0].KnownExploited || v[0].Severity != "unknown" || xz.SHA256 == "" || xz.Jurisdiction != "FI" {
		t.Errorf("liblzma5 vulnerabilities %+v sha256 %q jurisdiction %q", v, xz.SHA256, xz.Jurisdiction)
	}
	if got := labelsOf(resultOf(t, r, "filter.wasm")); !slices.Contains(got, vocab.LabelSandboxed) || slices.Contains(got, vocab.LabelUnsandboxedNative) {
		t.Errorf("wasm plugin labels %v", got)
	}
	if w := resultOf(t, r, "filter.wasm"); w.Impact.Sandboxed != true {
		t.Error("sandbox factor not applied")
	}
	blob := resultOf(t, r, "vendor-blob.so")
	if got := labelsOf(blob); !slices.Contains(got, vocab.LabelUnidentifiable) || !slices.Contains(got, vocab.LabelOpaqueBinary) {
		t.Errorf("blob labels %v", got)
	}
	if unassessed(blob, vocab.LabelKnownVulnerable) != "no purl to match OSV advisories" {
		t.Errorf("blob vulnerability must be unknown, got %q", unassessed(blob, vocab.LabelKnownVulnerable))
	}
	if got := labelsOf(resultOf(t, r, "zlib1g")); !slices.Contains(got, vocab.LabelLocallyModified) {
		t.Errorf("zlib1g labels %v", got)
	}
	if got := labelsOf(resultOf(t, r, "left-pad")); !slices.Contains(got, vocab.LabelGraphIncomplete) || !slices.Contains(got, vocab.LabelUnverifiableArtifact) {
		t.Errorf("left-pad labels %v (SHA-1 only, no dependency entry)", got)
	}
	if r.Coverage.Unassessed <= 0 || r.Coverage.Unassessed >= 1 {
		t.Errorf("unassessed share %v", r.Coverage.Unassessed)
	}
}

func TestAssessWithoutDataSaysUnknown(t *testing.T) {
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	r := a.Assess(shopGraph(t))
	xz := resultOf(t, r, "liblzma5")
	for _, l := range []Label{vocab.LabelAbandoned, vocab.LabelSingleMaintainer, vocab.LabelKnownVulnerable, vocab.LabelKnownExploited, vocab.LabelNoProvenance} {
		if finding(xz, l) != nil {
			t.Errorf("%s fired without data", l)
		}
		if unassessed(xz, l) == "" {
			t.Errorf("%s not reported as unassessed", l)
		}
	}
	if unassessed(xz, vocab.LabelAbandoned) != "no trust registry given" || unassessed(xz, vocab.LabelForeignSingleSource) != "no allowed jurisdictions configured" {
		t.Errorf("reasons: %+v", xz.Unassessed)
	}
	for _, d := range r.Coverage.Dimensions {
		switch d.Dimension {
		case DimIdentity:
			if d.Share != 1 {
				t.Errorf("identity is always assessable from the SBOM: %+v", d)
			}
		case DimProvenance, DimStewardship, DimVulnerability:
			if d.Share != 0 || len(d.Reasons) == 0 {
				t.Errorf("%s must be unassessed with a reason: %+v", d.Dimension, d)
			}
		}
	}
	if r.Coverage.Unassessed < 0.4 {
		t.Errorf("unassessed share %v; without data most questions stay open", r.Coverage.Unassessed)
	}
}

func TestAssessFailureTwins(t *testing.T) {
	data := testData(t)
	base := newTestAssessor(t, data).Assess(shopGraph(t))
	baseXZ := resultOf(t, base, "liblzma5")

	t.Run("earlier clock: not abandoned", func(t *testing.T) {
		a, err := NewAssessor(WithScoring(testConfig()), WithData(data), WithClock(func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }))
		if err != nil {
			t.Fatal(err)
		}
		xz := resultOf(t, a.Assess(shopGraph(t)), "liblzma5")
		if finding(xz, vocab.LabelAbandoned) != nil {
			t.Error("abandoned fired 312 days after the last release")
		}
	})
	t.Run("no KEV: exploited unknown and no floor", func(t *testing.T) {
		d := data
		d.KEV = nil
		xz := resultOf(t, newTestAssessor(t, d).Assess(shopGraph(t)), "liblzma5")
		if finding(xz, vocab.LabelKnownExploited) != nil || unassessed(xz, vocab.LabelKnownExploited) != "no KEV catalog given" {
			t.Errorf("known-exploited without KEV: %+v", xz.Unassessed)
		}
		if xz.Risk >= baseXZ.Risk {
			t.Errorf("risk %d did not drop below %d", xz.Risk, baseXZ.Risk)
		}
	})
	t.Run("no OSV: vulnerability unknown", func(t *testing.T) {
		d := data
		d.Advisories = nil
		xz := resultOf(t, newTestAssessor(t, d).Assess(shopGraph(t)), "liblzma5")
		if finding(xz, vocab.LabelKnownVulnerable) != nil || unassessed(xz, vocab.LabelKnownVulnerable) != "no OSV advisories given" {
			t.Errorf("known-vulnerable without OSV: %+v", xz.Unassessed)
		}
	})
	t.Run("fixed version: not vulnerable", func(t *testing.T) {
		bom := shopBOM()
		(*bom.Components)[5].Version = "5.6.1+really5.4.5-1"
		(*bom.Components)[5].PackageURL = debPURL("liblzma5", "5.6.1+really5.4.5-1", "xz-utils")
		g := readBytes(t, encodeCDX(t, bom, cdx.SpecVersion1_6, cdx.BOMFileFormatJSON), "fixed.cdx.json")
		xz := resultOf(t, newTestAssessor(t, data).Assess(g), "liblzma5")
		if finding(xz, vocab.LabelKnownVulnerable) != nil || unassessed(xz, vocab.LabelKnownVulnerable) != "" {
			t.Errorf("fixed version: findings %v unassessed %+v", labelsOf(xz), xz.Unassessed)
		}
	})
	t.Run("alternative listed: not single source", func(t *testing.T) {
		reg, err := ReadRegistry(strings.NewReader(strings.Replace(testRegistry, "    jurisdiction: CA\n", "    jurisdiction: CA\n    alternatives: [src:dropbear]\n", 1)), "stewards.yaml")
		if err != nil {
			t.Fatal(err)
		}
		d := data
		d.Registry = reg
		ssh := resultOf(t, newTestAssessor(t, d).Assess(shopGraph(t)), "openssh-server")
		if finding(ssh, vocab.LabelForeignSingleSource) != nil {
			t.Error("foreign-single-source fired although an alternative is listed")
		}
	})
	t.Run("no mapping: built-in source alias", func(t *testing.T) {
		d := data
		d.Mapping = nil
		xz := resultOf(t, newTestAssessor(t, d).Assess(shopGraph(t)), "liblzma5")
		if xz.Upstream != "src:xz" || finding(xz, vocab.LabelAbandoned) == nil {
			t.Errorf("upstream %q; the registry must still find the steward through src:xz", xz.Upstream)
		}
	})
	t.Run("weights override", func(t *testing.T) {
		cfg := testConfig()
		cfg.Weights[vocab.LabelUnsandboxedNative] = 0
		a, err := NewAssessor(WithScoring(cfg), WithData(data), WithClock(testClock))
		if err != nil {
			t.Fatal(err)
		}
		sd := resultOf(t, a.Assess(shopGraph(t)), "libsystemd0")
		if sd.Fragility != 0 || sd.Risk != 0 {
			t.Errorf("libsystemd0 with zero weight: fragility %v risk %d", sd.Fragility, sd.Risk)
		}
	})
}

// tinyBOM builds a flat CycloneDX product of n libraries.
func tinyBOM(n int, mutate func(i int, c *cdx.Component)) *cdx.BOM {
	var comps []cdx.Component
	var refs []string
	for i := 0; i < n; i++ {
		c := cdx.Component{BOMRef: fmt.Sprintf("c%d", i), Type: cdx.ComponentTypeLibrary, Name: fmt.Sprintf("lib%d", i), Version: "1.0.0",
			PackageURL: fmt.Sprintf("pkg:npm/lib%d@1.0.0", i), Hashes: sha256Of(fmt.Sprint(i)), Licenses: mit(),
			Supplier: &cdx.OrganizationalEntity{Name: fmt.Sprintf("Vendor %d", i)}}
		if mutate != nil {
			mutate(i, &c)
		}
		comps = append(comps, c)
		refs = append(refs, c.BOMRef)
	}
	deps := []cdx.Dependency{{Ref: "root", Dependencies: &refs}}
	for _, r := range refs {
		deps = append(deps, cdx.Dependency{Ref: r, Dependencies: &[]string{}})
	}
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{BOMRef: "root", Type: cdx.ComponentTypeApplication, Name: "tiny"}}
	bom.Components = &comps
	bom.Dependencies = &deps
	return bom
}

func assessBOM(t *testing.T, bom *cdx.BOM, data Data) *Report {
	t.Helper()
	g := readBytes(t, encodeCDX(t, bom, cdx.SpecVersion1_6, cdx.BOMFileFormatJSON), "tiny.cdx.json")
	return newTestAssessor(t, data).Assess(g)
}

func TestAssessCaps(t *testing.T) {
	clean := assessBOM(t, tinyBOM(4, nil), Data{})
	if clean.Product.Grade != vocab.GradeA || len(clean.Product.Caps) != 0 {
		t.Fatalf("clean product: grade %s caps %v", clean.Product.Grade, clean.Product.Caps)
	}
	poor := assessBOM(t, tinyBOM(4, func(i int, c *cdx.Component) {
		if i > 0 {
			c.PackageURL, c.Hashes = "", nil
		}
	}), Data{})
	if poor.Product.Grade != vocab.GradeD || len(poor.Product.Caps) != 1 || !strings.Contains(poor.Product.Caps[0].Reason, "25% of components are identifiable") {
		t.Fatalf("poor SBOM: grade %s (computed %s) caps %+v", poor.Product.Grade, poor.Product.ComputedGrade, poor.Product.Caps)
	}
	noGraph := tinyBOM(4, nil)
	noGraph.Dependencies = nil
	r := assessBOM(t, noGraph, Data{})
	if r.Product.Grade != vocab.GradeC || len(r.Product.Caps) != 1 {
		t.Fatalf("no graph: grade %s caps %+v", r.Product.Grade, r.Product.Caps)
	}
	if got := labelsOf(&r.Components[0]); !slices.Contains(got, vocab.LabelGraphIncomplete) || unassessed(&r.Components[0], vocab.LabelHighBlastRadius) == "" {
		t.Errorf("no graph: labels %v unassessed %+v", got, r.Components[0].Unassessed)
	}
	empty := assessBOM(t, tinyBOM(0, nil), Data{})
	if empty.Product.Grade != vocab.GradeG || empty.Product.Components != 0 {
		t.Fatalf("empty SBOM: grade %s", empty.Product.Grade)
	}
}

func TestAssessRiskFloorAndDeclaredVulnerabilities(t *testing.T) {
	bom := tinyBOM(3, nil)
	bom.Vulnerabilities = &[]cdx.Vulnerability{{ID: "GHSA-test", References: &[]cdx.VulnerabilityReference{{ID: "CVE-2024-3094"}}, Affects: &[]cdx.Affects{{Ref: "c1"}}}}
	kev, err := ReadKEV(strings.NewReader(testKEV), "kev.json")
	if err != nil {
		t.Fatal(err)
	}
	r := assessBOM(t, bom, Data{KEV: kev})
	c := resultOf(t, r, "lib1")
	if finding(c, vocab.LabelKnownVulnerable) == nil || finding(c, vocab.LabelKnownVulnerable).Rule != "vulnerability/declared-in-sbom" || finding(c, vocab.LabelKnownExploited) == nil {
		t.Fatalf("declared vulnerability: %v", labelsOf(c))
	}
	if c.Risk != 75 || c.RiskFloor == nil || c.RiskFloor.Label != vocab.LabelKnownExploited || c.Grade != vocab.GradeG {
		t.Fatalf("a known-exploited leaf must be lifted to the floor: risk %d floor %+v grade %s", c.Risk, c.RiskFloor, c.Grade)
	}
	// The SBOM's own vulnerability section answers the question for the
	// other components too.
	if u := unassessed(resultOf(t, r, "lib0"), vocab.LabelKnownVulnerable); u != "" {
		t.Errorf("lib0 vulnerability unassessed: %q", u)
	}
	twin := assessBOM(t, tinyBOM(3, nil), Data{KEV: kev})
	if c := resultOf(t, twin, "lib1"); c.RiskFloor != nil || c.Grade == vocab.GradeG {
		t.Error("floor applied without a vulnerability")
	}
}

func TestAssessSupplierConcentration(t *testing.T) {
	same := func(i int, c *cdx.Component) { c.Supplier = &cdx.OrganizationalEntity{Name: "Acme Corp"} }
	r := assessBOM(t, tinyBOM(12, same), Data{})
	if finding(&r.Components[0], vocab.LabelSupplierConcentration) == nil {
		t.Fatalf("one supplier for 12 components: labels %v", labelsOf(&r.Components[0]))
	}
	small := assessBOM(t, tinyBOM(5, same), Data{})
	if finding(&small.Components[0], vocab.LabelSupplierConcentration) != nil {
		t.Error("supplier-concentration fired below the minimum product size")
	}
	spread := assessBOM(t, tinyBOM(12, nil), Data{})
	if finding(&spread.Components[0], vocab.LabelSupplierConcentration) != nil {
		t.Error("supplier-concentration fired with 12 suppliers")
	}
}

func TestAssessDeterministic(t *testing.T) {
	data := testData(t)
	var outs []string
	for range 3 {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, newTestAssessor(t, data).Assess(shopGraph(t))); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, buf.String())
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Fatal("the same input gave different reports")
	}
}
