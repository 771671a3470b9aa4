package verify

import (
	"testing"

	"github.com/sovcheck/sovcheck/policy"
)

func TestFacts(t *testing.T) {
	subject := func(d string) policy.Subject { return policy.Subject{Name: d, Digest: map[string]string{"sha256": d}} }
	check := func(id string, st policy.Status) policy.Check { return policy.Check{ID: id, Status: st, Reason: "X"} }
	verdicts := []policy.Verdict{
		{Subject: subject("bb"), Checks: []policy.Check{check("signature", policy.StatusFail), check("signature", policy.StatusPass),
			check("provenance.source-tag", policy.StatusPass), check("provenance.source-uri", policy.StatusFail), check(CheckRebuild, policy.StatusPass)}},
		{Subject: subject("aa"), Checks: []policy.Check{check("signature", policy.StatusFail), check(CheckRebuild, policy.StatusSkip)}},
		{Subject: subject("cc"), Checks: []policy.Check{check("layout", policy.StatusPass)}},
		{Subject: policy.Subject{Name: "no digest"}, Checks: []policy.Check{check("signature", policy.StatusPass)}},
	}
	doc := Facts(verdicts)
	if len(doc.Components) != 2 {
		t.Fatalf("got %d facts, want 2 (nothing for unchecked or digest-less subjects): %+v", len(doc.Components), doc.Components)
	}
	a, b := doc.Components[0], doc.Components[1]
	if a.SHA256 != "aa" || a.Signed == nil || *a.Signed || a.Provenance != nil || a.Reproducible != nil {
		t.Errorf("aa = %+v: want signed false, provenance and reproducible unstated (rebuild skipped)", a)
	}
	if b.SHA256 != "bb" || !*b.Signed || *b.Provenance || !*b.Reproducible {
		t.Errorf("bb = %+v: want signed (one signature passed), no provenance (a constraint failed), reproducible", b)
	}
}
