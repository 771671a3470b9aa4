package anchor

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileMatchesWholeValue(t *testing.T) {
	for _, tc := range []struct {
		expr, value string
		want        bool
	}{
		{`https://github\.com/acme/.*`, "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1", true},
		{`https://github\.com/acme/.*`, "x https://github.com/acme/tool", false},
		{`a|b`, "a", true},
		{`a|b`, "b", true},
		{`a|b`, "ab", false},
		{`a|b`, "xa", false},
		{`(?m)a$`, "a\nb", false},
		{`(?m)^b`, "a\nb", false},
		{`(?s).*`, "a\nb", true},
		{`(?i)ACME`, "acme", true},
		{`(?i)ACME`, "acmex", false},
		{`\Qa)|(.*\E`, "a)|(.*", true},
		{`\Qa)|(.*\E`, "anything", false},
		{``, "", true},
		{``, "x", false},
	} {
		re, err := Compile(tc.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.expr, err)
		}
		if got := re.MatchString(tc.value); got != tc.want {
			t.Errorf("Compile(%q) (as %q) matches %q = %v, want %v", tc.expr, re.String(), tc.value, got, tc.want)
		}
	}
}

// An expression that is not valid on its own is refused, even when it
// would compile once wrapped in anchors as a string.
func TestCompileRefusesEscapes(t *testing.T) {
	for _, expr := range []string{`x)|(.*`, `x)|(?:.*`, `)|(`, `a)(`, `(?:x)|(.*`, `x\`, `[a`} {
		if re, err := Compile(expr); err == nil {
			t.Errorf("Compile(%q) = %q, want an error", expr, re.String())
		}
	}
}

func TestCompileTooLong(t *testing.T) {
	if _, err := Compile(strings.Repeat("a", MaxBytes+1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Compile(%d bytes) = %v, want ErrTooLong", MaxBytes+1, err)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{`x)|(.*`, `a|b`, `(?m)^a$`, `\Qx\E`, `.*`, `[^\n]+`} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, expr, value string) {
		re, err := Compile(expr)
		if err != nil {
			if re != nil {
				t.Fatalf("Compile(%q) returned a regexp with an error", expr)
			}
			return
		}
		if err := checkAnchored(re.String()); err != nil {
			t.Fatal(err)
		}
		// Anchoring never widens: whatever the anchored form matches, the
		// expression on its own matches as a whole too.
		if re.MatchString(value) {
			loc := re.FindStringIndex(value)
			if loc[0] != 0 || loc[1] != len(value) {
				t.Fatalf("Compile(%q) matched %q partly: %v", expr, value, loc)
			}
		}
	})
}
