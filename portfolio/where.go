package portfolio

import (
	"cmp"
	"context"
	"database/sql"
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
	src := s.sourceOf(q)
	res := &WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Query: q, Matches: []Match{}}
	// Only the components' own columns are read per match; the snapshot
	// and the names are read afterwards, once each, by id (so that an
	// add running meanwhile cannot show a match an identity unread).
	rows, err := s.db.QueryContext(ctx, s.d.q(src.with("")+`SELECT c.snapshot_id, c.idx, c.ident_id, c.version, c.purl, c.parent, c.path
		FROM `+src.from+` WHERE `+src.where), src.args...)
	if err != nil {
		return nil, s.classify(err, "querying")
	}
	var kept []hit
	snaps := map[int64]*snapshotInfo{}
	idents := map[int64]*identName{}
	for rows.Next() {
		m := &Match{}
		var h hit
		if err := rows.Scan(&m.snapshot, &m.idx, &h.ident, &m.Version, &m.PURL, &h.parent, &h.path); err != nil {
			rows.Close()
			return nil, s.classify(err, "reading matches from")
		}
		// Versions are placed in the range first, so that snapshots are
		// read and paths set only for the components answered.
		if len(q.Versions) > 0 {
			typ, v, ok := sbom.PackageVersion(m.PURL)
			if !ok || v == "" {
				v = m.Version
			}
			in, err := q.Versions.Contains(typ, v)
			switch {
			case err != nil:
				m.Reason = err.Error()
			case !in:
				continue
			}
		}
		h.m = m
		kept = append(kept, h)
		snaps[m.snapshot], idents[h.ident] = nil, nil
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading matches from")
	}
	rows.Close()
	if err := s.snapshotInfos(ctx, snaps); err != nil {
		return nil, err
	}
	if err := s.identNames(ctx, idents); err != nil {
		return nil, err
	}
	products := map[string]bool{}
	for _, h := range kept {
		m := h.m
		sn, id := snaps[m.snapshot], idents[h.ident]
		if sn == nil || id == nil {
			return nil, reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup, or add the SBOMs to a new one",
				"reading matches from portfolio store %s: snapshot %d or component identity %d is not stored", s.Location(), m.snapshot, h.ident)
		}
		m.Component, m.Upstream = id.name, id.upstream
		m.Product, m.ProductVersion, m.Source, m.Digest, m.AsOf, m.Grade = sn.product, sn.version, sn.source, sn.digest, sn.asOf, sn.grade
		if m.Reason == "" {
			products[m.Product] = true
		}
	}
	if err := s.setPaths(ctx, q, kept, src); err != nil {
		return nil, err
	}
	// Sorted by snapshot (product, date, digest: ranked once per
	// snapshot), then component.
	rank := rankSnapshots(snaps)
	for i := range kept {
		kept[i].rank = rank[kept[i].m.snapshot]
	}
	slices.SortFunc(kept, func(x, y hit) int {
		return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(x.m.Component, y.m.Component),
			cmp.Compare(x.m.Version, y.m.Version), cmp.Compare(x.m.idx, y.m.idx))
	})
	res.Matches = make([]Match, 0, len(kept))
	for _, h := range kept {
		if h.m.Reason != "" {
			res.Undetermined = append(res.Undetermined, *h.m)
		} else {
			res.Matches = append(res.Matches, *h.m)
		}
	}
	res.Products = len(products)
	return res, nil
}

// matchSource is where a question's components are read from: FROM
// from WHERE where, with args, after the common table expression cte
// (none when empty).
type matchSource struct {
	cte, from, where string
	args             []any
}

// with is the WITH clause of a query over m that defines more after m's
// own table expression; empty when there is none.
func (m matchSource) with(more string) string {
	ctes := slices.DeleteFunc([]string{m.cte, more}, func(s string) bool { return s == "" })
	if len(ctes) == 0 {
		return ""
	}
	return "WITH RECURSIVE " + strings.Join(ctes, ", ") + " "
}

// sourceOf is where q's components are read from. The question picks
// component identities (name, versionless purl, upstream); on SQLite
// their components are read from components_where, segment by segment
// (segs numbers them up to the last snapshot's), so that each identity's
// entries of a segment are one run of the index; PostgreSQL reads its
// index by identity.
func (s *Store) sourceOf(q Query) matchSource {
	identWhere, args := identCondition(q)
	m := matchSource{from: `components c`, where: `c.ident_id IN (SELECT i.id FROM idents i WHERE ` + identWhere + `)`, args: args}
	if s.d.name == "sqlite" {
		m.cte = `segs (s) AS (SELECT 0 UNION ALL SELECT s + 1 FROM segs
			WHERE s < (SELECT COALESCE(MAX(id), 0) FROM snapshots) >> ` + itoa(segmentBits) + `)`
		m.from = `components c INDEXED BY components_where`
		// An IN list, not a join: SQLite then reads the index for each
		// (segment, identity) pair, where a join with segs lets it scan
		// the whole index instead.
		m.where = segmentOf + ` IN (SELECT s FROM segs) AND ` + m.where
	}
	if !q.History {
		m.from += ` JOIN current cur ON cur.snapshot_id = c.snapshot_id`
	}
	return m
}

// identCondition is the condition, over idents i, that q asks, and its
// arguments.
func identCondition(q Query) (string, []any) {
	var conds []string
	var args []any
	for _, f := range []struct{ col, val string }{{"i.package_id", q.Package}, {"i.name_id", q.Name}} {
		if f.val != "" {
			conds = append(conds, f.col+" = (SELECT id FROM terms WHERE term = ?)")
			args = append(args, f.val)
		}
	}
	if q.Upstream != "" {
		// An upstream is asked as written (a mapping file's own id) and in
		// the form components carry it: src:xz-utils is src:xz, a
		// repository URL is vcs:HOST/PATH.
		conds = append(conds, "i.upstream_id IN (SELECT id FROM terms WHERE term IN (?, ?))")
		args = append(args, q.Upstream, sbom.CanonicalUpstream(q.Upstream))
	}
	return strings.Join(conds, " AND "), args
}

// hit is a match as read: its identity, its parent in the snapshot and
// its stored path.
type hit struct {
	m      *Match
	ident  int64
	parent int
	path   string
	rank   int // of its snapshot, in the order of the answer
}

// identName is what a match shows of its component identity.
type identName struct{ name, upstream string }

// identNames reads the name and upstream of each component identity
// whose id is a key of idents.
func (s *Store) identNames(ctx context.Context, idents map[int64]*identName) error {
	return byID(ctx, s, `SELECT i.id, tn.term, tu.term FROM idents i
		JOIN terms tn ON tn.id = i.name_id JOIN terms tu ON tu.id = i.upstream_id WHERE i.id`, idents, "component identities",
		func(rows *sql.Rows) (int64, *identName, error) {
			var id int64
			n := &identName{}
			err := rows.Scan(&id, &n.name, &n.upstream)
			return id, n, err
		})
}

// snapshotInfo is what a match shows of its product snapshot.
type snapshotInfo struct {
	product, version, source, digest, asOf string
	grade                                  sbom.Grade
}

// snapshotInfos reads each snapshot whose id is a key of snaps.
func (s *Store) snapshotInfos(ctx context.Context, snaps map[int64]*snapshotInfo) error {
	return byID(ctx, s, `SELECT id, name, version, source, digest, as_of, grade FROM snapshots`+s.d.indexedBy("snapshots_where")+` WHERE id`,
		snaps, "snapshots", func(rows *sql.Rows) (int64, *snapshotInfo, error) {
			var id int64
			sn := &snapshotInfo{}
			err := rows.Scan(&id, &sn.product, &sn.version, &sn.source, &sn.digest, &sn.asOf, &sn.grade)
			return id, sn, err
		})
}

// idChunk ids are read per query.
const idChunk = 1000

// byID fills each key of into with the row whose id it is: query ends in
// the id column, and " IN (...)" is appended for each chunk of ids, or
// " BETWEEN ? AND ?" when the ids are many and close together (one range
// read is then cheaper than a search per id; the rows between that were
// not asked are skipped); scan reads one row. what names the rows in
// errors.
func byID[T any](ctx context.Context, s *Store, query string, into map[int64]*T, what string, scan func(*sql.Rows) (int64, *T, error)) error {
	read := func(cond string, args []any) error {
		rows, err := s.db.QueryContext(ctx, s.d.q(query+cond), args...)
		if err != nil {
			return s.classify(err, "querying")
		}
		defer rows.Close()
		for rows.Next() {
			id, v, err := scan(rows)
			if err != nil {
				return s.classify(err, "reading "+what+" from")
			}
			if _, asked := into[id]; asked {
				into[id] = v
			}
		}
		if err := rows.Err(); err != nil {
			return s.classify(err, "reading "+what+" from")
		}
		return nil
	}
	ids := slices.Sorted(maps.Keys(into))
	if n := int64(len(ids)); n >= minRange && ids[n-1]-ids[0] < denseIDs*n {
		return read(` BETWEEN ? AND ?`, []any{ids[0], ids[n-1]})
	}
	for start := 0; start < len(ids); start += idChunk {
		chunk := ids[start:min(start+idChunk, len(ids))]
		if err := read(` IN (`+list("?", len(chunk))+`)`, anys(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// byID reads a range when it asks at least minRange ids, and at least
// one id in denseIDs of the range.
const (
	minRange = 64
	denseIDs = 4
)

// rankSnapshots numbers snapshots in the order matches are listed in:
// product, date, digest.
func rankSnapshots(snaps map[int64]*snapshotInfo) map[int64]int {
	type entry struct {
		id int64
		sn *snapshotInfo
	}
	// Sorted as a slice that holds each snapshot: a comparison then reads
	// no map (100,000 snapshots: 310 -> 120 ms).
	order := make([]entry, 0, len(snaps))
	for id, sn := range snaps {
		order = append(order, entry{id, sn})
	}
	slices.SortFunc(order, func(x, y entry) int {
		a, b := x.sn, y.sn
		return cmp.Or(cmp.Compare(a.product, b.product), cmp.Compare(a.asOf, b.asOf), cmp.Compare(a.digest, b.digest))
	})
	rank := make(map[int64]int, len(order))
	for i, e := range order {
		rank[e.id] = i
	}
	return rank
}

// setPaths sets the path of each match kept: read from the store where the
// snapshot's paths were written when it was added, walked up the stored
// shortest-path tree for rows from before that.
func (s *Store) setPaths(ctx context.Context, q Query, kept []hit, src matchSource) error {
	at := map[key]*Match{}
	versions := map[string]bool{}
	for _, h := range kept {
		m := h.m
		switch parent := h.parent; {
		case parent == sbom.ParentRoot:
			m.Path = []string{m.Title(), m.ComponentRef()}
		case parent >= 0 && h.path != "":
			// The path written when the snapshot was added.
			chain, err := decodePath(h.path)
			if err != nil {
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
			walked := slices.Sorted(maps.Keys(versions))
			src.args = append(slices.Clone(src.args), anys(walked)...)
			src.where += " AND c.version IN (" + list("?", len(walked)) + ")"
		}
		if err := s.paths(ctx, src, at); err != nil {
			return err
		}
	}
	return nil
}

// decodePath reads a stored path, a JSON list of strings or null. The
// common case, names without a backslash (the only escape character), is
// split without a JSON decoder: where reads one path per match.
func decodePath(p string) ([]string, error) {
	if p == "null" {
		return nil, nil
	}
	if inner, ok := strings.CutPrefix(p, `["`); ok && strings.HasSuffix(inner, `"]`) && !strings.ContainsRune(inner, '\\') {
		return strings.Split(inner[:len(inner)-2], `","`), nil
	}
	var chain []string
	err := json.Unmarshal([]byte(p), &chain)
	return chain, err
}

// paths walks each hit deeper than a direct dependency up its stored
// shortest-path tree, in one recursive query, and sets its Path.
func (s *Store) paths(ctx context.Context, src matchSource, at map[key]*Match) error {
	rows, err := s.db.QueryContext(ctx, s.d.q(src.with(`chain (snapshot_id, start, node, depth) AS (
			SELECT c.snapshot_id, c.idx, c.parent, 1 FROM `+src.from+` WHERE `+src.where+` AND c.parent >= 0 AND c.path = ''
			UNION ALL
			SELECT ch.snapshot_id, ch.start, p.parent, ch.depth + 1
			FROM chain ch JOIN components p ON p.snapshot_id = ch.snapshot_id AND p.idx = ch.node
			WHERE p.parent >= 0 AND ch.depth < `+itoa(maxPathDepth)+`)`)+`
		SELECT ch.snapshot_id, ch.start, ch.depth, tn.term, c.version, c.parent
		FROM chain ch JOIN components c ON c.snapshot_id = ch.snapshot_id AND c.idx = ch.node
		JOIN terms tn ON tn.id = c.name_id`), src.args...)
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
