package portfolio

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// ident is a component's identity: the term ids of its name, versionless
// purl and upstream.
type ident struct{ name, pkg, upstream int64 }

// maxCachedTerms bounds the writer's term cache.
const maxCachedTerms = 1 << 20

// termBatch terms are looked up or inserted per statement.
const termBatch = 200

// execQuerier is a transaction or the database.
type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// conn is where terms and identities are written: on PostgreSQL they are
// committed on their own, in sorted order, so that writers adding the
// same new ones at once neither deadlock nor hold them for the length of
// an SBOM (one left by a failed SBOM is harmless); on SQLite the one
// writer holds the database, so they go into its transaction.
func (w *writer) conn() execQuerier {
	if w.s.d.name == "postgres" {
		return w.s.db
	}
	return w.tx
}

// termIDs returns the id of each term, inserting the unknown ones.
func (w *writer) termIDs(ctx context.Context, terms []string) ([]int64, error) {
	if w.terms == nil || len(w.terms) > maxCachedTerms {
		w.terms = map[string]int64{}
	}
	var missing []string
	seen := map[string]bool{}
	for _, t := range terms {
		if _, ok := w.terms[t]; !ok && !seen[t] {
			seen[t] = true
			missing = append(missing, t)
		}
	}
	slices.Sort(missing)
	db := w.conn()
	for start := 0; start < len(missing); start += termBatch {
		batch := missing[start:min(start+termBatch, len(missing))]
		args := make([]any, len(batch))
		marks := make([]string, len(batch))
		for i, t := range batch {
			args[i], marks[i] = t, "(?)"
		}
		if _, err := db.ExecContext(ctx, w.s.d.q(`INSERT INTO terms (term) VALUES `+strings.Join(marks, ", ")+` ON CONFLICT (term) DO NOTHING`), args...); err != nil {
			return nil, w.s.classify(err, "writing terms to")
		}
		for i := range marks {
			marks[i] = "?"
		}
		rows, err := db.QueryContext(ctx, w.s.d.q(`SELECT id, term FROM terms WHERE term IN (`+strings.Join(marks, ", ")+`)`), args...)
		if err != nil {
			return nil, w.s.classify(err, "reading terms from")
		}
		for rows.Next() {
			var id int64
			var t string
			if err := rows.Scan(&id, &t); err != nil {
				rows.Close()
				return nil, w.s.classify(err, "reading terms from")
			}
			w.terms[t] = id
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, w.s.classify(err, "reading terms from")
		}
	}
	ids := make([]int64, len(terms))
	for i, t := range terms {
		id, ok := w.terms[t]
		if !ok {
			return nil, reason.New(reason.PortfolioStoreCorrupt, "check the store", "writing terms to portfolio store %s: term %q has no id after insertion", w.s.Location(), t)
		}
		ids[i] = id
	}
	return ids, nil
}

// identBatch identities are looked up or inserted per statement.
const identBatch = 200

// identIDs returns the id of each identity, inserting the unknown ones.
func (w *writer) identIDs(ctx context.Context, ids []ident) ([]int64, error) {
	if w.idents == nil || len(w.idents) > maxCachedTerms {
		w.idents = map[ident]int64{}
	}
	var missing []ident
	seen := map[ident]bool{}
	for _, k := range ids {
		if _, ok := w.idents[k]; !ok && !seen[k] {
			seen[k] = true
			missing = append(missing, k)
		}
	}
	slices.SortFunc(missing, func(x, y ident) int {
		return cmp.Or(cmp.Compare(x.name, y.name), cmp.Compare(x.pkg, y.pkg), cmp.Compare(x.upstream, y.upstream))
	})
	db := w.conn()
	for start := 0; start < len(missing); start += identBatch {
		batch := missing[start:min(start+identBatch, len(missing))]
		args := make([]any, 0, 3*len(batch))
		marks := make([]string, len(batch))
		for i, k := range batch {
			args = append(args, k.name, k.pkg, k.upstream)
			marks[i] = "(?, ?, ?)"
		}
		if _, err := db.ExecContext(ctx, w.s.d.q(`INSERT INTO idents (name_id, package_id, upstream_id) VALUES `+strings.Join(marks, ", ")+
			` ON CONFLICT (name_id, package_id, upstream_id) DO NOTHING`), args...); err != nil {
			return nil, w.s.classify(err, "writing component identities to")
		}
		// Typed, for PostgreSQL: a VALUES list has no column to take its
		// parameters' type from.
		for i := range marks {
			marks[i] = "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"
		}
		rows, err := db.QueryContext(ctx, w.s.d.q(`SELECT id, name_id, package_id, upstream_id FROM idents
			WHERE (name_id, package_id, upstream_id) IN (VALUES `+strings.Join(marks, ", ")+`)`), args...)
		if err != nil {
			return nil, w.s.classify(err, "reading component identities from")
		}
		for rows.Next() {
			var id int64
			var k ident
			if err := rows.Scan(&id, &k.name, &k.pkg, &k.upstream); err != nil {
				rows.Close()
				return nil, w.s.classify(err, "reading component identities from")
			}
			w.idents[k] = id
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, w.s.classify(err, "reading component identities from")
		}
	}
	out := make([]int64, len(ids))
	for i, k := range ids {
		id, ok := w.idents[k]
		if !ok {
			return nil, reason.New(reason.PortfolioStoreCorrupt, "check the store",
				"writing component identities to portfolio store %s: identity %v has no id after insertion", w.s.Location(), k)
		}
		out[i] = id
	}
	return out, nil
}
