package report

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// inconsistentHint is the hint of every REPORT_DOCUMENT_INCONSISTENT.
const inconsistentHint = "the document was edited or written by a broken tool; verify the artifact again"

// labelsInconsistentHint is the hint of a labels document that
// contradicts itself.
const labelsInconsistentHint = "the document was edited or written by a broken tool; run sovcheck sbom labels on the SBOM again"

func inconsistent(what, got, want string) *reason.Error {
	return reason.Mismatch(reason.ReportDocumentInconsistent, inconsistentHint, what, got, want)
}

// checkChecks refuses checks whose reason codes contradict their status:
// a PASS carries no reason code (a check flipped to PASS that still
// carries its failure's code is an edited document), and a FAIL or SKIP
// always carries one. An unknown status is left to checkDecided.
func checkChecks(i int, v policy.Verdict) *reason.Error {
	for j, c := range v.Checks {
		what := fmt.Sprintf("check %d (%q) of verdict %d (%q)", j, c.ID, i, v.Subject.Name)
		switch c.Status {
		case policy.StatusPass:
			if c.Reason != "" {
				return inconsistent(what+" passed with a reason code", "PASS ["+c.Reason+"]", "PASS without a reason code, or FAIL ["+c.Reason+"]")
			}
		case policy.StatusFail, policy.StatusSkip:
			if c.Reason == "" {
				return malformed("%s is %s without a reason code", what, c.Status)
			}
		}
	}
	return nil
}

// checkDecided compares the verdict as written with the verdict decided
// again from its checks: status, reason, and each check's status (a
// required check written as SKIP is decided a FAIL).
func checkDecided(i int, v, d policy.Verdict) *reason.Error {
	what := fmt.Sprintf("verdict %d (%q)", i, v.Subject.Name)
	if d.Status != v.Status {
		return inconsistent(what+" contradicts its checks", string(v.Status), string(d.Status))
	}
	if d.Reason != v.Reason {
		return inconsistent(what+" names another reason than its checks", orNone(v.Reason), orNone(d.Reason))
	}
	for j := range d.Checks {
		if d.Checks[j].Status != v.Checks[j].Status {
			return inconsistent(fmt.Sprintf("check %d (%q) of %s contradicts the verdict model", j, v.Checks[j].ID, what),
				string(v.Checks[j].Status), string(d.Checks[j].Status))
		}
	}
	return nil
}

// checkPolicyRules refuses a policy result whose status or reason is not
// the one its rules give, a rule that passed with a reason code, and a
// verdict whose policy checks are not the ones the result yields.
func checkPolicyRules(i int, v policy.Verdict) *reason.Error {
	r := v.Policy
	what := fmt.Sprintf("policy result of verdict %d (%q)", i, v.Subject.Name)
	status, why := policy.StatusPass, ""
	for _, rr := range r.Rules {
		rw := fmt.Sprintf("rule %q of the %s", rr.ID, what)
		switch rr.Status {
		case policy.RulePass:
			if rr.Reason != "" {
				return inconsistent(rw+" passed with a reason code", "PASS ["+rr.Reason+"]", "PASS without a reason code")
			}
		case policy.RuleFail, policy.RuleWaived, policy.RuleSkip:
			if rr.Reason == "" {
				return malformed("%s is %s without a reason code", rw, rr.Status)
			}
		default:
			return reason.Mismatch(reason.InputMalformed, readHint, rw+" has an unknown status", string(rr.Status), "PASS, FAIL, WAIVED or SKIP")
		}
		if rr.Action == policy.ActionFail && rr.Status == policy.RuleFail && status == policy.StatusPass {
			status, why = policy.StatusFail, rr.Reason
		}
	}
	if p := r.Points; p != nil {
		lost := 0
		for _, rr := range r.Rules {
			lost += rr.PointsLost
		}
		if want := max(p.Maximum-lost, 0); p.Earned != want {
			return inconsistent(what+" has points that do not add up", fmt.Sprintf("%d earned", p.Earned),
				fmt.Sprintf("%d (%d maximum, %d lost by its rules)", want, p.Maximum, lost))
		}
	}
	if r.Status != status || r.Reason != why {
		return inconsistent(what+" contradicts its rules", fmt.Sprintf("%s %s", r.Status, orNone(r.Reason)), fmt.Sprintf("%s %s", status, orNone(why)))
	}
	var written []policy.Check
	for _, c := range v.Checks {
		if strings.HasPrefix(c.ID, vocab.CheckPolicyPrefix) {
			written = append(written, c)
		}
	}
	want := r.Checks()
	if len(written) != len(want) {
		return inconsistent(what+" does not match the verdict's policy checks", fmt.Sprintf("%d policy checks", len(written)), fmt.Sprintf("%d, one per rule", len(want)))
	}
	for j, c := range want {
		w := written[j]
		if w.ID != c.ID || w.Status != c.Status || w.Reason != c.Reason {
			return inconsistent(what+" does not match the verdict's policy checks",
				fmt.Sprintf("%s %s %s", w.ID, w.Status, orNone(w.Reason)), fmt.Sprintf("%s %s %s", c.ID, c.Status, orNone(c.Reason)))
		}
	}
	return nil
}

// checkLabelsCounts refuses a labels document whose product summary is not
// the one its components give: their number, the count of each grade, the
// product's risk (its riskiest component's) and a grade better than the
// grade its risk computes (caps only make a grade worse).
func checkLabelsCounts(doc *LabelsDocument) *reason.Error {
	p := &doc.Product
	what := fmt.Sprintf("product %q", p.Name)
	if p.Components != len(doc.Components) {
		return reason.Mismatch(reason.ReportDocumentInconsistent, labelsInconsistentHint, what+" counts another number of components than it lists", fmt.Sprint(p.Components), fmt.Sprint(len(doc.Components)))
	}
	counts := map[string]int{}
	risk := 0
	for _, c := range doc.Components {
		counts[c.Grade]++
		risk = max(risk, c.Risk)
	}
	for _, g := range vocab.GradeNames() {
		if p.GradeCounts[g] != counts[g] {
			return reason.Mismatch(reason.ReportDocumentInconsistent, labelsInconsistentHint, fmt.Sprintf("%s counts another number of components graded %s than it lists", what, g),
				fmt.Sprint(p.GradeCounts[g]), fmt.Sprint(counts[g]))
		}
	}
	if len(doc.Components) > 0 && p.Risk != risk {
		return reason.Mismatch(reason.ReportDocumentInconsistent, labelsInconsistentHint, what+" has another risk than its riskiest component", fmt.Sprint(p.Risk), fmt.Sprint(risk))
	}
	if p.ComputedGrade != "" && vocab.GradeRank(p.Grade) < vocab.GradeRank(p.ComputedGrade) {
		return reason.Mismatch(reason.ReportDocumentInconsistent, labelsInconsistentHint, what+" is graded better than its risk computes", p.Grade, p.ComputedGrade+" or worse")
	}
	return nil
}
