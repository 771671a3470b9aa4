package policy

import (
	"crypto"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// RuleRebuildIndependent is the rule that k independent parties attest
// the artifact's digest, and none dissents.
const RuleRebuildIndependent = "artifact.rebuild.independent"

// MaxRebuilders is the most rebuilders one artifact section names.
const MaxRebuilders = 64

// LocalOperator is the operator of the local rebuild (verify --rebuild)
// when the policy's rebuild.self does not name one.
const LocalOperator = "the user"

type partySpec struct {
	Operator     string `yaml:"operator"`
	Jurisdiction string `yaml:"jurisdiction"`
}

type rebuilderSpec struct {
	Name         string `yaml:"name"`
	Operator     string `yaml:"operator"`
	Jurisdiction string `yaml:"jurisdiction"`
	// Key is the rebuilder's public key: PEM, or sha256:<hex> of its PKIX
	// DER encoding (the key file then given with --rebuilder-key).
	Key string `yaml:"key"`
}

// Rebuilder is a party that rebuilds: one the policy names, with its
// pinned key, or the local rebuild.
type Rebuilder struct {
	Name         string
	Operator     string
	Jurisdiction string // empty: unknown
	KeyID        string // hex sha256 of the key's PKIX DER encoding; empty for the local rebuild
	// Key is the public key when the policy gives it as PEM; nil when the
	// policy pins it by id only.
	Key crypto.PublicKey
}

func (r Rebuilder) String() string {
	j := r.Jurisdiction
	if j == "" {
		j = "jurisdiction unknown"
	}
	return fmt.Sprintf("%s (%s, %s)", r.Name, r.Operator, j)
}

// RebuildAttestation is a rebuild attestation of another rebuilder whose
// signature verified with KeyID, as verify read it. Digests are lowercase
// hex sha256.
type RebuildAttestation struct {
	KeyID    string `json:"keyId"`
	Format   string `json:"format"`
	Artifact string `json:"artifact"`
	Source   string `json:"source"`
	Recipe   string `json:"recipe"`
	// Upstream is the artifact the rebuild was compared with; empty when
	// the attestation compares nothing.
	Upstream string `json:"upstream"`
	Rebuilt  string `json:"rebuilt"`
	// Equal: the rebuilder states Rebuilt and Upstream equal, bit for bit
	// or after Normalisation.
	Equal         bool   `json:"equal"`
	Normalisation string `json:"normalisation"`
	Evidence      string `json:"evidence"`
}

// independentRule is an artifact section's rebuild.independent.
type independentRule struct {
	k                                        int
	distinctOperators, distinctJurisdictions bool
	self                                     Rebuilder
	byKey                                    map[string]Rebuilder
	normalisations                           map[string]bool // those a rebuilder's equivalence may use
}

// Rebuilders lists the rebuilders every artifact section names, once per
// key, sorted by key id: the keys verify checks rebuild attestations with.
func (p *Policy) Rebuilders() []Rebuilder {
	seen := map[string]Rebuilder{}
	for _, s := range p.artifacts {
		if s.independent == nil {
			continue
		}
		for id, r := range s.independent.byKey {
			if _, ok := seen[id]; !ok {
				seen[id] = r
			}
		}
	}
	out := make([]Rebuilder, 0, len(seen))
	for _, r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KeyID < out[j].KeyID })
	return out
}

// independent validates the rebuild section's independent rebuilders.
func (v *validator) independent(rpath string, rb *rebuildSpec, r *artifactRules) {
	if rb.Independent == 0 {
		if len(rb.Rebuilders) > 0 || rb.Self != nil || rb.DistinctOperators || rb.DistinctJurisdictions {
			v.missing(rpath, "independent", "say how many independent parties must attest the artifact's digest, e.g. independent: 2")
		}
		return
	}
	ir := &independentRule{k: rb.Independent, distinctOperators: rb.DistinctOperators, distinctJurisdictions: rb.DistinctJurisdictions,
		self: Rebuilder{Name: "local rebuild", Operator: LocalOperator}, byKey: map[string]Rebuilder{}, normalisations: map[string]bool{}}
	for _, n := range r.normalisations {
		ir.normalisations[n] = true
	}
	if s := rb.Self; s != nil {
		if strings.TrimSpace(s.Operator) == "" {
			v.missing(rpath+".self", "operator", "name who runs the local rebuild, e.g. your organisation")
		} else {
			ir.self.Operator = s.Operator
		}
		ir.self.Jurisdiction = strings.TrimSpace(s.Jurisdiction)
	}
	if len(rb.Rebuilders) > MaxRebuilders {
		v.ps.at(rpath+".rebuilders", fmt.Sprintf("name at most %d rebuilders", MaxRebuilders), "%d rebuilders", len(rb.Rebuilders))
		return
	}
	names := map[string]bool{}
	for i, spec := range rb.Rebuilders {
		p := fmt.Sprintf("%s.rebuilders[%d]", rpath, i)
		ok := true
		for _, f := range []struct{ name, val, hint string }{
			{"name", spec.Name, "name the rebuilder, as reports will call it"},
			{"operator", spec.Operator, "name the organisation that runs the rebuilder"},
			{"jurisdiction", spec.Jurisdiction, "give the country whose law the operator answers to, e.g. DE"},
			{"key", spec.Key, "give the rebuilder's public key in PEM, or sha256:<hex> of it"},
		} {
			if strings.TrimSpace(f.val) == "" {
				v.missing(p, f.name, f.hint)
				ok = false
			}
		}
		if !ok {
			continue
		}
		id, err := parseKeyRef(spec.Key)
		if err != nil {
			v.ps.at(p+".key", "give the rebuilder's public key in PEM, or sha256:<hex> of its PKIX DER encoding", "%v", err)
			continue
		}
		if names[spec.Name] {
			v.ps.at(p+".name", "give each rebuilder its own name", "rebuilder %q named twice", spec.Name)
		}
		if _, dup := ir.byKey[id]; dup {
			v.ps.at(p+".key", "one key is one party: give each rebuilder its own key", "key sha256:%s given twice", id)
		}
		names[spec.Name] = true
		ir.byKey[id] = Rebuilder{Name: spec.Name, Operator: strings.TrimSpace(spec.Operator), Jurisdiction: strings.TrimSpace(spec.Jurisdiction),
			KeyID: id, Key: certifierKey(spec.Key)}
	}
	switch {
	case rb.Independent < 0:
		v.ps.at(rpath+".independent", "give a count of at least 1", "independent: %d", rb.Independent)
	case rb.Independent > len(rb.Rebuilders)+1:
		v.ps.at(rpath+".independent", "name more rebuilders, or ask for fewer",
			"independent: %d can never be met by %d rebuilders and the local rebuild", rb.Independent, len(rb.Rebuilders))
	}
	r.independent = ir
	v.p.ruleIDs[RuleRebuildIndependent] = true
}

// stand is what one party says about the artifact.
type stand struct {
	party  Rebuilder
	digest string // what it rebuilt
	how    string // "bit for bit", or "after NAME"
	source string // what it rebuilt from, when it says
	recipe string
	name   string // the artifact's name, as it gives it
	ev     string
}

func (s stand) String() string {
	return fmt.Sprintf("%s attests sha256:%s %s", s.party, s.digest, s.how)
}

// independentRebuilds judges rebuild.independent: no party may attest a
// different digest for the artifact's source and recipe, and k
// independent parties must attest its digest.
func (ctx *evalContext) independentRebuilds() *outcome {
	ir := ctx.section.independent
	if ir == nil {
		return skipped("the policy asks no independent rebuilders for this artifact")
	}
	art := ctx.f.Artifact.Digest["sha256"]
	if art == "" {
		return failed(reason.EvidenceMissing, "the artifact has no sha256 for rebuilders to agree on", "give the artifact file or its sha256")
	}
	var agree, dissent, other []stand
	var ev []Evidence
	if s, ok := ctx.localStand(ir, art); ok {
		if s.digest == art || strings.HasPrefix(s.how, "after ") {
			agree = append(agree, s)
		} else {
			dissent = append(dissent, s)
		}
	}
	for _, a := range ctx.f.Rebuilds {
		party, ok := ir.byKey[a.KeyID]
		if !ok {
			ev = append(ev, Evidence{Field: "rebuilds", Source: a.Evidence, Detail: fmt.Sprintf("not counted: key sha256:%s is not a rebuilder this artifact's section names", a.KeyID)})
			continue
		}
		s := stand{party: party, digest: a.Rebuilt, how: "bit for bit", source: a.Source, recipe: a.Recipe, name: path.Base(a.Artifact), ev: a.Evidence}
		switch {
		case a.Rebuilt == art && (a.Upstream == art || a.Upstream == ""):
			agree = append(agree, s)
		case a.Upstream == art && a.Equal && a.Normalisation != "":
			s.how = "after " + a.Normalisation
			if !ir.normalisations[a.Normalisation] {
				ev = append(ev, Evidence{Field: "rebuilds", Source: a.Evidence, Detail: fmt.Sprintf("not counted: %s, a normalisation rebuild.normalisations does not allow", s)})
				continue
			}
			agree = append(agree, s)
		case a.Upstream == art:
			dissent = append(dissent, s)
		default:
			other = append(other, s)
		}
	}
	// A party that rebuilt the same source and recipe as one that agrees,
	// and got other bytes, is a split view.
	for _, o := range other {
		if sameBuildOther(o, agree) {
			dissent = append(dissent, o)
			continue
		}
		ev = append(ev, Evidence{Field: "rebuilds", Source: o.ev, Detail: fmt.Sprintf("not counted: about other bytes (%s %s)", o.name, o.source)})
	}
	for _, s := range agree {
		ev = append(ev, Evidence{Field: "rebuilds", Source: s.ev, Detail: "agrees: " + s.String()})
	}
	for _, s := range dissent {
		ev = append(ev, Evidence{Field: "rebuilds", Source: s.ev, Detail: "dissents: " + s.String(), Failed: true})
	}
	if len(dissent) > 0 {
		d := dissent[0]
		against := fmt.Sprintf("the artifact is sha256:%s", art)
		if len(agree) > 0 {
			against = agree[0].String()
		}
		return failed(reason.RebuildDisagreement, fmt.Sprintf("rebuilders disagree: %s, but %s", d, against),
			"a split view is an alarm: find out which bytes each rebuilder was given and built before trusting either", ev...)
	}
	n, names := ir.independentCount(agree)
	what := fmt.Sprintf("%d independent part%s", n, map[bool]string{true: "y", false: "ies"}[n == 1])
	if ir.distinctOperators || ir.distinctJurisdictions {
		what += " (" + ir.distinctness() + ")"
	}
	if n < ir.k {
		msg := fmt.Sprintf("%s attest sha256:%s, want %d", what, art, ir.k)
		if len(names) > 0 {
			msg += ": " + strings.Join(names, ", ")
		}
		return failed(reason.RebuildQuorumNotMet, msg,
			"put the rebuild attestations of more rebuilders the policy names beside the artifact or in --rebuild-attestations DIR, or rebuild locally with --rebuild", ev...)
	}
	return passed(fmt.Sprintf("%s attest sha256:%s: %s", what, art, strings.Join(names, ", ")), ev...)
}

// localStand is what the local rebuild says, if it ran to a comparison.
func (ctx *evalContext) localStand(ir *independentRule, art string) (stand, bool) {
	lb := ctx.f.Rebuild
	s := stand{party: ir.self, digest: art, how: "bit for bit", ev: lb.Evidence}
	switch lb.Status {
	case RebuildMatch:
		return s, true
	case RebuildMismatch:
		s.digest = lb.Rebuilt
		if s.digest == "" {
			s.digest = "(unknown)"
		}
		if len(lb.Causes) == 0 {
			s.how = "and differs, unexplained"
			return s, true
		}
		s.how = "and differs: " + strings.Join(lb.Causes, ", ")
		var norms []string
		for _, c := range lb.Causes {
			n := ctx.section.normalisationOf(c)
			if n == "" {
				return s, true
			}
			if !slices.Contains(norms, n) {
				norms = append(norms, n)
			}
		}
		s.how = "after " + strings.Join(norms, ", ")
		return s, true
	}
	return stand{}, false
}

// normalisationOf names the normalisation of the section that covers a
// rebuild cause; "" when none does.
func (r *artifactRules) normalisationOf(cause string) string {
	for _, n := range r.normalisations {
		if slices.Contains(normalisations[n], cause) {
			return n
		}
	}
	return ""
}

// sameBuildOther reports whether o rebuilt the source and recipe of a party
// that agrees and got bytes none of those parties got.
func sameBuildOther(o stand, agree []stand) bool {
	same := false
	for _, a := range agree {
		if a.source == "" || a.source != o.source || a.recipe != o.recipe || a.name != o.name {
			continue
		}
		if a.digest == o.digest {
			return false
		}
		same = true
	}
	return same
}

func (ir *independentRule) distinctness() string {
	switch {
	case ir.distinctOperators && ir.distinctJurisdictions:
		return "distinct operators and jurisdictions"
	case ir.distinctOperators:
		return "distinct operators"
	}
	return "distinct jurisdictions"
}

// independentCount counts the parties that agree, each once, as the
// policy counts them: the most with pairwise distinct operators and/or
// jurisdictions (a party whose jurisdiction is unknown counts for none
// when jurisdictions must differ). It returns the count and the parties
// agreeing, with what they attest.
func (ir *independentRule) independentCount(agree []stand) (int, []string) {
	seen := map[string]bool{}
	var parties []Rebuilder
	var names []string
	for _, s := range agree {
		key := s.party.KeyID + "\x00" + s.party.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		parties = append(parties, s.party)
		names = append(names, s.party.String()+" "+s.how)
	}
	sort.Strings(names)
	if ir.distinctJurisdictions {
		var known []Rebuilder
		for _, p := range parties {
			if p.Jurisdiction != "" {
				known = append(known, p)
			}
		}
		parties = known
	}
	opKey := func(p Rebuilder) string { return strings.ToLower(p.Operator) }
	jurKey := func(p Rebuilder) string { return strings.ToUpper(p.Jurisdiction) }
	switch {
	case ir.distinctOperators && ir.distinctJurisdictions:
		return maxMatching(parties, opKey, jurKey), names
	case ir.distinctOperators:
		return distinctBy(parties, opKey), names
	case ir.distinctJurisdictions:
		return distinctBy(parties, jurKey), names
	}
	return len(parties), names
}

func distinctBy(ps []Rebuilder, key func(Rebuilder) string) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[key(p)] = true
	}
	return len(seen)
}

// maxMatching is the most parties that can be chosen with pairwise
// distinct operators and jurisdictions: a maximum bipartite matching of
// operators to jurisdictions, each party an edge (augmenting paths; the
// parties are few).
func maxMatching(ps []Rebuilder, op, jur func(Rebuilder) string) int {
	edges := map[string][]string{}
	var ops []string
	for _, p := range ps {
		o := op(p)
		if _, ok := edges[o]; !ok {
			ops = append(ops, o)
		}
		edges[o] = append(edges[o], jur(p))
	}
	owner := map[string]string{} // jurisdiction -> operator matched to it
	var augment func(o string, seen map[string]bool) bool
	augment = func(o string, seen map[string]bool) bool {
		for _, j := range edges[o] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if prev, taken := owner[j]; !taken || augment(prev, seen) {
				owner[j] = o
				return true
			}
		}
		return false
	}
	n := 0
	for _, o := range ops {
		if augment(o, map[string]bool{}) {
			n++
		}
	}
	return n
}
