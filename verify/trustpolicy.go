package verify

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// The policy's trust section (policy.Trust) in a run: its roots replace
// --trusted-root, each read from the bytes checked against its pin; its
// witness lists replace --witnesses; its rule applies per artifact
// section. A policy's trust values are requirements: given together with
// the command-line flags for the same thing, neither silently widens the
// other, and New refuses the run. Both maximum trust ages apply: the
// stricter judges, and a failure under either fails.

// loadTrustFiles reads the trusted roots and witness lists the policy's
// trust section pins (paths relative to the policy file), checks each
// against its pin and parses it, so that problems are reported with the
// line of the policy that names the file before any work starts.
func loadTrustFiles(policyPath string, p *policy.Policy) (*policy.Policy, error) {
	t := p.Trust()
	if t == nil {
		return p, nil
	}
	for _, f := range append(slices.Clone(t.Roots), t.Witnesses...) {
		file := f.Path
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(policyPath), file)
		}
		problem := func(code, hint string, err error) error {
			return &policy.FileError{Name: policyPath, Problems: []policy.Problem{{Pos: f.Pos, Code: code,
				Path: "trust." + f.Key, Msg: fmt.Sprintf("reading %s: %v", f.Path, err), Hint: hint}}}
		}
		limit := int64(attest.MaxTrustSnapshotSize)
		if f.Name == "" {
			limit = attest.MaxWitnessListSize
		}
		content, err := readFile(file, limit)
		if reason.CodeOf(err, "") == reason.InputTooLarge {
			err = fmt.Errorf("larger than %d bytes", limit)
		}
		if err != nil {
			return nil, problem(reason.InputUnreadable, "put the file at its path, relative to the policy file, or fix the path in the policy", err)
		}
		if p, err = p.WithTrustFile(f.Key, content); err != nil {
			return nil, err
		}
		if f.Name != "" {
			_, _, err = attest.ReadTrustedRootOrSnapshot(content)
		} else {
			_, err = attest.ParseWitnessList(bytes.NewReader(content))
		}
		if err != nil {
			re := reason.As(err, reason.TrustRootInvalid, "")
			return nil, problem(re.Code, re.Hint, re)
		}
	}
	return p, nil
}

// applyPolicyTrust puts the policy's trusted roots in the run's
// configuration, refusing roots or witnesses given on the command line as
// well.
func applyPolicyTrust(cfg *config) error {
	if cfg.Policy == nil || cfg.Policy.Policy == nil {
		return nil // newPolicyRun says what is wrong
	}
	t := cfg.Policy.Policy.Trust()
	if t == nil {
		return nil
	}
	name := cfg.Policy.Policy.Name()
	if len(t.Witnesses) > 0 && cfg.Witnesses != "" {
		return configUsage("give the witnesses in the policy's trust.witnesses or with --witnesses, not both",
			"policy %s names witnesses, and --witnesses gives more", name)
	}
	if len(t.Roots) == 0 {
		return nil
	}
	if cfg.TrustedRoot != "" || len(cfg.TrustedRoots) > 0 || cfg.TrustRule != nil {
		return configUsage("the policy's trust.roots are the roots of the run: drop --trusted-root, --trusted-root-operator and --trusted-root-rule (and SOVCHECK_TRUSTED_ROOT), or the policy's trust.roots",
			"policy %s names trusted roots, and the command line gives roots or a rule too", name)
	}
	for _, r := range t.Roots {
		if r.Content == nil {
			return configUsage("load the policy with LoadPolicy", "trusted root %s of policy %s was not read", r.Name, name)
		}
		cfg.TrustedRoots = append(cfg.TrustedRoots, TrustRoot{Name: r.Name, Path: r.Path, Operator: r.Operator, Jurisdiction: r.Jurisdiction, content: r.Content})
	}
	cfg.TrustedRoot = cfg.TrustedRoots[0].Path
	return nil
}

// readTrustedRoot reads the run's trusted root: from the bytes a policy
// pinned when it names the file, else from the file.
func readTrustedRoot(cfg config) (*root.TrustedRoot, *attest.TrustSnapshot, error) {
	for _, tr := range cfg.TrustedRoots {
		if tr.Path == cfg.TrustedRoot && tr.content != nil {
			return attest.ReadTrustedRootOrSnapshot(tr.content)
		}
	}
	return attest.ReadTrustedRootOrSnapshotFile(cfg.TrustedRoot)
}

// witnessSet is a witness list and the quorum it must meet on the
// checkpoints of one log (by origin), or of every log when log is empty.
type witnessSet struct {
	log    string
	list   *attest.WitnessList
	quorum int
	source string // where the requirement comes from, for messages
}

// policyWitnesses reads the policy's witness lists, already checked
// against their pins by LoadPolicy.
func policyWitnesses(p *policy.Policy) ([]witnessSet, error) {
	t := p.Trust()
	if t == nil {
		return nil, nil
	}
	var sets []witnessSet
	for _, w := range t.Witnesses {
		if w.Content == nil {
			return nil, configUsage("load the policy with LoadPolicy", "witness list %s of policy %s was not read", w.Path, p.Name())
		}
		list, err := attest.ParseWitnessList(bytes.NewReader(w.Content))
		if err != nil {
			return nil, configErr(err, reason.WitnessListInvalid, "")
		}
		sets = append(sets, witnessSet{log: w.Log, list: list, quorum: w.Quorum, source: "policy trust." + w.Key})
	}
	return sets, nil
}

// witnessSetFor returns the witness set that applies to a checkpoint of
// the log with this origin: the one naming it, else the one for every log.
func (t *trustRun) witnessSetFor(origin string) (witnessSet, bool) {
	var all *witnessSet
	for i, s := range t.witnessSets {
		if s.log != "" && s.log == origin {
			return s, true
		}
		if s.log == "" {
			all = &t.witnessSets[i]
		}
	}
	if all == nil {
		if origin == "" && len(t.witnessSets) > 0 {
			return t.witnessSets[0], true // no checkpoint: the check says so
		}
		return witnessSet{}, false
	}
	return *all, true
}

// checkpointOrigin is the first line of a checkpoint: the log's origin.
func checkpointOrigin(envelope string) string {
	origin, _, _ := strings.Cut(envelope, "\n")
	return origin
}

// ruleFor returns the trust rule of the artifact called name and the roots
// it counts: the policy's rule for the artifact's section when the policy
// names the roots, else the run's rule.
func (t *trustRun) ruleFor(name string) appliedRule {
	if t.policy == nil {
		return appliedRule{rule: t.rule, allowed: t.allowed}
	}
	pr, ok := t.policy.TrustRuleFor(name)
	if !ok {
		return appliedRule{rule: t.rule, allowed: t.allowed}
	}
	rule := TrustRule{Kind: pr.Kind, K: pr.K, Roots: pr.Roots}
	ar := appliedRule{rule: rule}
	for _, root := range t.roots {
		if len(rule.Roots) == 0 || slices.Contains(rule.Roots, root.Name) {
			ar.allowed = append(ar.allowed, root)
		}
	}
	return ar
}

// appliedRule is a trust rule with the roots it counts, in the order given.
type appliedRule struct {
	rule    TrustRule
	allowed []*trustRoot
}

// trustAge is a maximum age of trust snapshots and whether a staler one
// only warns.
type trustAge struct {
	max        time.Duration
	warn       bool
	fromPolicy bool
}

// trustAges are the maximum trust ages of the run: the flag's (which
// fails) and the policy's.
func trustAges(cfg config) []trustAge {
	var ages []trustAge
	if cfg.MaxTrustAge > 0 {
		ages = append(ages, trustAge{max: cfg.MaxTrustAge})
	}
	if cfg.Policy != nil && cfg.Policy.Policy != nil {
		if t := cfg.Policy.Policy.Trust(); t != nil && t.MaxAge > 0 {
			ages = append(ages, trustAge{max: t.MaxAge, warn: t.Warn, fromPolicy: true})
		}
	}
	// The failing requirement is judged first: a snapshot too old for it
	// fails whatever a warning-only one says.
	slices.SortStableFunc(ages, func(a, b trustAge) int {
		switch {
		case a.warn == b.warn:
			return 0
		case !a.warn:
			return -1
		}
		return 1
	})
	return ages
}

// ageCheck judges one root's snapshot against every maximum age: the
// first requirement it fails decides (a failing one before a warning);
// one it meets under all is a PASS naming the strictest.
func (t *trustRun) ageCheck(root *trustRoot, subject policy.Subject, now time.Time) policy.Check {
	prefix := ""
	if t.named {
		prefix = root.label() + ": "
	}
	strictest := t.ages[0].max
	for _, a := range t.ages {
		strictest = min(strictest, a.max)
		err := attest.CheckTrustAge(root.snapshot, now, a.max)
		if err == nil {
			continue
		}
		e := reason.As(err, reason.TrustSnapshotInvalid, "")
		if a.fromPolicy {
			switch e.Code {
			case reason.TrustSnapshotStale:
				e.Hint = "pull a fresh snapshot with 'sovcheck trust pull', or raise trust.maxTrustAge in the policy"
			case reason.TrustSnapshotInvalid:
				if root.snapshot == nil {
					e.Hint = "give a snapshot written by 'sovcheck trust pull' as the root's file, or drop trust.maxTrustAge from the policy"
				}
			}
		}
		e.Msg = prefix + e.Msg
		// Under staleTrust: warn an old snapshot (stale, or its TUF
		// metadata expired) is shown and not required; one whose age is
		// unknown or cannot be believed still fails.
		if !a.warn || e.Code == reason.TrustSnapshotInvalid {
			return failCheck(vocab.CheckTrust, subject, e, root.Path)
		}
		return policy.Check{ID: vocab.CheckTrust, Subject: subject, Status: policy.StatusSkip, Reason: e.Code,
			Message: "warning (trust.staleTrust: warn): " + e.Msg, Hint: e.Hint, Got: e.Got, Want: e.Want, Evidence: root.Path}
	}
	s := root.snapshot
	expires, role := s.Expires()
	msg := fmt.Sprintf("trust snapshot of %s from %s is %s old (at most %s); TUF %s metadata expires %s",
		s.AsOf.UTC().Format(time.RFC3339), s.Repository, now.Sub(s.AsOf).Truncate(time.Second), strictest, role, expires.UTC().Format(time.RFC3339))
	return policy.Check{ID: vocab.CheckTrust, Subject: subject, Status: policy.StatusPass, Required: true, Message: prefix + msg, Evidence: root.Path}
}
