package where

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/sbom"
)

// TestWhereHostedText renders a hosting answer: each service on one line
// with its endpoints, trust boundary, zone and labels; a service whose
// trust boundary the SBOM does not give says so.
func TestWhereHostedText(t *testing.T) {
	yes := true
	q, err := portfolio.NewHostingQuery("Example Cloud", false)
	if err != nil {
		t.Fatal(err)
	}
	r := &portfolio.WhereResult{Query: q, Products: 2, Services: []portfolio.ServiceMatch{
		{Product: "billing", Source: "billing.cdx.json", AsOf: "2026-12-01", Grade: "B",
			Service: sbom.ServiceResult{Service: sbom.Service{Name: "ledger"}}},
		{Product: "shop", ProductVersion: "2.0", Source: "shop.cdx.json", AsOf: "2026-12-01", Grade: "C",
			Service: sbom.ServiceResult{Service: sbom.Service{Name: "checkout", Endpoints: []string{"https://pay.example/api"}, CrossesTrustBoundary: &yes, TrustZone: "dmz"},
				Labels: []sbom.Finding{{Label: vocab.LabelCrossesTrustBoundary}}}},
	}}
	var out bytes.Buffer
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Where hosted: provider Example Cloud: 2 products, 2 services\n",
		"  shop@2.0 (grade C, 2026-12-01, shop.cdx.json)\n    service checkout; endpoints https://pay.example/api; crosses the trust boundary; zone dmz; labels " + string(vocab.LabelCrossesTrustBoundary) + "\n",
		"    service ledger; trust boundary unknown\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text answer lacks %q:\n%s", want, out.String())
		}
	}
}

// TestWhereUsedText renders a where-used answer with a path, and one with
// none and an undetermined version (the twin: nothing is made up).
func TestWhereUsedText(t *testing.T) {
	q, err := portfolio.NewQuery("pkg:deb/debian/xz-utils", "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	r := &portfolio.WhereResult{Query: q, Products: 1,
		Matches: []*portfolio.Match{{Product: "app", ProductVersion: "1.0", Source: "app.cdx.json", AsOf: "2026-12-01", Grade: "E",
			Component: "xz-utils", Version: "5.6.0", Upstream: "src:xz-utils", Path: []string{"app@1.0", "liblzma5@5.6.0", "xz-utils@5.6.0"}}},
		Undetermined: []*portfolio.Match{{Product: "old", Component: "xz-utils", Version: "weird", Reason: "not a Debian version"}},
	}
	var out bytes.Buffer
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Where used: pkg:deb/debian/xz-utils: 1 products, 1 components\n",
		"  app@1.0 (grade E, 2026-12-01, app.cdx.json)\n    xz-utils@5.6.0\n    path: app@1.0 > liblzma5@5.6.0 > xz-utils@5.6.0\n",
		"Undetermined (1): the version could not be placed in the range\n  old: xz-utils@weird: not a Debian version\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text answer lacks %q:\n%s", want, out.String())
		}
	}
	// Without a path, a product version or a component version.
	r.Matches[0].Path, r.Matches[0].ProductVersion, r.Matches[0].Version = nil, "", ""
	out.Reset()
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	if want := "  app (grade E, 2026-12-01, app.cdx.json)\n    xz-utils\n    path: (no path: the SBOM gives no dependency path from the product)\n"; !strings.Contains(out.String(), want) {
		t.Errorf("a match without a path or versions: want %q in\n%s", want, out.String())
	}
}

// TestWhereGolden writes one where-used answer (a path, a product without
// a version, an undetermined version) in every format.
func TestWhereGolden(t *testing.T) {
	q, err := portfolio.NewQuery("", "src:xz", ">=5.6.0, <5.6.2", false)
	if err != nil {
		t.Fatal(err)
	}
	r := &portfolio.WhereResult{Query: q, Products: 2,
		Matches: []*portfolio.Match{
			{Product: "app", ProductVersion: "1.0", Source: "sboms/app.cdx.json", Digest: "sha256:aa", AsOf: "2026-12-01", Grade: "E",
				Component: "xz-utils", Version: "5.6.0-0.2", PURL: "pkg:deb/debian/xz-utils@5.6.0-0.2", Upstream: "src:xz-utils", Path: []string{"app@1.0", "liblzma5@5.6.0-0.2", "xz-utils@5.6.0-0.2"}},
			{Product: "tool", Source: "sboms/tool.cdx.json", Digest: "sha256:bb", AsOf: "2026-12-02", Grade: "C",
				Component: "xz-libs", Version: "5.6.1-1", PURL: "pkg:rpm/fedora/xz-libs@5.6.1-1", Upstream: "src:xz"}},
		Undetermined: []*portfolio.Match{{Product: "old", Source: "sboms/old.cdx.json", Digest: "sha256:cc", AsOf: "2026-11-02", Grade: "D",
			Component: "xz-utils", Version: "weird", Upstream: "src:xz-utils", Reason: "not a Debian version"}},
	}
	for _, c := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"where.golden.txt", func(b *bytes.Buffer) error { return WriteText(b, r) }},
		{"where.golden.html", func(b *bytes.Buffer) error { return WriteHTML(b, r) }},
		{"where.golden.sarif", func(b *bytes.Buffer) error { return WriteSARIF(b, r) }},
	} {
		var b bytes.Buffer
		if err := c.write(&b); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		golden(t, c.name, b.Bytes())
	}
	var b bytes.Buffer
	if err := WriteSARIF(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, sarifSchema(t), b.Bytes()); err != nil {
		t.Errorf("where SARIF is not valid SARIF 2.1.0: %v", err)
	}
	// The twin: the validator rejects a log that lost its version.
	broken := bytes.Replace(b.Bytes(), []byte(`"version": "2.1.0"`), []byte(`"version": "2.0"`), 1)
	if err := validateSARIF(t, sarifSchema(t), broken); err == nil {
		t.Error("a SARIF log with version 2.0 passed the 2.1.0 schema")
	}
}
