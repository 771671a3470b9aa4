package sbom

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenDir is resolved once: some tests change directory.
var goldenDir, _ = filepath.Abs(filepath.Join("testdata", "golden"))

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./sbom -update and review the diff\n--- got ---\n%s", name, got)
	}
}

// The text renderings of these reports are checked against
// testdata/golden by package report (golden_text_test.go).

func TestGoldenProduct(t *testing.T) {
	var js bytes.Buffer
	if err := WriteJSON(&js, goldenShop(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "shop.json", js.Bytes())
}

func TestGoldenPortfolio(t *testing.T) {
	var js bytes.Buffer
	if err := WriteJSON(&js, goldenPortfolio(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "portfolio.json", js.Bytes())
}

func goldenShop(t *testing.T) *Report { return newTestAssessor(t, testData(t)).Assess(shopGraph(t)) }

func goldenShopWithoutData(t *testing.T) *Report {
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	return a.Assess(readBytes(t, shopSPDX("SPDX-2.3", personPrefix), "shop.spdx.json"))
}

func goldenPortfolio(t *testing.T) *PortfolioReport { return runPortfolio(t, testData(t)) }
