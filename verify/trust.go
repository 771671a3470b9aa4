package verify

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// Trust rule kinds: any named root, all of them, or K of distinct
// operators.
const (
	TrustRuleAny = vocab.TrustRuleAny
	TrustRuleAll = vocab.TrustRuleAll
	TrustRuleK   = vocab.TrustRuleK
)

// TrustRule says which named trusted roots must validate a bundle: any of
// Roots, all of them, or roots of at least K distinct operators. Empty
// Roots means every named root. A bundle that chains only to roots the
// rule does not name fails with TRUST_ROOT_NOT_ALLOWED.
type TrustRule struct {
	Kind  string
	K     int
	Roots []string
}

func (r TrustRule) String() string {
	kind := r.Kind
	if kind == TrustRuleK {
		kind = fmt.Sprintf("%d distinct operators", r.K)
	}
	if len(r.Roots) == 0 {
		return kind + " of the named roots"
	}
	return kind + " of " + strings.Join(r.Roots, ", ")
}

var trustNameRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
})

func validTrustName(s string) bool { return trustNameRe().MatchString(s) }

// ParseTrustRule reads a rule as written on the command line: any, all or
// a number K, optionally followed by a colon and the comma-separated names
// of the roots that count (default: every named root).
func ParseTrustRule(s string) (TrustRule, error) {
	const hint = "write any, all or a number K, optionally followed by :NAME,NAME of the roots that count"
	kind, names, hasNames := strings.Cut(s, ":")
	var r TrustRule
	switch kind {
	case TrustRuleAny, TrustRuleAll:
		r.Kind = kind
	default:
		k, err := strconv.Atoi(kind)
		if err != nil || k < 1 {
			return TrustRule{}, configUsage(hint, "trust rule %q: got %q, want any, all or a number of 1 or more", s, kind)
		}
		r.Kind, r.K = TrustRuleK, k
	}
	if hasNames {
		for _, n := range strings.Split(names, ",") {
			if !validTrustName(n) || slices.Contains(r.Roots, n) {
				return TrustRule{}, configUsage(hint, "trust rule %q: root name %q is empty, invalid or repeated", s, n)
			}
			r.Roots = append(r.Roots, n)
		}
	}
	return r, nil
}

// trustRoot is one trusted root of the run with the verifier built on it.
type trustRoot struct {
	TrustRoot
	verifier *attest.Verifier
	snapshot *attest.TrustSnapshot // nil for a plain trusted_root.json or the TUF-fetched root
}

func (t *trustRoot) label() string {
	var about []string
	if t.Operator != t.Name {
		about = append(about, "operator "+t.Operator)
	}
	if t.Jurisdiction != "" {
		about = append(about, "jurisdiction "+t.Jurisdiction)
	}
	if len(about) == 0 {
		return "trusted root " + t.Name
	}
	return fmt.Sprintf("trusted root %s (%s)", t.Name, strings.Join(about, ", "))
}

// trustRun is what the run trusts beyond the signer: its roots (one
// unnamed root unless roots were named), the rule they must meet (the
// policy's per artifact when it names the roots: trustpolicy.go), the
// maximum ages of trust snapshots and the witnesses of checkpoints.
type trustRun struct {
	roots       []*trustRoot
	named       bool
	rule        TrustRule
	allowed     []*trustRoot // the roots the rule names, in the order given
	policy      *policy.Policy
	ages        []trustAge
	now         func() time.Time
	witnessSets []witnessSet
}

// newTrustRun builds a verifier per named root (the run's verifier is the
// first root's), reads trust snapshots for their age, and reads the
// witness list.
func newTrustRun(r *Runner, cfg config) (*trustRun, error) {
	t := &trustRun{ages: trustAges(cfg), now: cfg.TrustNow, rule: TrustRule{Kind: TrustRuleAny}}
	if cfg.Policy != nil {
		t.policy = cfg.Policy.Policy
	}
	if t.now == nil {
		t.now = time.Now
	}
	if cfg.TrustRule != nil {
		t.rule = *cfg.TrustRule
	}
	if len(cfg.TrustedRoots) > 0 && cfg.TrustedRoot != cfg.TrustedRoots[0].Path {
		return nil, configUsage("give every trusted root as NAME=FILE, or a single FILE", "both a trusted root and named trusted roots given")
	}
	if len(cfg.TrustedRoots) == 0 {
		if cfg.TrustRule != nil {
			return nil, configUsage("a trust rule needs named roots: give --trusted-root NAME=FILE", "trust rule given without named trusted roots")
		}
		root := &trustRoot{TrustRoot: TrustRoot{Name: "default", Path: cfg.TrustedRoot, Operator: "default"}, verifier: r.verifier}
		if err := root.readSnapshot(cfg); err != nil {
			return nil, err
		}
		t.roots = []*trustRoot{root}
	}
	for i, tr := range cfg.TrustedRoots {
		root := &trustRoot{TrustRoot: tr, verifier: r.verifier}
		if i > 0 {
			c := cfg
			c.TrustedRoot = tr.Path
			v, _, err := newVerifier(c, r.logger)
			if err != nil {
				return nil, namedRootErr(err, tr.Name)
			}
			root.verifier = v
		}
		if err := root.readSnapshot(cfg); err != nil {
			return nil, namedRootErr(err, tr.Name)
		}
		t.roots = append(t.roots, root)
		t.named = true
	}
	for _, root := range t.roots {
		if len(t.rule.Roots) == 0 || slices.Contains(t.rule.Roots, root.Name) {
			t.allowed = append(t.allowed, root)
		}
	}
	for _, n := range t.rule.Roots {
		if !slices.ContainsFunc(t.roots, func(x *trustRoot) bool { return x.Name == n }) {
			return nil, configUsage("name only roots given with --trusted-root NAME=FILE in the trust rule", "trust rule names root %q, which is not given", n)
		}
	}
	if t.rule.Kind == TrustRuleK && t.rule.K > len(t.allowed) {
		return nil, configUsage("lower K, or name more roots", "trust rule wants %d distinct operators of %d roots", t.rule.K, len(t.allowed))
	}
	if cfg.Witnesses != "" {
		list, err := attest.ReadWitnessListFile(cfg.Witnesses)
		if err != nil {
			return nil, configErr(err, reason.WitnessListInvalid, "")
		}
		t.witnessSets = []witnessSet{{list: list, quorum: cfg.WitnessQuorum, source: "--witnesses"}}
	}
	if t.policy != nil {
		sets, err := policyWitnesses(t.policy)
		if err != nil {
			return nil, err
		}
		t.witnessSets = append(t.witnessSets, sets...)
	}
	return t, nil
}

func namedRootErr(err error, name string) error {
	var ce *ConfigError
	if e, ok := err.(*ConfigError); ok {
		ce = e
	} else {
		ce = &ConfigError{reason.As(err, reason.TrustRootInvalid, "")}
	}
	re := *ce.Reason
	re.Msg = fmt.Sprintf("trusted root %s: %s", name, re.Msg)
	return &ConfigError{&re}
}

// readSnapshot reads the root's file again for its trust snapshot, when
// the age of trust material is required: a plain trusted root has none.
func (t *trustRoot) readSnapshot(cfg config) error {
	if t.Path == "" {
		return nil
	}
	cfg.TrustedRoot = t.Path
	_, s, err := readTrustedRoot(cfg)
	if err != nil {
		return configErr(err, reason.TrustRootInvalid, "")
	}
	t.snapshot = s
	return nil
}

// checks are the trust checks of every verdict: with a maximum trust age,
// one per root, saying whether its snapshot is fresh enough.
func (t *trustRun) checks(subject policy.Subject) []policy.Check {
	if t == nil || len(t.ages) == 0 {
		return nil
	}
	now := t.now()
	var checks []policy.Check
	for _, root := range t.roots {
		checks = append(checks, t.ageCheck(root, subject, now))
	}
	return checks
}

// verifyBundle verifies one bundle against the run's trusted roots under
// the trust rule of the artifact called name, then its checkpoints'
// witnesses. sigstore-go is given
// the bundle with its checkpoints' log signatures only; the witnesses are
// checked on the bundle as given.
func (r *Runner) verifyBundle(pb *attest.ParsedBundle, art attest.Artifact, name string) (*attest.SignatureResult, []attest.Finding) {
	t := r.trust
	logOnly := attest.WithLogSignatureOnly(pb)
	if !t.named {
		res, findings := r.verifier.Verify(logOnly, art)
		if res == nil {
			return nil, findings
		}
		return t.witnessed(pb, t.roots[0], res, findings)
	}
	res, findings, root := t.verifyNamed(logOnly, art, t.ruleFor(name))
	if res == nil {
		return nil, findings
	}
	return t.witnessed(pb, root, res, findings)
}

// rootOutcome is what verifying a bundle against one root gave.
type rootOutcome struct {
	root     *trustRoot
	res      *attest.SignatureResult
	findings []attest.Finding
}

// chained reports whether the signature chain verified against the root,
// whatever the identity check said.
func (o rootOutcome) chained() bool {
	return slices.ContainsFunc(o.findings, func(f attest.Finding) bool { return f.Check == vocab.CheckSignature && f.Err == nil })
}

// reachedSignature reports whether verification got as far as the
// signature: a bundle for another artifact fails before it, alike under
// every root.
func (o rootOutcome) reachedSignature() bool {
	return slices.ContainsFunc(o.findings, func(f attest.Finding) bool { return f.Check == vocab.CheckSignature })
}

func (t *trustRun) verifyOne(root *trustRoot, pb *attest.ParsedBundle, art attest.Artifact) rootOutcome {
	if id, ok := unknownLog(root, pb); !ok {
		return rootOutcome{root: root, findings: []attest.Finding{{Check: vocab.CheckSignature, Err: reason.New(reason.TlogInvalid,
			"the bundle was logged by a transparency log this root does not hold", "no transparency log with key id %s", id)}}}
	}
	res, findings := root.verifier.Verify(pb, art)
	return rootOutcome{root: root, res: res, findings: findings}
}

// unknownLog returns the key id of a transparency-log entry of the bundle
// the root holds no log for: such a root cannot validate the bundle, and
// sigstore-go need not be asked.
func unknownLog(root *trustRoot, pb *attest.ParsedBundle) (string, bool) {
	logs := root.verifier.TrustedMaterial().RekorLogs()
	for _, e := range pb.Bundle.GetVerificationMaterial().GetTlogEntries() {
		id := hex.EncodeToString(e.GetLogId().GetKeyId())
		if _, ok := logs[id]; !ok {
			return id, false
		}
	}
	return "", true
}

// verifyNamed applies the trust rule: the roots it names are tried in the
// order given, each on its own (never their union), until the rule is
// met; when none of them validates, the other roots are tried so that a
// bundle chaining only to those fails with its own reason.
func (t *trustRun) verifyNamed(pb *attest.ParsedBundle, art attest.Artifact, ar appliedRule) (*attest.SignatureResult, []attest.Finding, *trustRoot) {
	need := 1
	switch ar.rule.Kind {
	case TrustRuleAll:
		need = len(ar.allowed)
	case TrustRuleK:
		need = ar.rule.K
	}
	var chained, failed []rootOutcome
	operators := map[string]bool{}
	for _, root := range ar.allowed {
		o := t.verifyOne(root, pb, art)
		if !o.reachedSignature() {
			return nil, o.findings, nil // not this artifact's evidence, or malformed: alike under every root
		}
		if !o.chained() {
			// Under rule all the rule is already lost, but the other roots
			// are still tried: the failure names those that validated the
			// bundle whatever the order the roots were given in.
			failed = append(failed, o)
			continue
		}
		// A chain that verified counts for the rule even when the signer
		// is wrong (no result): the signer is the same under every root,
		// and the signature check must not pass on a rule not met.
		chained = append(chained, o)
		operators[root.Operator] = true
		if ar.rule.Kind == TrustRuleAll && len(chained) == need || ar.rule.Kind != TrustRuleAll && len(operators) >= need {
			return chained[0].res, nameRoots(chained[0].findings, chained, ar.rule), chained[0].root
		}
	}
	if len(chained) == 0 {
		for _, root := range t.roots {
			if slices.Contains(ar.allowed, root) {
				continue
			}
			if o := t.verifyOne(root, pb, art); o.chained() {
				return nil, []attest.Finding{{Check: vocab.CheckSignature, Err: reason.New(reason.TrustRootNotAllowed,
					"the bundle chains to a root this artifact's trust rule does not count; sign with an instance the rule names, or change the rule",
					"bundle chains only to %s, which the trust rule (%s) does not name", root.label(), ar.rule)}}, nil
			}
		}
		return nil, t.prefixFailure(failed), nil
	}
	var names, missing []string
	for _, o := range chained {
		names = append(names, o.root.label())
	}
	for _, o := range failed {
		missing = append(missing, o.root.Name)
	}
	got := strconv.Itoa(len(chained))
	want := fmt.Sprintf("%d roots", need)
	if ar.rule.Kind != TrustRuleAll {
		got, want = fmt.Sprintf("%d distinct operators", len(operators)), fmt.Sprintf("at least %d distinct operators", need)
	}
	findings := []attest.Finding{{Check: vocab.CheckSignature, Err: &reason.Error{Code: reason.TrustRuleNotMet,
		Msg:  fmt.Sprintf("bundle validated by %s; not by %s (trust rule: %s)", strings.Join(names, ", "), orNone(strings.Join(missing, ", ")), ar.rule),
		Got:  got,
		Want: want,
		Hint: "the rule needs agreement between independent roots: sign through the missing instances, or check the roots given"}}}
	if chained[0].res == nil { // the signer is wrong as well: say so too
		for _, f := range chained[0].findings {
			if f.Check != vocab.CheckSignature && f.Err != nil {
				findings = append(findings, f)
			}
		}
	}
	return nil, findings, nil
}

// nameRoots appends the roots that validated the signature to the passing
// signature finding.
func nameRoots(findings []attest.Finding, chained []rootOutcome, rule TrustRule) []attest.Finding {
	var names []string
	for _, o := range chained {
		names = append(names, o.root.label())
	}
	out := slices.Clone(findings)
	for i, f := range out {
		if f.Check == vocab.CheckSignature && f.Err == nil {
			out[i].Message = fmt.Sprintf("%s; validated by %s (trust rule: %s)", f.Message, strings.Join(names, ", "), rule)
		}
	}
	return out
}

// prefixFailure gives the failure under the first root, naming it and
// the other roots that did not validate the bundle either.
func (t *trustRun) prefixFailure(failed []rootOutcome) []attest.Finding {
	o := failed[0]
	var others []string
	for _, x := range failed[1:] {
		others = append(others, x.root.Name)
	}
	out := slices.Clone(o.findings)
	for i, f := range out {
		if f.Err != nil && f.Check == vocab.CheckSignature {
			e := *f.Err
			e.Msg = o.root.label() + ": " + e.Msg
			if len(others) > 0 {
				e.Msg += "; not validated by " + strings.Join(others, ", ") + " either"
			}
			out[i].Err = &e
		}
	}
	return out
}
