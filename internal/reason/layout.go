package reason

// Reason codes of in-toto layout verification (package attest/layout), in
// addition to the shared codes LAYOUT_INVALID, LAYOUT_EXPIRED,
// LINKS_INVALID, INSPECTIONS_REFUSED, SIGNATURE_INVALID, KEY_INVALID and
// the INPUT_* codes.
const (
	// LayoutLinkMissing: no link file at all for a step of the layout.
	LayoutLinkMissing = "LAYOUT_LINK_MISSING"
	// LayoutThresholdNotMet: fewer links signed by the step's functionaries
	// than the step's threshold.
	LayoutThresholdNotMet = "LAYOUT_THRESHOLD_NOT_MET"
	// LayoutRuleViolated: an artifact rule of a step or inspection failed.
	LayoutRuleViolated = "LAYOUT_RULE_VIOLATED"
	// LayoutInspectionFailed: an inspection could not run or exited non-zero.
	LayoutInspectionFailed = "LAYOUT_INSPECTION_FAILED"
)
