package policy

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/anchor"
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
	v.ps.add(CodeInvalid, v.ps.posAt(path), joinPath(path, field), hint, "missing required field %q", field)
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
			v.ps.add(CodeExpired, v.ps.posAt("metadata.expires"), "metadata.expires",
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

func (v *validator) artifact(path string, s *artifactSection) *artifactRules {
	r := &artifactRules{signatureRequired: true, provenanceRequired: true, rebuild: rebuildNone}
	if len(s.Match) == 0 {
		v.missing(path, "match", "list artifact name patterns, e.g. match: [\"*\"]")
	}
	for i, m := range s.Match {
		if strings.TrimSpace(m) == "" {
			v.ps.at(fmt.Sprintf("%s.match[%d]", path, i), "use \"*\" to match every artifact", "empty pattern")
		}
	}
	r.patterns = s.Match
	if sig := s.Signature; sig != nil {
		spath := path + ".signature"
		if sig.Required != nil {
			r.signatureRequired = *sig.Required
		}
		for i, k := range sig.Keys {
			id, err := parseKeyRef(k)
			if err != nil {
				v.ps.at(fmt.Sprintf("%s.keys[%d]", spath, i), "give sha256:<hex of the key's DER encoding> or a PEM public key", "%v", err)
				continue
			}
			r.keys = append(r.keys, id)
		}
		for i := range sig.Identities {
			if m, ok := v.identity(fmt.Sprintf("%s.identities[%d]", spath, i), &sig.Identities[i]); ok {
				r.identities = append(r.identities, m)
			}
		}
	}
	for i, t := range s.Attestations {
		uri, err := attest.ResolvePredicateType(t)
		if err != nil {
			v.ps.at(fmt.Sprintf("%s.attestations[%d]", path, i), "use a known name ("+strings.Join(attest.PredicateAliases(), ", ")+") or the predicate type URI", "%v", err)
			continue
		}
		r.predicateTypes = append(r.predicateTypes, uri)
		v.p.ruleIDs[RuleAttestations] = true
	}
	if pr := s.Provenance; pr != nil {
		ppath := path + ".provenance"
		if pr.Required != nil {
			r.provenanceRequired = *pr.Required
		}
		v.nonEmpty(ppath+".builderIds", pr.BuilderIDs)
		v.nonEmpty(ppath+".sourceRepos", pr.SourceRepos)
		v.nonEmpty(ppath+".tags", pr.Tags)
		v.nonEmpty(ppath+".branches", pr.Branches)
		r.builderIDs = pr.BuilderIDs
		for _, repo := range pr.SourceRepos {
			r.sourceRepos = append(r.sourceRepos, attest.NormalizeSourceURI(repo))
		}
		r.tags, r.branches = pr.Tags, pr.Branches
	}
	if rb := s.Rebuild; rb != nil {
		rpath := path + ".rebuild"
		switch rb.Required {
		case rebuildNone, rebuildMatch, rebuildEquivalent:
			r.rebuild = rb.Required
		case "":
			v.missing(rpath, "required", "say 'required: match' (bit for bit) or 'required: equivalent'")
		default:
			v.ps.at(rpath+".required", "use none, match or equivalent", "unknown rebuild requirement %q", rb.Required)
		}
		if len(rb.Normalisations) > 0 && rb.Required != rebuildEquivalent {
			v.ps.at(rpath+".normalisations", "normalisations apply to 'required: equivalent' only", "normalisations given without 'required: equivalent'")
		}
		r.allowedCauses = map[string]bool{}
		for i, n := range rb.Normalisations {
			codes, ok := normalisations[n]
			if !ok {
				v.ps.at(fmt.Sprintf("%s.normalisations[%d]", rpath, i), "use one of: "+strings.Join(normalisationNames(), ", "), "unknown normalisation %q", n)
				continue
			}
			r.normalisations = append(r.normalisations, n)
			for _, c := range codes {
				r.allowedCauses[c] = true
			}
		}
		if r.rebuild != rebuildNone {
			v.p.ruleIDs[RuleRebuild] = true
		}
	}
	return r
}

func (v *validator) nonEmpty(path string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			v.ps.at(fmt.Sprintf("%s[%d]", path, i), "remove the empty entry", "empty value")
		}
	}
}

// parseKeyRef accepts sha256:<hex> (the key id verify reports) or a PEM
// public key, and returns the hex key id.
func parseKeyRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if hexID, ok := strings.CutPrefix(s, "sha256:"); ok {
		if _, err := attest.ParseSHA256(hexID); err != nil {
			return "", err
		}
		return strings.ToLower(hexID), nil
	}
	if strings.HasPrefix(s, "-----BEGIN ") {
		pub, err := attest.ReadPublicKey(strings.NewReader(s))
		if err != nil {
			return "", err
		}
		return attest.KeyID(pub)
	}
	return "", fmt.Errorf("unrecognised key %q", clip(s, 40))
}

func (v *validator) identity(path string, id *identitySpec) (identityMatcher, bool) {
	m := identityMatcher{issuer: id.Issuer, subject: id.Subject}
	ok := true
	check := func(exact, re, field string, dst **regexp.Regexp) {
		switch {
		case exact == "" && re == "":
			v.missing(path, field, "keyless signers need both an issuer and a subject, each exact or as a regexp")
			ok = false
		case exact != "" && re != "":
			v.ps.at(path+"."+field+"Regexp", "give either "+field+" or "+field+"Regexp", "%s and %sRegexp given together", field, field)
			ok = false
		case re != "":
			if len(re) > MaxRegexpBytes {
				v.ps.at(path+"."+field+"Regexp", "shorten the expression", "regexp too long: got %d bytes, want at most %d", len(re), MaxRegexpBytes)
				ok = false
				return
			}
			c, err := anchor.Compile(re)
			if err != nil {
				v.ps.at(path+"."+field+"Regexp", "fix the regular expression (Go RE2 syntax; it must match the whole value)", "invalid regexp: %v", err)
				ok = false
				return
			}
			*dst = c
		}
	}
	check(id.Issuer, id.IssuerRegexp, "issuer", &m.issuerRe)
	check(id.Subject, id.SubjectRegexp, "subject", &m.subjectRe)
	return m, ok
}

func (v *validator) sbom() {
	s := v.p.doc.SBOM
	if s == nil {
		return
	}
	v.p.ruleIDs[RuleSBOMRequired] = true
	if q := s.MinQuality; q != nil {
		if *q < 0 || *q > 1 {
			v.ps.at("sbom.minQuality", "give the share of the product that must be assessable, e.g. 0.8", "minQuality %v out of range, want 0 to 1", *q)
		}
		v.p.ruleIDs[RuleSBOMQuality] = true
	}
	if s.MaxProductGrade != "" {
		v.grade("sbom.maxProductGrade", s.MaxProductGrade)
		v.p.ruleIDs[RuleProductGrade] = true
	}
	if s.MaxComponentGrade != "" {
		v.grade("sbom.maxComponentGrade", s.MaxComponentGrade)
		v.p.ruleIDs[RuleComponentGrade] = true
	}
	v.sbomProfile()
	v.labels("sbom.forbiddenLabels", s.ForbiddenLabels)
	if len(s.ForbiddenLabels) > 0 {
		v.p.ruleIDs[RuleForbiddenLabels] = true
	}
	if j := s.Jurisdictions; j != nil {
		if len(j.Allowed) == 0 {
			v.missing("sbom.jurisdictions", "allowed", "list the allowed jurisdictions, e.g. allowed: [EU, CH]")
		}
		for i, code := range j.Allowed {
			if !jurisdictionPattern().MatchString(code) {
				v.ps.at(fmt.Sprintf("sbom.jurisdictions.allowed[%d]", i), "use ISO 3166 codes such as DE or FR, or EU", "invalid jurisdiction %q", code)
			}
		}
		v.p.ruleIDs[RuleJurisdictions] = true
	}
}

var jurisdictionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`) })

func (v *validator) grade(path, g string) {
	if gradeRank(g) < 0 {
		v.ps.at(path, "grades run from A (best) to G", "unknown grade %q", g)
	}
}

func (v *validator) labels(path string, labels []string) {
	seen := map[string]bool{}
	for i, l := range labels {
		lp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !isKnownLabel(l):
			v.ps.at(lp, "known labels: "+strings.Join(KnownLabels(), ", "), "unknown label %q", l)
		case seen[l]:
			v.ps.at(lp, "remove the duplicate", "label %q listed twice", l)
		}
		seen[l] = true
	}
}

func (v *validator) licences() {
	l := v.p.doc.Licences
	if l == nil {
		return
	}
	v.p.ruleIDs[RuleLicences] = true
	if len(l.Allow) == 0 && len(l.Deny) == 0 && !l.AllowUnknown {
		v.ps.at("licences", "list licences under allow or deny", "licences section lists no licence")
	}
	parse := func(field string, list []string) []licenceMatcher {
		var out []licenceMatcher
		for i, s := range list {
			path := fmt.Sprintf("licences.%s[%d]", field, i)
			e, err := parseLicence(s)
			if err != nil {
				v.ps.at(path, "write an SPDX licence id such as Apache-2.0, optionally with 'WITH <exception>'", "invalid SPDX expression: %v", err)
				continue
			}
			if e.op != "" {
				v.ps.at(path, "list each licence on its own; the SBOM's expressions are combined with AND and OR when checked", "compound expression %q in a licence list", s)
				continue
			}
			out = append(out, licenceMatcher{id: e.term.ID, exception: e.term.Exception})
		}
		return out
	}
	v.p.allow = parse("allow", l.Allow)
	v.p.deny = parse("deny", l.Deny)
	for i, d := range v.p.deny {
		for _, a := range v.p.allow {
			if strings.EqualFold(a.id, d.id) && strings.EqualFold(a.exception, d.exception) {
				v.ps.at(fmt.Sprintf("licences.deny[%d]", i), "keep each licence in one list", "licence %q is both allowed and denied", d.id)
			}
		}
	}
}

func (v *validator) vulnerabilities() {
	v.p.ruleIDs[RuleKnownExploited] = true
	vs := v.p.doc.Vulnerabilities
	if vs == nil {
		return
	}
	switch vs.KnownExploited {
	case "", knownExploitedKnockOut, knownExploitedWarn:
	default:
		v.ps.at("vulnerabilities.knownExploited", "use knock-out (the default) or warn", "unknown value %q", vs.KnownExploited)
	}
	for _, sev := range sortedKeys(vs.Maximum) {
		path := "vulnerabilities.maximum." + sev
		if !slices.Contains(severities, sev) {
			v.ps.at(path, "use "+strings.Join(severities, ", "), "unknown severity %q", sev)
		}
		if vs.Maximum[sev] < 0 {
			v.ps.at(path, "give the most vulnerabilities allowed, 0 for none", "negative maximum %d", vs.Maximum[sev])
		}
	}
	if len(vs.Maximum) > 0 {
		v.p.ruleIDs[RuleVulnerabilityLimit] = true
	}
	v.vulnerabilityData(vs)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var dataNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`) })

func (v *validator) data() {
	v.p.data = map[string]*dataFileSpec{}
	for i := range v.p.doc.Data {
		d := &v.p.doc.Data[i]
		path := fmt.Sprintf("data[%d]", i)
		switch {
		case d.Name == "":
			v.missing(path, "name", "name the data file, e.g. name: certifications")
		case !dataNamePattern().MatchString(d.Name):
			v.ps.at(path+".name", "use lowercase letters, digits and '-'", "invalid data file name %q", d.Name)
		case v.p.data[d.Name] != nil:
			v.ps.at(path+".name", "give each data file its own name", "data file %q named twice", d.Name)
		}
		switch {
		case d.Kind == "":
			v.missing(path, "kind", "use one of: "+strings.Join(dataKinds, ", "))
		case !slices.Contains(dataKinds, d.Kind):
			v.ps.at(path+".kind", "use one of: "+strings.Join(dataKinds, ", "), "unknown data file kind %q", d.Kind)
		}
		switch {
		case d.MaxAgeDays < 0:
			v.ps.at(path+".maxAgeDays", "give the most days a snapshot may be old, e.g. 30", "maxAgeDays %d is negative", d.MaxAgeDays)
		case d.MaxAgeDays > 0 && d.Kind != DataRiskData:
			v.ps.at(path+".maxAgeDays", "maxAgeDays applies to kind risk-data only", "maxAgeDays given for kind %q", d.Kind)
		}
		if d.Key != "" && d.Kind != DataRiskData {
			v.ps.at(path+".key", "key applies to kind risk-data only", "key given for kind %q", d.Kind)
		}
		if d.Path == "" {
			v.missing(path, "path", "give the file's path, relative to the policy file")
		}
		hexSum := strings.ToLower(strings.TrimPrefix(d.SHA256, "sha256:"))
		switch {
		case d.SHA256 == "":
			v.missing(path, "sha256", "pin the file: add sha256: <output of sha256sum>")
		default:
			if _, err := attest.ParseSHA256(hexSum); err != nil {
				v.ps.at(path+".sha256", "give the 64 hex digits printed by sha256sum", "%v", err)
			}
		}
		d.SHA256 = hexSum
		d.pos, d.sumPos = v.ps.posAt(path), v.ps.posAt(path+".sha256")
		if d.Name != "" && v.p.data[d.Name] == nil {
			v.p.data[d.Name] = d
		}
	}
}

func (v *validator) certification() {
	c := v.p.doc.Certification
	if c == nil {
		return
	}
	if c.List != "" {
		d := v.p.data[c.List]
		switch {
		case d == nil:
			v.ps.at("certification.list", "name a data file listed under data:", "no data file named %q", c.List)
		case d.Kind != DataCertifications:
			v.ps.at("certification.list", "the certification list must be a data file of kind "+DataCertifications, "data file %q has kind %q", c.List, d.Kind)
		}
	}
	v.p.certKeys = map[string]bool{}
	v.p.certPubs = map[string]crypto.PublicKey{}
	for i, k := range c.Certifiers {
		id, err := parseKeyRef(k)
		if err != nil {
			v.ps.at(fmt.Sprintf("certification.certifiers[%d]", i), "give sha256:<hex of the key's DER encoding> or a PEM public key", "%v", err)
			continue
		}
		v.p.certKeys[id] = true
		if pub := certifierKey(k); pub != nil {
			v.p.certPubs[id] = pub
		}
	}
	v.vsaPolicies(c.Policies)
	if c.List == "" && len(c.Certifiers) == 0 {
		v.ps.at("certification", "name a certification list (list:) or trusted certifier keys (certifiers:)", "certification section names no way to certify")
	}
	if c.RequireArtifact {
		v.p.ruleIDs[RuleCertifiedArtifact] = true
	}
	if c.RequireComponents {
		v.p.ruleIDs[RuleCertifiedComponent] = true
	}
}

func (v *validator) points() {
	pt := v.p.doc.Points
	if pt == nil {
		return
	}
	if pt.Maximum <= 0 {
		v.ps.at("points.maximum", "give the points a perfect artifact earns, e.g. 100", "maximum must be positive, got %d", pt.Maximum)
	}
	if pt.Pass < 0 || pt.Pass > pt.Maximum {
		v.ps.at("points.pass", "give the least points needed to pass, between 0 and the maximum", "pass %d out of range 0 to %d", pt.Pass, pt.Maximum)
	}
	v.p.ruleIDs[RulePointsPass] = true
	if len(pt.Grades) > 0 {
		v.p.ruleIDs[RulePointsGrade] = true
		for _, g := range sortedKeys(pt.Grades) {
			if gradeRank(g) < 0 {
				v.ps.at("points.grades."+g, "grades run from A (best) to G", "unknown grade %q", g)
			} else if n := pt.Grades[g]; n < 0 || n > pt.Maximum {
				v.ps.at("points.grades."+g, "give points between 0 and the maximum", "points %d out of range 0 to %d", n, pt.Maximum)
			}
		}
		for _, g := range grades {
			if _, ok := pt.Grades[g]; !ok {
				v.missing("points.grades", g, "give points for every grade, A to G")
			}
		}
	}
	for i := range pt.Penalties {
		pen := &pt.Penalties[i]
		path := fmt.Sprintf("points.penalties[%d]", i)
		switch {
		case pen.ID == "":
			v.missing(path, "id", "name the penalty, e.g. id: shared-uncertified")
		case !ruleIDPattern().MatchString(pen.ID):
			v.ps.at(path+".id", "use lowercase letters, digits, '.', '_' and '-'", "invalid penalty id %q", pen.ID)
		case v.p.ruleIDs[penaltyPrefix+pen.ID]:
			v.ps.at(path+".id", "give each penalty its own id", "penalty %q defined twice", pen.ID)
		default:
			v.p.ruleIDs[penaltyPrefix+pen.ID] = true
		}
		if len(pen.Labels) == 0 && !pen.Uncertified {
			v.missing(path, "labels", "list the labels a component must carry to be penalised")
		}
		v.labels(path+".labels", pen.Labels)
		if pen.Points <= 0 {
			v.ps.at(path+".points", "give the points lost per component, e.g. 5", "points must be positive, got %d", pen.Points)
		}
		if pen.Max < 0 {
			v.ps.at(path+".max", "give the most points the penalty may take, or 0 for no cap", "max must not be negative, got %d", pen.Max)
		}
	}
}

func (v *validator) rules() {
	env, err := newCELEnv()
	if err != nil {
		v.ps.at("rules", "this is a defect in sovcheck; please report it", "creating the CEL environment: %v", err)
		return
	}
	for i, r := range v.p.doc.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.ID == "":
			v.missing(path, "id", "give the rule an id, e.g. id: no-copyleft-in-core")
		case !ruleIDPattern().MatchString(r.ID):
			v.ps.at(path+".id", "use lowercase letters, digits, '.', '_' and '-'", "invalid rule id %q", r.ID)
		case reservedID(r.ID):
			v.ps.at(path+".id", "choose an id outside the reserved prefixes "+strings.Join(reservedPrefixes, ", "), "rule id %q is reserved", r.ID)
		case v.p.ruleIDs[r.ID]:
			v.ps.at(path+".id", "give each rule its own id", "rule %q defined twice", r.ID)
		default:
			v.p.ruleIDs[r.ID] = true
		}
		v.action(path, r.Action, r.Points, "give the points lost when the rule fails, e.g. points: 5", true)
		switch r.Severity {
		case "", "low", "medium", "high", "critical":
		default:
			v.ps.at(path+".severity", "use low, medium, high or critical", "unknown severity %q", r.Severity)
		}
		if strings.TrimSpace(r.Expr) == "" {
			v.missing(path, "expr", "write the condition that must hold, in CEL")
			continue
		}
		cr, xerr := compileRule(env, r, v.p.costLimit)
		if xerr != nil {
			v.ps.add(CodeInvalid, v.exprPos(path+".expr", xerr), path+".expr",
				"variables: "+celVariableNames()+"; the expression must say what must hold, as a bool", "%s", xerr.msg)
			continue
		}
		v.p.rules = append(v.p.rules, cr)
	}
}

// exprPos maps a position inside a rule's expression to the file: for a
// one-line scalar, the column within the line; for a block scalar (| or
// >), the lines below the indicator, shifted by the block's indentation.
func (v *validator) exprPos(path string, e *exprError) Pos {
	n := v.ps.nodeAt(path)
	if n == nil {
		return v.ps.posAt(path)
	}
	at := posOf(n)
	if e.line == 0 {
		return at
	}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The block's indentation is that of its first line.
		if n.Line < len(v.lines) {
			first := v.lines[n.Line]
			indent := len(first) - len(strings.TrimLeft(first, " "))
			return Pos{Line: n.Line + e.line, Column: indent + e.col + 1}
		}
		return at
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if e.line == 1 {
			return Pos{Line: at.Line, Column: at.Column + 1 + e.col}
		}
	default:
		if e.line == 1 {
			return Pos{Line: at.Line, Column: at.Column + e.col}
		}
	}
	return at
}

func celVariableNames() string {
	names := make([]string, len(celVariables))
	for i, cv := range celVariables {
		names[i] = cv.name
	}
	return strings.Join(names, ", ")
}

func reservedID(id string) bool {
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func (v *validator) waivers() {
	for i, w := range v.p.doc.Waivers {
		path := fmt.Sprintf("waivers[%d]", i)
		ok := true
		switch {
		case w.Rule == "":
			v.missing(path, "rule", "name the rule id the waiver applies to")
			ok = false
		case w.Rule == RulePolicyExpiry || w.Rule == RulePointsPass:
			v.ps.at(path+".rule", "renew the policy or change its points instead", "rule %q cannot be waived", w.Rule)
			ok = false
		case !v.p.ruleIDs[w.Rule]:
			v.ps.at(path+".rule", "rules of this policy: "+strings.Join(sortedKeys(v.p.ruleIDs), ", "), "no rule %q in this policy", w.Rule)
			ok = false
		}
		for _, f := range []struct{ name, value string }{{"reason", w.Reason}, {"owner", w.Owner}, {"expires", w.Expires}} {
			if strings.TrimSpace(f.value) == "" {
				v.missing(path, f.name, "every waiver needs a reason, an owner and an expiry date")
				ok = false
			}
		}
		until, err := parseExpiry(w.Expires)
		if w.Expires != "" && err != nil {
			v.ps.at(path+".expires", "write a date as YYYY-MM-DD", "%v", err)
			ok = false
		}
		if ok {
			v.p.waivers = append(v.p.waivers, waiver{waiverSpec: w, until: until, pos: v.ps.posAt(path)})
		}
	}
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
