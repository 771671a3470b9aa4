package reason

// Reason codes of policies: loading a policy and the data files it names,
// rule results, and how a rule result enters the verdict model.

const (
	// Loading a policy or a data file it names.
	PolicyInvalid      = "POLICY_INVALID"
	PolicyExpired      = "POLICY_EXPIRED"
	DataDigestMismatch = "DATA_DIGEST_MISMATCH"
	DataInvalid        = "DATA_INVALID"
	DataNotLoaded      = "DATA_NOT_LOADED"

	// Rule results.
	PolicySignatureMissing       = "POLICY_SIGNATURE_MISSING"
	PolicySignerUntrusted        = "POLICY_SIGNER_UNTRUSTED"
	PolicyAttestationMissing     = "POLICY_ATTESTATION_MISSING"
	PolicyProvenanceMissing      = "POLICY_PROVENANCE_MISSING"
	PolicyProvenanceMismatch     = "POLICY_PROVENANCE_MISMATCH"
	PolicyRebuildMissing         = "POLICY_REBUILD_MISSING"
	PolicyNotReproducible        = "POLICY_NOT_REPRODUCIBLE"
	PolicySBOMMissing            = "POLICY_SBOM_MISSING"
	PolicySBOMQuality            = "POLICY_SBOM_QUALITY"
	PolicyGradeExceeded          = "POLICY_GRADE_EXCEEDED"
	PolicyForbiddenLabel         = "POLICY_FORBIDDEN_LABEL"
	PolicyJurisdiction           = "POLICY_JURISDICTION"
	PolicyLicence                = "POLICY_LICENCE"
	PolicyKnownExploited         = "POLICY_KNOWN_EXPLOITED"
	PolicyVulnerabilityThreshold = "POLICY_VULNERABILITY_THRESHOLD"
	PolicyUncertified            = "POLICY_UNCERTIFIED"
	PolicyPenalty                = "POLICY_PENALTY"
	PolicyRuleFailed             = "POLICY_RULE_FAILED"
	PolicyRuleError              = "POLICY_RULE_ERROR"
	PolicyRuleCostExceeded       = "POLICY_RULE_COST_EXCEEDED"
	PolicyEvaluationCostExceeded = "POLICY_EVALUATION_COST_EXCEEDED"
	PolicyPointsBelowPass        = "POLICY_POINTS_BELOW_PASS"

	// How a rule result enters the verdict model when it does not fail it.
	PolicyWaived        = "POLICY_WAIVED"
	PolicyWarning       = "POLICY_WARNING"
	PolicyNotApplicable = "POLICY_NOT_APPLICABLE"
)

// SBOM conformance profiles (sbom.profile).
const (
	// PolicySBOMProfile: the SBOM does not conform to the profile the policy
	// requires.
	PolicySBOMProfile = "POLICY_SBOM_PROFILE"
)
