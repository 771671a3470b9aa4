package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

func TestReadEachKind(t *testing.T) {
	docs := sampleDocuments(t)
	if len(docs.Verify) != 1 || len(docs.Rebuilds) != 1 || len(docs.Labels) != 1 || len(docs.Portfolios) != 1 {
		t.Fatalf("documents = %d verify, %d rebuild, %d labels, %d portfolio; want one each", len(docs.Verify), len(docs.Rebuilds), len(docs.Labels), len(docs.Portfolios))
	}
	want := []Input{{"verify.json", vocab.MediaTypeVerify}, {"rebuild.json", vocab.MediaTypeRebuild}, {"labels.json", vocab.MediaTypeSBOMLabels}, {"portfolio.json", vocab.MediaTypeSBOMPortfolio}}
	if !slices.Equal(docs.Inputs, want) {
		t.Errorf("inputs = %+v, want %+v", docs.Inputs, want)
	}
	l := docs.Labels[0]
	if l.Product.Grade != "G" || len(l.Components) != 12 || l.Components[0].Labels[0].Label != "anonymous-maintainer" || l.Coverage.Unassessed != 0.298 {
		t.Errorf("labels document = %+v", l.Product)
	}
	p := docs.Portfolios[0]
	if p.Totals.Products != 7 || p.Upstreams[0].Upstream != "xz" || p.Suppliers[0].Supplier != "Debian" || len(p.Failures) != 1 {
		t.Errorf("portfolio document = %+v", p.Totals)
	}
	if pol := docs.Verify[0].Verdicts[0].Policy; pol == nil || pol.Points.Earned != 82 || len(pol.Rules) != 5 {
		t.Errorf("the verdict's policy result was not kept: %+v", pol)
	}
	r := docs.Rebuilds[0]
	if len(r.Results) != 2 || r.Results[1].Reason.Code != "GO_VERSION_MISMATCH" || len(r.Modules) != 1 {
		t.Errorf("rebuild document = %+v", r)
	}
	if !slices.IsSorted(MediaTypes()) || len(MediaTypes()) != 4 {
		t.Errorf("MediaTypes() = %v", MediaTypes())
	}
}

// verifyJSON is a verify document with one passing verdict, edited by
// edit before it is read.
func verifyJSON(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	s := policy.Subject{Name: "tool", Digest: map[string]string{"sha256": strings.Repeat("a", 64)}}
	doc := NewVerifyDocument([]policy.Verdict{policy.Decide(s, []policy.Check{{ID: "signature", Status: policy.StatusPass, Required: true}})})
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, doc), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}

func editJSON(t *testing.T, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, name), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}

func verdict0(m map[string]any) map[string]any {
	return m["verdicts"].([]any)[0].(map[string]any)
}

func check0(m map[string]any) map[string]any {
	return m["verdicts"].([]any)[0].(map[string]any)["checks"].([]any)[0].(map[string]any)
}

func TestReadRejects(t *testing.T) {
	none := func(map[string]any) {}
	cases := []struct {
		name string
		data []byte
		code string
		msg  string
	}{
		{"not JSON", []byte("PASS tool\n"), reason.InputMalformed, "not a JSON object"},
		{"array", []byte(`[{"mediaType": "` + vocab.MediaTypeVerify + `"}]`), reason.InputMalformed, "not a JSON object"},
		{"trailing data", append(verifyJSON(t, none), []byte(`{}`)...), reason.InputMalformed, "not a JSON object"},
		{"no media type", []byte(`{"status": "PASS", "verdicts": []}`), reason.InputMalformed, "no mediaType"},
		{"other tool", []byte(`{"mediaType": "application/vnd.in-toto+json"}`), reason.ReportMediaTypeUnknown, "unknown media type"},
		{"newer version", []byte(`{"mediaType": "application/vnd.sovcheck.verify.v2+json"}`), reason.ReportMediaTypeUnknown, "unknown media type"},
		{"wrong field type", verifyJSON(t, func(m map[string]any) { m["verdicts"] = "PASS" }), reason.InputMalformed, "decoding"},
		{"no verdicts", verifyJSON(t, func(m map[string]any) { delete(m, "verdicts") }), reason.InputMalformed, "no verdicts list"},
		{"verdict lies", verifyJSON(t, func(m map[string]any) { check0(m)["status"] = "FAIL"; check0(m)["reason"] = "SIGNATURE_INVALID" }),
			reason.ReportDocumentInconsistent, "contradicts its checks"},
		{"unknown check status", verifyJSON(t, func(m map[string]any) { check0(m)["status"] = "OK" }), reason.ReportDocumentInconsistent, "contradicts its checks"},
		{"required skip", verifyJSON(t, func(m map[string]any) { check0(m)["status"] = "SKIP"; check0(m)["reason"] = "X" }), reason.ReportDocumentInconsistent, "contradicts"},
		{"skip without reason", verifyJSON(t, func(m map[string]any) { check0(m)["status"] = "SKIP"; check0(m)["required"] = false }), reason.InputMalformed, "SKIP without a reason"},
		{"pass with a reason code", verifyJSON(t, func(m map[string]any) { check0(m)["reason"] = "SIGNATURE_INVALID" }), reason.ReportDocumentInconsistent, "passed with a reason code"},
		{"verdict reason", verifyJSON(t, func(m map[string]any) { verdict0(m)["reason"] = "MADE_UP" }), reason.ReportDocumentInconsistent, "names another reason"},
		{"fail without reason", verifyJSON(t, func(m map[string]any) {
			check0(m)["status"] = "FAIL"
			verdict0(m)["status"] = "FAIL"
			m["status"] = "FAIL"
		}), reason.InputMalformed, "FAIL without a reason code"},
		{"policy rule passes with a reason", verifyJSON(t, func(m map[string]any) {
			verdict0(m)["policy"] = map[string]any{"status": "PASS", "rules": []any{map[string]any{"id": "r", "action": "fail", "status": "PASS", "reason": "POLICY_RULE_FAILED"}}}
		}), reason.ReportDocumentInconsistent, "passed with a reason code"},
		{"policy status contradicts its rules", verifyJSON(t, func(m map[string]any) {
			verdict0(m)["policy"] = map[string]any{"status": "PASS", "rules": []any{map[string]any{"id": "r", "action": "fail", "status": "FAIL", "reason": "POLICY_RULE_FAILED"}}}
		}), reason.ReportDocumentInconsistent, "contradicts its rules"},
		{"policy checks missing", verifyJSON(t, func(m map[string]any) {
			verdict0(m)["policy"] = map[string]any{"status": "PASS", "rules": []any{map[string]any{"id": "r", "action": "fail", "status": "PASS"}}}
		}), reason.ReportDocumentInconsistent, "does not match the verdict's policy checks"},
		{"points do not add up", verifyJSON(t, func(m map[string]any) {
			verdict0(m)["policy"] = map[string]any{"status": "PASS", "points": map[string]any{"earned": 90, "maximum": 100, "pass": 50},
				"rules": []any{map[string]any{"id": "p", "action": "penalize", "status": "FAIL", "reason": "POLICY_PENALTY", "pointsLost": 30}}}
		}), reason.ReportDocumentInconsistent, "points that do not add up"},
		{"status lies", verifyJSON(t, func(m map[string]any) { m["status"] = "FAIL" }), reason.ReportDocumentInconsistent, "status and summary"},
		{"summary lies", verifyJSON(t, func(m map[string]any) { m["summary"].(map[string]any)["failed"] = 3 }), reason.ReportDocumentInconsistent, "status and summary"},
		{"policy status", verifyJSON(t, func(m map[string]any) { verdict0(m)["policy"] = map[string]any{"status": "MAYBE"} }), reason.InputMalformed, "unknown status"},
		{"policy fails under a pass", verifyJSON(t, func(m map[string]any) { verdict0(m)["policy"] = map[string]any{"status": "FAIL"} }),
			reason.ReportDocumentInconsistent, "contradicts the verdict"},
		{"points off scale", verifyJSON(t, func(m map[string]any) {
			verdict0(m)["policy"] = map[string]any{"status": "PASS", "points": map[string]any{"earned": 120, "maximum": 100, "pass": 70}}
		}), reason.InputMalformed, "points off their scale"},
		{"grade off scale", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["grade"] = "H" }), reason.InputMalformed, "grade out of scale"},
		{"component grade", editJSON(t, "labels.json", func(m map[string]any) { m["components"].([]any)[3].(map[string]any)["grade"] = "<b>" }), reason.InputMalformed, "grade out of scale"},
		{"grade count", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["gradeCounts"].(map[string]any)["Z"] = 1 }), reason.InputMalformed, "grade out of scale"},
		{"component count", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["components"] = 11 }), reason.ReportDocumentInconsistent, "another number of components"},
		{"grade counts", editJSON(t, "labels.json", func(m map[string]any) {
			gc := m["product"].(map[string]any)["gradeCounts"].(map[string]any)
			gc["G"], gc["A"] = 0, 7
		}), reason.ReportDocumentInconsistent, "graded A"},
		{"component flipped to A", editJSON(t, "labels.json", func(m map[string]any) { m["components"].([]any)[0].(map[string]any)["grade"] = "A" }),
			reason.ReportDocumentInconsistent, "graded"},
		{"product risk", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["risk"] = 1 }), reason.ReportDocumentInconsistent, "riskiest component"},
		{"product graded better", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["grade"] = "A" }), reason.ReportDocumentInconsistent, "better than its risk"},
		{"risk", editJSON(t, "labels.json", func(m map[string]any) { m["product"].(map[string]any)["risk"] = 101 }), reason.InputMalformed, "risk out of range"},
		{"coverage", editJSON(t, "labels.json", func(m map[string]any) { m["coverage"].(map[string]any)["unassessed"] = -0.5 }), reason.InputMalformed, "out of range"},
		{"portfolio grade", editJSON(t, "portfolio.json", func(m map[string]any) { m["products"].([]any)[0].(map[string]any)["grade"] = "" }), reason.InputMalformed, "grade out of scale"},
		{"portfolio share", editJSON(t, "portfolio.json", func(m map[string]any) { m["upstreams"].([]any)[0].(map[string]any)["share"] = 2 }), reason.InputMalformed, "out of range"},
		{"supplier share", editJSON(t, "portfolio.json", func(m map[string]any) { m["suppliers"].([]any)[0].(map[string]any)["share"] = 1.5 }), reason.InputMalformed, "out of range"},
		{"HHI", editJSON(t, "portfolio.json", func(m map[string]any) { m["supplierHHI"] = 7 }), reason.InputMalformed, "HHI"},
		{"rebuild status", editJSON(t, "rebuild.json", func(m map[string]any) { m["results"].([]any)[0].(map[string]any)["status"] = "PASS" }), reason.InputMalformed, "unknown rebuild status"},
		{"module status", editJSON(t, "rebuild.json", func(m map[string]any) { m["modules"].([]any)[0].(map[string]any)["status"] = "" }), reason.InputMalformed, "unknown rebuild status"},
		{"match with reason", editJSON(t, "rebuild.json", func(m map[string]any) {
			m["results"].([]any)[0].(map[string]any)["reason"] = map[string]any{"code": "DIGEST_MISMATCH"}
		}), reason.ReportDocumentInconsistent, "MATCH with a failure reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := sampleDocuments(t)
			before := len(docs.Inputs)
			err := ReadDocument("in.json", c.data, docs)
			var re *reason.Error
			if !errors.As(err, &re) || re.Code != c.code || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), `reading "in.json"`) || re.Hint == "" {
				t.Fatalf("error = %v (%#v), want code %s with %q, the file name and a hint", err, re, c.code, c.msg)
			}
			if len(docs.Inputs) != before || len(docs.Verify) != 1 || len(docs.Labels) != 1 || len(docs.Portfolios) != 1 || len(docs.Rebuilds) != 1 {
				t.Fatal("a document that failed to read was added")
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	big := io.MultiReader(strings.NewReader(`{"mediaType": "`+vocab.MediaTypeVerify+`", "x": "`), bytes.NewReader(make([]byte, MaxDocumentBytes)))
	err := Read("big.json", big, &Documents{})
	var re *reason.Error
	if !errors.As(err, &re) || re.Code != reason.InputTooLarge {
		t.Errorf("oversized document: %v", err)
	}
	docs := &Documents{Inputs: make([]Input, MaxDocuments)}
	err = ReadDocument("one-too-many.json", verifyJSON(t, func(map[string]any) {}), docs)
	if !errors.As(err, &re) || re.Code != reason.InputTooLarge || len(docs.Verify) != 0 {
		t.Errorf("document past MaxDocuments: %v", err)
	}
	comps := make([]any, MaxEntries+1)
	for i := range comps {
		comps[i] = map[string]any{"name": "c", "grade": "A"}
	}
	many := editJSON(t, "labels.json", func(m map[string]any) { m["components"] = comps })
	if err := ReadDocument("many.json", many, &Documents{}); !errors.As(err, &re) || re.Code != reason.InputTooLarge {
		t.Errorf("document past MaxEntries: %v", err)
	}
	failing := iotest.ErrReader(errors.New("disk on fire"))
	if err := Read("broken.json", failing, &Documents{}); !errors.As(err, &re) || re.Code != reason.InputUnreadable {
		t.Errorf("unreadable input: %v", err)
	}
}

// TestReadDecidesAgain: a verdict is rendered as policy.Decide gives it;
// the document as written must agree.
func TestReadDecidesAgain(t *testing.T) {
	docs := &Documents{}
	if err := ReadDocument("v.json", verifyJSON(t, func(map[string]any) {}), docs); err != nil {
		t.Fatal(err)
	}
	if v := docs.Verify[0].Verdicts[0]; v.Status != policy.StatusPass || v.Reason != "" {
		t.Errorf("verdict = %s %q, want PASS without a reason", v.Status, v.Reason)
	}
}

// TestReadSampleRoundTrip: the document verify writes, with a policy
// result, reads back whole: the consistency checks refuse only what
// sovcheck never writes.
func TestReadSampleRoundTrip(t *testing.T) {
	src := sampleDocuments(t)
	for i, d := range src.Verify {
		if err := ReadDocument(fmt.Sprintf("v%d.json", i), mustJSON(t, d), &Documents{}); err != nil {
			t.Fatalf("verify document %d: %v", i, err)
		}
	}
}
