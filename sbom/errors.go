package sbom

import (
	"fmt"

	"github.com/sovcheck/sovcheck/internal/reason"
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
	return reason.Wrap(err, reason.SBOMMalformed, hint, format, args...)
}

func dataMalformed(err error, hint, format string, args ...any) *reason.Error {
	return reason.Wrap(err, reason.SBOMDataMalformed, hint, format, args...)
}
