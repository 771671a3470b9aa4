package policy

import (
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// KnownLabels returns the label names a policy may use, sorted: the
// systemic-risk labels sovcheck's SBOM assessment can fire. A policy that
// names any other label is rejected, so a typo cannot silently forbid
// nothing.
func KnownLabels() []string {
	out := vocab.LabelNames(vocab.Labels)
	slices.Sort(out)
	return out
}

func isKnownLabel(s string) bool { return slices.Contains(vocab.Labels, vocab.Label(s)) }

// normaliseSeverity maps a facts severity to one of vocab.Severities.
func normaliseSeverity(s string) string {
	s = strings.ToLower(s)
	if slices.Contains(vocab.Severities, s) {
		return s
	}
	return vocab.SeverityUnknown
}

// Rule actions.
const (
	ActionFail     = "fail"
	ActionWarn     = "warn"
	ActionPenalize = "penalize"
)

// Rebuild requirements.
const (
	rebuildNone       = "none"
	rebuildMatch      = "match"
	rebuildEquivalent = "equivalent"
)

// normalisations name the differences that a rebuild may show and still
// count as equivalent, with the rebuild cause codes each one covers. Only
// differences that do not change what runs are offered.
var normalisations = map[string][]string{
	// The decompressed contents are equal; only the gzip framing differs.
	"gzip-framing": {reason.GzipOnly},
	// Only the version control stamp (vcs.time, vcs.modified, module
	// version string) differs.
	"vcs-stamp": {reason.VCSStampMismatch},
	// Only -ldflags -X values (version strings stamped at build) differ.
	"ldflags-x": {reason.LdflagsMismatch},
	// Archives equal after OSS Rebuild's stabilisation (entry times,
	// order, owners, modes, gzip framing), as an ArtifactEquivalence
	// attestation states; no difference of a local rebuild is covered.
	vocab.NormalisationOSSStabilize: {},
}

func normalisationNames() []string {
	names := make([]string, 0, len(normalisations))
	for k := range normalisations {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Data file kinds a policy may pin.
const (
	DataTrustRegistry  = "trust-registry"
	DataAdvisories     = "advisories"
	DataKEV            = "kev"
	DataVEX            = "vex"
	DataCertifications = "certifications"
	// DataRiskData is a risk data snapshot (sovcheck data pull); its
	// maxAgeDays is the staleness rule.
	DataRiskData = "risk-data"
)

var dataKinds = []string{DataAdvisories, DataCertifications, DataKEV, DataRiskData, DataTrustRegistry, DataVEX}

// Known-exploited handling.
const (
	knownExploitedKnockOut = "knock-out"
	knownExploitedWarn     = "warn"
)
