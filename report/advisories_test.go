package report

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// TestVerifyAdvisoriesAsOf: the as-of of the advisory data a verdict's
// check read survives the JSON a report reads and is shown by SARIF (run
// property) and JUnit (the artifact suite's property); a verdict whose
// checks read no advisories names no date.
func TestVerifyAdvisoriesAsOf(t *testing.T) {
	subject := policy.Subject{Name: "tool", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}
	for _, tc := range []struct {
		name, asOf string
	}{{"with advisories", "2024-05-01T12:00:00Z"}, {"without advisories", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			v := policy.Decide(subject, []policy.Check{
				{ID: vocab.CheckSignature, Subject: subject, Status: policy.StatusPass, Required: true},
				{ID: vocab.CheckSBOMAssessed, Subject: subject, Status: policy.StatusPass, Message: "SBOM assessed", AdvisoriesAsOf: tc.asOf},
			})
			docs := &Documents{}
			if err := ReadDocument("verify.json", mustJSON(t, NewVerifyDocument([]policy.Verdict{v})), docs); err != nil {
				t.Fatal(err)
			}
			for format, want := range map[string]string{
				"sarif": "\"advisoriesAsOf\": [\n          \"" + tc.asOf + "\"\n        ]",
				"junit": `<property name="advisoriesAsOf" value="` + tc.asOf + `"></property>`,
			} {
				var out strings.Builder
				if err := RenderDocuments(&out, format, docs, Options{}); err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(out.String(), want); got != (tc.asOf != "") {
					t.Errorf("%s shows %q: %v, want %v:\n%s", format, want, got, tc.asOf != "", out.String())
				}
				if tc.asOf == "" && strings.Contains(out.String(), "advisoriesAsOf") {
					t.Errorf("%s names an advisory date without advisories:\n%s", format, out.String())
				}
			}
		})
	}
}
