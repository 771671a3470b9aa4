package rebuild

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// MediaTypeReport is the media type of the JSON report. Fields may be
// added, never repurposed.
const MediaTypeReport = "application/vnd.sovcheck.rebuild.v1+json"

// WriteText writes a PASS/FAIL/SKIP log per artifact, in the order given.
// It holds no local paths and no times, so it is stable for golden files.
func WriteText(w io.Writer, results []*Result) error {
	var b strings.Builder
	counts := map[Status]int{}
	for i, r := range results {
		if i > 0 {
			b.WriteByte('\n')
		}
		counts[r.Status]++
		if r.Artifact == "sha256:"+r.ArtifactSHA256 {
			fmt.Fprintf(&b, "%s %s\n", r.Status, r.Artifact) // an artifact given by its digest
		} else {
			fmt.Fprintf(&b, "%s %s sha256:%s\n", r.Status, r.Artifact, r.ArtifactSHA256)
		}
		for _, p := range r.Phases {
			fmt.Fprintf(&b, "  %-4s %-12s %s\n", p.Status, p.Name, p.Detail)
			if p.Status == PhaseFail && p.Name == PhaseCompare {
				for _, c := range r.Causes {
					fmt.Fprintf(&b, "       %s %s\n", c.Code, causeText(c))
				}
			}
		}
		if r.Status == StatusMatch && !r.Sandbox.Hermetic {
			b.WriteString("  warning: the build ran without the sandbox; the match is not hermetic\n")
		}
		if w := r.SourceWarning(); w != "" {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
		writeReason(&b, r.Reason)
	}
	if len(results) > 1 {
		fmt.Fprintf(&b, "\n%d artifacts: %d MATCH, %d MISMATCH, %d SKIP\n", len(results), counts[StatusMatch], counts[StatusMismatch], counts[StatusSkip])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func causeText(c Cause) string {
	if c.Got == "" && c.Want == "" {
		return c.What
	}
	return fmt.Sprintf("%s: got %q, want %q", c.What, c.Got, c.Want)
}

func writeReason(b *strings.Builder, re *reason.Error) {
	if re == nil {
		return
	}
	fmt.Fprintf(b, "  reason: %s: %s\n", re.Code, re.Error())
	if re.Hint != "" {
		fmt.Fprintf(b, "  hint: %s\n", re.Hint)
	}
}

// jsonReason is a reason.Error in JSON.
type jsonReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
}

func toJSONReason(re *reason.Error) *jsonReason {
	if re == nil {
		return nil
	}
	return &jsonReason{Code: re.Code, Message: re.Error(), Hint: re.Hint, Got: re.Got, Want: re.Want}
}

// jsonRecipe is the recipe replayed; of a refused recipe, only its build
// type.
type jsonRecipe struct {
	BuildType string  `json:"buildType"`
	Source    *Source `json:"source,omitempty"`
	Toolchain string  `json:"toolchain,omitempty"`
	Steps     []Step  `json:"steps,omitempty"`
	Output    string  `json:"output,omitempty"`
}

type jsonResult struct {
	Artifact       string            `json:"artifact"`
	ArtifactDigest map[string]string `json:"artifactDigest"`
	Status         Status            `json:"status"`
	Reason         *jsonReason       `json:"reason,omitempty"`
	Causes         []Cause           `json:"causes,omitempty"`
	Subject        *jsonSubject      `json:"subject,omitempty"`
	Recipe         *jsonRecipe       `json:"recipe,omitempty"`
	Toolchain      *Toolchain        `json:"toolchain,omitempty"`
	Sandbox        *SandboxInfo      `json:"sandbox,omitempty"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest,omitempty"`
	Phases         []Phase           `json:"phases"`
	BuildLog       string            `json:"buildLog,omitempty"`
	SourceMissing  *jsonMissing      `json:"sourceMissing,omitempty"`
}

// jsonMissing is what the source lacked of the commit's tree.
type jsonMissing struct {
	Count   int      `json:"count"`
	Objects []string `json:"objects"` // at most 10, "type id path"
}

// SourceWarning says what the source lacked, for a result whose source
// was incomplete; "" otherwise.
func (r *Result) SourceWarning() string {
	if r.SourceMissingCount == 0 {
		return ""
	}
	more := ""
	if n := r.SourceMissingCount - len(r.SourceMissing); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("the source checkout lacks %d git object%s of the commit (%s%s); the build ran without them",
		r.SourceMissingCount, plural(r.SourceMissingCount), strings.Join(r.SourceMissing, ", "), more)
}

type jsonSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// WriteJSON writes the results as one JSON document with a versioned media
// type.
func WriteJSON(w io.Writer, results []*Result) error {
	doc := struct {
		MediaType string       `json:"mediaType"`
		Results   []jsonResult `json:"results"`
	}{MediaType: MediaTypeReport, Results: make([]jsonResult, 0, len(results))}
	for _, r := range results {
		jr := jsonResult{
			Artifact:       r.Artifact,
			ArtifactDigest: map[string]string{"sha256": r.ArtifactSHA256},
			Status:         r.Status,
			Reason:         toJSONReason(r.Reason),
			Causes:         r.Causes,
			Toolchain:      r.Toolchain,
			Phases:         r.Phases,
			BuildLog:       r.BuildLog,
		}
		if r.Subject.SHA256 != "" {
			jr.Subject = &jsonSubject{Name: r.Subject.Name, Digest: map[string]string{"sha256": r.Subject.SHA256}}
		}
		if r.Recipe != nil {
			jr.Recipe = &jsonRecipe{BuildType: r.Recipe.BuildType}
			if r.Recipe.Refused == nil {
				src := r.Recipe.Source
				jr.Recipe.Source, jr.Recipe.Toolchain, jr.Recipe.Steps, jr.Recipe.Output = &src, r.Recipe.Toolchain, r.Recipe.Steps, r.Recipe.Output
			}
		}
		if r.Sandbox.Method != "" {
			sb := r.Sandbox
			jr.Sandbox = &sb
		}
		if r.SourceMissingCount > 0 {
			jr.SourceMissing = &jsonMissing{Count: r.SourceMissingCount, Objects: r.SourceMissing}
		}
		if r.RebuiltSHA256 != "" {
			jr.RebuiltDigest = map[string]string{"sha256": r.RebuiltSHA256}
		}
		doc.Results = append(doc.Results, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteModuleText writes the log of module zip checks.
func WriteModuleText(w io.Writer, results []*ModuleZipResult) error {
	var b strings.Builder
	for i, r := range results {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s %s@%s\n", r.Status, r.Module, r.Version)
		if r.Commit != "" {
			fmt.Fprintf(&b, "  %-4s %-12s commit %s\n", PhasePass, PhaseSource, r.Commit)
		}
		switch r.Status {
		case StatusMatch:
			fmt.Fprintf(&b, "  %-4s %-12s recreated module zip has %s, as recorded\n", PhasePass, PhaseCompare, r.GotH1)
		case StatusMismatch:
			fmt.Fprintf(&b, "  %-4s %-12s recreated module zip has %s, recorded %s\n", PhaseFail, PhaseCompare, orNone(r.GotH1), r.WantH1)
			for _, c := range r.Causes {
				fmt.Fprintf(&b, "       %s %s\n", c.Code, causeText(c))
			}
		case StatusSkip:
			fmt.Fprintf(&b, "  %-4s %-12s %s\n", PhaseSkip, PhaseSource, r.Reason.Error())
		}
		writeReason(&b, r.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteModuleJSON writes module zip checks as one JSON document.
func WriteModuleJSON(w io.Writer, results []*ModuleZipResult) error {
	type jsonModule struct {
		*ModuleZipResult
		Reason *jsonReason `json:"reason,omitempty"`
	}
	doc := struct {
		MediaType string       `json:"mediaType"`
		Modules   []jsonModule `json:"modules"`
	}{MediaType: MediaTypeReport, Modules: make([]jsonModule, 0, len(results))}
	for _, r := range results {
		doc.Modules = append(doc.Modules, jsonModule{ModuleZipResult: r, Reason: toJSONReason(r.Reason)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
