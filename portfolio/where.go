package portfolio

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// Query is a where-used question. At least one of Package, Name and
// Upstream is set; all that are set must match.
type Query struct {
	// Subject is the question as asked (a purl or a component name).
	Subject string `json:"subject,omitempty"`
	// Package is a versionless purl, Name a component name, Upstream an
	// upstream id (src:xz, a versionless purl or a repository).
	Package  string `json:"package,omitempty"`
	Name     string `json:"name,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	// Provider asks which products run a hosted service on a provider
	// (case and spacing folded); it is asked alone.
	Provider string `json:"provider,omitempty"`
	// Versions restricts the component versions, in the ecosystem's order.
	Versions Range `json:"versions,omitempty"`
	// History asks every snapshot ever stored, not only each product's
	// latest.
	History bool `json:"history,omitempty"`
}

// NewQuery builds a question from a subject (a purl, with or without a
// version, or a component name), an upstream id and a version range; any
// may be empty, but not all of subject and upstream.
func NewQuery(subject, upstream, versions string, history bool) (Query, error) {
	q := Query{Subject: subject, Upstream: upstream, History: history}
	if subject == "" && upstream == "" {
		return q, reason.New(reason.PortfolioQueryInvalid, "name a purl, a component name, or --upstream ID", "asking where-used: nothing to look for")
	}
	if versions != "" {
		r, err := ParseRange(versions)
		if err != nil {
			return q, err
		}
		q.Versions = r
	}
	if strings.HasPrefix(subject, "pkg:") {
		q.Package = sbom.PackageKey(subject)
		if q.Package == "" {
			return q, reason.New(reason.PortfolioQueryInvalid, "write a package URL such as pkg:deb/debian/xz-utils", "asking where-used: %q is not a valid purl", subject)
		}
		if _, v, _ := sbom.PackageVersion(subject); v != "" {
			if versions != "" {
				return q, reason.New(reason.PortfolioQueryInvalid, "drop the version from the purl, or drop --versions",
					"asking where-used: the purl %q names a version and --versions gives a range", subject)
			}
			q.Versions = Range{{Op: "=", Version: v}}
		}
	} else {
		q.Name = subject
	}
	return q, nil
}

// NewHostingQuery builds the question "which products run a service on
// provider", over each product's latest snapshot or, with history, over
// every snapshot.
func NewHostingQuery(provider string, history bool) (Query, error) {
	q := Query{Subject: provider, Provider: provider, History: history}
	if strings.TrimSpace(provider) == "" {
		return q, reason.New(reason.PortfolioQueryInvalid, "name a provider, as the SBOMs' services name it", "asking where hosted: no provider given")
	}
	return q, nil
}

// WhereResult answers a where-used question.
type WhereResult struct {
	MediaType string `json:"mediaType"`
	Query     Query  `json:"query"`
	// Products counts the distinct products with a match.
	Products int     `json:"products"`
	Matches  []Match `json:"matches"`
	// Undetermined are components of the package whose version could not
	// be placed in the range; they are neither in nor out.
	Undetermined []Match `json:"undetermined,omitempty"`
	// Services answer a hosting question (Query.Provider).
	Services []ServiceMatch `json:"services,omitempty"`
}

// Match is one component of one product snapshot.
type Match struct {
	Product        string     `json:"product"`
	ProductVersion string     `json:"productVersion,omitempty"`
	Source         string     `json:"source"`
	Digest         string     `json:"digest"`
	AsOf           string     `json:"asOf"`
	Grade          sbom.Grade `json:"grade"`
	Component      string     `json:"component"`
	Version        string     `json:"version,omitempty"`
	PURL           string     `json:"purl,omitempty"`
	Upstream       string     `json:"upstream"`
	// Path runs from the product through its dependencies to the
	// component (a shortest path); empty when the SBOM gives none.
	Path []string `json:"path,omitempty"`
	// Reason says why a match is undetermined.
	Reason string `json:"reason,omitempty"`

	snapshot int64
	idx      int
}

// Title names the product snapshot of a match: product@version.
func (m Match) Title() string {
	t := m.Product
	if m.ProductVersion != "" {
		t += "@" + m.ProductVersion
	}
	return t
}

// ComponentRef names the component of a match: name@version.
func (m Match) ComponentRef() string {
	if m.Version != "" {
		return m.Component + "@" + m.Version
	}
	return m.Component
}

// key names one component of one snapshot.
type key struct {
	snap int64
	idx  int
}

// maxWalkVersions bounds the versions listed in the query that walks
// paths; with more, the walk starts from every version of the package.
const maxWalkVersions = 500

// maxPathDepth bounds the walk up from a component to its product.
const maxPathDepth = 256

// Where answers q over each product's latest snapshot (or every snapshot
// with q.History).
func (s *Store) Where(ctx context.Context, q Query) (*WhereResult, error) {
	if q.Provider != "" {
		services, err := s.hosted(ctx, q)
		if err != nil {
			return nil, err
		}
		products := map[string]bool{}
		for _, m := range services {
			products[m.Product] = true
		}
		return &WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Query: q, Products: len(products), Matches: []Match{}, Services: services}, nil
	}
	from := `components c JOIN current cur ON cur.snapshot_id = c.snapshot_id`
	if q.History {
		from = `components c`
	}
	var conds []string
	var args []any
	for _, f := range []struct{ col, val string }{{"c.package_id", q.Package}, {"c.name_id", q.Name}} {
		if f.val != "" {
			conds = append(conds, f.col+" = (SELECT id FROM terms WHERE term = ?)")
			args = append(args, f.val)
		}
	}
	if q.Upstream != "" {
		// An upstream is asked as written (a mapping file's own id) and in
		// the form components carry it: src:xz-utils is src:xz, a
		// repository URL is vcs:HOST/PATH.
		conds = append(conds, "c.upstream_id IN (SELECT id FROM terms WHERE term IN (?, ?))")
		args = append(args, q.Upstream, sbom.CanonicalUpstream(q.Upstream))
	}
	where := strings.Join(conds, " AND ")
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT s.id, s.name, s.version, s.source, s.digest, s.as_of, s.grade,
		c.idx, tn.term, c.version, c.purl, tu.term, c.parent, c.path
		FROM `+from+` JOIN snapshots s ON s.id = c.snapshot_id
		JOIN terms tn ON tn.id = c.name_id JOIN terms tu ON tu.id = c.upstream_id WHERE `+where), args...)
	if err != nil {
		return nil, s.classify(err, "querying")
	}
	res := &WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Query: q, Matches: []Match{}}
	var all []*Match
	parents := map[*Match]int{}
	stored := map[*Match]string{}
	for rows.Next() {
		m := &Match{}
		var parent int
		var path string
		if err := rows.Scan(&m.snapshot, &m.Product, &m.ProductVersion, &m.Source, &m.Digest, &m.AsOf, &m.Grade,
			&m.idx, &m.Component, &m.Version, &m.PURL, &m.Upstream, &parent, &path); err != nil {
			rows.Close()
			return nil, s.classify(err, "reading matches from")
		}
		all = append(all, m)
		parents[m] = parent
		if path != "" {
			stored[m] = path
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading matches from")
	}
	rows.Close()
	// Versions are placed in the range first, so that paths are walked
	// only for the components answered.
	products := map[string]bool{}
	var kept []*Match
	for _, m := range all {
		if len(q.Versions) > 0 {
			typ, v, ok := sbom.PackageVersion(m.PURL)
			if !ok || v == "" {
				v = m.Version
			}
			in, err := q.Versions.Contains(typ, v)
			if err != nil {
				m.Reason = err.Error()
				kept = append(kept, m)
				continue
			}
			if !in {
				continue
			}
		}
		kept = append(kept, m)
		products[m.Product] = true
	}
	if err := s.setPaths(ctx, q, kept, parents, stored, from, where, args); err != nil {
		return nil, err
	}
	for _, m := range kept {
		if m.Reason != "" {
			res.Undetermined = append(res.Undetermined, *m)
		} else {
			res.Matches = append(res.Matches, *m)
		}
	}
	res.Products = len(products)
	sortMatches(res.Matches)
	sortMatches(res.Undetermined)
	return res, nil
}

// setPaths sets the path of each match kept: read from the store where the
// snapshot's paths were written when it was added, walked up the stored
// shortest-path tree for rows from before that.
func (s *Store) setPaths(ctx context.Context, q Query, kept []*Match, parents map[*Match]int, stored map[*Match]string, from, where string, args []any) error {
	at := map[key]*Match{}
	versions := map[string]bool{}
	for _, m := range kept {
		switch parent := parents[m]; {
		case parent == sbom.ParentRoot:
			m.Path = []string{m.Title(), m.ComponentRef()}
		case parent >= 0 && stored[m] != "":
			// The path written when the snapshot was added.
			var chain []string
			if err := json.Unmarshal([]byte(stored[m]), &chain); err != nil {
				return reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup, or add the SBOMs to a new one",
					"reading the path of %s in %s from portfolio store %s: %v", m.ComponentRef(), m.Source, s.Location(), err)
			}
			if chain != nil {
				m.Path = append(append([]string{m.Title()}, chain...), m.ComponentRef())
			}
		case parent >= 0:
			// A row from before paths were stored: walked.
			at[key{m.snapshot, m.idx}] = m
			versions[m.Version] = true
		}
	}
	if len(at) > 0 {
		// A range keeps some versions of the package: the walk starts
		// from those versions only (a superset of the matches kept).
		if len(q.Versions) > 0 && len(versions) <= maxWalkVersions {
			marks := make([]string, 0, len(versions))
			list := slices.Sorted(maps.Keys(versions))
			for _, v := range list {
				marks = append(marks, "?")
				args = append(args, v)
			}
			where += " AND c.version IN (" + strings.Join(marks, ", ") + ")"
		}
		if err := s.paths(ctx, from, where, args, at); err != nil {
			return err
		}
	}
	return nil
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(x, y Match) int {
		return cmp.Or(cmp.Compare(x.Product, y.Product), cmp.Compare(x.AsOf, y.AsOf), cmp.Compare(x.Digest, y.Digest),
			cmp.Compare(x.Component, y.Component), cmp.Compare(x.Version, y.Version), cmp.Compare(x.idx, y.idx))
	})
}

// paths walks each hit deeper than a direct dependency up its stored
// shortest-path tree, in one recursive query, and sets its Path.
func (s *Store) paths(ctx context.Context, from, where string, args []any, at map[key]*Match) error {
	rows, err := s.db.QueryContext(ctx, s.d.q(`WITH RECURSIVE chain (snapshot_id, start, node, depth) AS (
			SELECT c.snapshot_id, c.idx, c.parent, 1 FROM `+from+` WHERE `+where+` AND c.parent >= 0 AND c.path = ''
			UNION ALL
			SELECT ch.snapshot_id, ch.start, p.parent, ch.depth + 1
			FROM chain ch JOIN components p ON p.snapshot_id = ch.snapshot_id AND p.idx = ch.node
			WHERE p.parent >= 0 AND ch.depth < `+itoa(maxPathDepth)+`)
		SELECT ch.snapshot_id, ch.start, ch.depth, tn.term, c.version, c.parent
		FROM chain ch JOIN components c ON c.snapshot_id = ch.snapshot_id AND c.idx = ch.node
		JOIN terms tn ON tn.id = c.name_id`), args...)
	if err != nil {
		return s.classify(err, "querying paths in")
	}
	type hop struct {
		depth  int
		name   string
		parent int
	}
	chains := map[key][]hop{}
	for rows.Next() {
		var k key
		var h hop
		var version string
		if err := rows.Scan(&k.snap, &k.idx, &h.depth, &h.name, &version, &h.parent); err != nil {
			rows.Close()
			return s.classify(err, "reading paths from")
		}
		if version != "" {
			h.name += "@" + version
		}
		chains[k] = append(chains[k], h)
	}
	if err := rows.Err(); err != nil {
		return s.classify(err, "reading paths from")
	}
	rows.Close()
	for k, hops := range chains {
		m := at[k]
		if m == nil {
			continue
		}
		slices.SortFunc(hops, func(x, y hop) int { return cmp.Compare(y.depth, x.depth) })
		// Complete only when the walk ended at a direct dependency of the
		// product root; hops run from the match's parent up.
		if len(hops) == 0 || hops[0].parent != sbom.ParentRoot {
			continue
		}
		m.Path = make([]string, 0, len(hops)+2)
		m.Path = append(m.Path, m.Title())
		for _, h := range hops {
			m.Path = append(m.Path, h.name)
		}
		m.Path = append(m.Path, m.ComponentRef())
	}
	return nil
}
