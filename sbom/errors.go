package sbom

import (
	"fmt"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Package sbom's names for its reason codes; the codes are defined in
// internal/reason (write reason.X in new code). Shared codes (INPUT_UNREADABLE,
// INPUT_TOO_LARGE) come from internal/reason.
const (
	// CodeFormatUnknown: the input is not a document sovcheck reads as an
	// SBOM or lockfile (for example a JSON object that is neither
	// CycloneDX nor SPDX).
	CodeFormatUnknown = reason.SBOMFormatUnknown
	// CodeVersionUnsupported: the format is known but the spec or lockfile
	// version is outside the supported range.
	CodeVersionUnsupported = reason.SBOMVersionUnsupported
	// CodeMalformed: the document claims a supported format but does not
	// decode, or breaks a rule the graph depends on.
	CodeMalformed = reason.SBOMMalformed
	// CodeDataMalformed: an optional data file (trust registry, upstream
	// mapping, OSV advisories, KEV list, provenance facts) does not decode.
	CodeDataMalformed = reason.SBOMDataMalformed
	// CodeConfigInvalid: scoring weights or cut-offs are out of range.
	CodeConfigInvalid = reason.SBOMConfigInvalid
	// CodeInputNotRegular: a portfolio directory holds a named pipe,
	// device, socket or a link to a directory; it was listed, not opened.
	CodeInputNotRegular = reason.SBOMInputNotRegular
	// CodeInputHidden: a hidden directory inside a portfolio directory
	// was listed, not walked.
	CodeInputHidden = reason.SBOMInputHidden
	// CodeNotBound: the SBOM does not name the artifact it is given for
	// (no matching digest, no verified attestation about the artifact).
	CodeNotBound = reason.SBOMNotBound
	// CodeProfileGaps: the SBOM lacks fields a conformance profile
	// (BSI TR-03183-2) requires.
	CodeProfileGaps = reason.SBOMProfileGaps
)

func tooLarge(what string, got, limit int64, hint string) *reason.Error {
	return &reason.Error{
		Code: reason.InputTooLarge,
		Msg:  what + " exceeds the limit",
		Got:  fmt.Sprintf("more than %d", limit),
		Want: fmt.Sprintf("at most %d", limit),
		Hint: hint,
	}
}

func tooMany(what string, limit int, hint string) *reason.Error {
	return &reason.Error{
		Code: reason.InputTooLarge,
		Msg:  "too many " + what,
		Got:  fmt.Sprintf("more than %d", limit),
		Want: fmt.Sprintf("at most %d", limit),
		Hint: hint,
	}
}

func malformed(err error, hint, format string, args ...any) *reason.Error {
	return reason.Wrap(err, CodeMalformed, hint, format, args...)
}

func dataMalformed(err error, hint, format string, args ...any) *reason.Error {
	return reason.Wrap(err, CodeDataMalformed, hint, format, args...)
}

// CodeVEXMalformed: a VEX document (OpenVEX, CycloneDX VEX, CSAF VEX)
// does not decode or breaks its format's rules.
const CodeVEXMalformed = reason.VEXMalformed
