package vocab

// Media types of sovcheck's JSON documents. Each is versioned: fields may
// be added, never repurposed.
const (
	MediaTypeVerify         = "application/vnd.sovcheck.verify.v1+json"
	MediaTypeRebuild        = "application/vnd.sovcheck.rebuild.v1+json"
	MediaTypeSBOMLabels     = "application/vnd.sovcheck.sbom-labels.v1+json"
	MediaTypeSBOMPortfolio  = "application/vnd.sovcheck.sbom-portfolio.v1+json"
	MediaTypeSBOMFacts      = "application/vnd.sovcheck.sbom-facts.v1+json"
	MediaTypeSBOMProfile    = "application/vnd.sovcheck.sbom-profile.v1+json"
	MediaTypeRiskData       = "application/vnd.sovcheck.risk-data.v1+json"
	MediaTypePortfolioDiff  = "application/vnd.sovcheck.portfolio-diff.v1+json"
	MediaTypePortfolioWhere = "application/vnd.sovcheck.portfolio-where.v1+json"
	MediaTypeWasmCaps       = "application/vnd.sovcheck.wasm-caps.v1+json"
)
