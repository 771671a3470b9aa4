// Package reason carries sovcheck's stable reason codes across package
// boundaries. Checkers (attest, rebuild, sbom) return *Error; verify turns
// each one into a check result of the verdict model in package policy.
//
// A reason code is part of sovcheck's public contract: codes are added,
// never renamed or repurposed, because CI gates and policies match on them.
package reason

import (
	"errors"
	"fmt"
)

// Error is a failure with a stable reason code, a hint saying what to do
// next, and the evidence that was compared.
type Error struct {
	Code string // stable, SCREAMING_SNAKE_CASE, e.g. SIGNATURE_INVALID
	Msg  string // what went wrong, lowercase, no trailing period
	Hint string // what the user can do next
	Got  string // the value found in the evidence, if any
	Want string // the value the flags or policy asked for, if any
	Err  error  // underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Code
	}
	if e.Got != "" || e.Want != "" {
		msg = fmt.Sprintf("%s: got %q, want %q", msg, e.Got, e.Want)
	}
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with the given code, message and hint.
func New(code, hint, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Wrap returns an Error with the given code and hint around err.
func Wrap(err error, code, hint, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Hint: hint, Err: err}
}

// Mismatch returns an Error for a got/want comparison.
func Mismatch(code, hint, what, got, want string) *Error {
	return &Error{Code: code, Msg: what, Hint: hint, Got: got, Want: want}
}

// CodeOf returns the reason code of the first *Error in err's chain, or
// fallback when there is none.
func CodeOf(err error, fallback string) string {
	var re *Error
	if errors.As(err, &re) && re.Code != "" {
		return re.Code
	}
	return fallback
}

// As returns the first *Error in err's chain, or an Error with the fallback
// code wrapping err. It returns nil for a nil err.
func As(err error, fallback, hint string) *Error {
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	return &Error{Code: fallback, Msg: err.Error(), Hint: hint}
}
