package reason

// Several named trusted roots and the rule they must meet.
const (
	// TrustRuleNotMet: a bundle is validated by fewer of the named trusted
	// roots (or of their distinct operators) than the trust rule requires.
	TrustRuleNotMet = "TRUST_RULE_NOT_MET"
	// TrustRootNotAllowed: a bundle chains only to trusted roots the trust
	// rule does not name.
	TrustRootNotAllowed = "TRUST_ROOT_NOT_ALLOWED"
	// TrustPinMismatch: a trusted root or witness list named by the
	// policy's trust section has another sha256 than the policy pins.
	TrustPinMismatch = "TRUST_PIN_MISMATCH"
)
