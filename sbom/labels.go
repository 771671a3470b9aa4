package sbom

// Label names one systemic-risk finding about a component. Label names are
// part of sovcheck's public contract: policies match on them.
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

// Stewardship and sovereignty labels, fed by the trust registry.
const (
	LabelSingleMaintainer    Label = "single-maintainer"
	LabelAnonymousMaintainer Label = "anonymous-maintainer"
	LabelAbandoned           Label = "abandoned"
	LabelUncertifiedSteward  Label = "uncertified-steward"
	LabelForeignSingleSource Label = "foreign-single-source"
	LabelUnsandboxedNative   Label = "unsandboxed-native"
	LabelSandboxed           Label = "sandboxed"
	// LabelAmbientAuthority: a Wasm module that imports filesystem,
	// network or host functions of unknown authority (package wasm).
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
	LabelSystemicFragile       Label = "systemic-fragile"
)

// Dimension groups labels by the data they need, for the coverage report.
type Dimension string

// Dimensions, in report order.
const (
	DimIdentity      Dimension = "identity"
	DimProvenance    Dimension = "provenance"
	DimStewardship   Dimension = "stewardship"
	DimSovereignty   Dimension = "sovereignty"
	DimVulnerability Dimension = "vulnerability"
	DimSystemic      Dimension = "systemic"
)

var dimensions = []Dimension{DimIdentity, DimProvenance, DimStewardship, DimSovereignty, DimVulnerability, DimSystemic}

// labelKind says how a label enters the scores.
type labelKind int

const (
	kindFragility  labelKind = iota // weight enters the noisy-OR fragility
	kindImpact                      // explains impact; no fragility weight
	kindMitigation                  // lowers impact (sandboxed)
	kindDerived                     // computed from the scores themselves
)

type labelInfo struct {
	label Label
	dim   Dimension
	kind  labelKind
	// hint is what a user can do about it.
	hint string
}

// labelCatalogue lists every label in report order. Its index is the
// label's bit in compact portfolio records.
var labelCatalogue = []labelInfo{
	{LabelUnidentifiable, DimIdentity, kindFragility, "ask the supplier for an SBOM that records a purl or CPE for this component, or regenerate it with a scanner that does"},
	{LabelUnverifiableArtifact, DimIdentity, kindFragility, "record a SHA-256 or stronger digest of the artifact in the SBOM"},
	{LabelOpaqueBinary, DimIdentity, kindFragility, "obtain the source or a build provenance for this binary, or replace it"},
	{LabelUnknownProducer, DimIdentity, kindFragility, "record the supplier in the SBOM, or add the upstream to the trust registry"},
	{LabelUnknownLicence, DimIdentity, kindFragility, "record the licence as an SPDX expression in the SBOM"},
	{LabelGraphIncomplete, DimIdentity, kindFragility, "generate the SBOM with dependency relationships (CycloneDX dependencies, SPDX DEPENDS_ON)"},
	{LabelNoProvenance, DimProvenance, kindFragility, "require SLSA provenance from the producer and check it with sovcheck verify"},
	{LabelUnsigned, DimProvenance, kindFragility, "require a signature (a Sigstore bundle) on the artifact"},
	{LabelNotReproducible, DimProvenance, kindFragility, "report the rebuild mismatch to the producer; ask for a pinned toolchain and SOURCE_DATE_EPOCH"},
	{LabelLocallyModified, DimProvenance, kindFragility, "review the local patches and track them against the upstream release"},
	{LabelSingleMaintainer, DimStewardship, kindFragility, "fund or co-maintain the project, or plan a replacement"},
	{LabelAnonymousMaintainer, DimStewardship, kindFragility, "require identified maintainers for release rights, or vendor a reviewed copy"},
	{LabelAbandoned, DimStewardship, kindFragility, "move to a maintained fork or an alternative"},
	{LabelUncertifiedSteward, DimStewardship, kindFragility, "ask the steward for a certification your policy accepts, or record it in the trust registry"},
	{LabelDeprecated, DimStewardship, kindFragility, "move to the replacement the deprecation names, or to a maintained alternative"},
	{LabelRetracted, DimStewardship, kindFragility, "upgrade: the author retracted this version"},
	{LabelForeignSingleSource, DimSovereignty, kindFragility, "qualify an alternative source within the allowed jurisdictions and list it in the trust registry"},
	{LabelUnsandboxedNative, DimSovereignty, kindFragility, "run the component in a sandbox (Wasm, seccomp, a separate process) where possible"},
	{LabelSandboxed, DimSovereignty, kindMitigation, "keep the sandbox; it limits what a compromise of this component reaches"},
	{LabelAmbientAuthority, DimSovereignty, kindFragility, "grant the module only the capabilities it needs (no filesystem, sockets or unknown host functions), or ask for a build that does not import them"},
	{LabelKnownVulnerable, DimVulnerability, kindFragility, "upgrade to a version the advisory lists as fixed"},
	{LabelKnownExploited, DimVulnerability, kindFragility, "patch now: the vulnerability is exploited in the wild (CISA KEV)"},
	{LabelPortfolioPervasive, DimSystemic, kindImpact, "treat this upstream as critical infrastructure: monitor it, fund it, plan a fallback"},
	{LabelHighBlastRadius, DimSystemic, kindImpact, "reduce coupling: isolate or replace this choke point of the dependency graph"},
	{LabelSupplierConcentration, DimSystemic, kindFragility, "qualify a second supplier for part of the product"},
	{LabelSystemicFragile, DimSystemic, kindDerived, "act here first: high impact and high fragility together are the XZ pattern"},
}

var labelIndex = func() map[Label]int {
	m := make(map[Label]int, len(labelCatalogue))
	for i, l := range labelCatalogue {
		m[l.label] = i
	}
	return m
}()

func infoOf(l Label) labelInfo { return labelCatalogue[labelIndex[l]] }

// LabelHint says what a user can do about a label of a component or of a
// hosted service; "" for a label sovcheck does not know.
func LabelHint(l Label) string {
	if i, ok := labelIndex[l]; ok {
		return labelCatalogue[i].hint
	}
	return serviceHint(l)
}

// LabelMitigates reports whether a label lowers a component's impact
// (sandboxed) instead of explaining a risk.
func LabelMitigates(l Label) bool {
	i, ok := labelIndex[l]
	return ok && labelCatalogue[i].kind == kindMitigation
}

// labelBits is a set of labels, one bit per catalogue entry.
type labelBits uint64

func (b labelBits) has(l Label) bool { return b&(1<<labelIndex[l]) != 0 }
func (b *labelBits) set(l Label)     { *b |= 1 << labelIndex[l] }
func (b labelBits) labels() []Label {
	var out []Label
	for i, info := range labelCatalogue {
		if b&(1<<i) != 0 {
			out = append(out, info.label)
		}
	}
	return out
}
