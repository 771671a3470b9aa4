package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/rebuild"
)

// RebuildText writes a PASS/FAIL/SKIP log per artifact rebuilt, in the
// order given. It holds no local paths and no times, so it is stable for
// golden files.
func RebuildText(w io.Writer, results []*rebuild.Result) error {
	var b strings.Builder
	counts := map[rebuild.Status]int{}
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
			if p.Status == rebuild.PhaseFail && p.Name == rebuild.PhaseCompare {
				for _, c := range r.Causes {
					fmt.Fprintf(&b, "       %s %s\n", c.Code, causeText(c))
				}
			}
		}
		if r.Status == rebuild.StatusMatch && !r.Sandbox.Hermetic {
			b.WriteString("  warning: the build ran without the sandbox; the match is not hermetic\n")
		}
		if w := r.SourceWarning(); w != "" {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
		writeRebuildReason(&b, r.Reason)
	}
	if len(results) > 1 {
		fmt.Fprintf(&b, "\n%d artifacts: %d MATCH, %d MISMATCH, %d SKIP\n", len(results),
			counts[rebuild.StatusMatch], counts[rebuild.StatusMismatch], counts[rebuild.StatusSkip])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ModuleZipText writes the log of module zip checks.
func ModuleZipText(w io.Writer, results []*rebuild.ModuleZipResult) error {
	var b strings.Builder
	for i, r := range results {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s %s@%s\n", r.Status, r.Module, r.Version)
		if r.Commit != "" {
			fmt.Fprintf(&b, "  %-4s %-12s commit %s\n", rebuild.PhasePass, rebuild.PhaseSource, r.Commit)
		}
		switch r.Status {
		case rebuild.StatusMatch:
			fmt.Fprintf(&b, "  %-4s %-12s recreated module zip has %s, as recorded\n", rebuild.PhasePass, rebuild.PhaseCompare, r.GotH1)
		case rebuild.StatusMismatch:
			fmt.Fprintf(&b, "  %-4s %-12s recreated module zip has %s, recorded %s\n", rebuild.PhaseFail, rebuild.PhaseCompare, orNone(r.GotH1), r.WantH1)
			for _, c := range r.Causes {
				fmt.Fprintf(&b, "       %s %s\n", c.Code, causeText(c))
			}
		case rebuild.StatusSkip:
			fmt.Fprintf(&b, "  %-4s %-12s %s\n", rebuild.PhaseSkip, rebuild.PhaseSource, r.Reason.Error())
		}
		writeRebuildReason(&b, r.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func causeText(c rebuild.Cause) string {
	if c.Got == "" && c.Want == "" {
		return c.What
	}
	return fmt.Sprintf("%s: got %q, want %q", c.What, c.Got, c.Want)
}

func writeRebuildReason(b *strings.Builder, re *reason.Error) {
	if re == nil {
		return
	}
	fmt.Fprintf(b, "  reason: %s: %s\n", re.Code, re.Error())
	if re.Hint != "" {
		fmt.Fprintf(b, "  hint: %s\n", re.Hint)
	}
}

// RebuildJSON writes the rebuilds as one rebuild.Document, with its
// versioned media type.
func RebuildJSON(w io.Writer, results []*rebuild.Result) error {
	// results is never omitted, so that an empty run says so.
	doc := struct {
		MediaType string                 `json:"mediaType"`
		Results   []rebuild.ResultRecord `json:"results"`
	}{MediaType: vocab.MediaTypeRebuild, Results: make([]rebuild.ResultRecord, 0, len(results))}
	for _, r := range results {
		doc.Results = append(doc.Results, resultRecord(r))
	}
	return writeIndented(w, doc)
}

// ModuleZipJSON writes module zip checks as one rebuild.Document.
func ModuleZipJSON(w io.Writer, results []*rebuild.ModuleZipResult) error {
	doc := struct {
		MediaType string                 `json:"mediaType"`
		Modules   []rebuild.ModuleRecord `json:"modules"`
	}{MediaType: vocab.MediaTypeRebuild, Modules: make([]rebuild.ModuleRecord, 0, len(results))}
	for _, r := range results {
		doc.Modules = append(doc.Modules, rebuild.ModuleRecord{Module: r.Module, Version: r.Version, Commit: r.Commit, Status: r.Status,
			GotH1: r.GotH1, WantH1: r.WantH1, Causes: r.Causes, Reason: reasonRecord(r.Reason)})
	}
	return writeIndented(w, doc)
}

func writeIndented(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func reasonRecord(re *reason.Error) *rebuild.ReasonRecord {
	if re == nil {
		return nil
	}
	return &rebuild.ReasonRecord{Code: re.Code, Message: re.Error(), Hint: re.Hint, Got: re.Got, Want: re.Want}
}

// resultRecord is a rebuild's entry in its JSON document.
func resultRecord(r *rebuild.Result) rebuild.ResultRecord {
	jr := rebuild.ResultRecord{
		Artifact:       r.Artifact,
		ArtifactDigest: map[string]string{"sha256": r.ArtifactSHA256},
		Status:         r.Status,
		Reason:         reasonRecord(r.Reason),
		Causes:         r.Causes,
		Toolchain:      r.Toolchain,
		Phases:         r.Phases,
		BuildLog:       r.BuildLog,
	}
	if r.Subject.SHA256 != "" {
		jr.Subject = &rebuild.SubjectRecord{Name: r.Subject.Name, Digest: map[string]string{"sha256": r.Subject.SHA256}}
	}
	if rec := r.Recipe; rec != nil {
		jr.Recipe = &rebuild.RecipeRecord{BuildType: rec.BuildType}
		if rec.Refused == nil {
			src := rec.Source
			jr.Recipe.Source, jr.Recipe.Toolchain, jr.Recipe.Steps, jr.Recipe.Output = &src, rec.Toolchain, rec.Steps, rec.Output
		}
	}
	if r.Sandbox.Method != "" {
		sb := r.Sandbox
		jr.Sandbox = &sb
	}
	if r.SourceMissingCount > 0 {
		jr.SourceMissing = &rebuild.MissingRecord{Count: r.SourceMissingCount, Objects: r.SourceMissing}
	}
	if r.RebuiltSHA256 != "" {
		jr.RebuiltDigest = map[string]string{"sha256": r.RebuiltSHA256}
	}
	return jr
}
