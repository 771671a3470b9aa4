package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// Formats lists the output formats of `sovcheck verify`.
var Formats = []string{"text", "json", "sarif", "junit", "markdown", "html"}

// VerifyDocument is the JSON document of `sovcheck verify`.
type VerifyDocument struct {
	MediaType string           `json:"mediaType"`
	Status    policy.Status    `json:"status"` // PASS only if every verdict passed
	Summary   Summary          `json:"summary"`
	Verdicts  []policy.Verdict `json:"verdicts"`
}

// Summary counts verdicts.
type Summary struct {
	Artifacts int `json:"artifacts"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
}

// NewVerifyDocument builds the document for verdicts.
func NewVerifyDocument(verdicts []policy.Verdict) VerifyDocument {
	d := VerifyDocument{MediaType: vocab.MediaTypeVerify, Status: policy.StatusFail, Verdicts: verdicts}
	if d.Verdicts == nil {
		d.Verdicts = []policy.Verdict{}
	}
	if policy.AllPassed(verdicts) {
		d.Status = policy.StatusPass
	}
	d.Summary.Artifacts = len(verdicts)
	for _, v := range verdicts {
		if v.Passed() {
			d.Summary.Passed++
		} else {
			d.Summary.Failed++
		}
	}
	return d
}

// Render writes verdicts in the named format.
func Render(w io.Writer, format string, verdicts []policy.Verdict, style Style) error {
	switch format {
	case "json":
		return JSON(w, verdicts)
	case "text", "":
		return Text(w, verdicts, style)
	case "sarif", "junit", "markdown", "html":
		return RenderDocuments(w, format, verifyOnly(verdicts), Options{Style: style})
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// JSON writes the versioned JSON document, indented, with a final newline.
func JSON(w io.Writer, verdicts []policy.Verdict) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewVerifyDocument(verdicts))
}

// Style says how text output may be decorated.
type Style struct {
	Color bool // ANSI colours; only on a terminal with NO_COLOR unset
}

func (s Style) status(st policy.Status) string {
	text := fmt.Sprintf("%-4s", st)
	if !s.Color {
		return text
	}
	switch st {
	case policy.StatusPass:
		return "\x1b[32m" + text + "\x1b[0m"
	case policy.StatusSkip:
		return "\x1b[33m" + text + "\x1b[0m"
	}
	return "\x1b[31m" + text + "\x1b[0m"
}

// Text writes a report a person reads: per artifact its verdict, then each
// check, with got/want, the hint and the evidence for every failure.
func Text(w io.Writer, verdicts []policy.Verdict, style Style) error {
	var b strings.Builder
	for _, v := range verdicts {
		fmt.Fprintf(&b, "%s %s", style.status(v.Status), v.Subject.Name)
		if d := formatDigest(v.Subject.Digest); d != "" && d != v.Subject.Name {
			fmt.Fprintf(&b, " (%s)", d)
		}
		b.WriteByte('\n')
		for _, c := range v.Checks {
			fmt.Fprintf(&b, "  %s %s", style.status(c.Status), c.ID)
			if c.Reason != "" {
				fmt.Fprintf(&b, " [%s]", c.Reason)
			}
			if c.Message != "" {
				fmt.Fprintf(&b, ": %s", c.Message)
			}
			b.WriteByte('\n')
			if c.Status == policy.StatusPass {
				continue
			}
			if c.Got != "" || c.Want != "" {
				fmt.Fprintf(&b, "         got:  %s\n         want: %s\n", orNone(c.Got), orNone(c.Want))
			}
			if c.Evidence != "" {
				fmt.Fprintf(&b, "         evidence: %s\n", c.Evidence)
			}
			if c.Hint != "" {
				fmt.Fprintf(&b, "         hint: %s\n", c.Hint)
			}
		}
	}
	d := NewVerifyDocument(verdicts)
	fmt.Fprintf(&b, "%s: %d artifact%s, %d passed, %d failed\n", d.Status, d.Summary.Artifacts, plural(d.Summary.Artifacts), d.Summary.Passed, d.Summary.Failed)
	for _, v := range verdicts {
		if p := v.Policy; p != nil && p.Points != nil {
			fmt.Fprintf(&b, "points %d/%d (%d to pass) %s, policy %s%s\n", p.Points.Earned, p.Points.Maximum, p.Points.Pass, v.Subject.Name, p.Policy.Name, knockOutNote(p))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatDigest(d map[string]string) string {
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	parts := make([]string, 0, len(algs))
	for _, a := range algs {
		parts = append(parts, a+":"+d[a])
	}
	return strings.Join(parts, " ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ValidFormat reports whether f is a format of `sovcheck verify`.
func ValidFormat(f string) bool { return slices.Contains(Formats, f) }
