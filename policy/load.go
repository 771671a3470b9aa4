package policy

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Stable ids of the declarative rules. CEL rules take the ids their
// authors give them; penalties are "penalty.<id>".
const (
	RulePolicyExpiry       = "policy.expiry"
	RuleSignature          = "artifact.signature"
	RuleAttestations       = "artifact.attestations"
	RuleProvenance         = "artifact.provenance"
	RuleRebuild            = "artifact.rebuild"
	RuleSBOMRequired       = "sbom.required"
	RuleSBOMQuality        = "sbom.quality"
	RuleProductGrade       = "sbom.product-grade"
	RuleComponentGrade     = "sbom.component-grade"
	RuleForbiddenLabels    = "sbom.forbidden-labels"
	RuleJurisdictions      = "sbom.jurisdictions"
	RuleLicences           = "licences"
	RuleKnownExploited     = "vulnerabilities.known-exploited"
	RuleVulnerabilityLimit = "vulnerabilities.maximum"
	RuleCertifiedArtifact  = "certification.artifact"
	RuleCertifiedComponent = "certification.components"
	RulePointsGrade        = "points.grade"
	RulePointsPass         = "points.pass"
	penaltyPrefix          = "penalty."
)

// reservedPrefixes are the id namespaces of declarative rules.
var reservedPrefixes = []string{"policy.", "artifact.", "sbom.", "licences", "vulnerabilities.", "certification.", "points.", penaltyPrefix, "wasm.", "hosting."}

// Patterns are compiled on first use, as all package-level state here:
// every run of sovcheck pays for package initialisation, most load no policy.
var ruleIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`) })

// Policy is a loaded, validated procurement policy. It is immutable and
// safe for concurrent use; WithData returns a copy with a data file added.
type Policy struct {
	name      string
	sha256    string
	doc       document
	expires   time.Time // zero: never
	artifacts []*artifactRules
	fallback  *artifactRules // applies when no section matches
	allow     []licenceMatcher
	deny      []licenceMatcher
	certKeys  map[string]bool
	certPubs  map[string]crypto.PublicKey // certifier keys the policy gives in full, by key id
	certPols  map[string]bool             // sha256 of the policies a VSA must be issued under; empty: any
	waivers   []waiver
	rules     []*celRule
	ruleIDs   map[string]bool // every rule id the policy evaluates
	data      map[string]*dataFileSpec
	certs     *certificationList
	trust     *trustPolicy // nil without a trust section (trust.go)
	costLimit uint64
	// evalCostLimit is the CEL cost budget of one evaluation, all rules together.
	evalCostLimit uint64
}

type artifactRules struct {
	patterns           []string
	signatureRequired  bool
	keys               []string // hex key ids
	identities         []identityMatcher
	predicateTypes     []string
	provenanceRequired bool
	builderIDs         []string
	sourceRepos        []string
	tags               []string
	branches           []string
	rebuild            string
	allowedCauses      map[string]bool
	normalisations     []string
	independent        *independentRule // rebuilders.go; nil: none required
}

type identityMatcher struct {
	issuer, subject     string
	issuerRe, subjectRe *regexp.Regexp
}

func (m identityMatcher) matches(s Signer) bool {
	if s.Issuer == "" || s.Subject == "" {
		return false
	}
	issuerOK := m.issuer == s.Issuer || m.issuerRe != nil && m.issuerRe.MatchString(s.Issuer)
	subjectOK := m.subject == s.Subject || m.subjectRe != nil && m.subjectRe.MatchString(s.Subject)
	return issuerOK && subjectOK
}

func (m identityMatcher) String() string {
	sub, iss := m.subject, m.issuer
	if m.subjectRe != nil {
		sub = "~" + m.subjectRe.String()
	}
	if m.issuerRe != nil {
		iss = "~" + m.issuerRe.String()
	}
	return fmt.Sprintf("%s (issuer %s)", sub, iss)
}

type waiver struct {
	waiverSpec
	until time.Time // the waiver applies while now is before until
	pos   Pos
}

// Option configures Load.
type Option func(*config) error

type config struct {
	costLimit     uint64
	evalCostLimit uint64
}

// WithCostLimit sets the CEL cost limit of one rule evaluation (default
// DefaultRuleCost). A rule that exceeds it fails.
func WithCostLimit(limit uint64) Option {
	return func(c *config) error {
		if limit == 0 {
			return errors.New("CEL cost limit must be positive")
		}
		c.costLimit = limit
		return nil
	}
}

// Load parses and validates a policy file. name is how the user named the
// file; it prefixes every position. now is the time the policy is loaded
// at: an expired policy is an error. Every problem found is reported, with
// its line and column, in a *FileError.
func Load(data []byte, name string, now time.Time, opts ...Option) (*Policy, error) {
	cfg := config{costLimit: DefaultRuleCost, evalCostLimit: DefaultEvaluationCost}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("loading policy %s: %w", name, err)
		}
	}
	if now.IsZero() {
		return nil, fmt.Errorf("loading policy %s: no time given to judge expiry against", name)
	}
	ps := &problems{}
	root := parseYAML(data, MaxPolicyBytes, ps, "policy")
	if root == nil {
		return nil, ps.err(name)
	}
	ps.root = root
	sum := sha256.Sum256(data)
	p := &Policy{name: name, sha256: hex.EncodeToString(sum[:]), costLimit: cfg.costLimit, evalCostLimit: cfg.evalCostLimit}
	(&decoder{ps: ps}).decode(root, reflect.ValueOf(&p.doc).Elem(), "", "")
	if len(ps.list) > 0 {
		// Structural problems first: semantic checks on a half-decoded
		// document would only add noise.
		return nil, ps.err(name)
	}
	v := &validator{ps: ps, p: p, now: now, lines: strings.Split(string(data), "\n")}
	v.validate()
	if err := ps.err(name); err != nil {
		return nil, err
	}
	return p, nil
}

type validator struct {
	ps    *problems
	p     *Policy
	now   time.Time
	lines []string // the source, for positions inside block scalars
}

// missing reports a required field that is absent from the mapping at path.
// action checks an action and its points at path. An empty action is
// the default (fail) unless required is set.
func (v *validator) action(path, action string, points int, pointsHint string, required bool) {
	if action == "" && required {
		v.missing(path, "action", "use fail, warn or penalize")
		return
	}
	switch action {
	case "", ActionFail, ActionWarn:
		if points != 0 {
			v.ps.at(path+".points", "points apply to 'action: penalize' only", "points given for action %q", action)
		}
	case ActionPenalize:
		if points <= 0 {
			v.ps.at(path+".points", pointsHint, "penalize needs positive points, got %d", points)
		}
		if v.p.doc.Points == nil {
			v.ps.at(path+".action", "add a points: section with a maximum", "penalize needs a points section")
		}
	default:
		v.ps.at(path+".action", "use fail, warn or penalize", "unknown action %q", action)
	}
}

func (v *validator) missing(path, field, hint string) {
	v.ps.add(reason.PolicyInvalid, v.ps.posAt(path), joinPath(path, field), hint, "missing required field %q", field)
}

func (v *validator) validate() {
	d := &v.p.doc
	switch {
	case d.APIVersion == "":
		v.missing("", "apiVersion", "add 'apiVersion: "+APIVersion+"'")
	case d.APIVersion != APIVersion:
		v.ps.at("apiVersion", "this sovcheck reads "+APIVersion, "unsupported apiVersion %q, want %q", d.APIVersion, APIVersion)
	}
	switch {
	case d.Kind == "":
		v.missing("", "kind", "add 'kind: "+KindProcurementPolicy+"'")
	case d.Kind != KindProcurementPolicy:
		v.ps.at("kind", "a policy file has kind "+KindProcurementPolicy, "wrong kind %q, want %q", d.Kind, KindProcurementPolicy)
	}
	if d.Metadata.Expires != "" {
		until, err := parseExpiry(d.Metadata.Expires)
		switch {
		case err != nil:
			v.ps.at("metadata.expires", "write a date as YYYY-MM-DD", "%v", err)
		case !v.now.Before(until):
			v.ps.add(reason.PolicyExpired, v.ps.posAt("metadata.expires"), "metadata.expires",
				"the policy's owner must review it and set a new metadata.expires",
				"policy expired on %s", d.Metadata.Expires)
		default:
			v.p.expires = until
		}
	}
	v.p.ruleIDs = map[string]bool{RulePolicyExpiry: true, RuleSignature: true, RuleProvenance: true}
	v.p.fallback = &artifactRules{signatureRequired: true, provenanceRequired: true, rebuild: rebuildNone}
	for i := range d.Artifacts {
		v.p.artifacts = append(v.p.artifacts, v.artifact(fmt.Sprintf("artifacts[%d]", i), &d.Artifacts[i]))
	}
	v.sbom()
	v.licences()
	v.vulnerabilities()
	v.data()
	v.certification()
	v.points()
	v.rules()
	v.wasm()
	v.hosting()
	v.trust()
	v.waivers()
}

// parseExpiry reads a date (valid through the end of that day, UTC) or an
// RFC 3339 time, and returns the first instant it no longer holds.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

// Name returns the name the policy was loaded under.
func (p *Policy) Name() string {
	if p.doc.Metadata.Name != "" {
		return p.doc.Metadata.Name
	}
	return p.name
}

// SHA256 returns the hex sha256 of the policy file's bytes, for VSAs and
// reports that record which policy was applied.
func (p *Policy) SHA256() string { return p.sha256 }

// RuleCount returns the number of rules the policy evaluates on an artifact.
func (p *Policy) RuleCount() int { return len(p.ruleIDs) }

// WaiverCount returns the number of waivers of the policy.
func (p *Policy) WaiverCount() int { return len(p.waivers) }
