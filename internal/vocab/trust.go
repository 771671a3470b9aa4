package vocab

// Trust rule kinds: which of several named trusted roots must validate a
// bundle. Written on the command line (--trusted-root-rule) and in a
// policy (trust.rule, artifacts[].trust.rule).
const (
	TrustRuleAny = "any" // any one of the roots that count
	TrustRuleAll = "all" // every root that counts
	TrustRuleK   = "k"   // roots of at least K distinct operators
)

// What a trust snapshot older than the policy's trust.maxTrustAge does
// (trust.staleTrust).
const (
	StaleTrustFail = "fail" // the trust check fails (the default)
	StaleTrustWarn = "warn" // the trust check is shown, skipped, and not required
)
