package policy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// celVariables are the variables a CEL rule sees, by the JSON names of
// the Facts fields, with their CEL types.
var celVariables = []struct {
	name string
	typ  *cel.Type
}{
	{"artifact", cel.ObjectType("policy.Subject")},
	{"checks", cel.ListType(cel.ObjectType("policy.Check"))},
	{"signers", cel.ListType(cel.ObjectType("policy.Signer"))},
	{"predicateTypes", cel.ListType(cel.StringType)},
	{"provenance", cel.ListType(cel.ObjectType("policy.Provenance"))},
	{"rebuild", cel.ObjectType("policy.Rebuild")},
	{"rebuilds", cel.ListType(cel.ObjectType("policy.RebuildAttestation"))},
	{"sbom", cel.ObjectType("policy.SBOM")},
	{"vulnerabilities", cel.ListType(cel.ObjectType("policy.Vulnerability"))},
	{"vsas", cel.ListType(cel.ObjectType("policy.VSA"))},
	{"wasm", cel.ObjectType("policy.Wasm")},
	{"now", cel.TimestampType},
}

// newCELEnv returns the environment CEL rules are compiled in: the facts
// as typed variables (field names are the JSON names, so a misspelt field
// is a compile error), the standard library and the strings and sets
// extensions.
func newCELEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeFor[Facts](), ext.ParseStructTag("json")),
		ext.Strings(),
		ext.Sets(),
		cel.ParserExpressionSizeLimit(MaxExprBytes),
		cel.ParserRecursionLimit(64),
		cel.DefaultUTCTimeZone(true),
	}
	for _, v := range celVariables {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	return cel.NewEnv(opts...)
}

// celRule is a compiled rule of the policy's rules: list.
type celRule struct {
	spec    ruleSpec
	program cel.Program
	// costLimit is the program's own cost limit.
	costLimit uint64
	// inputs are the fact fields the expression reads, e.g.
	// sbom.components, for the evidence of its result.
	inputs []string
}

// exprError is a problem with a rule's expression, at a 1-based line and
// 0-based column of the expression when cel-go knows one.
type exprError struct {
	msg       string
	line, col int
}

// compileRule compiles expr and checks that it returns a bool.
func compileRule(env *cel.Env, spec ruleSpec, costLimit uint64) (*celRule, *exprError) {
	checked, iss := env.Compile(spec.Expr)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		first := errs[0]
		e := &exprError{msg: "CEL does not compile: " + first.Message, line: first.Location.Line(), col: first.Location.Column()}
		if n := len(errs) - 1; n > 0 {
			e.msg += fmt.Sprintf(" (and %d more error%s)", n, plural(n))
		}
		return nil, e
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, &exprError{msg: fmt.Sprintf("CEL expression returns %s, want bool", checked.OutputType())}
	}
	prg, err := env.Program(checked, cel.CostLimit(costLimit), cel.EvalOptions(cel.OptOptimize, cel.OptTrackCost))
	if err != nil {
		return nil, &exprError{msg: "CEL does not compile: " + oneLine(err.Error())}
	}
	return &celRule{spec: spec, program: prg, costLimit: costLimit, inputs: celInputs(checked.NativeRep())}, nil
}

// oneLine folds cel-go's multi-line error (with its caret drawing) into
// one line: the position and message are kept.
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimPrefix(strings.TrimSpace(first), "ERROR: ")
}

// celInputs lists the variables and fields an expression selects, such
// as sbom.components or checks, sorted.
func celInputs(a *ast.AST) []string {
	seen := map[string]bool{}
	known := map[string]bool{}
	for _, v := range celVariables {
		known[v.name] = true
	}
	var visit func(e ast.Expr) string
	visit = func(e ast.Expr) string {
		switch e.Kind() {
		case ast.IdentKind:
			if known[e.AsIdent()] {
				return e.AsIdent()
			}
		case ast.SelectKind:
			if base := visit(e.AsSelect().Operand()); base != "" && !strings.Contains(base, ".") {
				return base + "." + e.AsSelect().FieldName()
			}
		}
		return ""
	}
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if p := visit(e); p != "" {
			seen[p] = true
		}
	}))
	// Keep the most specific path: sbom.components, not also sbom.
	var out []string
	for p := range seen {
		if !strings.Contains(p, ".") {
			specific := false
			for q := range seen {
				if strings.HasPrefix(q, p+".") {
					specific = true
				}
			}
			if specific {
				continue
			}
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// celActivation holds the facts as CEL values, built once per evaluation
// and shared by every rule.
type celActivation struct {
	vars map[string]any
}

func newCELActivation(f *Facts, now time.Time) *celActivation {
	return &celActivation{vars: map[string]any{
		"artifact":        f.Artifact,
		"checks":          f.Checks,
		"signers":         f.Signers,
		"predicateTypes":  f.PredicateTypes,
		"provenance":      f.Provenance,
		"rebuild":         f.Rebuild,
		"rebuilds":        f.Rebuilds,
		"sbom":            f.SBOM,
		"vulnerabilities": f.Vulnerabilities,
		"vsas":            f.VSAs,
		"wasm":            f.Wasm,
		"now":             now.UTC(),
	}}
}

// errCostExceeded marks a rule stopped by its cost limit.
var errCostExceeded = errors.New("rule exceeded its CEL cost limit")

// errBudgetSpent marks a rule not started: the evaluation's CEL cost
// budget was spent by the rules before it.
var errBudgetSpent = errors.New("evaluation spent its CEL cost budget")

// eval runs the rule, charging what it cost to the evaluation's budget. A
// panic inside cel-go is an error of this rule, not of the whole
// evaluation.
func (r *celRule) eval(act *celActivation, budget *costBudget) (ok bool, err error) {
	if !budget.open() {
		return false, errBudgetSpent
	}
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("evaluating CEL: %v", p)
		}
	}()
	out, det, err := r.program.Eval(act.vars)
	var cost uint64
	if det != nil && det.ActualCost() != nil {
		cost = *det.ActualCost()
	}
	if err != nil {
		var ce interpreter.EvalCancelledError
		if errors.As(err, &ce) && ce.Cause == interpreter.CostLimitExceeded {
			budget.charge(max(cost, r.costLimit))
			return false, errCostExceeded
		}
		budget.charge(cost)
		return false, fmt.Errorf("evaluating CEL: %w", err)
	}
	budget.charge(cost)
	b, isBool := out.(types.Bool)
	if !isBool {
		return false, fmt.Errorf("CEL expression returned %s, want bool", out.Type())
	}
	return bool(b), nil
}
