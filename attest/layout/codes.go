package layout

// Reason codes of layout verification, in addition to the shared codes
// LAYOUT_INVALID, LAYOUT_EXPIRED, LINKS_INVALID, INSPECTIONS_REFUSED,
// SIGNATURE_INVALID, KEY_INVALID and the INPUT_* codes.
const (
	// CodeLinkMissing: no link file at all for a step of the layout.
	CodeLinkMissing = "LAYOUT_LINK_MISSING"
	// CodeThresholdNotMet: fewer links signed by the step's functionaries
	// than the step's threshold.
	CodeThresholdNotMet = "LAYOUT_THRESHOLD_NOT_MET"
	// CodeRuleViolated: an artifact rule of a step or inspection failed.
	CodeRuleViolated = "LAYOUT_RULE_VIOLATED"
	// CodeInspectionFailed: an inspection could not run or exited non-zero.
	CodeInspectionFailed = "LAYOUT_INSPECTION_FAILED"
)
