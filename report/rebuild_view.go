package report

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/rebuild"
)

// rebuildView is one rebuilt artifact or module zip of a report.
type rebuildView struct {
	Index  int // position in the report, for links
	Name   string
	Digest string
	Status rebuild.Status
	Reason *rebuild.ReasonRecord
	Causes []rebuild.Cause
	Phases []rebuild.Phase
	Detail string
}

func (r *rebuildView) Passed() bool { return r.Status == rebuild.StatusMatch }

// rebuildViews lists the rebuilds and module zip checks of the documents,
// in order.
func rebuildViews(docs []rebuild.Document) []rebuildView {
	var views []rebuildView
	for _, doc := range docs {
		for _, r := range doc.Results {
			views = append(views, rebuildView{Index: len(views), Name: r.Artifact, Digest: formatDigest(r.ArtifactDigest), Status: r.Status,
				Reason: r.Reason, Causes: r.Causes, Phases: r.Phases, Detail: resultDetail(&r)})
		}
		for _, m := range doc.Modules {
			rv := rebuildView{Index: len(views), Name: m.Module + "@" + m.Version, Status: m.Status, Reason: m.Reason, Causes: m.Causes}
			var detail []string
			if m.Commit != "" {
				detail = append(detail, "commit "+m.Commit)
			}
			switch {
			case m.GotH1 != "":
				detail = append(detail, fmt.Sprintf("module zip %s, recorded %s", m.GotH1, orNone(m.WantH1)))
			case m.WantH1 != "":
				detail = append(detail, "recorded "+m.WantH1)
			}
			rv.Detail = strings.Join(detail, "; ")
			views = append(views, rv)
		}
	}
	return views
}

// resultDetail is the one line of detail of a rebuild: toolchain, sandbox,
// the rebuilt digest and what the source lacked.
func resultDetail(r *rebuild.ResultRecord) string {
	var detail []string
	if r.Toolchain != nil {
		detail = append(detail, "toolchain "+r.Toolchain.Version+" ("+r.Toolchain.Origin+")")
	}
	if r.Sandbox != nil && r.Sandbox.Method != "" {
		s := "sandbox " + r.Sandbox.Method
		if !r.Sandbox.Hermetic {
			s += ", not hermetic"
		}
		detail = append(detail, s)
	}
	if d := formatDigest(r.RebuiltDigest); d != "" {
		detail = append(detail, "rebuilt "+d)
	}
	if m := r.SourceMissing; m != nil && m.Count > 0 {
		detail = append(detail, fmt.Sprintf("warning: the source lacked %d object(s) of the commit (%s)", m.Count, strings.Join(m.Objects, ", ")))
	}
	return strings.Join(detail, "; ")
}

// readRebuild reads a rebuild.Document: statuses on the scale, no MATCH
// with a failure reason, at most MaxEntries entries.
func checkRebuildStatus(what string, s rebuild.Status) *reason.Error {
	switch s {
	case rebuild.StatusMatch, rebuild.StatusMismatch, rebuild.StatusSkip:
		return nil
	}
	return reason.Mismatch(reason.InputMalformed, readHint, what+" has an unknown rebuild status", string(s), "MATCH, MISMATCH or SKIP")
}

func readRebuild(data []byte, docs *Documents) *reason.Error {
	var doc rebuild.Document
	if err := decode(data, &doc); err != nil {
		return err
	}
	n := len(doc.Results) + len(doc.Modules)
	for _, r := range doc.Results {
		n += len(r.Causes) + len(r.Phases)
		if r.SourceMissing != nil {
			n += len(r.SourceMissing.Objects)
		}
		if err := checkRebuildStatus(fmt.Sprintf("rebuild of %q", r.Artifact), r.Status); err != nil {
			return err
		}
		if r.Status == rebuild.StatusMatch && r.Reason != nil {
			return reason.Mismatch(reason.ReportDocumentInconsistent, "the document was edited or written by a broken tool; rebuild the artifact again",
				fmt.Sprintf("rebuild of %q says MATCH with a failure reason", r.Artifact), r.Reason.Code, "no reason")
		}
	}
	for _, m := range doc.Modules {
		n += len(m.Causes)
		if err := checkRebuildStatus(fmt.Sprintf("module %s@%s", m.Module, m.Version), m.Status); err != nil {
			return err
		}
	}
	if n > MaxEntries {
		return tooMany("rebuild results, causes and phases", n)
	}
	docs.Rebuilds = append(docs.Rebuilds, doc)
	return nil
}
