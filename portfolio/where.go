package portfolio

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
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
	// Advisory and Affected name an OSV advisory and the package of it
	// asked (WhereAffected): the versions are those the advisory affects,
	// as affects decides, not Versions.
	Advisory string `json:"advisory,omitempty"`
	Affected string `json:"affected,omitempty"`
	affects  func(purl string) (hit bool, why string)
	// upstreams are every name an advisory's entries give Upstream's
	// project (src:xz-utils, src:xz), all asked; purlless keeps only
	// components without a package URL.
	upstreams []string
	purlless  bool
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
	Products int      `json:"products"`
	Matches  []*Match `json:"matches"`
	// Undetermined are components of the package whose version could not
	// be placed in the range; they are neither in nor out.
	Undetermined []*Match `json:"undetermined,omitempty"`
	// Services answer a hosting question (Query.Provider).
	Services []ServiceMatch `json:"services,omitempty"`

	// hits are the matches of a streamed answer (Store.WhereStream), in
	// order; nil otherwise.
	hits []*hit
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
		if err = s.afterFrozen(err); err != nil {
			return nil, err
		}
		products := map[string]bool{}
		for _, m := range services {
			products[m.Product] = true
		}
		return &WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Query: q, Products: len(products), Matches: []*Match{}, Services: services}, nil
	}
	res, err := s.answer(ctx, q)
	if err != nil {
		return nil, err
	}
	res.Matches, res.hits = res.All(), nil
	return res, nil
}

// WhereStream answers q as Where does, but leaves Matches empty: the
// matches are made one at a time, in order, as WriteJSON or AppendEach
// goes through them (All makes the list at once). An answer of 259,225 matches then holds each as a record a
// third the size of a Match, and no path list until it is written.
func (s *Store) WhereStream(ctx context.Context, q Query) (*WhereResult, error) {
	if q.Provider != "" {
		return s.Where(ctx, q)
	}
	return s.answer(ctx, q)
}

// answer reads q's matches and orders them: the determined ones as hits,
// the undetermined ones made.
func (s *Store) answer(ctx context.Context, q Query) (*WhereResult, error) {
	res, err := s.answerUnchecked(ctx, q)
	// Every row is read by now; the matches are made from memory.
	if err = s.afterFrozen(err); err != nil {
		return nil, err
	}
	return res, nil
}

// answerUnchecked is answer without checking, after its read, that a
// store read as immutable did not change: for a caller that asks several
// questions and checks once after the last (WhereAffected).
func (s *Store) answerUnchecked(ctx context.Context, q Query) (*WhereResult, error) {
	parts, err := s.readParts(ctx, q)
	if err != nil {
		return nil, err
	}
	kept := orderHits(parts)
	res := &WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Query: q, Matches: []*Match{}, hits: make([]*hit, 0, len(kept))}
	for _, h := range kept {
		if h.reason != "" {
			m := &Match{}
			h.fill(m, nil)
			res.Undetermined = append(res.Undetermined, m)
			continue
		}
		// A product's matches are next to each other in this order.
		if n := len(res.hits); n == 0 || res.hits[n-1].sn.product != h.sn.product {
			res.Products++
		}
		res.hits = append(res.hits, h)
	}
	return res, nil
}

// Len is the number of matches: of Matches, or of a streamed answer.
func (r *WhereResult) Len() int {
	if r.hits != nil {
		return len(r.hits)
	}
	return len(r.Matches)
}

// All is the list of matches: Matches, or those of a streamed answer, each
// made.
func (r *WhereResult) All() []*Match {
	if r.hits == nil {
		return r.Matches
	}
	all := make([]Match, len(r.hits))
	list := make([]*Match, len(r.hits))
	for i, h := range r.hits {
		h.fill(&all[i], nil)
		list[i] = &all[i]
	}
	return list
}

// MarshalJSON encodes r as WriteJSON writes it, so that a streamed answer
// encoded by any JSON encoder, as a value or through a pointer, lists its
// matches too.
func (r WhereResult) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
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
// (segs numbers them from segment first to last, or up to the last
// snapshot's when last is negative), so that each identity's entries of
// a segment are one run of the index; PostgreSQL reads its index by
// identity, and ignores the segments.
func (s *Store) sourceOf(q Query, first, last int64) matchSource {
	identWhere, args := identCondition(q)
	m := matchSource{from: `components c`, where: `c.ident_id IN (SELECT i.id FROM idents i WHERE ` + identWhere + `)`, args: args}
	if s.d.name == "sqlite" {
		bound := `(SELECT COALESCE(MAX(id), 0) FROM snapshots) >> ` + itoa(segmentBits)
		if last >= 0 {
			bound = strconv.FormatInt(last, 10)
		}
		m.cte = `segs (s) AS (SELECT ` + strconv.FormatInt(first, 10) + ` UNION ALL SELECT s + 1 FROM segs WHERE s < ` + bound + `)`
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
		names := q.upstreams
		if len(names) == 0 {
			names = []string{q.Upstream}
		}
		var spelt []string
		for _, u := range names {
			spelt = append(spelt, u, sbom.CanonicalUpstream(u))
		}
		slices.Sort(spelt)
		terms := anys(slices.Compact(spelt))
		conds = append(conds, "i.upstream_id IN (SELECT id FROM terms WHERE term IN ("+list("?", len(terms))+"))")
		args = append(args, terms...)
	}
	return strings.Join(conds, " AND "), args
}

// hit is a match as read: its snapshot and identity (shared with the
// other matches of both), its own columns, its parent in the snapshot and
// its stored path. Hits are allocated a slab at a time (an upstream that
// 100,000 products hold answers 259,225 of them); a Match is made from one
// only when it is listed or written (fill).
type hit struct {
	sn                          *snapshotInfo
	id                          *identName
	version, purl, path, reason string
	snapshot, ident             int64
	idx, parent                 int
}

// fill makes m the match h is; its path is built in path's array when
// that is large enough (the returned slice, for the next fill) and in a
// new one otherwise. A path that does not decode was refused when it was
// read (setPaths).
func (h *hit) fill(m *Match, path []string) []string {
	*m = Match{Product: h.sn.product, ProductVersion: h.sn.version, Source: h.sn.source, Digest: h.sn.digest, AsOf: h.sn.asOf, Grade: h.sn.grade,
		Component: h.id.name, Version: h.version, PURL: h.purl, Upstream: h.id.upstream, Reason: h.reason}
	switch {
	case h.parent == sbom.ParentRoot:
		m.Path = append(path[:0], h.sn.title, m.ComponentRef())
	case h.parent >= 0 && h.path != "":
		m.Path, _ = decodePath(path[:0], h.path, h.sn.title, m.ComponentRef())
	}
	return m.Path
}

// identName is what a match shows of its component identity.
type identName struct{ name, upstream string }

// identNames reads the name and upstream of each component identity
// whose id is a key of idents.
func (s *Store) identNames(ctx context.Context, idents map[int64]*identName) error {
	return byID(ctx, s, `SELECT i.id, tn.term, tu.term FROM idents i
		JOIN terms tn ON tn.id = i.name_id JOIN terms tu ON tu.id = i.upstream_id WHERE i.id`, idents, "component identities",
		func(row rowValues) (int64, *identName, error) {
			var id int64
			n := &identName{}
			err := scanRow(row, &id, &n.name, &n.upstream)
			return id, n, err
		})
}

// snapshotInfo is what a match shows of its product snapshot.
type snapshotInfo struct {
	product, version, source, digest, asOf string
	grade                                  sbom.Grade
	title                                  string // product@version, once per snapshot
	rank                                   int    // in the order of the answer
}

// snapshotInfos reads each snapshot whose id is a key of snaps.
func (s *Store) snapshotInfos(ctx context.Context, snaps map[int64]*snapshotInfo) error {
	return byID(ctx, s, `SELECT id, name, version, source, digest, as_of, grade FROM snapshots`+s.d.indexedBy("snapshots_where")+` WHERE id`,
		snaps, "snapshots", func(row rowValues) (int64, *snapshotInfo, error) {
			var id int64
			sn := &snapshotInfo{}
			err := scanRow(row, &id, &sn.product, &sn.version, &sn.source, &sn.digest, &sn.asOf, (*string)(&sn.grade))
			sn.title = Match{Product: sn.product, ProductVersion: sn.version}.Title()
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
func byID[T any](ctx context.Context, s *Store, query string, into map[int64]*T, what string, scan func(row rowValues) (int64, *T, error)) error {
	read := func(cond string, args []any) error {
		err := s.eachRow(ctx, s.d.q(query+cond), args, func(row rowValues) error {
			id, v, err := scan(row)
			if err != nil {
				return err
			}
			if _, asked := into[id]; asked {
				into[id] = v
			}
			return nil
		})
		if err != nil {
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

// bySnapshotOrder orders snapshots as matches are listed: product, date,
// digest.
func bySnapshotOrder(a, b *snapshotInfo) int {
	return cmp.Or(cmp.Compare(a.product, b.product), cmp.Compare(a.asOf, b.asOf), cmp.Compare(a.digest, b.digest))
}

// orderHits lists the parts' hits in the order of the answer: by snapshot
// (each part's snapshots come sorted; they are merged and ranked), then
// component name, version and position. The hits are placed by rank in
// one pass; only the few hits of one snapshot are compared.
func orderHits(parts []*wherePart) []*hit {
	var order []*snapshotInfo
	for _, p := range parts {
		order = mergeSorted(order, p.order)
	}
	starts := make([]int, len(order)+1)
	for i, sn := range order {
		sn.rank = i
	}
	n := 0
	for _, p := range parts {
		n += len(p.kept)
		for _, h := range p.kept {
			starts[h.sn.rank+1]++
		}
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	kept := make([]*hit, n)
	next := slices.Clone(starts[:len(order)])
	for _, p := range parts {
		for _, h := range p.kept {
			kept[next[h.sn.rank]] = h
			next[h.sn.rank]++
		}
	}
	for i := range order {
		if one := kept[starts[i]:starts[i+1]]; len(one) > 1 {
			slices.SortFunc(one, func(x, y *hit) int {
				return cmp.Or(cmp.Compare(x.id.name, y.id.name), cmp.Compare(x.version, y.version), cmp.Compare(x.idx, y.idx))
			})
		}
	}
	return kept
}

// mergeSorted merges two lists of snapshots sorted by bySnapshotOrder.
func mergeSorted(a, b []*snapshotInfo) []*snapshotInfo {
	if len(a) == 0 {
		return b
	}
	out := make([]*snapshotInfo, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if bySnapshotOrder(a[0], b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}
