package policy

import (
	"slices"
	"strings"
)

// knownLabels are the systemic-risk labels that sovcheck's SBOM assessment
// can fire. A policy that names any other label is rejected, so a typo
// cannot silently forbid nothing.
var knownLabels = []string{
	// identity
	"unidentifiable", "unverifiable-artifact", "opaque-binary", "unknown-producer", "unknown-licence", "graph-incomplete",
	// provenance
	"no-provenance", "unsigned", "not-reproducible", "locally-modified",
	// stewardship and sovereignty
	"single-maintainer", "anonymous-maintainer", "abandoned", "uncertified-steward", "deprecated", "retracted", "foreign-single-source",
	"unsandboxed-native", "sandboxed", "ambient-authority",
	// vulnerability
	"known-vulnerable", "known-exploited",
	// systemic
	"portfolio-pervasive", "high-blast-radius", "supplier-concentration", "systemic-fragile",
}

// LabelKnownExploited is the label of a component with a vulnerability
// exploited in the wild.
const LabelKnownExploited = "known-exploited"

// KnownLabels returns the label names a policy may use, sorted.
func KnownLabels() []string {
	out := slices.Clone(knownLabels)
	slices.Sort(out)
	return out
}

func isKnownLabel(s string) bool { return slices.Contains(knownLabels, s) }

// Grades, best first, as on the EU energy label.
var grades = []string{"A", "B", "C", "D", "E", "F", "G"}

// gradeRank returns 0 for A up to 6 for G, and -1 for anything else.
func gradeRank(g string) int { return slices.Index(grades, g) }

// Severities of vulnerabilities, worst first.
var severities = []string{"critical", "high", "medium", "low", "unknown"}

// normaliseSeverity maps a facts severity to one of severities.
func normaliseSeverity(s string) string {
	s = strings.ToLower(s)
	if slices.Contains(severities, s) {
		return s
	}
	return "unknown"
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
	"gzip-framing": {"GZIP_ONLY"},
	// Only the version control stamp (vcs.time, vcs.modified, module
	// version string) differs.
	"vcs-stamp": {"VCS_STAMP_MISMATCH"},
	// Only -ldflags -X values (version strings stamped at build) differ.
	"ldflags-x": {"LDFLAGS_MISMATCH"},
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
