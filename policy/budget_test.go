package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// manyRules is a policy body of n CEL rules with the same expression.
func manyRules(n int, expr string) string {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: r%d\n    action: fail\n    expr: '%s'\n", i, expr)
	}
	return b.String()
}

// quadratic compares every component with every other: with the facts of
// bigFacts(1000), each evaluation stops at a rule cost limit of 100,000.
const quadratic = `sbom.components.all(a, sbom.components.all(b, a.name != "" && b.name != ""))`

func bigFacts(n int) *Facts {
	f := goodFacts()
	for i := range n {
		f.SBOM.Components = append(f.SBOM.Components, Component{Name: fmt.Sprint("c", i)})
	}
	return f
}

func countReasons(res *Result) map[string]int {
	n := map[string]int{}
	for _, rr := range res.Rules {
		if strings.HasPrefix(rr.ID, "r") && !strings.Contains(rr.ID, ".") {
			n[rr.Reason]++
		}
	}
	return n
}

// A thousand rules, each at the rule limit, do not add up to a thousand
// times the limit: the evaluation's budget stops them, and each rule not
// run says why.
func TestEvaluationCostBudget(t *testing.T) {
	const ruleLimit = 100_000
	p := mustLoad(t, manyRules(1000, quadratic), WithCostLimit(ruleLimit), WithEvaluationCostLimit(5*ruleLimit))
	res := Evaluate(p, bigFacts(1000), testNow)
	n := countReasons(res)
	if res.Passed() || n[reason.PolicyEvaluationCostExceeded] < 900 || n[reason.PolicyRuleCostExceeded]+n[reason.PolicyEvaluationCostExceeded] != 1000 {
		t.Fatalf("1000 rules over the budget: policy %s, reasons %v; want FAIL, at least 900 %s", res.Status, n, reason.PolicyEvaluationCostExceeded)
	}
	for _, rr := range res.Rules {
		if rr.Reason == reason.PolicyEvaluationCostExceeded {
			if !strings.Contains(rr.Message, "cost budget of 500000") || rr.Hint == "" {
				t.Fatalf("rule stopped by the budget: %+v", rr)
			}
			break
		}
	}
	if res.Reason != reason.PolicyRuleCostExceeded && res.Reason != reason.PolicyEvaluationCostExceeded {
		t.Fatalf("policy reason %s", res.Reason)
	}
}

// Its twin: as many cheap rules fit the budget and all pass.
func TestEvaluationCostBudgetCheapRules(t *testing.T) {
	p := mustLoad(t, manyRules(1000, `sbom.components.all(c, c.grade != "G")`))
	res := Evaluate(p, goodFacts(), testNow)
	if n := countReasons(res); !res.Passed() || n[""] != 1000 {
		t.Fatalf("1000 cheap rules: policy %s, reasons %v; want PASS, all 1000 holding", res.Status, n)
	}
}

// A small budget: rules stop being started once it is spent.
func TestEvaluationCostLimitOption(t *testing.T) {
	p := mustLoad(t, manyRules(20, `sbom.components.all(c, c.grade != "G")`), WithEvaluationCostLimit(1))
	res := Evaluate(p, bigFacts(10), testNow)
	if n := countReasons(res); res.Passed() || n[reason.PolicyEvaluationCostExceeded] == 0 {
		t.Fatalf("budget of 1: policy %s, reasons %v; want rules failing with %s", res.Status, n, reason.PolicyEvaluationCostExceeded)
	}
	if _, err := Load([]byte(header), "p.yaml", testNow, WithEvaluationCostLimit(0)); err == nil {
		t.Fatal("a budget of 0 accepted")
	}
}
