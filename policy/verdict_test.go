package policy

import (
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestDecide(t *testing.T) {
	subject := Subject{Name: "a"}
	pass := Check{ID: "signature", Status: StatusPass, Required: true}
	for _, tc := range []struct {
		name       string
		checks     []Check
		want       Status
		wantReason string
	}{
		{"one pass", []Check{pass}, StatusPass, ""},
		{"no checks", nil, StatusFail, reason.NoChecks},
		{"only optional skips", []Check{{ID: "x", Status: StatusSkip, Reason: "NOT_ASKED"}}, StatusFail, reason.NoChecks},
		{"pass and optional skip", []Check{pass, {ID: "x", Status: StatusSkip, Reason: "NOT_ASKED"}}, StatusPass, ""},
		{"required skip", []Check{pass, {ID: "rebuild", Status: StatusSkip, Required: true, Reason: "TOOLCHAIN_UNAVAILABLE"}}, StatusFail, "TOOLCHAIN_UNAVAILABLE"},
		{"required skip without reason", []Check{pass, {ID: "rebuild", Status: StatusSkip, Required: true}}, StatusFail, reason.RequiredSkipped},
		{"optional fail", []Check{pass, {ID: "x", Status: StatusFail, Reason: "X"}}, StatusFail, "X"},
		{"zero status", []Check{pass, {ID: "x"}}, StatusFail, reason.StatusUnknown},
		{"unknown status", []Check{pass, {ID: "x", Status: "OK"}}, StatusFail, reason.StatusUnknown},
		{"fail without reason", []Check{pass, {ID: "x", Status: StatusFail}}, StatusFail, reason.InternalError},
		{"first failure named", []Check{{ID: "a", Status: StatusFail, Reason: "A"}, {ID: "b", Status: StatusFail, Reason: "B"}}, StatusFail, "A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Decide(subject, tc.checks)
			if v.Status != tc.want || v.Reason != tc.wantReason {
				t.Fatalf("Decide = %s %q, want %s %q", v.Status, v.Reason, tc.want, tc.wantReason)
			}
			if len(v.Checks) != len(tc.checks) {
				t.Fatalf("got %d checks, want %d", len(v.Checks), len(tc.checks))
			}
			for _, c := range v.Checks {
				if !c.Status.Known() {
					t.Fatalf("check %s kept unknown status %q", c.ID, c.Status)
				}
			}
		})
	}
}

func TestAllPassed(t *testing.T) {
	p := Verdict{Status: StatusPass}
	f := Verdict{Status: StatusFail}
	if AllPassed(nil) {
		t.Error("no verdicts passed")
	}
	if !AllPassed([]Verdict{p, p}) {
		t.Error("all passing verdicts failed")
	}
	if AllPassed([]Verdict{p, f}) {
		t.Error("a failing verdict passed")
	}
	if AllPassed([]Verdict{{}}) {
		t.Error("a zero verdict passed")
	}
}
