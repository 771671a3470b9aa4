package sbom

// Test fixtures for the external tests of this package (sbom_test), which
// render reports through package report.
var (
	Golden                = golden
	GoldenShop            = goldenShop
	GoldenShopWithoutData = goldenShopWithoutData
	GoldenPortfolio       = goldenPortfolio
)
