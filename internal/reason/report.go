package reason

// Reason codes of reports.

const (
	// ReportMediaTypeUnknown: the JSON document is not one a report reads
	// (another tool's JSON, or a newer version of a sovcheck result).
	ReportMediaTypeUnknown = "REPORT_MEDIA_TYPE_UNKNOWN"
	// ReportDocumentInconsistent: a result contradicts itself, e.g. a
	// verdict says PASS while one of its checks failed. It was edited, or
	// written by a broken tool; either way it is not rendered.
	ReportDocumentInconsistent = "REPORT_DOCUMENT_INCONSISTENT"
	// ReportGradeBelowMinimum: a product is graded worse than the minimum
	// grade the report was asked to judge against.
	ReportGradeBelowMinimum = "REPORT_GRADE_BELOW_MINIMUM"
)
