package anchor

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// MaxBytes is the longest expression Compile accepts.
const MaxBytes = 1 << 10

// ErrTooLong is returned for an expression longer than MaxBytes.
var ErrTooLong = errors.New("regular expression too long")

// flags are the parse flags of regexp.Compile (Go RE2 syntax, Perl
// extensions); the anchors built here do not depend on (?m) or (?s) set
// inside the expression.
const flags = syntax.Perl

// Compile parses expr on its own and returns a regexp that matches a
// value only if expr matches all of it. The returned regexp's String is an
// anchored expression that can be handed to another regexp engine using Go
// syntax (sigstore-go compiles such strings) without losing its anchors.
func Compile(expr string) (*regexp.Regexp, error) {
	if len(expr) > MaxBytes {
		return nil, fmt.Errorf("%w: got %d bytes, want at most %d", ErrTooLong, len(expr), MaxBytes)
	}
	tree, err := syntax.Parse(expr, flags)
	if err != nil {
		return nil, fmt.Errorf("parsing regular expression: %w", err)
	}
	wrapped := &syntax.Regexp{Op: syntax.OpConcat, Flags: flags, Sub: []*syntax.Regexp{
		{Op: syntax.OpBeginText, Flags: flags},
		tree,
		{Op: syntax.OpEndText, Flags: flags},
	}}
	src := wrapped.String()
	if err := checkAnchored(src); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("compiling regular expression: %w", err)
	}
	return re, nil
}

// checkAnchored parses the printed expression again and requires it to be
// one concatenation that begins with begin-of-text and ends with
// end-of-text, so that no quirk of printing can widen the match.
func checkAnchored(src string) error {
	t, err := syntax.Parse(src, flags)
	if err != nil {
		return fmt.Errorf("parsing anchored regular expression: %w", err)
	}
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 || t.Sub[0].Op != syntax.OpBeginText || t.Sub[len(t.Sub)-1].Op != syntax.OpEndText {
		return fmt.Errorf("anchoring regular expression: got %q, want it between begin and end of text", src)
	}
	return nil
}
