package reason

// Reason codes shared by more than one package. Packages may define more
// codes of their own; every code is documented in docs/reasons.md.
const (
	// Input and evidence gathering.
	InputUnreadable  = "INPUT_UNREADABLE"
	InputMalformed   = "INPUT_MALFORMED"
	InputTooLarge    = "INPUT_TOO_LARGE"
	EvidenceMissing  = "EVIDENCE_MISSING"
	TrustRootMissing = "TRUST_ROOT_MISSING"
	TrustRootInvalid = "TRUST_ROOT_INVALID"

	// Signatures and bundles.
	BundleMalformed         = "BUNDLE_MALFORMED"
	BundleVersionUnknown    = "BUNDLE_VERSION_UNKNOWN"
	SignatureInvalid        = "SIGNATURE_INVALID"
	CertificateInvalid      = "CERTIFICATE_INVALID"
	CertificateChainInvalid = "CERTIFICATE_CHAIN_INVALID"
	IdentityMismatch        = "IDENTITY_MISMATCH"
	IssuerMismatch          = "ISSUER_MISMATCH"
	KeyMismatch             = "KEY_MISMATCH"
	KeyInvalid              = "KEY_INVALID"
	TlogMissing             = "TLOG_MISSING"
	TlogInvalid             = "TLOG_INVALID"
	SCTMissing              = "SCT_MISSING"
	SCTInvalid              = "SCT_INVALID"
	TimestampInvalid        = "TIMESTAMP_INVALID"
	DigestMismatch          = "DIGEST_MISMATCH"
	SubjectMismatch         = "SUBJECT_MISMATCH"
	PredicateTypeMismatch   = "PREDICATE_TYPE_MISMATCH"
	StatementMalformed      = "STATEMENT_MALFORMED"

	// Provenance.
	ProvenanceMalformed  = "PROVENANCE_MALFORMED"
	SourceURIMismatch    = "SOURCE_URI_MISMATCH"
	SourceTagMismatch    = "SOURCE_TAG_MISMATCH"
	SourceBranchMismatch = "SOURCE_BRANCH_MISMATCH"
	BuilderIDMismatch    = "BUILDER_ID_MISMATCH"

	// in-toto layouts.
	LayoutInvalid      = "LAYOUT_INVALID"
	LayoutExpired      = "LAYOUT_EXPIRED"
	LinksInvalid       = "LINKS_INVALID"
	InspectionsRefused = "INSPECTIONS_REFUSED"

	// Aggregation.
	NoChecks        = "NO_CHECKS"
	StatusUnknown   = "STATUS_UNKNOWN"
	RequiredSkipped = "REQUIRED_CHECK_SKIPPED"
	InternalError   = "INTERNAL_ERROR"

	// Fail closed at the edges: contradictory log evidence, and directory
	// entries verify does not verify.
	TlogInconsistent  = "TLOG_INCONSISTENT"
	EntrySymlink      = "ENTRY_SYMLINK"
	EntrySubdirectory = "ENTRY_SUBDIRECTORY"
	EntryNotRegular   = "ENTRY_NOT_REGULAR"
	EvidenceOrphaned  = "EVIDENCE_ORPHANED"
	EvidenceUnread    = "EVIDENCE_UNREAD"
)

// Vulnerability data and VEX.
const (
	// VulnDataMissing: no component could be matched against advisory
	// data (none given, or none for the product's ecosystems).
	VulnDataMissing = "VULN_DATA_MISSING"
	// VulnDataStale: the advisory data is older than the policy allows.
	VulnDataStale = "VULN_DATA_STALE"
)

// Provenance of the SLSA GitHub generator before Sigstore bundles.
const (
	// CertificateWithoutTlog: a DSSE envelope carries a signing
	// certificate and no transparency-log entry, so nothing proves the
	// signature was made while the short-lived certificate was valid.
	CertificateWithoutTlog = "CERTIFICATE_WITHOUT_TLOG"
)
