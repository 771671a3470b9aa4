package sbom

import (
	"slices"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Label is a systemic-risk label; internal/vocab defines every one.
type Label = vocab.Label

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
	{vocab.LabelUnidentifiable, DimIdentity, kindFragility, "ask the supplier for an SBOM that records a purl or CPE for this component, or regenerate it with a scanner that does"},
	{vocab.LabelUnverifiableArtifact, DimIdentity, kindFragility, "record a SHA-256 or stronger digest of the artifact in the SBOM"},
	{vocab.LabelOpaqueBinary, DimIdentity, kindFragility, "obtain the source or a build provenance for this binary, or replace it"},
	{vocab.LabelUnknownProducer, DimIdentity, kindFragility, "record the supplier in the SBOM, or add the upstream to the trust registry"},
	{vocab.LabelUnknownLicence, DimIdentity, kindFragility, "record the licence as an SPDX expression in the SBOM"},
	{vocab.LabelGraphIncomplete, DimIdentity, kindFragility, "generate the SBOM with dependency relationships (CycloneDX dependencies, SPDX DEPENDS_ON)"},
	{vocab.LabelNoProvenance, DimProvenance, kindFragility, "require SLSA provenance from the producer and check it with sovcheck verify"},
	{vocab.LabelUnsigned, DimProvenance, kindFragility, "require a signature (a Sigstore bundle) on the artifact"},
	{vocab.LabelNotReproducible, DimProvenance, kindFragility, "report the rebuild mismatch to the producer; ask for a pinned toolchain and SOURCE_DATE_EPOCH"},
	{vocab.LabelLocallyModified, DimProvenance, kindFragility, "review the local patches and track them against the upstream release"},
	{vocab.LabelSingleMaintainer, DimStewardship, kindFragility, "fund or co-maintain the project, or plan a replacement"},
	{vocab.LabelAnonymousMaintainer, DimStewardship, kindFragility, "require identified maintainers for release rights, or vendor a reviewed copy"},
	{vocab.LabelAbandoned, DimStewardship, kindFragility, "move to a maintained fork or an alternative"},
	{vocab.LabelUncertifiedSteward, DimStewardship, kindFragility, "ask the steward for a certification your policy accepts, or record it in the trust registry"},
	{vocab.LabelDeprecated, DimStewardship, kindFragility, "move to the replacement the deprecation names, or to a maintained alternative"},
	{vocab.LabelRetracted, DimStewardship, kindFragility, "upgrade: the author retracted this version"},
	{vocab.LabelWeakPractices, DimStewardship, kindFragility, "review the project's weakest Scorecard checks with its maintainers (code review, branch protection, dangerous workflows), or vendor a reviewed copy"},
	{vocab.LabelForeignSingleSource, DimSovereignty, kindFragility, "qualify an alternative source within the allowed jurisdictions and list it in the trust registry"},
	{vocab.LabelUnsandboxedNative, DimSovereignty, kindFragility, "run the component in a sandbox (Wasm, seccomp, a separate process) where possible"},
	{vocab.LabelSandboxed, DimSovereignty, kindMitigation, "keep the sandbox; it limits what a compromise of this component reaches"},
	{vocab.LabelAmbientAuthority, DimSovereignty, kindFragility, "grant the module only the capabilities it needs (no filesystem, sockets or unknown host functions), or ask for a build that does not import them"},
	{vocab.LabelKnownVulnerable, DimVulnerability, kindFragility, "upgrade to a version the advisory lists as fixed"},
	{vocab.LabelKnownExploited, DimVulnerability, kindFragility, "patch now: the vulnerability is exploited in the wild (CISA KEV)"},
	{vocab.LabelPortfolioPervasive, DimSystemic, kindImpact, "treat this upstream as critical infrastructure: monitor it, fund it, plan a fallback"},
	{vocab.LabelHighBlastRadius, DimSystemic, kindImpact, "reduce coupling: isolate or replace this choke point of the dependency graph"},
	{vocab.LabelSupplierConcentration, DimSystemic, kindFragility, "qualify a second supplier for part of the product"},
	{vocab.LabelCriticalProject, DimSystemic, kindImpact, "treat a fragile component of a critical project as the XZ pattern: fund, co-maintain or monitor it"},
	{vocab.LabelSystemicFragile, DimSystemic, kindDerived, "act here first: high impact (or a critical project) and high fragility together are the XZ pattern"},
}

var labelIndex = func() map[Label]int {
	m := make(map[Label]int, len(labelCatalogue))
	for i, l := range labelCatalogue {
		m[l.label] = i
	}
	return m
}()

func infoOf(l Label) labelInfo { return labelCatalogue[labelIndex[l]] }

// labelDim is the position in dimensions of each catalogue entry's
// dimension, -1 for none.
var labelDim = func() []int {
	out := make([]int, len(labelCatalogue))
	for i, info := range labelCatalogue {
		out[i] = slices.Index(dimensions, info.dim)
	}
	return out
}()

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
