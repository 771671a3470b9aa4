package portfolio

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// withServices adds CycloneDX services to an SBOM: each is
// {name, provider, endpoint, crosses the trust boundary}.
func withServices(t testing.TB, doc []byte, services ...[4]string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	var list []any
	for i, s := range services {
		sv := map[string]any{"bom-ref": "svc-" + s[0], "name": s[0], "endpoints": []string{s[2]}, "trustZone": "dmz", "authenticated": i == 0}
		if s[1] != "" {
			sv["provider"] = map[string]any{"name": s[1]}
		}
		if s[3] != "" {
			sv["x-trust-boundary"] = s[3] == "yes"
		}
		list = append(list, sv)
	}
	m["services"] = list
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeHosted(t testing.TB, dir string) {
	t.Helper()
	lib := comp{"x", "liblzma5", "5.4.1-0.2", "pkg:deb/debian/liblzma5@5.4.1-0.2?upstream=xz-utils", nil}
	files := map[string][]byte{
		"shop.cdx.json": withServices(t, cyclonedx("shop", "1.0", []string{"x"}, lib),
			[4]string{"checkout", "Example Cloud", "https://pay.example/api", "yes"}, [4]string{"mail", "Other Host", "smtp://mail.example", "no"}),
		"billing.cdx.json": withServices(t, cyclonedx("billing", "2.0", []string{"x"}, lib),
			[4]string{"ledger", "Example Cloud", "https://ledger.example", ""}),
		"kiosk.cdx.json": withServices(t, cyclonedx("kiosk", "0.9", []string{"x"}, lib),
			[4]string{"telemetry", "", "https://t.example", "yes"}),
		"plain.cdx.json": cyclonedx("plain", "1.0", []string{"x"}, lib),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The store keeps each SBOM's hosted services (both products spell the
// provider alike: 'sbom labels --portfolio' shows the spelling it meets
// first, which depends on the order its parallel readers finish): where answers "which
// products run on provider P" with endpoints, trust boundary and labels,
// and report shows the same hosting concentration as 'sbom labels
// --portfolio' on the same SBOMs.
func TestServicesWhereAndReport(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeHosted(t, dir)
		files := collect(t, dir)
		a := assessor(t, "2026-11-15")
		st := open(t, location)
		ctx := context.Background()
		if _, err := st.AddFiles(ctx, Ingest{Assessor: a}, files); err != nil {
			t.Fatal(err)
		}
		// Case and spacing do not tell providers apart.
		q, err := NewHostingQuery("example  CLOUD", false)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Where(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range r.Services {
			got = append(got, m.Product+"/"+m.Service.Name)
		}
		if want := []string{"billing/ledger", "shop/checkout"}; r.Products != 2 || !slices.Equal(got, want) {
			t.Fatalf("provider Example Cloud: %d products, %q, want %q", r.Products, got, want)
		}
		checkout := r.Services[1].Service
		if !slices.Equal(checkout.Endpoints, []string{"https://pay.example/api"}) || checkout.CrossesTrustBoundary == nil ||
			!*checkout.CrossesTrustBoundary || checkout.TrustZone != "dmz" || !checkout.HasLabel(vocab.LabelCrossesTrustBoundary) {
			t.Errorf("checkout as stored: %+v", checkout)
		}
		if ledger := r.Services[0].Service; ledger.CrossesTrustBoundary != nil {
			t.Errorf("ledger's trust boundary: got %v, want unknown", *ledger.CrossesTrustBoundary)
		}
		if got := r.Services[1].LabelNames(); !slices.Contains(got, string(vocab.LabelCrossesTrustBoundary)) {
			t.Errorf("checkout's label names: %q", got)
		}
		// Failure twins: another provider, and a provider no one uses.
		q, _ = NewHostingQuery("other host", false)
		if r, err = st.Where(ctx, q); err != nil || r.Products != 1 || r.Services[0].Product != "shop" {
			t.Errorf("provider Other Host: %+v, %v", r, err)
		}
		q, _ = NewHostingQuery("Nobody", false)
		if r, err = st.Where(ctx, q); err != nil || r.Products != 0 || len(r.Services) != 0 {
			t.Errorf("provider Nobody: %+v, %v", r, err)
		}

		rep, err := st.Report(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := a.NewPortfolio()
		if err := p.AddFiles(ctx, files, nil); err != nil {
			t.Fatal(err)
		}
		want := p.Report(0)
		if want.Hosting == nil || want.Hosting.Products != 3 {
			t.Fatalf("sbom's portfolio hosting: %+v, want 3 products with services", want.Hosting)
		}
		gj, _ := json.Marshal(rep)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("report from the store differs from sbom's portfolio:\n got %s\nwant %s", gj, wj)
		}
	})
}

func TestHostingQueryInvalid(t *testing.T) {
	if _, err := NewHostingQuery("  ", false); err == nil {
		t.Fatal("empty provider accepted")
	}
}
