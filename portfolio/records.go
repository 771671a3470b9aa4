package portfolio

import (
	"context"
	"runtime"
	"sync"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// recordChunk snapshots' components are read per query.
const recordChunk = 64

// chunk is recordChunk snapshots on their way from a reader to fn: done
// receives the reader's error, or nil once every record has its
// components.
type chunk struct {
	ids    []int64
	recs   []*sbom.ProductRecord
	counts []int // of components, as stored with each snapshot
	done   chan error
}

// eachRecord reads the components of the snapshots ids (ascending) into
// the records of their heads, which hold none yet, and hands each whole
// record to fn in the order of ids. Chunks are read on up to one
// connection per CPU at once, at most two chunks per reader ahead of fn,
// so memory holds a few chunks, not the portfolio; heads is emptied on the
// way. A stored snapshot's components never change, so each chunk, read
// by id on its own connection, agrees with the records read before.
func (s *Store) eachRecord(ctx context.Context, ids []int64, heads map[int64]*head, fn func(*sbom.ProductRecord) error) error {
	ctx, cancel := context.WithCancel(ctx)
	readers := max(1, min(runtime.GOMAXPROCS(0), 4))
	work := make(chan *chunk)
	order := make(chan *chunk, 2*readers)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	go func() {
		defer close(order)
		defer close(work)
		for start := 0; start < len(ids); start += recordChunk {
			c := &chunk{ids: ids[start:min(start+recordChunk, len(ids))], done: make(chan error, 1)}
			for _, id := range c.ids {
				h := heads[id]
				c.recs, c.counts = append(c.recs, h.rec), append(c.counts, h.count)
				delete(heads, id) // fn's is the last reference
			}
			select {
			case order <- c:
			case <-ctx.Done():
				return
			}
			select {
			case work <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.done <- s.readComponents(ctx, c)
			}
		}()
	}
	for c := range order {
		var err error
		select {
		case err = <-c.done:
		case <-ctx.Done():
			err = context.Cause(ctx)
		}
		if err != nil {
			return err
		}
		for _, rec := range c.recs {
			if err := fn(rec); err != nil {
				return err
			}
		}
	}
	return context.Cause(ctx)
}

// readComponents reads the components of c's snapshots into their
// records; a snapshot holding fewer or more than it says is a corrupt
// store.
func (s *Store) readComponents(ctx context.Context, c *chunk) error {
	at := make(map[int64]*sbom.ProductRecord, len(c.ids))
	for i, id := range c.ids {
		at[id] = c.recs[i]
		// Allocated here, not with the record: memory holds the
		// components of the chunks in flight only.
		c.recs[i].Components = make([]sbom.ComponentRecord, 0, c.counts[i])
	}
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT c.snapshot_id, tn.term, c.version, c.purl, tu.term, c.supplier, c.parent,
		c.dependents_signal, c.dominated_signal, c.fragility, c.assessed, c.sandboxed, c.labels, c.risk, c.grade
		FROM components c JOIN terms tn ON tn.id = c.name_id JOIN terms tu ON tu.id = c.upstream_id
		WHERE c.snapshot_id IN (`+list("?", len(c.ids))+`) ORDER BY c.snapshot_id, c.idx`), anys(c.ids)...)
	if err != nil {
		return s.classify(err, "reading components from")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var assessed, sandboxed int
		var labels string
		var comp sbom.ComponentRecord
		if err := rows.Scan(&id, &comp.Name, &comp.Version, &comp.PURL, &comp.Upstream, &comp.Supplier, &comp.Parent,
			&comp.DependentsSignal, &comp.DominatedSignal, &comp.Fragility, &assessed, &sandboxed, &labels, &comp.Risk, &comp.Grade); err != nil {
			return s.classify(err, "reading components from")
		}
		// The query asks c's snapshots only: at[id] is one of them.
		rec := at[id]
		if len(rec.Components) == cap(rec.Components) {
			return reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading snapshot %d from %s: more components than it says it holds", id, s.Location())
		}
		comp.Assessed, comp.Sandboxed, comp.Labels = assessed != 0, sandboxed != 0, splitLabels(labels)
		rec.Components = append(rec.Components, comp)
	}
	if err := rows.Err(); err != nil {
		return s.classify(err, "reading components from")
	}
	for _, rec := range c.recs {
		if len(rec.Components) != cap(rec.Components) {
			return reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading snapshot of %s from %s: got %d components, want %d",
				rec.Source, s.Location(), len(rec.Components), cap(rec.Components))
		}
	}
	return nil
}
