package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// alpineBOM is a small Alpine image whose xz-libs comes from the xz
// origin package.
func alpineBOM() *cdx.BOM {
	apk := func(ref, name, version, origin string) cdx.Component {
		return cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: name, Version: version,
			PackageURL: "pkg:apk/alpine/" + name + "@" + version + "?arch=x86_64&upstream=" + origin + "&distro=alpine-3.19.1",
			Hashes:     sha256Of(ref), Licenses: mit(), Supplier: &cdx.OrganizationalEntity{Name: "Alpine Linux"}}
	}
	comps := []cdx.Component{
		apk("musl", "musl", "1.2.4_git20230717-r4", "musl"),
		apk("xz", "xz-libs", "5.4.5-r0", "xz"),
		apk("busybox", "busybox", "1.36.1-r15", "busybox"),
		apk("curl", "libcurl", "8.5.0-r0", "curl"),
	}
	deps := []cdx.Dependency{
		{Ref: "img", Dependencies: &[]string{"busybox", "curl"}},
		{Ref: "busybox", Dependencies: &[]string{"musl"}},
		{Ref: "curl", Dependencies: &[]string{"musl", "xz"}},
		{Ref: "xz", Dependencies: &[]string{"musl"}},
		{Ref: "musl", Dependencies: &[]string{}},
	}
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{BOMRef: "img", Type: cdx.ComponentTypeContainer, Name: "edge-proxy", Version: "3.1"}}
	bom.Components = &comps
	bom.Dependencies = &deps
	return bom
}

// rhelSPDX is a RHEL image whose xz-libs names its source RPM.
func rhelSPDX() []byte {
	pkg := func(id, name, version, srpm string) map[string]any {
		return map[string]any{"SPDXID": "SPDXRef-" + id, "name": name, "versionInfo": version, "downloadLocation": "NOASSERTION",
			"supplier": "Organization: Red Hat, Inc.", "licenseConcluded": "LGPL-2.1-or-later", "filesAnalyzed": false,
			"checksums": []any{map[string]any{"algorithm": "SHA256", "checksumValue": strings.Repeat("e", 64)}},
			"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
				"referenceLocator": "pkg:rpm/redhat/" + name + "@" + version + "?arch=x86_64&upstream=" + srpm + "&distro=rhel-9.3"}}}
	}
	rel := func(a, typ, b string) any {
		return map[string]any{"spdxElementId": a, "relationshipType": typ, "relatedSpdxElement": b}
	}
	doc := map[string]any{
		"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "billing-9",
		"documentNamespace": "https://example.test/billing", "creationInfo": map[string]any{"created": "2026-01-01T00:00:00Z", "creators": []any{"Tool: test"}},
		"packages": []any{
			map[string]any{"SPDXID": "SPDXRef-billing", "name": "billing", "versionInfo": "9.0", "downloadLocation": "NOASSERTION", "filesAnalyzed": false},
			pkg("glibc", "glibc", "2.34-83.el9", "glibc-2.34-83.el9.src.rpm"),
			pkg("xz", "xz-libs", "5.2.5-8.el9", "xz-5.2.5-8.el9.src.rpm"),
			pkg("openssl", "openssl-libs", "3.0.7-25.el9", "openssl-3.0.7-25.el9.src.rpm"),
		},
		"relationships": []any{
			rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-billing"),
			rel("SPDXRef-billing", "DEPENDS_ON", "SPDXRef-openssl"),
			rel("SPDXRef-billing", "DEPENDS_ON", "SPDXRef-xz"),
			rel("SPDXRef-openssl", "DEPENDS_ON", "SPDXRef-glibc"),
			rel("SPDXRef-xz", "DEPENDS_ON", "SPDXRef-glibc"),
			rel("SPDXRef-glibc", "DEPENDS_ON", "NONE"),
		},
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return out
}

// writePortfolio lays out five products and one file that is not an SBOM
// under dir/sboms, and returns the relative input path.
func writePortfolio(t *testing.T, dir string) string {
	t.Helper()
	files := map[string][]byte{
		"sboms/debian/shop.cdx.json":      encodeCDX(t, shopBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON),
		"sboms/alpine/bom.xml":            encodeCDX(t, alpineBOM(), cdx.SpecVersion1_4, cdx.BOMFileFormatXML),
		"sboms/rhel/billing.spdx.json":    rhelSPDX(),
		"sboms/web/package-lock.json":     npmLock(3),
		"sboms/svc/go.mod":                []byte(testGoMod),
		"sboms/svc/go.sum":                []byte(testGoSum),
		"sboms/misc/tsconfig.json":        []byte(`{"compilerOptions":{"strict":true}}`),
		"sboms/misc/README.md":            []byte("not read\n"),
		"sboms/.git/config.json":          []byte(`{}`),
		"sboms/debian/shop-copy.cdx.json": encodeCDX(t, shopBOM(), cdx.SpecVersion1_6, cdx.BOMFileFormatJSON),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "sboms"
}

func runPortfolio(t *testing.T, data Data) *PortfolioReport {
	t.Helper()
	t.Chdir(t.TempDir())
	root := writePortfolio(t, ".")
	files, skipped, err := CollectInputs([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sboms/alpine/bom.xml", "sboms/debian/shop-copy.cdx.json", "sboms/debian/shop.cdx.json", "sboms/misc/README.md", "sboms/misc/tsconfig.json",
		"sboms/rhel/billing.spdx.json", "sboms/svc/go.mod", "sboms/web/package-lock.json"}
	if !slices.Equal(files, want) {
		t.Fatalf("collected %v, want %v (every file but the go.sum beside go.mod)", files, want)
	}
	if len(skipped) != 1 || skipped[0].Source != "sboms/.git" || skipped[0].Code != reason.SBOMInputHidden {
		t.Fatalf("skipped %+v, want the hidden directory sboms/.git listed with %s", skipped, reason.SBOMInputHidden)
	}
	p := newTestAssessor(t, data).NewPortfolio()
	p.AddSkipped(skipped)
	calls := 0
	if err := p.AddFiles(context.Background(), files, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls != len(files) {
		t.Errorf("progress called %d times for %d files", calls, len(files))
	}
	return p.Report(20)
}

func TestPortfolioSharedUpstreams(t *testing.T) {
	r := runPortfolio(t, testData(t))
	if r.MediaType != vocab.MediaTypeSBOMPortfolio || r.Totals.Products != 6 || r.Totals.Failures != 3 {
		t.Fatalf("totals %+v", r.Totals)
	}
	for i, want := range []struct{ source, code string }{
		{"sboms/.git", reason.SBOMInputHidden}, {"sboms/misc/README.md", reason.SBOMFormatUnknown}, {"sboms/misc/tsconfig.json", reason.SBOMFormatUnknown},
	} {
		if f := r.Failures[i]; f.Source != want.source || f.Code != want.code || f.Hint == "" {
			t.Fatalf("failure %d: %+v, want %s listed with %s and a hint", i, f, want.source, want.code)
		}
	}
	// Debian liblzma5, Alpine xz-libs and RPM xz-libs are one upstream.
	var xz *SharedUpstream
	for i := range r.Upstreams {
		if r.Upstreams[i].Upstream == "xz" {
			xz = &r.Upstreams[i]
		}
	}
	if xz == nil {
		t.Fatalf("xz not shared: %+v", r.Upstreams)
	}
	if xz.Products != 4 || xz.Components != 4 || !slices.Contains(xz.Labels, vocab.LabelPortfolioPervasive) || !slices.Contains(xz.Labels, vocab.LabelKnownExploited) {
		t.Fatalf("xz upstream %+v: in 4 of 6 products (two copies of shop, Alpine, RHEL)", xz)
	}
	if r.Upstreams[0].Upstream != "xz" {
		t.Errorf("top shared upstream %s, want xz (share x fragility)", r.Upstreams[0].Upstream)
	}
	for i := 1; i < len(r.Upstreams); i++ {
		if r.Upstreams[i].Score > r.Upstreams[i-1].Score {
			t.Fatalf("upstreams not ranked by score: %+v", r.Upstreams)
		}
	}
	if r.Products[0].Grade != vocab.GradeG || !strings.Contains(r.Products[0].Source, "shop") {
		t.Errorf("worst product %+v", r.Products[0])
	}
	if r.SupplierHHI <= 0 || r.SupplierHHI > 1 || r.Suppliers[0].Supplier != "Debian" {
		t.Errorf("suppliers %+v HHI %v", r.Suppliers, r.SupplierHHI)
	}
}

func TestPortfolioPervasivenessRaisesImpact(t *testing.T) {
	// The Alpine image alone: xz-libs has one dependent. In a portfolio
	// where every product carries xz, its impact and risk go up.
	a := newTestAssessor(t, testData(t))
	alone := a.Assess(readBytes(t, encodeCDX(t, alpineBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON), "alpine.cdx.json"))
	p := a.NewPortfolio()
	for _, name := range []string{"a.cdx.json", "b.cdx.json", "c.cdx.json"} {
		if err := p.Add(readBytes(t, encodeCDX(t, alpineBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON), name)); err != nil {
			t.Fatal(err)
		}
	}
	r := p.Report(0)
	if r.Products[0].Risk <= alone.Product.Risk {
		t.Errorf("portfolio risk %d not above single-product risk %d", r.Products[0].Risk, alone.Product.Risk)
	}
	for _, u := range r.Upstreams {
		if !slices.Contains(u.Labels, vocab.LabelPortfolioPervasive) || u.Share != 1 {
			t.Errorf("upstream %s in every product: %+v", u.Upstream, u)
		}
	}
	err := p.Add(readBytes(t, encodeCDX(t, alpineBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON), "a.cdx.json"))
	wantCode(t, err, reason.InputMalformed)

	small := DefaultLimits()
	small.MaxPortfolioSBOMs = 1
	limited, err := NewAssessor(WithScoring(testConfig()), WithLimits(small))
	if err != nil {
		t.Fatal(err)
	}
	lp := limited.NewPortfolio()
	if err := lp.Add(shopGraph(t)); err != nil {
		t.Fatal(err)
	}
	g2 := shopGraph(t)
	g2.Source = "other.cdx.json"
	wantCode(t, lp.Add(g2), reason.InputTooLarge)
}

func TestPortfolioDeterministic(t *testing.T) {
	data := testData(t)
	var outs []string
	for range 3 {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, runPortfolio(t, data)); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, buf.String())
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Fatal("parallel portfolio runs gave different reports")
	}
}

func TestPortfolioCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := newTestAssessor(t, Data{}).NewPortfolio()
	if err := p.AddFiles(ctx, []string{"a", "b"}, nil); err == nil {
		t.Fatal("a cancelled context did not stop the run")
	}
	if _, _, err := CollectInputs([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a missing input was accepted")
	}
}
