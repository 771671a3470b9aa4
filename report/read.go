package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// Limits of what a report reads.
const (
	// MaxDocumentBytes bounds one JSON document.
	MaxDocumentBytes = 64 << 20
	// MaxDocuments bounds the documents of one report.
	MaxDocuments = 10_000
	// MaxEntries bounds the entries of one document: verdicts plus checks,
	// components plus labels, products, upstreams and suppliers, rebuild
	// results plus causes and phases.
	MaxEntries = 500_000
)

const readHint = "give the JSON written by sovcheck verify --format json, sovcheck sbom labels --format json or sovcheck rebuild --format json"

// documentReaders decode one kind of document each, keyed by media type.
// A new kind of document is one more entry here, a field of Documents and
// its sections in the renderers.
var documentReaders = map[string]func(data []byte, docs *Documents) *reason.Error{
	vocab.MediaTypeVerify:        readVerify,
	vocab.MediaTypeSBOMLabels:    readLabels,
	vocab.MediaTypeSBOMPortfolio: readPortfolio,
	vocab.MediaTypeRebuild:       readRebuild,
}

// MediaTypes lists the media types a report reads, sorted.
func MediaTypes() []string { return slices.Sorted(maps.Keys(documentReaders)) }

// Read reads one JSON document from r and adds it to docs. name is how the
// user named the input; reports show it as given. On error docs is left
// as it was.
func Read(name string, r io.Reader, docs *Documents) error {
	data, err := boundedio.ReadAll(r, MaxDocumentBytes)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return reason.Mismatch(reason.InputTooLarge, "a sovcheck result is far smaller; check that the right file was given",
			fmt.Sprintf("reading %q: document too large", name), fmt.Sprintf("more than %d bytes", MaxDocumentBytes), fmt.Sprintf("at most %d bytes", MaxDocumentBytes))
	}
	if err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check that the file exists and is readable", "reading %q", name)
	}
	return ReadDocument(name, data, docs)
}

// ReadDocument decodes one JSON document, chosen by its mediaType, and
// adds it to docs. On error docs is left as it was.
func ReadDocument(name string, data []byte, docs *Documents) error {
	if len(docs.Inputs) >= MaxDocuments {
		return reason.Mismatch(reason.InputTooLarge, "render the results in smaller groups", fmt.Sprintf("reading %q: too many documents", name),
			fmt.Sprint(len(docs.Inputs)+1), fmt.Sprintf("at most %d", MaxDocuments))
	}
	var probe struct {
		MediaType *string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return reason.Wrap(err, reason.InputMalformed, readHint, "reading %q: not a JSON object", name)
	}
	if probe.MediaType == nil {
		return reason.New(reason.InputMalformed, readHint, "reading %q: no mediaType: not a sovcheck result", name)
	}
	read, ok := documentReaders[*probe.MediaType]
	if !ok {
		return reason.Mismatch(reason.ReportMediaTypeUnknown, "a newer sovcheck may have written it; render it with that version, or "+strings.TrimPrefix(readHint, "give "),
			fmt.Sprintf("reading %q: unknown media type", name), *probe.MediaType, strings.Join(MediaTypes(), " or "))
	}
	var doc Documents
	if err := read(data, &doc); err != nil {
		err.Msg = fmt.Sprintf("reading %q: %s", name, err.Msg)
		return err
	}
	docs.Inputs = append(docs.Inputs, Input{Name: name, MediaType: *probe.MediaType})
	docs.Verify = append(docs.Verify, doc.Verify...)
	docs.Labels = append(docs.Labels, doc.Labels...)
	docs.Portfolios = append(docs.Portfolios, doc.Portfolios...)
	docs.Rebuilds = append(docs.Rebuilds, doc.Rebuilds...)
	return nil
}

func malformed(format string, args ...any) *reason.Error {
	return reason.New(reason.InputMalformed, readHint, format, args...)
}

func tooMany(what string, n int) *reason.Error {
	return reason.Mismatch(reason.InputTooLarge, "render the results in smaller groups", "too many "+what, fmt.Sprint(n), fmt.Sprintf("at most %d", MaxEntries))
}

func decode(data []byte, v any) *reason.Error {
	if err := json.Unmarshal(data, v); err != nil {
		return reason.Wrap(err, reason.InputMalformed, readHint, "decoding")
	}
	return nil
}

// readVerify decides every verdict again from its checks, as policy.Decide
// does, and refuses a document whose stated status differs.
func readVerify(data []byte, docs *Documents) *reason.Error {
	var doc VerifyDocument
	if err := decode(data, &doc); err != nil {
		return err
	}
	if doc.Verdicts == nil {
		return malformed("no verdicts list")
	}
	n := len(doc.Verdicts)
	for _, v := range doc.Verdicts {
		n += len(v.Checks)
	}
	if n > MaxEntries {
		return tooMany("verdicts and checks", n)
	}
	verdicts := make([]policy.Verdict, 0, len(doc.Verdicts))
	for i, v := range doc.Verdicts {
		if err := checkChecks(i, v); err != nil {
			return err
		}
		d := policy.Decide(v.Subject, v.Checks)
		if err := checkDecided(i, v, d); err != nil {
			return err
		}
		if err := checkPolicy(i, v); err != nil {
			return err
		}
		d.Policy = v.Policy
		verdicts = append(verdicts, d)
	}
	fresh := NewVerifyDocument(verdicts)
	if doc.Status != fresh.Status || doc.Summary != fresh.Summary {
		return reason.Mismatch(reason.ReportDocumentInconsistent, "the document was edited or written by a broken tool; verify the artifacts again",
			"status and summary contradict the verdicts", fmt.Sprintf("%s %+v", doc.Status, doc.Summary), fmt.Sprintf("%s %+v", fresh.Status, fresh.Summary))
	}
	docs.Verify = append(docs.Verify, fresh)
	return nil
}

// checkPolicy refuses a policy result that a verdict cannot carry: one
// with an unknown status, points off their scale, or a failure under a
// passing verdict (the policy's knock-outs are checks of the verdict).
func checkPolicy(i int, v policy.Verdict) *reason.Error {
	r := v.Policy
	if r == nil {
		return nil
	}
	what := fmt.Sprintf("policy result of verdict %d (%q)", i, v.Subject.Name)
	if r.Status != policy.StatusPass && r.Status != policy.StatusFail {
		return reason.Mismatch(reason.InputMalformed, readHint, what+" has an unknown status", string(r.Status), "PASS or FAIL")
	}
	if r.Status == policy.StatusFail && v.Status == policy.StatusPass {
		return reason.Mismatch(reason.ReportDocumentInconsistent, "the document was edited or written by a broken tool; verify the artifact again",
			what+" contradicts the verdict", "verdict PASS with policy FAIL", "verdict FAIL")
	}
	if p := r.Points; p != nil && (p.Maximum < 0 || p.Earned < 0 || p.Earned > p.Maximum || p.Pass < 0 || p.Pass > p.Maximum) {
		return reason.Mismatch(reason.InputMalformed, readHint, what+" has points off their scale",
			fmt.Sprintf("%d of %d, %d to pass", p.Earned, p.Maximum, p.Pass), "0 <= earned, pass <= maximum")
	}
	if len(r.Rules) > MaxEntries {
		return tooMany("policy rules", len(r.Rules))
	}
	return checkPolicyRules(i, v)
}

func checkGrade(what, g string, optional bool) *reason.Error {
	if optional && g == "" {
		return nil
	}
	if !vocab.Grade(g).Valid() {
		return reason.Mismatch(reason.InputMalformed, readHint, what+" grade out of scale", g, "A to G")
	}
	return nil
}

func checkRisk(what string, r int) *reason.Error {
	if r < 0 || r > 100 {
		return reason.Mismatch(reason.InputMalformed, readHint, what+" risk out of range", fmt.Sprint(r), "0 to 100")
	}
	return nil
}

func checkShare(what string, s float64) *reason.Error {
	if !(s >= 0 && s <= 1) {
		return reason.Mismatch(reason.InputMalformed, readHint, what+" out of range", fmt.Sprint(s), "0 to 1")
	}
	return nil
}

func checkCoverage(c Coverage) *reason.Error {
	if err := checkShare("unassessed share", c.Unassessed); err != nil {
		return err
	}
	for _, d := range c.Dimensions {
		if err := checkShare(fmt.Sprintf("coverage of %q", d.Dimension), d.Share); err != nil {
			return err
		}
	}
	return nil
}

func readLabels(data []byte, docs *Documents) *reason.Error {
	var doc LabelsDocument
	if err := decode(data, &doc); err != nil {
		return err
	}
	p := doc.Product
	if err := checkGrade("product", p.Grade, false); err != nil {
		return err
	}
	if err := checkGrade("product computed", p.ComputedGrade, true); err != nil {
		return err
	}
	if err := checkRisk("product", p.Risk); err != nil {
		return err
	}
	for g := range p.GradeCounts {
		if err := checkGrade("grade count", g, false); err != nil {
			return err
		}
	}
	if err := checkCoverage(doc.Coverage); err != nil {
		return err
	}
	n := len(doc.Components) + len(doc.Warnings) + len(doc.Coverage.Dimensions)
	for i := range doc.Components {
		c := &doc.Components[i]
		n += len(c.Labels) + len(c.Unassessed)
		if err := checkGrade(fmt.Sprintf("component %q", c.Title()), c.Grade, false); err != nil {
			return err
		}
		if err := checkRisk(fmt.Sprintf("component %q", c.Title()), c.Risk); err != nil {
			return err
		}
	}
	if n > MaxEntries {
		return tooMany("components and labels", n)
	}
	if err := checkLabelsCounts(&doc); err != nil {
		return err
	}
	docs.Labels = append(docs.Labels, doc)
	return nil
}

func readPortfolio(data []byte, docs *Documents) *reason.Error {
	var doc PortfolioDocument
	if err := decode(data, &doc); err != nil {
		return err
	}
	if n := len(doc.Products) + len(doc.Upstreams) + len(doc.Suppliers) + len(doc.Failures); n > MaxEntries {
		return tooMany("products, upstreams, suppliers and failures", n)
	}
	for _, p := range doc.Products {
		if err := checkGrade(fmt.Sprintf("product %q", p.Name), p.Grade, false); err != nil {
			return err
		}
		if err := checkGrade(fmt.Sprintf("product %q computed", p.Name), p.ComputedGrade, true); err != nil {
			return err
		}
		if err := checkRisk(fmt.Sprintf("product %q", p.Name), p.Risk); err != nil {
			return err
		}
	}
	for _, u := range doc.Upstreams {
		if err := checkShare(fmt.Sprintf("share of upstream %q", u.Upstream), u.Share); err != nil {
			return err
		}
	}
	for _, s := range doc.Suppliers {
		if err := checkShare(fmt.Sprintf("share of supplier %q", s.Supplier), s.Share); err != nil {
			return err
		}
	}
	if err := checkShare("supplier concentration (HHI)", doc.SupplierHHI); err != nil {
		return err
	}
	if err := checkHosting(doc.Hosting); err != nil {
		return err
	}
	if err := checkCoverage(doc.Coverage); err != nil {
		return err
	}
	docs.Portfolios = append(docs.Portfolios, doc)
	return nil
}

func checkRebuildStatus(what, s string) *reason.Error {
	switch s {
	case RebuildMatch, RebuildMismatch, RebuildSkip:
		return nil
	}
	return reason.Mismatch(reason.InputMalformed, readHint, what+" has an unknown rebuild status", s, "MATCH, MISMATCH or SKIP")
}

func readRebuild(data []byte, docs *Documents) *reason.Error {
	var doc RebuildDocument
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
		if r.Status == RebuildMatch && r.Reason != nil {
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
