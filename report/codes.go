package report

// Reason codes owned by package report.
const (
	// CodeMediaTypeUnknown: the JSON document is not one a report reads
	// (another tool's JSON, or a newer version of a sovcheck result).
	CodeMediaTypeUnknown = "REPORT_MEDIA_TYPE_UNKNOWN"
	// CodeDocumentInconsistent: a result contradicts itself, e.g. a
	// verdict says PASS while one of its checks failed. It was edited, or
	// written by a broken tool; either way it is not rendered.
	CodeDocumentInconsistent = "REPORT_DOCUMENT_INCONSISTENT"
	// CodeGradeBelowMinimum: a product is graded worse than the minimum
	// grade the report was asked to judge against.
	CodeGradeBelowMinimum = "REPORT_GRADE_BELOW_MINIMUM"
)
