package vocab

// Media types of sovcheck's JSON documents. Each is versioned: fields may
// be added, never repurposed.
const (
	MediaTypeVerify            = "application/vnd.sovcheck.verify.v1+json"
	MediaTypeRebuild           = "application/vnd.sovcheck.rebuild.v1+json"
	MediaTypeSBOMLabels        = "application/vnd.sovcheck.sbom-labels.v1+json"
	MediaTypeSBOMPortfolio     = "application/vnd.sovcheck.sbom-portfolio.v1+json"
	MediaTypeSBOMFacts         = "application/vnd.sovcheck.sbom-facts.v1+json"
	MediaTypeSBOMProfile       = "application/vnd.sovcheck.sbom-profile.v1+json"
	MediaTypeRiskData          = "application/vnd.sovcheck.risk-data.v1+json"
	MediaTypePortfolioDiff     = "application/vnd.sovcheck.portfolio-diff.v1+json"
	MediaTypePortfolioWhere    = "application/vnd.sovcheck.portfolio-where.v1+json"
	MediaTypePortfolioAffected = "application/vnd.sovcheck.portfolio-affected.v1+json"
	MediaTypeWasmCaps          = "application/vnd.sovcheck.wasm-caps.v1+json"
	MediaTypeTrustSnapshot     = "application/vnd.sovcheck.trust-snapshot.v1+json"
	MediaTypeTrustShow         = "application/vnd.sovcheck.trust-show.v1+json"
	MediaTypeGate              = "application/vnd.sovcheck.gate.v1+json"
)

// Media types of Sigstore bundles, by bundle version. v0.3 has two
// spellings: the registered one and the older parameter form.
const (
	MediaTypeBundleV01       = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	MediaTypeBundleV02       = "application/vnd.dev.sigstore.bundle+json;version=0.2"
	MediaTypeBundleV03       = "application/vnd.dev.sigstore.bundle.v0.3+json"
	MediaTypeBundleV03Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3"
	// MediaTypeBundlePrefix starts every Sigstore bundle media type.
	MediaTypeBundlePrefix = "application/vnd.dev.sigstore.bundle"
)

// The in-toto statement types, and the DSSE payload type (also an OCI
// artifact type) of an in-toto statement.
const (
	StatementTypeV01  = "https://in-toto.io/Statement/v0.1"
	StatementTypeV1   = "https://in-toto.io/Statement/v1"
	InTotoPayloadType = "application/vnd.in-toto+json"
)

// Media types of cosign's OCI evidence.
const (
	// MediaTypeSimpleSigning is a .sig layer: a simple signing payload.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	// MediaTypeDSSE is a .att layer: a DSSE envelope.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// ArtifactTypeCosignSig is a cosign signature attached as an OCI 1.1
	// referrer (--registry-referrers-mode=oci-1-1).
	ArtifactTypeCosignSig = "application/vnd.dev.cosign.artifact.sig.v1+json"
)
