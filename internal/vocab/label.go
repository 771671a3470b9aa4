package vocab

// Label names one systemic-risk finding about a component or a hosted
// service. Label names are part of sovcheck's public contract: policies
// match on them.
type Label string

// Identity labels: can the component be named, checked and traced?
const (
	LabelUnidentifiable       Label = "unidentifiable"
	LabelUnverifiableArtifact Label = "unverifiable-artifact"
	LabelOpaqueBinary         Label = "opaque-binary"
	LabelUnknownProducer      Label = "unknown-producer"
	LabelUnknownLicence       Label = "unknown-licence"
	LabelGraphIncomplete      Label = "graph-incomplete"
)

// Provenance labels, fed by sovcheck verify and rebuild facts.
const (
	LabelNoProvenance    Label = "no-provenance"
	LabelUnsigned        Label = "unsigned"
	LabelNotReproducible Label = "not-reproducible"
	LabelLocallyModified Label = "locally-modified"
)

// Stewardship and sovereignty labels, fed by the trust registry and risk
// data snapshots.
const (
	LabelSingleMaintainer    Label = "single-maintainer"
	LabelAnonymousMaintainer Label = "anonymous-maintainer"
	LabelAbandoned           Label = "abandoned"
	LabelUncertifiedSteward  Label = "uncertified-steward"
	// LabelDeprecated: the registry marks the package or version
	// deprecated.
	LabelDeprecated Label = "deprecated"
	// LabelRetracted: the author retracted this version.
	LabelRetracted Label = "retracted"
	// LabelWeakPractices: the source repository's OpenSSF Scorecard score
	// is below the cut-off (imported with 'sovcheck data import').
	LabelWeakPractices       Label = "weak-practices"
	LabelForeignSingleSource Label = "foreign-single-source"
	LabelUnsandboxedNative   Label = "unsandboxed-native"
	LabelSandboxed           Label = "sandboxed"
	// LabelAmbientAuthority: a Wasm module that imports filesystem,
	// network or host functions of unknown authority.
	LabelAmbientAuthority Label = "ambient-authority"
)

// Vulnerability labels, fed by OSV advisories and the KEV catalog.
const (
	LabelKnownVulnerable Label = "known-vulnerable"
	LabelKnownExploited  Label = "known-exploited"
)

// Systemic labels: how much fails together.
const (
	LabelPortfolioPervasive    Label = "portfolio-pervasive"
	LabelHighBlastRadius       Label = "high-blast-radius"
	LabelSupplierConcentration Label = "supplier-concentration"
	// LabelCriticalProject: the source repository's OpenSSF criticality
	// score reaches the cut-off: much of the open source world depends on
	// the project, whatever its place in this product.
	LabelCriticalProject Label = "critical-project"
	LabelSystemicFragile Label = "systemic-fragile"
)

// Labels lists every component label, in report order.
var Labels = []Label{
	LabelUnidentifiable, LabelUnverifiableArtifact, LabelOpaqueBinary, LabelUnknownProducer, LabelUnknownLicence, LabelGraphIncomplete,
	LabelNoProvenance, LabelUnsigned, LabelNotReproducible, LabelLocallyModified,
	LabelSingleMaintainer, LabelAnonymousMaintainer, LabelAbandoned, LabelUncertifiedSteward, LabelDeprecated, LabelRetracted, LabelWeakPractices,
	LabelForeignSingleSource, LabelUnsandboxedNative, LabelSandboxed, LabelAmbientAuthority,
	LabelKnownVulnerable, LabelKnownExploited,
	LabelPortfolioPervasive, LabelHighBlastRadius, LabelSupplierConcentration, LabelCriticalProject, LabelSystemicFragile,
}

// Service labels: the labels of hosted services (CycloneDX services, a
// SaaSBOM).
const (
	LabelForeignHosted           Label = "foreign-hosted"
	LabelUncertifiedHost         Label = "uncertified-host"
	LabelUnauthenticatedEndpoint Label = "unauthenticated-endpoint"
	LabelCrossesTrustBoundary    Label = "crosses-trust-boundary"
	LabelSingleProvider          Label = "single-provider"
)

// ServiceLabels lists every service label, in report order.
var ServiceLabels = []Label{LabelForeignHosted, LabelUncertifiedHost, LabelUnauthenticatedEndpoint, LabelCrossesTrustBoundary, LabelSingleProvider}

// LabelHostingConcentration marks a hosting provider (or jurisdiction) that
// serves a large share of a portfolio's products.
const LabelHostingConcentration Label = "hosting-concentration"

// LabelNames returns labels as strings, in the order given.
func LabelNames(ls []Label) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}
