package policy

// Reason codes owned by package policy. Shared codes (INPUT_TOO_LARGE and
// the like) come from internal/reason.
const (
	// Loading a policy or a data file it names.
	CodeInvalid            = "POLICY_INVALID"
	CodeExpired            = "POLICY_EXPIRED"
	CodeDataDigestMismatch = "DATA_DIGEST_MISMATCH"
	CodeDataInvalid        = "DATA_INVALID"
	CodeDataNotLoaded      = "DATA_NOT_LOADED"

	// Rule results.
	CodeSignatureMissing       = "POLICY_SIGNATURE_MISSING"
	CodeSignerUntrusted        = "POLICY_SIGNER_UNTRUSTED"
	CodeAttestationMissing     = "POLICY_ATTESTATION_MISSING"
	CodeProvenanceMissing      = "POLICY_PROVENANCE_MISSING"
	CodeProvenanceMismatch     = "POLICY_PROVENANCE_MISMATCH"
	CodeRebuildMissing         = "POLICY_REBUILD_MISSING"
	CodeNotReproducible        = "POLICY_NOT_REPRODUCIBLE"
	CodeSBOMMissing            = "POLICY_SBOM_MISSING"
	CodeSBOMQuality            = "POLICY_SBOM_QUALITY"
	CodeGradeExceeded          = "POLICY_GRADE_EXCEEDED"
	CodeForbiddenLabel         = "POLICY_FORBIDDEN_LABEL"
	CodeJurisdiction           = "POLICY_JURISDICTION"
	CodeLicence                = "POLICY_LICENCE"
	CodeKnownExploited         = "POLICY_KNOWN_EXPLOITED"
	CodeVulnerabilityThreshold = "POLICY_VULNERABILITY_THRESHOLD"
	CodeUncertified            = "POLICY_UNCERTIFIED"
	CodePenalty                = "POLICY_PENALTY"
	CodeRuleFailed             = "POLICY_RULE_FAILED"
	CodeRuleError              = "POLICY_RULE_ERROR"
	CodeRuleCost               = "POLICY_RULE_COST_EXCEEDED"
	CodeEvaluationCost         = "POLICY_EVALUATION_COST_EXCEEDED"
	CodePointsBelowPass        = "POLICY_POINTS_BELOW_PASS"

	// How a rule result enters the verdict model when it does not fail it.
	CodeWaived        = "POLICY_WAIVED"
	CodeWarning       = "POLICY_WARNING"
	CodeNotApplicable = "POLICY_NOT_APPLICABLE"
)

// SBOM conformance profiles (sbom.profile).
const (
	// CodeSBOMProfile: the SBOM does not conform to the profile the policy
	// requires.
	CodeSBOMProfile = "POLICY_SBOM_PROFILE"
)
