package report

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

func TestWriteGateText(t *testing.T) {
	g := &policy.GateResult{Input: "go.sum", Policy: "ci", PolicySHA256: "abc", Dependencies: 3,
		Uncertified: []policy.GateFinding{{Dependency: "pkg:golang/example.com/b@v1.0.0", Location: "go.sum:3",
			Certification: policy.Certification{Reason: reason.PolicyUncertified, Message: "not on the list", Hint: "certify it"}}},
		Rejected: []policy.Check{{Evidence: "b.vsa.json", Reason: reason.SignatureInvalid, Message: "changed", Hint: "ask again"}},
		Unused:   []policy.Check{{Evidence: "c.vsa.json", Reason: reason.KeyMismatch, Message: "not trusted"}},
	}
	var out strings.Builder
	if err := WriteGateText(&out, g); err != nil {
		t.Fatal(err)
	}
	want := "UNCERTIFIED pkg:golang/example.com/b@v1.0.0 (go.sum:3) [POLICY_UNCERTIFIED]: not on the list; fix: certify it\n" +
		"REJECTED b.vsa.json [SIGNATURE_INVALID]: changed; fix: ask again\n" +
		"UNUSED c.vsa.json [KEY_MISMATCH]: not trusted\n" +
		"FAIL: 2 of 3 dependencies of go.sum certified under policy ci (sha256 abc); 1 VSA rejected\n"
	if out.String() != want {
		t.Fatalf("text:\n%s\nwant:\n%s", out.String(), want)
	}
	if g.Passed() {
		t.Fatal("a gate with an uncertified dependency passed")
	}
	g.Uncertified, g.Rejected = nil, nil
	out.Reset()
	if err := WriteGateText(&out, g); err != nil {
		t.Fatal(err)
	}
	if !g.Passed() || !strings.HasPrefix(out.String(), "UNUSED") || !strings.Contains(out.String(), "PASS: 3 of 3 dependencies") {
		t.Fatalf("passing gate:\n%s", out.String())
	}
}
