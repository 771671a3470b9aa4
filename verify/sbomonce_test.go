package verify

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// TestSBOMAssessedOnce: each SBOM of an artifact is assessed once. Under a
// policy the policy's assessment (its scoring and data) is the one, and
// the sbom.labels check of an attested SBOM reports it; without a policy
// the label check assesses with the default scoring and no data.
func TestSBOMAssessedOnce(t *testing.T) {
	var mu sync.Mutex
	assessed := map[*sbom.Graph]int{}
	defer func(a func(*sbom.Assessor, *sbom.Graph) *sbom.Report) { assessSBOM = a }(assessSBOM)
	assessSBOM = func(a *sbom.Assessor, g *sbom.Graph) *sbom.Report {
		mu.Lock()
		assessed[g]++
		mu.Unlock()
		return a.Assess(g)
	}

	dir := t.TempDir()
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	rootPath := writeFile(t, filepath.Join(dir, "trusted_root.json"), string(root))
	sign := func(name string, withSBOM bool) string {
		art := writeFile(t, filepath.Join(dir, name, "tool"), "tool 1.0.0")
		var b []byte
		var err error
		if withSBOM {
			st, serr := sigstoretest.Statement(map[string]string{"tool": sha256Hex([]byte("tool 1.0.0"))}, vocab.PredicateCycloneDX, json.RawMessage(sbomOf(t, art)))
			if serr != nil {
				t.Fatal(serr)
			}
			b, err = ca.SignDSSE(st, sigstoretest.SignOptions{Identity: benchIdentity, Issuer: benchIssuer})
		} else {
			b, err = ca.SignBlob([]byte("tool 1.0.0"), sigstoretest.SignOptions{Identity: benchIdentity, Issuer: benchIssuer})
			writeFile(t, art+".cdx.json", sbomOf(t, art))
		}
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, art+".sigstore.json", string(b))
		return art
	}
	attested, beside := sign("attested", true), sign("beside", false)
	p, data, err := LoadPolicy(writeDataPolicy(t, dir), testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Subject: benchIdentity, Issuer: benchIssuer}
	withPolicy := WithPolicy(PolicyOptions{Policy: p, Data: data, Now: func() time.Time { return testNow }})

	for _, tc := range []struct {
		name   string
		art    string
		policy bool
		checks []string // the checks that report the one assessment
	}{
		{"attested, without a policy", attested, false, []string{vocab.CheckSBOMLabels}},
		{"attested, under a policy", attested, true, []string{vocab.CheckSBOMLabels, vocab.CheckSBOMAssessed}},
		{"beside, under a policy", beside, true, []string{vocab.CheckSBOMAssessed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(assessed)
			opts := []Option{WithTrustedRoot(rootPath), WithIdentity(id)}
			if tc.policy {
				opts = append(opts, withPolicy)
			}
			r, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			outs, err := r.VerifyOutcomes(context.Background(), []string{tc.art})
			if err != nil {
				t.Fatal(err)
			}
			if len(assessed) != 1 {
				t.Fatalf("%d SBOMs assessed, want 1", len(assessed))
			}
			for _, n := range assessed {
				if n != 1 {
					t.Fatalf("the SBOM was assessed %d times, want once", n)
				}
			}
			byID := map[string]policy.Check{}
			for _, c := range outs[0].Verdict.Checks {
				byID[c.ID] = c
			}
			for _, id := range tc.checks {
				if c, ok := byID[id]; !ok || c.Status != policy.StatusPass {
					t.Fatalf("checks %+v: want %s passed", outs[0].Verdict.Checks, id)
				}
				// The grade is a field of the check, for a report to
				// show beside the verdict.
				if g := byID[id].Grade; vocab.GradeRank(g) < 0 {
					t.Errorf("check %s carries grade %q, want A to G", id, g)
				}
			}
			if !tc.policy {
				return
			}
			// The policy's data (advisories, KEV) grade the SBOM; the
			// default assessment, without data, grades it otherwise.
			grade := outs[0].Facts.SBOM.ProductGrade
			def, err := sbom.NewAssessor()
			if err != nil {
				t.Fatal(err)
			}
			g, err := sbom.Read(strings.NewReader(sbomOf(t, tc.art)), "tool.cdx.json")
			if err != nil {
				t.Fatal(err)
			}
			if dg := string(def.Assess(g).Product.Grade); dg == grade {
				t.Fatalf("the policy's data grade the SBOM %s, as the default assessment does: the test cannot tell them apart", grade)
			}
			for _, id := range tc.checks {
				if msg := byID[id].Message; !strings.Contains(msg, "product grade "+grade+",") {
					t.Errorf("%s: %q, want the policy's grade %s", id, msg, grade)
				}
			}
		})
	}
}
