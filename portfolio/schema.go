package portfolio

import "strings"

// storeFormat marks a database as a sovcheck portfolio store.
const storeFormat = "sovcheck-portfolio"

// migrations create and upgrade the schema; migration i takes the store
// from schema version i to i+1. The statements are written once for both
// SQLite and PostgreSQL: {{id}}, {{real}}, {{clustered}} and {{bytes}}
// are the only words that differ. A released migration is never edited, only appended to.
var migrations = [][]string{
	{
		`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		// A judgement is the configuration and the data snapshot products
		// were judged with, and the date they were judged for.
		`CREATE TABLE judgements (
			id {{id}},
			digest TEXT NOT NULL UNIQUE,
			as_of TEXT NOT NULL,
			config TEXT NOT NULL,
			data TEXT NOT NULL)`,
		// A snapshot is one SBOM of one product, kept for good: history
		// makes diffs and trends possible.
		`CREATE TABLE snapshots (
			id {{id}},
			digest TEXT NOT NULL UNIQUE,
			product TEXT NOT NULL,
			name TEXT NOT NULL,
			version TEXT NOT NULL,
			purl TEXT NOT NULL,
			source TEXT NOT NULL,
			format TEXT NOT NULL,
			spec_version TEXT NOT NULL,
			as_of TEXT NOT NULL,
			added_at TEXT NOT NULL,
			judgement_id BIGINT NOT NULL REFERENCES judgements(id),
			risk INTEGER NOT NULL,
			computed_grade TEXT NOT NULL,
			grade TEXT NOT NULL,
			caps TEXT NOT NULL,
			coverage TEXT NOT NULL,
			components INTEGER NOT NULL)`,
		`CREATE INDEX snapshots_product ON snapshots (product, as_of)`,
		// terms holds each component name, versionless purl and upstream
		// id once; components refer to them by number, so the indexes a
		// where-used question reads are small and cheap to keep.
		`CREATE TABLE terms (
			id {{id}},
			term TEXT NOT NULL UNIQUE)`,
		`CREATE TABLE components (
			snapshot_id BIGINT NOT NULL REFERENCES snapshots(id),
			idx INTEGER NOT NULL,
			name_id BIGINT NOT NULL REFERENCES terms(id),
			version TEXT NOT NULL,
			purl TEXT NOT NULL,
			package_id BIGINT NOT NULL REFERENCES terms(id),
			upstream_id BIGINT NOT NULL REFERENCES terms(id),
			supplier TEXT NOT NULL,
			parent INTEGER NOT NULL,
			dependents_signal {{real}} NOT NULL,
			dominated_signal {{real}} NOT NULL,
			fragility {{real}} NOT NULL,
			assessed INTEGER NOT NULL,
			sandboxed INTEGER NOT NULL,
			labels TEXT NOT NULL,
			risk INTEGER NOT NULL,
			grade TEXT NOT NULL,
			PRIMARY KEY (snapshot_id, idx)){{clustered}}`,
		`CREATE INDEX components_upstream ON components (upstream_id)`,
		`CREATE INDEX components_package ON components (package_id)`,
		`CREATE INDEX components_name ON components (name_id)`,
		// current holds each product's latest snapshot: the portfolio of
		// today, kept up to date in the transaction that adds a snapshot.
		`CREATE TABLE current (
			product TEXT PRIMARY KEY,
			snapshot_id BIGINT NOT NULL REFERENCES snapshots(id),
			as_of TEXT NOT NULL)`,
		`CREATE INDEX current_snapshot ON current (snapshot_id)`,
	},
	{
		// Two SBOMs of one product with one date: the current one is the
		// greater source, then the greater digest, compared byte by byte
		// on both databases, whatever order parallel writers insert them
		// in (schema 1 took the later insertion).
		`ALTER TABLE current ADD COLUMN source TEXT COLLATE {{bytes}} NOT NULL DEFAULT ''`,
		`ALTER TABLE current ADD COLUMN digest TEXT COLLATE {{bytes}} NOT NULL DEFAULT ''`,
		`DELETE FROM current`,
		`INSERT INTO current (product, snapshot_id, as_of, source, digest)
			SELECT product, id, as_of, source, digest FROM (SELECT id, product, as_of, source, digest,
				ROW_NUMBER() OVER (PARTITION BY product ORDER BY ` + latestFirst + `) AS rn FROM snapshots) t
			WHERE rn = 1`,
	},
	{
		// The hosted services of each snapshot (CycloneDX services): the
		// provider as the SBOM names it and as where looks it up (case
		// and spacing folded, indexed), whether the service crosses a
		// trust boundary (NULL when the SBOM does not say), and the whole
		// judged service (endpoints, trust zone, data flows, labels) as
		// JSON for report.
		`CREATE TABLE services (
			snapshot_id BIGINT NOT NULL REFERENCES snapshots(id),
			idx INTEGER NOT NULL,
			name TEXT NOT NULL,
			provider TEXT NOT NULL,
			provider_key TEXT NOT NULL,
			crosses_trust_boundary INTEGER,
			result TEXT NOT NULL,
			PRIMARY KEY (snapshot_id, idx)){{clustered}}`,
		`CREATE INDEX services_provider ON services (provider_key)`,
	},
	{
		// Each component's path from its product, written when the
		// snapshot is added (the names from the direct dependency down to
		// the component's parent, as a JSON list; "null" when no path
		// reaches it), so that where answers without walking the graph.
		// Rows written before this migration keep '' and are walked.
		`ALTER TABLE components ADD COLUMN path TEXT NOT NULL DEFAULT ''`,
	},
	{
		// An identity is one (name, versionless purl, upstream) triple;
		// components refer to theirs, and where-used reads one index,
		// components by identity, instead of one per term: adding a
		// component costs one index entry instead of three. The term
		// columns stay in components for report and diff. ident_id
		// declares no REFERENCES: the rows it is added to hold 0 until
		// the UPDATE below.
		`CREATE TABLE idents (
			id {{id}},
			name_id BIGINT NOT NULL REFERENCES terms(id),
			package_id BIGINT NOT NULL REFERENCES terms(id),
			upstream_id BIGINT NOT NULL REFERENCES terms(id),
			UNIQUE (name_id, package_id, upstream_id))`,
		`CREATE INDEX idents_package ON idents (package_id)`,
		`CREATE INDEX idents_upstream ON idents (upstream_id)`,
		`INSERT INTO idents (name_id, package_id, upstream_id)
			SELECT DISTINCT name_id, package_id, upstream_id FROM components ORDER BY name_id, package_id, upstream_id`,
		`ALTER TABLE components ADD COLUMN ident_id BIGINT NOT NULL DEFAULT 0`,
		`UPDATE components SET ident_id = (SELECT i.id FROM idents i
			WHERE i.name_id = components.name_id AND i.package_id = components.package_id AND i.upstream_id = components.upstream_id)`,
		`DROP INDEX IF EXISTS components_upstream`,
		`DROP INDEX IF EXISTS components_package`,
		`DROP INDEX IF EXISTS components_name`,
		`CREATE INDEX components_ident ON components (ident_id)`,
		// What where shows of each snapshot, read from one small index
		// instead of from rows that carry each snapshot's coverage. SQLite
		// only: PostgreSQL limits an index entry to about 2.7 kB, which a
		// long source path could pass, and chooses its own plan.
		sqliteOnlyMark + `CREATE INDEX snapshots_where ON snapshots (id, name, version, source, digest, as_of, grade)`,
	},
	{
		// SQLite: where-used reads one index that holds what it shows of
		// each component, ordered by segment (256 consecutive snapshots,
		// segmentOf), then identity. An add inserts only into the last
		// segments, a few MB that stay in the page cache, instead of all
		// over an index the size of the store; where reads each
		// identity's entries of a segment in one run instead of one
		// table row per match. PostgreSQL keeps components_ident: it
		// limits an index entry to about 2.7 kB, which a long path could
		// pass.
		sqliteOnlyMark + `DROP INDEX IF EXISTS components_ident`,
		sqliteOnlyMark + `CREATE INDEX components_where ON components ((snapshot_id >> 8), ident_id, version, purl, parent, path)`,
	},
}

// segmentOf is the segment of a component row, as components_where
// orders them; segmentBits is its shift.
const (
	segmentOf   = `(c.snapshot_id >> 8)`
	segmentBits = 8
)

// sqliteOnlyMark starts a migration statement that only SQLite runs.
const sqliteOnlyMark = "{{sqlite only}}"

// latestFirst orders the snapshots of a product from the one that counts
// as current: the latest date, then the greater source, then the greater
// digest. The upsert in writer.insert keeps the same order.
const latestFirst = `as_of DESC, source COLLATE {{bytes}} DESC, digest COLLATE {{bytes}} DESC`

// componentIndexes are the where-used indexes of the components table
// on SQLite; Open builds any that are missing (schema 5 and older
// sovchecks dropped them for a bulk load into an empty store and built
// them at its end, which a crash could interrupt). Schema 6 keeps them
// throughout: an add inserts into the index's last segments only, and a
// bulk load that built the index at its end was slower (10,000 SBOMs:
// 47.1 s against 41.5 s) and, meanwhile, left where without it.
var componentIndexes = []struct{ name, ddl string }{
	{"components_where", `CREATE INDEX components_where ON components ((snapshot_id >> 8), ident_id, version, purl, parent, path)`},
}

// schemaVersion is the schema this sovcheck writes.
var schemaVersion = len(migrations)

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	id   string // an auto-increment primary key
	real string // a float column
	// clustered ends a CREATE TABLE whose rows are stored in primary key
	// order (SQLite: one B-tree less per row; PostgreSQL always keeps a
	// heap).
	clustered string
	bytes     string // the collation that compares text byte by byte
	dollar    bool   // placeholders are $1, $2, ... instead of ?
}

var (
	sqliteDialect   = dialect{name: "sqlite", id: "INTEGER PRIMARY KEY", real: "REAL", clustered: " WITHOUT ROWID", bytes: "BINARY"}
	postgresDialect = dialect{name: "postgres", id: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", real: "DOUBLE PRECISION", bytes: `"C"`, dollar: true}
)

// indexedBy names the index a SQLite query must read (SQLite takes a
// table's rowid over a covering index; PostgreSQL chooses on its own).
func (d dialect) indexedBy(index string) string {
	if d.name != "sqlite" {
		return ""
	}
	return " INDEXED BY " + index
}

// ddl fills in the dialect's words.
func (d dialect) ddl(stmt string) string {
	return strings.NewReplacer("{{id}}", d.id, "{{real}}", d.real, "{{clustered}}", d.clustered, "{{bytes}}", d.bytes).Replace(stmt)
}

// list is n copies of one, comma-separated: the placeholders of an IN
// list, or the rows of a multi-row VALUES.
func list(one string, n int) string { return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") }

// anys is vs as query arguments.
func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// q rewrites ? placeholders for the dialect. Queries hold no literal
// question marks.
func (d dialect) q(query string) string {
	if !d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
