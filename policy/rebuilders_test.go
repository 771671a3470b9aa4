package policy

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

const (
	keyA = "a000000000000000000000000000000000000000000000000000000000000000"
	keyB = "b000000000000000000000000000000000000000000000000000000000000000"
	keyC = "c000000000000000000000000000000000000000000000000000000000000000"
	keyD = "d000000000000000000000000000000000000000000000000000000000000000"
)

func rebuildersPolicy(t *testing.T, rebuild string) *Policy {
	t.Helper()
	return mustLoad(t, `artifacts:
  - match: ["*"]
    rebuild:
`+rebuild+`
      rebuilders:
        - {name: alpha, operator: Alpha GmbH, jurisdiction: DE, key: "sha256:`+keyA+`"}
        - {name: beta, operator: Beta SA, jurisdiction: FR, key: "sha256:`+keyB+`"}
        - {name: gamma, operator: Alpha GmbH, jurisdiction: SE, key: "sha256:`+keyC+`"}
        - {name: delta, operator: Delta AB, jurisdiction: fr, key: "sha256:`+keyD+`"}
`)
}

func agreeing(key string) RebuildAttestation {
	return RebuildAttestation{KeyID: key, Format: "sovcheck rebuild/v1", Artifact: "tool-linux-amd64", Source: "github.com/acme/tool@0123",
		Recipe: "go", Upstream: testArtifactSHA, Rebuilt: testArtifactSHA, Equal: true, Evidence: key[:1] + ".json"}
}

func ruleOf(t *testing.T, p *Policy, f *Facts) RuleResult {
	t.Helper()
	rr, ok := Evaluate(p, f, testNow).Rule(RuleRebuildIndependent)
	if !ok {
		t.Fatal("no rule " + RuleRebuildIndependent)
	}
	return rr
}

func TestIndependentRebuilds(t *testing.T) {
	other := strings.Repeat("e", 64)
	for _, tc := range []struct {
		name     string
		rebuild  string
		rebuilds []RebuildAttestation
		local    Rebuild
		reason   string // "" passes
		msg      string
	}{
		{name: "two of distinct operators", rebuild: "      independent: 2\n      distinctOperators: true", rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyB)},
			msg: "2 independent parties (distinct operators) attest"},
		{name: "same operator twice", rebuild: "      independent: 2\n      distinctOperators: true", rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyC)},
			reason: reason.RebuildQuorumNotMet, msg: "1 independent party (distinct operators) attest"},
		{name: "same operator twice, operators need not differ", rebuild: "      independent: 2", rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyC)}},
		{name: "same jurisdiction twice (case apart)", rebuild: "      independent: 2\n      distinctJurisdictions: true", rebuilds: []RebuildAttestation{agreeing(keyB), agreeing(keyD)},
			reason: reason.RebuildQuorumNotMet},
		// alpha/DE, gamma/SE share an operator; beta/FR, delta/FR share a
		// jurisdiction: the most with both distinct is 2, whichever order.
		{name: "matching operators to jurisdictions", rebuild: "      independent: 2\n      distinctOperators: true\n      distinctJurisdictions: true",
			rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyC), agreeing(keyB), agreeing(keyD)}},
		{name: "matching cannot reach 3", rebuild: "      independent: 3\n      distinctOperators: true\n      distinctJurisdictions: true",
			rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyC), agreeing(keyB), agreeing(keyD)}, reason: reason.RebuildQuorumNotMet},
		{name: "one party counted once", rebuild: "      independent: 2", rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyA)}, reason: reason.RebuildQuorumNotMet},
		{name: "local rebuild counts as one party", rebuild: "      independent: 2", rebuilds: []RebuildAttestation{agreeing(keyA)},
			local: Rebuild{Status: RebuildMatch, Evidence: "local"}, msg: "local rebuild (the user, jurisdiction unknown) bit for bit"},
		{name: "local rebuild of unknown jurisdiction counts for none", rebuild: "      independent: 2\n      distinctJurisdictions: true", rebuilds: []RebuildAttestation{agreeing(keyA)},
			local: Rebuild{Status: RebuildMatch}, reason: reason.RebuildQuorumNotMet},
		{name: "local rebuild named by the policy", rebuild: "      independent: 2\n      distinctJurisdictions: true\n      self: {operator: Buyer Ltd, jurisdiction: IE}",
			rebuilds: []RebuildAttestation{agreeing(keyA)}, local: Rebuild{Status: RebuildMatch}, msg: "local rebuild (Buyer Ltd, IE) bit for bit"},
		{name: "local rebuild equivalent after a normalisation", rebuild: "      independent: 2\n      normalisations: [vcs-stamp]", rebuilds: []RebuildAttestation{agreeing(keyA)},
			local: Rebuild{Status: RebuildMismatch, Causes: []string{reason.VCSStampMismatch}, Rebuilt: other}, msg: "after vcs-stamp"},
		{name: "local rebuild dissents", rebuild: "      independent: 1", rebuilds: []RebuildAttestation{agreeing(keyA)},
			local: Rebuild{Status: RebuildMismatch, Causes: []string{reason.LdflagsMismatch}, Rebuilt: other}, reason: reason.RebuildDisagreement,
			msg: "local rebuild (the user, jurisdiction unknown) attests sha256:" + other + " and differs: LDFLAGS_MISMATCH, but alpha"},
		{name: "dissent whatever the quorum", rebuild: "      independent: 1",
			rebuilds: []RebuildAttestation{agreeing(keyA), agreeing(keyB), func() RebuildAttestation { a := agreeing(keyC); a.Rebuilt, a.Equal = other, false; return a }()},
			reason:   reason.RebuildDisagreement, msg: "gamma (Alpha GmbH, SE) attests sha256:" + other},
		{name: "split view: same source and recipe, other bytes", rebuild: "      independent: 1",
			rebuilds: []RebuildAttestation{agreeing(keyA), func() RebuildAttestation { a := agreeing(keyB); a.Upstream, a.Rebuilt = other, other; return a }()},
			reason:   reason.RebuildDisagreement, msg: "beta (Beta SA, FR) attests sha256:" + other},
		{name: "another artifact counts for nothing", rebuild: "      independent: 1",
			rebuilds: []RebuildAttestation{func() RebuildAttestation {
				a := agreeing(keyB)
				a.Source, a.Upstream, a.Rebuilt = "other", other, other
				return a
			}()},
			reason: reason.RebuildQuorumNotMet},
		{name: "equivalence under a normalisation not allowed", rebuild: "      independent: 1",
			rebuilds: []RebuildAttestation{func() RebuildAttestation {
				a := agreeing(keyB)
				a.Rebuilt, a.Normalisation = other, "oss-rebuild-stabilize"
				return a
			}()}, reason: reason.RebuildQuorumNotMet},
		{name: "equivalence under an allowed normalisation", rebuild: "      independent: 1\n      normalisations: [oss-rebuild-stabilize]",
			rebuilds: []RebuildAttestation{func() RebuildAttestation {
				a := agreeing(keyB)
				a.Rebuilt, a.Normalisation = other, "oss-rebuild-stabilize"
				return a
			}()}, msg: "beta (Beta SA, FR) after oss-rebuild-stabilize"},
		{name: "a key the section does not name", rebuild: "      independent: 1",
			rebuilds: []RebuildAttestation{agreeing(strings.Repeat("f", 64))}, reason: reason.RebuildQuorumNotMet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rebuildersPolicy(t, tc.rebuild)
			f := goodFacts()
			f.Rebuild, f.Rebuilds = tc.local, tc.rebuilds
			rr := ruleOf(t, p, f)
			if tc.reason == "" && rr.Status != RulePass || tc.reason != "" && (rr.Status != RuleFail || rr.Reason != tc.reason) {
				t.Fatalf("got %s %s: %s", rr.Status, rr.Reason, rr.Message)
			}
			if !strings.Contains(rr.Message, tc.msg) {
				t.Fatalf("message %q does not say %q", rr.Message, tc.msg)
			}
		})
	}
}

func TestRebuildersInvalid(t *testing.T) {
	for _, tc := range []struct{ name, rebuild, want string }{
		{"never met", "      independent: 3\n      rebuilders:\n        - {name: a, operator: A, jurisdiction: DE, key: \"sha256:" + keyA + "\"}", "can never be met"},
		{"rebuilders without independent", "      required: match\n      rebuilders:\n        - {name: a, operator: A, jurisdiction: DE, key: \"sha256:" + keyA + "\"}", `missing required field "independent"`},
		{"no jurisdiction", "      independent: 1\n      rebuilders:\n        - {name: a, operator: A, key: \"sha256:" + keyA + "\"}", `missing required field "jurisdiction"`},
		{"bad key", "      independent: 1\n      rebuilders:\n        - {name: a, operator: A, jurisdiction: DE, key: \"abc\"}", "unrecognised key"},
		{"same key twice", "      independent: 1\n      rebuilders:\n        - {name: a, operator: A, jurisdiction: DE, key: \"sha256:" + keyA + "\"}\n        - {name: b, operator: B, jurisdiction: FR, key: \"sha256:" + keyA + "\"}", "given twice"},
		{"same name twice", "      independent: 1\n      rebuilders:\n        - {name: a, operator: A, jurisdiction: DE, key: \"sha256:" + keyA + "\"}\n        - {name: a, operator: B, jurisdiction: FR, key: \"sha256:" + keyB + "\"}", "named twice"},
		{"self without operator", "      independent: 1\n      self: {jurisdiction: DE}", `missing required field "operator"`},
		{"negative", "      independent: -1", "independent: -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(header+"artifacts:\n  - match: [\"*\"]\n    rebuild:\n"+tc.rebuild+"\n"), "test.yaml", testNow)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRebuildersListed(t *testing.T) {
	p := rebuildersPolicy(t, "      independent: 1")
	rs := p.Rebuilders()
	if len(rs) != 4 || rs[0].KeyID != keyA || rs[0].Name != "alpha" || rs[0].Key != nil || rs[3].Jurisdiction != "fr" {
		t.Fatalf("got %+v", rs)
	}
}
