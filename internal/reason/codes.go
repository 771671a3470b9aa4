package reason

// Reason codes shared by more than one package. The codes of one domain
// are in the file named after it (oci.go, policy.go, portfolio.go,
// rebuild.go, report.go, sbom.go); every package writes reason.X, and
// every code is documented in docs/reasons.md.
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

// Systemic risk from real data: Wasm capabilities, hosting providers, risk
// data snapshots.
const (
	// WasmMalformed: a .wasm file is not a valid WebAssembly core module
	// or component (bad magic, truncated, undecodable section).
	WasmMalformed = "WASM_MALFORMED"
	// WasmVersionUnsupported: the binary's version or layer is not one
	// sovcheck reads (core version 1, component layer 1 version 0x0d).
	WasmVersionUnsupported = "WASM_VERSION_UNSUPPORTED"
	// WasmCapabilityDenied: a Wasm module imports a capability the
	// policy's wasm.allowedCapabilities does not grant.
	WasmCapabilityDenied = "POLICY_WASM_CAPABILITY"
	// WasmNotAnalysed: the policy limits Wasm capabilities but the
	// artifact's module could not be read, so its imports are unknown.
	WasmNotAnalysed = "POLICY_WASM_NOT_ANALYSED"
)

// Hosting providers of services (CycloneDX services, a SaaSBOM).
const (
	// HostingJurisdiction: a service runs on a provider outside the
	// policy's hosting.allowedJurisdictions, or on an unknown one.
	HostingJurisdiction = "POLICY_HOSTING_JURISDICTION"
	// HostingUncertified: a service's provider holds none of the
	// certifications the policy's hosting.requireCertifications names.
	HostingUncertified = "POLICY_HOSTING_UNCERTIFIED"
	// HostingForbiddenLabel: a service carries a label the policy's
	// hosting.forbiddenLabels names.
	HostingForbiddenLabel = "POLICY_HOSTING_FORBIDDEN_LABEL"
)

// Risk data snapshots (sovcheck data pull).
const (
	// RiskDataNotFound: a registry or index does not know the package;
	// its facts stay unknown.
	RiskDataNotFound = "RISK_DATA_NOT_FOUND"
	// RiskDataLookupFailed: a lookup failed (network error, timeout, an
	// unexpected response); the package's facts stay unknown.
	RiskDataLookupFailed = "RISK_DATA_LOOKUP_FAILED"
	// RiskDataMalformed: a registry response or index file does not
	// decode.
	RiskDataMalformed = "RISK_DATA_MALFORMED"
	// RiskDataStale: the policy pins a risk data snapshot older than its
	// maxAgeDays.
	RiskDataStale = "RISK_DATA_STALE"
)

// No single point of trust: trust snapshots pulled through TUF, and witness
// cosignatures on transparency-log checkpoints.
const (
	// TrustSnapshotInvalid: a trust snapshot does not decode, misses a TUF
	// role, its targets do not match their digests, or it is dated in the
	// future.
	TrustSnapshotInvalid = "TRUST_SNAPSHOT_INVALID"
	// TrustSnapshotExpired: the TUF metadata a trust snapshot rests on has
	// expired.
	TrustSnapshotExpired = "TRUST_SNAPSHOT_EXPIRED"
	// TrustSnapshotStale: a trust snapshot is older than --max-trust-age.
	TrustSnapshotStale = "TRUST_SNAPSHOT_STALE"
	// TUFFetchFailed: the TUF repository could not be reached or read.
	TUFFetchFailed = "TUF_FETCH_FAILED"
	// TUFMetadataExpired: the TUF repository serves expired metadata.
	TUFMetadataExpired = "TUF_METADATA_EXPIRED"
	// TUFRollback: the TUF repository serves a metadata version older
	// than one already seen (rollback or freeze).
	TUFRollback = "TUF_ROLLBACK"
	// TUFSignatureInvalid: TUF metadata lacks a threshold of valid
	// signatures from the keys the trusted root names.
	TUFSignatureInvalid = "TUF_SIGNATURE_INVALID"
	// TUFTargetMismatch: a TUF target or metadata file does not match the
	// length or digest its signed metadata gives.
	TUFTargetMismatch = "TUF_TARGET_MISMATCH"
	// WitnessListInvalid: a witness list file does not parse, exceeds its
	// limits or names a witness twice.
	WitnessListInvalid = "WITNESS_LIST_INVALID"
	// CheckpointInvalid: a checkpoint note does not parse, or its first
	// signature is not a valid signature of the log.
	CheckpointInvalid = "CHECKPOINT_INVALID"
	// WitnessUnknown: a cosignature by a witness the list does not name;
	// it counts for nothing.
	WitnessUnknown = "WITNESS_UNKNOWN"
	// CosignatureInvalid: a cosignature by a listed witness does not verify
	// over this checkpoint; it counts for nothing.
	CosignatureInvalid = "COSIGNATURE_INVALID"
	// WitnessQuorumNotMet: fewer valid cosignatures from distinct operators
	// than the required quorum.
	WitnessQuorumNotMet = "WITNESS_QUORUM_NOT_MET"
)
