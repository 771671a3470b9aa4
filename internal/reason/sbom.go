package reason

// Reason codes of SBOM, lockfile and VEX reading.

const (
	// SBOMFormatUnknown: the input is not a document sovcheck reads as an
	// SBOM or lockfile (for example a JSON object that is neither
	// CycloneDX nor SPDX).
	SBOMFormatUnknown = "SBOM_FORMAT_UNKNOWN"
	// SBOMVersionUnsupported: the format is known but the spec or lockfile
	// version is outside the supported range.
	SBOMVersionUnsupported = "SBOM_VERSION_UNSUPPORTED"
	// SBOMMalformed: the document claims a supported format but does not
	// decode, or breaks a rule the graph depends on.
	SBOMMalformed = "SBOM_MALFORMED"
	// SBOMDataMalformed: an optional data file (trust registry, upstream
	// mapping, OSV advisories, KEV list, provenance facts) does not decode.
	SBOMDataMalformed = "SBOM_DATA_MALFORMED"
	// SBOMConfigInvalid: scoring weights or cut-offs are out of range.
	SBOMConfigInvalid = "SBOM_CONFIG_INVALID"
	// SBOMInputNotRegular: a portfolio directory holds a named pipe,
	// device, socket or a link to a directory; it was listed, not opened.
	SBOMInputNotRegular = "SBOM_INPUT_NOT_REGULAR"
	// SBOMInputHidden: a hidden directory inside a portfolio directory
	// was listed, not walked.
	SBOMInputHidden = "SBOM_INPUT_HIDDEN"
	// SBOMNotBound: the SBOM does not name the artifact it is given for
	// (no matching digest, no verified attestation about the artifact).
	SBOMNotBound = "SBOM_NOT_BOUND"
	// SBOMProfileGaps: the SBOM lacks fields a conformance profile
	// (BSI TR-03183-2) requires.
	SBOMProfileGaps = "SBOM_PROFILE_GAPS"
)

// VEXMalformed: a VEX document (OpenVEX, CycloneDX VEX, CSAF VEX)
// does not decode or breaks its format's rules.
const VEXMalformed = "VEX_MALFORMED"
