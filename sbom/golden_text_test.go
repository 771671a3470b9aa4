package sbom_test

import (
	"bytes"
	"testing"

	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/sbom"
)

// The text reports of sbom labels, rendered by package report, against the
// golden files beside the JSON they render.

func TestGoldenProductText(t *testing.T) {
	var text bytes.Buffer
	if err := report.WriteSBOMText(&text, sbom.GoldenShop(t), report.DefaultSBOMTextOptions()); err != nil {
		t.Fatal(err)
	}
	sbom.Golden(t, "shop.txt", text.Bytes())
}

func TestGoldenProductWithoutDataText(t *testing.T) {
	var text bytes.Buffer
	if err := report.WriteSBOMText(&text, sbom.GoldenShopWithoutData(t), report.SBOMTextOptions{Top: 3, Details: 1}); err != nil {
		t.Fatal(err)
	}
	sbom.Golden(t, "shop-spdx-nodata.txt", text.Bytes())
}

func TestGoldenPortfolioText(t *testing.T) {
	var text bytes.Buffer
	if err := report.WritePortfolioText(&text, sbom.GoldenPortfolio(t), report.DefaultSBOMTextOptions()); err != nil {
		t.Fatal(err)
	}
	sbom.Golden(t, "portfolio.txt", text.Bytes())
}
