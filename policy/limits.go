package policy

import "github.com/sovcheck/sovcheck/internal/anchor"

// Limits on what a policy or data file may hold. Inputs from outside are
// never trusted to be small: a file beyond a limit is an error, not a
// truncated read.
const (
	// MaxPolicyBytes is the largest policy file read.
	MaxPolicyBytes = 1 << 20
	// MaxDataListBytes is the largest certification list parsed.
	MaxDataListBytes = 16 << 20
	// MaxListItems is the most entries in any one list or map of a policy.
	MaxListItems = 10_000
	// MaxCertifications is the most entries in a certification list.
	MaxCertifications = 1_000_000
	// MaxProblems is the most problems reported for one file.
	MaxProblems = 50
	// MaxExprBytes is the longest CEL expression of a rule.
	MaxExprBytes = 8 << 10
	// MaxRegexpBytes is the longest regular expression of a signer identity.
	MaxRegexpBytes = anchor.MaxBytes
	// MaxLicenceExpressionBytes is the longest SPDX licence expression parsed.
	MaxLicenceExpressionBytes = 4 << 10
	// MaxLicenceNesting is the deepest parenthesis nesting of a licence expression.
	MaxLicenceNesting = 32
	// MaxEvidence is the most evidence items kept per rule result; the
	// rest are counted in EvidenceOmitted.
	MaxEvidence = 50
	// DefaultRuleCost is the CEL cost limit of one rule evaluation. A rule
	// that exceeds it fails. It allows a few passes over a product of
	// 100,000 components, and stops a rule that compares every component
	// with every other.
	DefaultRuleCost = 20_000_000
	// DefaultEvaluationCost is the CEL cost budget of one evaluation, all
	// CEL rules together: five rules at their limit. Once it is spent, the
	// rules not yet started fail with POLICY_EVALUATION_COST_EXCEEDED; the
	// rules already running stop at their own limit, so an evaluation
	// costs at most this plus one rule limit per worker.
	DefaultEvaluationCost = 5 * DefaultRuleCost
)
