package verify

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

// TestRebuildCausesNamedOnce: two build settings that differ for the same
// reason name their code once in the check's message; a second code is
// still named (the twin).
func TestRebuildCausesNamedOnce(t *testing.T) {
	res := &rebuild.Result{Status: rebuild.StatusMismatch,
		Reason: &reason.Error{Code: reason.DigestMismatch, Msg: "rebuilt bytes differ"},
		Causes: []rebuild.Cause{{Code: reason.BuildSettingMismatch}, {Code: reason.BuildSettingMismatch}, {Code: reason.GoVersionMismatch}}}
	checks := rebuildResultChecks(policy.Subject{}, res, "")
	if len(checks) == 0 {
		t.Fatal("no check")
	}
	msg := checks[0].Message
	if !strings.HasSuffix(msg, "(causes: BUILD_SETTING_MISMATCH, GO_VERSION_MISMATCH)") {
		t.Errorf("message %q, want each cause code once", msg)
	}
}
