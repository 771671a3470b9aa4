package portfolio

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// AffectedAnswer answers "which of our products does each of these OSV
// advisories affect, in which versions, and how?" from the store.
type AffectedAnswer struct {
	MediaType string `json:"mediaType"`
	// Source is the advisory data asked (a file, directory or zip), AsOf
	// its newest modified date.
	Source string `json:"source"`
	AsOf   string `json:"asOf,omitempty"`
	// Advisories counts the advisories read that are not withdrawn, Asked
	// the packages they name that the store was asked for.
	Advisories int `json:"advisories"`
	Asked      int `json:"asked"`
	// Affecting counts the advisories that affect at least one product,
	// Products the distinct products they affect, Undetermined the
	// distinct products holding a component whose version could not be
	// matched (it may be affected).
	Affecting    int  `json:"affecting"`
	Products     int  `json:"products"`
	Undetermined int  `json:"undetermined"`
	History      bool `json:"history,omitempty"`
	// Results lists, by advisory id, each advisory with an affected or
	// undetermined component; the others are counted only.
	Results []*AdvisoryResult `json:"results"`
	// Unasked are the packages no SBOM component can be matched with (an
	// ecosystem sovcheck does not read from SBOMs, an advisory naming no
	// package): counted and shown, never "not affected".
	Unasked []sbom.AffectedPackage `json:"unasked,omitempty"`
}

// AdvisoryResult is what one advisory affects.
type AdvisoryResult struct {
	Advisory string   `json:"advisory"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Modified string   `json:"modified,omitempty"`
	// Severity and Score are the worst of its entries that were asked (a
	// level, unknown ranking just after high; and a CVSS base score when
	// one gives it).
	Severity string  `json:"severity"`
	Score    float64 `json:"score,omitempty"`
	// Products counts the distinct products with an affected component.
	Products int `json:"products"`
	// Answers holds one where-used answer per question the advisory's
	// packages asked of the store (a package URL, an upstream, a name).
	Answers []*WhereResult `json:"answers"`
}

// termsPerRead names are looked up per read: a whole ecosystem's
// database names thousands of packages, most of them in no product, and
// those are found absent before any question is asked.
const termsPerRead = 500

// affectedQuestion is one where-used question and the advisory entries
// it asks for.
type affectedQuestion struct {
	q       Query
	entries []sbom.AffectedPackage
}

// WhereAffected asks the store, for each package an advisory of db names,
// which products hold a version the advisory affects. A package is found
// by its identity (each stored package URL of the same name by the
// ecosystem's rules, the upstream of a distribution's source package, the
// name of an RPM package); each question is asked once for every entry
// of every advisory that needs it, and each component found is matched
// with each advisory as 'sbom labels --vulns' matches it. A component
// that cannot be matched is listed as undetermined, never dropped.
func (s *Store) WhereAffected(ctx context.Context, db *sbom.Advisories, history bool) (*AffectedAnswer, error) {
	ans, err := s.whereAffected(ctx, db, history)
	// A store read as immutable is checked once, after the last read: a
	// read torn by a writer can fail as damage.
	if err = s.afterFrozen(err); err != nil {
		return nil, err
	}
	return ans, nil
}

// whereAffected is WhereAffected without its check after the reads.
func (s *Store) whereAffected(ctx context.Context, db *sbom.Advisories, history bool) (*AffectedAnswer, error) {
	aps, err := db.AffectedPackages()
	if err != nil {
		return nil, err
	}
	ans := &AffectedAnswer{MediaType: vocab.MediaTypePortfolioAffected, Source: db.Source(), History: history, Results: []*AdvisoryResult{}}
	if t := db.AsOf(); !t.IsZero() {
		ans.AsOf = t.Format("2006-01-02T15:04:05Z")
	}
	questions, err := s.affectedQuestions(ctx, aps, history, ans)
	if err != nil {
		return nil, err
	}
	byAdvisory := map[string]*AdvisoryResult{}
	seen := map[string]map[matchKey]bool{}
	for _, key := range slices.Sorted(maps.Keys(questions)) {
		aq := questions[key]
		res, err := s.answerUnchecked(ctx, aq.q)
		if err != nil {
			return nil, err
		}
		res.Matches, res.hits = res.All(), nil
		for _, r := range splitByAdvisory(aq, res) {
			id := r.Query.Advisory
			if byAdvisory[id] == nil {
				byAdvisory[id], seen[id] = &AdvisoryResult{}, map[matchKey]bool{}
			}
			// A component two questions of one advisory find (by its
			// upstream and by its name) is listed once.
			if r = withoutSeen(r, seen[id]); r != nil {
				byAdvisory[id].Answers = append(byAdvisory[id].Answers, r)
			}
		}
	}
	// Each advisory's entries are next to each other, by id: its result
	// takes the first one's description and the worst severity of them.
	for _, ap := range aps {
		ar := byAdvisory[ap.Advisory]
		if ar == nil || ap.Unasked != "" {
			continue
		}
		if ar.Advisory == "" {
			ar.Advisory, ar.Aliases, ar.Summary, ar.Modified = ap.Advisory, ap.Aliases, ap.Summary, ap.Modified
			ans.Results = append(ans.Results, ar)
		}
		if ar.Severity == "" || severityRank(ap.Severity) < severityRank(ar.Severity) {
			ar.Severity = ap.Severity
		}
		ar.Score = max(ar.Score, ap.Score)
	}
	products, undetermined := map[string]bool{}, map[string]bool{}
	for _, ar := range ans.Results {
		affected := map[string]bool{}
		for _, r := range ar.Answers {
			for _, m := range r.Matches {
				affected[m.Product], products[m.Product] = true, true
			}
			for _, m := range r.Undetermined {
				undetermined[m.Product] = true
			}
		}
		if ar.Products = len(affected); ar.Products > 0 {
			ans.Affecting++
		}
	}
	ans.Products, ans.Undetermined = len(products), len(undetermined)
	return ans, nil
}

// severityRank orders levels for the worst of an advisory's entries:
// unknown ranks just after high, so that it never lets a low entry stand
// for the advisory.
func severityRank(level string) float64 {
	if level == sbom.SeverityUnknown {
		return float64(sbom.SeverityRank(sbom.SeverityHigh)) + 0.5
	}
	return float64(sbom.SeverityRank(level))
}

// affectedQuestions counts the advisories and packages into ans, lists the
// unasked ones, and groups the entries of the others by the question that
// finds their components, keeping only the questions whose terms the
// store holds.
func (s *Store) affectedQuestions(ctx context.Context, aps []sbom.AffectedPackage, history bool, ans *AffectedAnswer) (map[string]*affectedQuestion, error) {
	ids := map[string]bool{}
	types := map[string]map[string]bool{} // purl type: the entries' last names
	var terms, folded []string
	for _, ap := range aps {
		ids[ap.Advisory] = true
		switch {
		case ap.Unasked != "":
			ans.Unasked = append(ans.Unasked, ap)
			continue
		case ap.PurlType != "":
			if types[ap.PurlType] == nil {
				types[ap.PurlType] = map[string]bool{}
			}
			types[ap.PurlType][ap.LastName()] = true
			for _, n := range purllessNames(ap) {
				folded = append(folded, strings.ToLower(n))
			}
		case ap.Upstream != "":
			terms = append(terms, ap.Upstream, sbom.CanonicalUpstream(ap.Upstream))
		default:
			terms = append(terms, ap.ComponentName)
		}
		ans.Asked++
	}
	ans.Advisories = len(ids)
	stored, err := s.termsStored(ctx, terms)
	if err != nil {
		return nil, err
	}
	spellings, err := s.namesFolded(ctx, folded)
	if err != nil {
		return nil, err
	}
	// The stored package keys of each purl type, by the name they give
	// their package: each entry is then one lookup.
	packages := map[string][]string{}
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		keys, err := s.packageTerms(ctx, typ)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			// An upstream written as a purl ("pkg:npm/%40babel/core") is
			// no component's package key.
			if !types[typ][sbom.KeyLastName(typ, k)] || sbom.PackageKey(k) != k {
				continue
			}
			if nk, ok := sbom.PackageNameKey(k); ok {
				packages[nk] = append(packages[nk], k)
			}
		}
	}
	questions := map[string]*affectedQuestion{}
	ask := func(key string, q Query, ap sbom.AffectedPackage) {
		aq := questions[key]
		if aq == nil {
			q.History = history
			aq = &affectedQuestion{q: q}
			questions[key] = aq
		}
		if ap.Upstream != "" && !slices.Contains(aq.q.upstreams, ap.Upstream) {
			aq.q.upstreams = append(aq.q.upstreams, ap.Upstream)
		}
		aq.entries = append(aq.entries, ap)
	}
	for _, ap := range aps {
		switch {
		case ap.Unasked != "":
		case ap.PurlType != "":
			for _, key := range packages[ap.NameKey()] {
				ask("package "+key, Query{Package: key}, ap)
			}
			// The SBOM spells the name as it likes (PyYAML), the
			// advisory as its ecosystem does (pyyaml).
			for _, name := range purllessNames(ap) {
				for _, spelt := range spellings[strings.ToLower(name)] {
					ask("purl-less "+spelt, Query{Name: spelt, purlless: true}, ap)
				}
			}
		case ap.Upstream != "":
			// One question per project, asked under every name its
			// entries give it (src:xz-utils in Debian, src:xz in Alpine).
			if canon := sbom.CanonicalUpstream(ap.Upstream); stored[ap.Upstream] || stored[canon] {
				ask("upstream "+canon, Query{Upstream: ap.Upstream}, ap)
			}
		default:
			if stored[ap.ComponentName] {
				ask("name "+ap.ComponentName, Query{Name: ap.ComponentName}, ap)
			}
		}
	}
	for _, aq := range questions {
		entries, purlless := aq.entries, aq.q.purlless
		aq.q.Subject = cmp.Or(aq.q.Package, aq.q.Upstream, aq.q.Name)
		aq.q.affects = func(purl string) (bool, string) {
			if purlless && purl != "" {
				return false, "" // found by its package URL, if at all
			}
			return sbom.AffectsAny(entries, purl)
		}
	}
	return questions, nil
}

// purllessNames are the component names a language package may have in
// an SBOM that gives it no package URL: its OSV name, and for Maven its
// artifact id, for npm its name without the scope. Such a component is
// found by name and listed as undetermined.
func purllessNames(ap sbom.AffectedPackage) []string {
	names := []string{ap.Name}
	switch ap.PurlType {
	case "maven":
		if _, artifact, ok := strings.Cut(ap.Name, ":"); ok {
			names = append(names, artifact)
		}
	case "npm":
		if _, name, ok := strings.Cut(ap.Name, "/"); ok && strings.HasPrefix(ap.Name, "@") {
			names = append(names, name)
		}
	}
	return names
}

// splitByAdvisory makes, of the answer to one question, one answer per
// advisory among its entries: each component matched again with that
// advisory's entries alone. Answers with neither an affected nor an
// undetermined component are left out; withoutSeen counts the products.
func splitByAdvisory(aq *affectedQuestion, res *WhereResult) []*WhereResult {
	var out []*WhereResult
	for start := 0; start < len(aq.entries); {
		id := aq.entries[start].Advisory
		end := start
		var named []string
		for end < len(aq.entries) && aq.entries[end].Advisory == id {
			named = append(named, aq.entries[end].Ecosystem+" "+aq.entries[end].Name)
			end++
		}
		entries := aq.entries[start:end]
		start = end
		q := aq.q
		q.Subject, q.Advisory, q.Affected, q.affects = id, id, strings.Join(slices.Compact(named), ", "), nil
		r := &WhereResult{MediaType: res.MediaType, Query: q}
		for _, ms := range [][]*Match{res.Matches, res.Undetermined} {
			for _, m := range ms {
				hit, why := sbom.AffectsAny(entries, m.PURL)
				switch {
				case hit:
					r.Matches = append(r.Matches, m)
				case why != "":
					u := *m
					u.Reason = why
					r.Undetermined = append(r.Undetermined, &u)
				}
			}
		}
		if len(r.Matches) > 0 || len(r.Undetermined) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// matchKey is what a Match shows of a component, but its path and
// reason.
type matchKey struct{ product, productVersion, source, digest, asOf, component, version, purl, upstream string }

// withoutSeen drops from r the components already listed for its
// advisory (seen), marks the others and counts r's products; nil when
// none is left.
func withoutSeen(r *WhereResult, seen map[matchKey]bool) *WhereResult {
	keep := func(ms []*Match) []*Match {
		var out []*Match
		for _, m := range ms {
			k := matchKey{m.Product, m.ProductVersion, m.Source, m.Digest, m.AsOf, m.Component, m.Version, m.PURL, m.Upstream}
			if !seen[k] {
				seen[k] = true
				out = append(out, m)
			}
		}
		return out
	}
	r.Matches, r.Undetermined = keep(r.Matches), keep(r.Undetermined)
	if len(r.Matches) == 0 && len(r.Undetermined) == 0 {
		return nil
	}
	if r.Matches == nil {
		r.Matches = []*Match{}
	}
	products := map[string]bool{}
	for _, m := range r.Matches {
		products[m.Product] = true
	}
	r.Products = len(products)
	return r
}

// termsStored reads which of terms the store holds, termsPerRead at a
// time.
func (s *Store) termsStored(ctx context.Context, terms []string) (map[string]bool, error) {
	slices.Sort(terms)
	terms = slices.Compact(terms)
	found := make(map[string]bool, len(terms))
	for start := 0; start < len(terms); start += termsPerRead {
		chunk := terms[start:min(start+termsPerRead, len(terms))]
		if err := s.eachTerm(ctx, `term IN (`+list("?", len(chunk))+`)`, anys(chunk), func(t string) { found[t] = true }); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// namesFolded reads the stored terms whose lowercase is one of folded (in
// lowercase), by it: the spellings the store holds of each name. The
// terms are read whole (tens of thousands of rows for 100,000 SBOMs: a
// few milliseconds), since no index holds them folded.
func (s *Store) namesFolded(ctx context.Context, folded []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(folded) == 0 {
		return out, nil
	}
	slices.Sort(folded)
	folded = slices.Compact(folded)
	for start := 0; start < len(folded); start += termsPerRead {
		chunk := folded[start:min(start+termsPerRead, len(folded))]
		err := s.eachTerm(ctx, `lower(term) IN (`+list("?", len(chunk))+`)`, anys(chunk), func(t string) {
			k := strings.ToLower(t)
			out[k] = append(out[k], t)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// packageTerms reads every versionless package URL of purl type typ the
// store holds: one range of the terms' index.
func (s *Store) packageTerms(ctx context.Context, typ string) ([]string, error) {
	// "pkg:npm0" is the first string after every "pkg:npm/..." in byte
	// order: SQLite's, and PostgreSQL's only in the C collation (a
	// database's own may skip punctuation), where the index of its own
	// collation cannot serve the range.
	cond := `term >= ? AND term < ?`
	if s.d.name == "postgres" {
		cond = `term COLLATE "C" >= ? AND term COLLATE "C" < ?`
	}
	var out []string
	err := s.eachTerm(ctx, cond, []any{"pkg:" + typ + "/", "pkg:" + typ + "0"}, func(t string) { out = append(out, t) })
	return out, err
}

// eachTerm calls fn with each term the condition selects.
func (s *Store) eachTerm(ctx context.Context, cond string, args []any, fn func(string)) error {
	err := s.eachRow(ctx, s.d.q(`SELECT term FROM terms WHERE `+cond), args, func(row rowValues) error {
		var t string
		if err := scanRow(row, &t); err != nil {
			return err
		}
		fn(t)
		return nil
	})
	if err != nil {
		return s.classify(err, "reading package names from")
	}
	return nil
}
