package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// The policy's trust section: the trusted roots a verdict may rest on,
// each pinned by sha256, the rule they must meet (per artifact section),
// the witnesses of each transparency log and the age of trust snapshots.
//
//	trust:
//	  roots:
//	    - {name: eu, operator: CERT-EU, jurisdiction: EU, path: roots/eu.json, sha256: <hex>}
//	    - {name: pgi, operator: Sigstore, jurisdiction: US, path: roots/pgi.json, sha256: <hex>}
//	  rule: any                  # default for artifacts without their own
//	  witnesses:
//	    - {path: witnesses.txt, sha256: <hex>, quorum: 2}    # every log
//	  maxTrustAge: 7d
//	  staleTrust: fail           # or warn
//	artifacts:
//	  - match: ["*"]
//	    trust: {rule: 2, roots: [eu, pgi]}
//
// Values here are requirements: the verifier refuses to combine them with
// trusted roots or witnesses given on its command line.
type trustSection struct {
	Roots       []trustRootSpec `yaml:"roots"`
	Rule        string          `yaml:"rule,text"`
	Witnesses   []witnessSpec   `yaml:"witnesses"`
	MaxTrustAge string          `yaml:"maxTrustAge"`
	StaleTrust  string          `yaml:"staleTrust"`
}

type trustRootSpec struct {
	Name         string `yaml:"name"`
	Operator     string `yaml:"operator"`
	Jurisdiction string `yaml:"jurisdiction"`
	Path         string `yaml:"path"`
	SHA256       string `yaml:"sha256,text"`
}

type witnessSpec struct {
	// Log is the origin line of the checkpoints the entry applies to (as
	// the witnesses check prints it); empty: every log no other entry
	// names.
	Log    string `yaml:"log"`
	Path   string `yaml:"path"`
	SHA256 string `yaml:"sha256,text"`
	Quorum int    `yaml:"quorum"`
}

// artifactTrust is the trust rule of an artifact section.
type artifactTrust struct {
	Rule  string   `yaml:"rule,text"`
	Roots []string `yaml:"roots"`
}

// MaxTrustAgeLimit bounds trust.maxTrustAge (ten years).
const maxTrustAgeLimit = 10 * 365 * 24 * time.Hour

var trustNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// TrustRule says which of the policy's trusted roots must validate a
// bundle: any of Roots, all of them, or roots of at least K distinct
// operators (Kind vocab.TrustRuleAny, TrustRuleAll or TrustRuleK). Roots
// are the names of the roots that count, in the order written.
type TrustRule struct {
	Kind  string
	K     int
	Roots []string
	Pos   Pos // where the rule is written; zero for the default
}

// TrustFile is a file the trust section pins: a trusted root (a Sigstore
// trusted_root.json or a trust snapshot) or a witness list. Path is
// relative to the policy file unless absolute; Content is nil until the
// caller has handed the bytes to WithTrustFile.
type TrustFile struct {
	Key          string // "roots[NAME]" or "witnesses[N]": what WithTrustFile takes
	Name         string // a root's name
	Operator     string // a root's operator (its name unless given)
	Jurisdiction string // a root's jurisdiction; "" when not given
	Log          string // a witness list's log origin; "" for every log
	Quorum       int    // a witness list's quorum of distinct operators
	Path         string
	SHA256       string // hex
	Pos          Pos    // where the policy names the file
	Content      []byte
	sumPos       Pos // where its sha256 is written
}

// Trust is what the policy's trust section requires.
type Trust struct {
	Roots     []TrustFile
	Witnesses []TrustFile
	// MaxAge is the oldest trust snapshot accepted (0: no limit); Warn
	// says a staler one is a warning rather than a failure.
	MaxAge time.Duration
	Warn   bool
}

// trustPolicy is the validated trust section.
type trustPolicy struct {
	files    []*TrustFile // roots, then witness lists, as written
	rule     TrustRule    // the default rule
	sections []*TrustRule // per artifact section; nil: the default
	maxAge   time.Duration
	warn     bool
	content  map[string][]byte // by TrustFile.Key, once checked against its pin
}

func (v *validator) trust() {
	d := &v.p.doc
	t := d.Trust
	if t == nil {
		for i := range d.Artifacts {
			if d.Artifacts[i].Trust != nil {
				v.ps.at(fmt.Sprintf("artifacts[%d].trust", i), "name the roots under trust.roots", "a trust rule needs trust.roots")
			}
		}
		return
	}
	tp := &trustPolicy{sections: make([]*TrustRule, len(d.Artifacts))}
	var names []string
	operators := map[string]string{} // root name -> operator
	for i := range t.Roots {
		r := &t.Roots[i]
		path := fmt.Sprintf("trust.roots[%d]", i)
		switch {
		case r.Name == "":
			v.missing(path, "name", "name the root, e.g. name: eu")
		case !trustNamePattern().MatchString(r.Name):
			v.ps.at(path+".name", "use letters, digits, '.', '_' and '-'", "invalid root name %q", r.Name)
		case slices.Contains(names, r.Name):
			v.ps.at(path+".name", "give each root its own name", "root %q named twice", r.Name)
		}
		names = append(names, r.Name)
		for _, fv := range [][2]string{{"operator", r.Operator}, {"jurisdiction", r.Jurisdiction}} {
			if val := fv[1]; val != "" && (strings.TrimSpace(val) != val || len(val) > 128) {
				v.ps.at(path+"."+fv[0], "write it without surrounding blanks, in at most 128 bytes", "invalid %s %q", fv[0], clip(val, 40))
			}
		}
		f := v.trustFile(path, r.Path, r.SHA256)
		f.Key, f.Name, f.Operator, f.Jurisdiction = "roots["+r.Name+"]", r.Name, r.Operator, r.Jurisdiction
		if f.Operator == "" {
			f.Operator = r.Name
		}
		operators[r.Name] = f.Operator
		tp.files = append(tp.files, f)
	}
	tp.rule = v.trustRule("trust.rule", t.Rule, nil, names, operators)
	if t.Rule != "" && len(t.Roots) == 0 {
		v.ps.at("trust.rule", "name the roots under trust.roots", "a trust rule needs trust.roots")
	}
	for i := range d.Artifacts {
		at := d.Artifacts[i].Trust
		if at == nil {
			continue
		}
		path := fmt.Sprintf("artifacts[%d].trust", i)
		if len(t.Roots) == 0 {
			v.ps.at(path, "name the roots under trust.roots", "a trust rule needs trust.roots")
			continue
		}
		if at.Rule == "" {
			v.missing(path, "rule", "use any, all or a number K of distinct operators")
		}
		r := v.trustRule(path+".rule", at.Rule, at.Roots, names, operators)
		for j, n := range at.Roots {
			if !slices.Contains(names, n) {
				v.ps.at(fmt.Sprintf("%s.roots[%d]", path, j), "name a root listed under trust.roots", "no root named %q", n)
			} else if slices.Index(at.Roots, n) != j {
				v.ps.at(fmt.Sprintf("%s.roots[%d]", path, j), "name each root once", "root %q named twice", n)
			}
		}
		tp.sections[i] = &r
	}
	v.witnesses(t, tp)
	v.trustAge(t, tp)
	v.p.trust = tp
}

// trustFile checks a pinned file's path and sha256.
func (v *validator) trustFile(path, file, sum string) *TrustFile {
	if file == "" {
		v.missing(path, "path", "give the file's path, relative to the policy file")
	}
	hexSum := strings.ToLower(strings.TrimPrefix(sum, "sha256:"))
	if sum == "" {
		v.missing(path, "sha256", "pin the file: add sha256: <output of sha256sum>")
	} else if _, err := vocab.ParseSHA256(hexSum); err != nil {
		v.ps.at(path+".sha256", "give the 64 hex digits printed by sha256sum", "%v", err)
	}
	return &TrustFile{Path: file, SHA256: hexSum, Pos: v.ps.posAt(path), sumPos: v.ps.posAt(path + ".sha256")}
}

// trustRule reads any, all or a number K; K may not exceed the distinct
// operators of the roots that count, or the rule could never be met.
func (v *validator) trustRule(path, s string, counted, names []string, operators map[string]string) TrustRule {
	r := TrustRule{Kind: vocab.TrustRuleAny, Roots: counted, Pos: v.ps.posAt(path)}
	const hint = "use any, all or a number K of roots of distinct operators"
	switch s {
	case "", vocab.TrustRuleAny:
	case vocab.TrustRuleAll:
		r.Kind = vocab.TrustRuleAll
	default:
		k, err := strconv.Atoi(s)
		if err != nil || k < 1 {
			v.ps.at(path, hint, "unknown trust rule %q", s)
			return r
		}
		r.Kind, r.K = vocab.TrustRuleK, k
		roots := names
		if len(counted) > 0 {
			roots = counted
		}
		distinct := map[string]bool{}
		for _, n := range roots {
			if op, ok := operators[n]; ok {
				distinct[op] = true
			}
		}
		if k > len(distinct) {
			v.ps.at(path, "lower K, or count roots of more operators", "trust rule wants roots of %d distinct operators, but the roots that count have %d", k, len(distinct))
		}
	}
	return r
}

func (v *validator) witnesses(t *trustSection, tp *trustPolicy) {
	var logs []string
	for i := range t.Witnesses {
		w := &t.Witnesses[i]
		path := fmt.Sprintf("trust.witnesses[%d]", i)
		if slices.Contains(logs, w.Log) {
			hint := "give each log one witness list"
			if w.Log == "" {
				hint = "give one witness list without log: (it covers every log the others do not name)"
			}
			v.ps.at(path, hint, "log %q has two witness lists", w.Log)
		}
		logs = append(logs, w.Log)
		if w.Quorum < 1 {
			v.ps.at(path+".quorum", "give the least number of distinct witness operators that must cosign, e.g. quorum: 2", "quorum must be 1 or more, got %d", w.Quorum)
		}
		f := v.trustFile(path, w.Path, w.SHA256)
		f.Key, f.Log, f.Quorum = fmt.Sprintf("witnesses[%d]", i), w.Log, w.Quorum
		tp.files = append(tp.files, f)
	}
}

func (v *validator) trustAge(t *trustSection, tp *trustPolicy) {
	switch t.StaleTrust {
	case "", vocab.StaleTrustFail:
	case vocab.StaleTrustWarn:
		tp.warn = true
	default:
		v.ps.at("trust.staleTrust", "use fail (the default) or warn", "unknown value %q", t.StaleTrust)
	}
	if t.MaxTrustAge == "" {
		if t.StaleTrust != "" {
			v.ps.at("trust.staleTrust", "give trust.maxTrustAge too", "staleTrust without maxTrustAge")
		}
		return
	}
	d, err := parseDataAge(t.MaxTrustAge)
	if err == nil && d > maxTrustAgeLimit {
		err = fmt.Errorf("got %s, want at most 3650d", t.MaxTrustAge)
	}
	if err != nil {
		v.ps.at("trust.maxTrustAge", "give the oldest trust snapshot accepted, e.g. 7d", "%v", err)
		return
	}
	tp.maxAge = d
}

// Trust returns what the policy's trust section requires, with the
// contents handed to WithTrustFile; nil without a trust section.
func (p *Policy) Trust() *Trust {
	tp := p.trust
	if tp == nil {
		return nil
	}
	t := &Trust{MaxAge: tp.maxAge, Warn: tp.warn}
	for _, f := range tp.files {
		c := *f
		c.Content = tp.content[f.Key]
		if f.Name != "" {
			t.Roots = append(t.Roots, c)
		} else {
			t.Witnesses = append(t.Witnesses, c)
		}
	}
	return t
}

// TrustRuleFor returns the trust rule of the artifact called name: that
// of the first artifact section that matches it, or the default
// (trust.rule, any when not given). ok is false when the policy names no
// trusted roots.
func (p *Policy) TrustRuleFor(name string) (rule TrustRule, ok bool) {
	tp := p.trust
	if tp == nil || !slices.ContainsFunc(tp.files, func(f *TrustFile) bool { return f.Name != "" }) {
		return TrustRule{}, false
	}
	for i, a := range p.artifacts {
		if matchesArtifact(a.patterns, name) {
			if tp.sections[i] != nil {
				return *tp.sections[i], true
			}
			break
		}
	}
	return tp.rule, true
}

// WithTrustFile checks content against the sha256 the trust section pins
// for the file key (TrustFile.Key) and returns a copy of p that holds it:
// the verifier reads the root or witness list from exactly these bytes. A
// mismatch is a *FileError positioned at the pin, TRUST_PIN_MISMATCH.
func (p *Policy) WithTrustFile(key string, content []byte) (*Policy, error) {
	var f *TrustFile
	if p.trust != nil {
		if i := slices.IndexFunc(p.trust.files, func(f *TrustFile) bool { return f.Key == key }); i >= 0 {
			f = p.trust.files[i]
		}
	}
	if f == nil {
		return nil, reason.New(reason.PolicyInvalid, "name a file of the policy's trust section", "policy %s pins no trust file %s", p.name, key)
	}
	sum := sha256.Sum256(content)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		what := "witness list"
		if f.Name != "" {
			what = "trusted root " + f.Name
		}
		return nil, &FileError{Name: p.name, Problems: []Problem{{Pos: f.sumPos, Code: reason.TrustPinMismatch,
			Path: "trust." + key + ".sha256",
			Msg:  fmt.Sprintf("%s (%s) does not match its pin: got sha256 %s, want %s", what, f.Path, got, f.SHA256),
			Hint: "the file changed since the policy pinned it: review the change, then update the sha256 in the policy"}}}
	}
	q := *p
	tp := *p.trust
	tp.content = make(map[string][]byte, len(p.trust.content)+1)
	for k, c := range p.trust.content {
		tp.content[k] = c
	}
	tp.content[key] = content
	q.trust = &tp
	return &q, nil
}
