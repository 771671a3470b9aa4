package portfolio

import (
	"context"
	"errors"
	"maps"
	"runtime"
	"slices"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// wherePart is what one part of a where question read: the matches of the
// snapshots in its segments, with their snapshots, and the last snapshot
// id the store held when it read them.
type wherePart struct {
	kept  []*hit
	order []*snapshotInfo // the snapshots of kept, sorted by bySnapshotOrder
	last  int64
}

// errNoMarker says a where statement returned no row of its own: the
// store did not answer as sovcheck asked.
var errNoMarker = errors.New("the answer lacks the row that states the last snapshot")

// maxWhereParts bounds the parts a where question is read in at once, each
// on a connection of its own; each part reads at least minPartSegments
// segments (2,048 snapshots): a smaller part costs more to open a
// connection for than it saves (1,000 SBOMs: 74 -> 67 ms read as one part).
const (
	maxWhereParts   = 4
	minPartSegments = 8
)

// readParts reads q's matches. On SQLite a store of several segments is
// read in parts, one per core, each on its own connection: the components
// of 100,000 products take as long to read as to turn into matches, and
// the parts cover disjoint segments, so disjoint snapshots. Each part's
// statement is its own read transaction; should an add commit between
// them, the parts would see two states of the store (a product whose
// current snapshot moved could appear twice, or not at all). Each part
// therefore reads, in the same statement, the last snapshot id; an add
// always stores a snapshot, so parts that saw the same last id saw the
// same store. When they did not, the question is read again as one part.
// This holds while every write that changes components or current after
// a store's migrations is an add that stores a snapshot in the same
// transaction (writer.insert), and no snapshot is ever deleted (SQLite
// would give the last id again): a write path of another kind must bump
// a counter the parts read instead.
func (s *Store) readParts(ctx context.Context, q Query) ([]*wherePart, error) {
	n := s.whereParts
	if n == 0 {
		n = min(runtime.GOMAXPROCS(0), maxWhereParts)
	}
	var last int64
	if s.d.name == "sqlite" && n > 1 {
		err := s.eachRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM snapshots`, nil, func(row rowValues) error {
			var err error
			last, err = row.integer(0)
			return err
		})
		if err != nil {
			return nil, s.classify(err, "querying")
		}
	}
	segments := last>>segmentBits + 1
	n = int(min(int64(n), segments))
	if s.whereParts == 0 {
		n = int(min(int64(n), segments/minPartSegments))
	}
	if n <= 1 {
		p, err := s.readPart(ctx, q, s.sourceOf(q, 0, -1))
		return []*wherePart{p}, err
	}
	// The first part to fail stops the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([]*wherePart, n)
	errs := make(chan error, n)
	for i := range n {
		// Segments split evenly; the last part reads up to the last
		// snapshot its statement sees.
		first, end := segments*int64(i)/int64(n), segments*int64(i+1)/int64(n)-1
		if i == n-1 {
			end = -1
		}
		run := func() {
			var err error
			parts[i], err = s.readPart(ctx, q, s.sourceOf(q, first, end))
			if s.partsInTurn != nil {
				err = s.partsInTurn(i, err)
			}
			if err != nil {
				cancel()
			}
			errs <- err
		}
		if s.partsInTurn != nil {
			run()
			continue
		}
		go run()
	}
	// The error that stopped the others, not theirs (a cancellation).
	var firstErr error
	for range n {
		if err := <-errs; err != nil && (firstErr == nil || errors.Is(firstErr, context.Canceled)) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for _, p := range parts[1:] {
		if p.last != parts[0].last {
			s.log.Debug("where: an add committed while the parts were read; reading again as one part", "last ids", []int64{parts[0].last, p.last})
			p, err := s.readPart(ctx, q, s.sourceOf(q, 0, -1))
			return []*wherePart{p}, err
		}
	}
	return parts, nil
}

// readPart reads the matches of q from src, with their snapshots, names
// and paths.
func (s *Store) readPart(ctx context.Context, q Query, src matchSource) (*wherePart, error) {
	// Only the components' own columns are read per match; the snapshot
	// and the names are read afterwards, once each, by id (snapshots and
	// identities are never changed once stored). The first row, marked by
	// snapshot id -1, holds the last snapshot id this statement sees.
	query := s.d.q(src.with("") + `SELECT -1, COALESCE(MAX(id), 0), 0, '', '', 0, '' FROM snapshots
		UNION ALL SELECT c.snapshot_id, c.idx, c.ident_id, c.version, c.purl, c.parent, c.path
		FROM ` + src.from + ` WHERE ` + src.where)
	p := &wherePart{}
	snaps := map[int64]*snapshotInfo{}
	idents := map[int64]*identName{}
	var slab []hit
	marked := false
	var snapshot, ident int64
	var idx, parent int
	var version, purl, path string
	err := s.eachRow(ctx, query, src.args, func(row rowValues) error {
		if err := scanRow(row, &snapshot, &idx, &ident, &version, &purl, &parent, &path); err != nil {
			return err
		}
		if snapshot == -1 {
			p.last, marked = int64(idx), true
			return nil
		}
		// Versions are placed in the range first, so that snapshots are
		// read and paths set only for the components answered.
		var why string
		switch {
		case q.affects != nil:
			in, open := q.affects(purl)
			if !in && open == "" {
				return nil
			}
			why = open
		case len(q.Versions) > 0:
			typ, v, ok := sbom.PackageVersion(purl)
			if !ok || v == "" {
				v = version
			}
			in, err := q.Versions.Contains(typ, v)
			switch {
			case err != nil:
				why = err.Error()
			case !in:
				return nil
			}
		}
		if len(slab) == 0 {
			slab = make([]hit, 1024)
		}
		h := &slab[0]
		slab = slab[1:]
		*h = hit{version: version, purl: purl, path: path, reason: why, snapshot: snapshot, ident: ident, idx: idx, parent: parent}
		p.kept = append(p.kept, h)
		snaps[snapshot], idents[ident] = nil, nil
		return nil
	})
	if err != nil {
		return nil, s.classify(err, "reading matches from")
	}
	if !marked {
		return nil, s.classify(errNoMarker, "reading matches from")
	}
	if err := s.snapshotInfos(ctx, snaps); err != nil {
		return nil, err
	}
	if err := s.identNames(ctx, idents); err != nil {
		return nil, err
	}
	for _, h := range p.kept {
		h.sn, h.id = snaps[h.snapshot], idents[h.ident]
		if h.sn == nil || h.id == nil {
			return nil, reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup, or add the SBOMs to a new one",
				"reading matches from portfolio store %s: snapshot %d or component identity %d is not stored", s.Location(), h.snapshot, h.ident)
		}
	}
	p.order = slices.SortedFunc(maps.Values(snaps), bySnapshotOrder)
	if err := s.setPaths(ctx, q, p.kept, src); err != nil {
		return nil, err
	}
	return p, nil
}
