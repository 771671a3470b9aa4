package portfolio

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// ident is a component's identity: the term ids of its name, versionless
// purl and upstream.
type ident struct{ name, pkg, upstream int64 }

// maxCachedTerms bounds each of the writer's caches (terms, identities).
const maxCachedTerms = 1 << 20

// execQuerier is a transaction or the database.
type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
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
	return intern(ctx, w, &w.terms, terms, interner[string]{
		what:    "terms",
		compare: strings.Compare,
		args:    func(t string) []any { return []any{t} },
		insert:  `INSERT INTO terms (term) VALUES %s ON CONFLICT (term) DO NOTHING RETURNING id, term`,
		row:     "(?)",
		lookup:  `SELECT id, term FROM terms WHERE term IN (%s)`,
		key:     "?",
		scan: func(rows *sql.Rows) (t string, id int64, err error) {
			err = rows.Scan(&id, &t)
			return t, id, err
		},
	})
}

// identIDs returns the id of each identity, inserting the unknown ones.
func (w *writer) identIDs(ctx context.Context, ids []ident) ([]int64, error) {
	return intern(ctx, w, &w.idents, ids, interner[ident]{
		what: "component identities",
		compare: func(x, y ident) int {
			return cmp.Or(cmp.Compare(x.name, y.name), cmp.Compare(x.pkg, y.pkg), cmp.Compare(x.upstream, y.upstream))
		},
		args: func(k ident) []any { return []any{k.name, k.pkg, k.upstream} },
		insert: `INSERT INTO idents (name_id, package_id, upstream_id) VALUES %s ON CONFLICT (name_id, package_id, upstream_id) DO NOTHING
			RETURNING id, name_id, package_id, upstream_id`,
		row:    "(?, ?, ?)",
		lookup: `SELECT id, name_id, package_id, upstream_id FROM idents WHERE (name_id, package_id, upstream_id) IN (VALUES %s)`,
		// Typed, for PostgreSQL: a VALUES list has no column to take its
		// parameters' type from.
		key: "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))",
		scan: func(rows *sql.Rows) (k ident, id int64, err error) {
			err = rows.Scan(&id, &k.name, &k.pkg, &k.upstream)
			return k, id, err
		},
	})
}

// interner says how keys of type K are kept once each in a table with a
// unique key and an id.
type interner[K comparable] struct {
	what    string // the keys, in errors
	compare func(x, y K) int
	args    func(K) []any // one key's parameters
	// insert adds the rows of %s, each written row, ignoring those
	// already there, and returns the id and key of each row it added;
	// lookup reads the id and key of the keys of %s, each written key.
	// scan reads one row of either.
	insert, row, lookup, key string
	scan                     func(*sql.Rows) (K, int64, error)
}

// internBatch keys are looked up or inserted per statement.
const internBatch = 200

// intern returns the id of each key, from cache (reset when full) or
// from the store, inserting the keys it does not hold, in sorted order.
func intern[K comparable](ctx context.Context, w *writer, cache *map[K]int64, keys []K, in interner[K]) ([]int64, error) {
	if *cache == nil || len(*cache) > maxCachedTerms {
		*cache = map[K]int64{}
	}
	known := *cache
	var missing []K
	for _, k := range keys {
		if _, ok := known[k]; !ok {
			missing = append(missing, k)
		}
	}
	slices.SortFunc(missing, in.compare)
	missing = slices.Compact(missing)
	argsOf := func(ks []K) []any {
		var args []any
		for _, k := range ks {
			args = append(args, in.args(k)...)
		}
		return args
	}
	db := w.conn()
	for start := 0; start < len(missing); start += internBatch {
		batch := missing[start:min(start+internBatch, len(missing))]
		// The insert returns the keys it added; only the others (stored
		// before, by this writer's earlier run or by another writer) are
		// looked up. A first load into an empty store asks one statement
		// per batch instead of two.
		if err := internRows(ctx, w, db, fmt.Sprintf(in.insert, list(in.row, len(batch))), argsOf(batch), known, in, "writing "+in.what+" to"); err != nil {
			return nil, err
		}
		batch = slices.DeleteFunc(slices.Clone(batch), func(k K) bool { _, ok := known[k]; return ok })
		if len(batch) == 0 {
			continue
		}
		if err := internRows(ctx, w, db, fmt.Sprintf(in.lookup, list(in.key, len(batch))), argsOf(batch), known, in, "reading "+in.what+" from"); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		id, ok := known[k]
		if !ok {
			return nil, reason.New(reason.PortfolioStoreCorrupt, "check the store",
				"writing %s to portfolio store %s: %v has no id after insertion", in.what, w.s.Location(), k)
		}
		ids[i] = id
	}
	return ids, nil
}

// internRows runs query, an insert or a lookup of in's keys, and records
// the id of each key it returns in known; doing names it in errors.
func internRows[K comparable](ctx context.Context, w *writer, db execQuerier, query string, args []any, known map[K]int64, in interner[K], doing string) error {
	rows, err := db.QueryContext(ctx, w.s.d.q(query), args...)
	if err != nil {
		return w.s.classify(err, doing)
	}
	defer rows.Close()
	for rows.Next() {
		k, id, err := in.scan(rows)
		if err != nil {
			return w.s.classify(err, doing)
		}
		known[k] = id
	}
	if err := rows.Err(); err != nil {
		return w.s.classify(err, doing)
	}
	return nil
}
