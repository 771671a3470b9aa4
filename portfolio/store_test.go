package portfolio

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// filledStore is a new SQLite store holding the fixtures' SBOMs, and its
// path.
func filledStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	location := filepath.Join(dir, "store.db")
	st := open(t, location)
	sboms := filepath.Join(dir, "sboms")
	writeFixtures(t, sboms)
	if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(t, "2026-10-01")}, collect(t, sboms)); err != nil {
		t.Fatal(err)
	}
	return st, location
}

// A store whose meta table is damaged is corrupt, not foreign: its
// tables are a store's, and the hint must send the user to a backup, not
// to another path. The file is left as it was.
func TestDamagedStoreIsCorrupt(t *testing.T) {
	ctx := context.Background()
	st, location := filledStore(t)
	root, pageSize := rootPage(t, st, "meta")
	st.Close()
	if _, err := os.Stat(location + "-wal"); err == nil {
		t.Fatal("the write-ahead log outlived Close; the damage below would not be read")
	}

	// Its twin, undamaged, opens.
	st = open(t, location)
	st.Close()

	b := overwritePage(t, location, root, pageSize)
	_, err := Open(ctx, location)
	if reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("damaged meta page: %v, want %s (malformed)", err, reason.PortfolioStoreCorrupt)
	}
	if after, _ := os.ReadFile(location); !bytes.Equal(after, b) {
		t.Error("opening a damaged store changed it")
	}
}

// rootPage is the first page of table or index name in st, and the
// store's page size.
func rootPage(t *testing.T, st *Store, name string) (root, pageSize int) {
	t.Helper()
	if err := st.db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, name).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := st.db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	return root, pageSize
}

// overwritePage fills page root of the closed store file at location
// with garbage, and returns the file's new bytes.
func overwritePage(t *testing.T, location string, root, pageSize int) []byte {
	t.Helper()
	b, err := os.ReadFile(location)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[(root-1)*pageSize:root*pageSize], bytes.Repeat([]byte{0xab}, pageSize))
	if err := os.WriteFile(location, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// SQLite's sorter spills to temporary files only when temporary data is
// not kept in memory: with temp_store MEMORY, building a where-used
// index (a migration) holds every component's key at once, and memory
// grows with the portfolio.
func TestSQLiteTemporaryDataOnDisk(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "store.db"))
	var mode int
	if err := st.db.QueryRow(`PRAGMA temp_store`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != 1 {
		t.Errorf("temp_store = %d, want 1 (FILE)", mode)
	}
}

// A store opened for reading maps its file, and answers as a store opened
// to add does; one opened to add copies pages into its own cache, so the
// peak memory of an add counts what sovcheck holds.
func TestForReadingMapsTheFile(t *testing.T) {
	st, location := filledStore(t)
	mmapSize := func(st *Store) int64 {
		var n int64
		if err := st.db.QueryRow(`PRAGMA mmap_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := mmapSize(st); n != 0 {
		t.Errorf("a store opened to add maps %d bytes, want 0", n)
	}
	rd := openReading(t, location)
	if n := mmapSize(rd); n != mmapLimit {
		t.Errorf("a store opened for reading maps %d bytes, want %d", n, mmapLimit)
	}
	// The page cache: small for reading, large to add.
	for _, c := range []struct {
		st   *Store
		want int
	}{{rd, -readingCacheKiB}, {st, -writingCacheKiB}} {
		var n int
		if err := c.st.db.QueryRow(`PRAGMA cache_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("cache_size %d, want %d", n, c.want)
		}
	}
	for _, up := range []string{"src:xz", "src:curl"} {
		a, b := where(t, st, "", up, ""), where(t, rd, "", up, "")
		if len(a.Matches) == 0 || !sameJSON(a, b) {
			t.Errorf("where --upstream %s: %d matches to add, %d for reading, or they differ", up, len(a.Matches), len(b.Matches))
		}
	}
}

// A store of schema 4 (one where-used index per term, no identities) is
// upgraded: each component gets the identity of its terms, one index
// replaces the three, and where answers as before.
func TestMigrateIdentities(t *testing.T) {
	st, location := filledStore(t)
	queries := [][3]string{
		{"", "src:xz", ""}, {"pkg:deb/debian/liblzma5", "", ">=5.6.0, <5.6.2"}, {"xz-libs", "", ""},
		{"pkg:deb/debian/liblzma5@5.4.1-0.2", "", ""}, {"openssl", "", ""},
	}
	before := make([]*WhereResult, len(queries))
	for i, q := range queries {
		before[i] = where(t, st, q[0], q[1], q[2])
	}
	if len(before[0].Matches) == 0 {
		t.Fatal("no match for src:xz before the migration: the comparison below would prove nothing")
	}
	downgrade(t, st, 4, nil)
	st.Close()
	st = open(t, location)
	for i, q := range queries {
		if after := where(t, st, q[0], q[1], q[2]); !sameJSON(before[i], after) {
			t.Errorf("where %q after the migration differs:\n%+v\nwant\n%+v", q, after.Matches, before[i].Matches)
		}
	}
	var unset, indexes int
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM components WHERE ident_id NOT IN (SELECT id FROM idents)`).Scan(&unset); err != nil {
		t.Fatal(err)
	}
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'components'`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if unset != 0 || indexes != 1 {
		t.Errorf("after the migration: %d components without an identity, %d indexes on components; want 0 and 1", unset, indexes)
	}
}

// undo[v] takes a store from schema v back to v-1 (v > 4).
var undo = map[int][]string{
	6: {`DROP INDEX components_where`, `CREATE INDEX components_ident ON components (ident_id)`},
	5: {
		`DROP INDEX components_ident`, `DROP INDEX snapshots_where`, `ALTER TABLE components DROP COLUMN ident_id`, `DROP TABLE idents`,
		`CREATE INDEX components_upstream ON components (upstream_id)`, `CREATE INDEX components_package ON components (package_id)`,
		`CREATE INDEX components_name ON components (name_id)`,
	},
}

// downgrade takes the store back to version: schemas above 4 are undone
// one by one down to version (or 4), then the statements of below undo
// the rest.
func downgrade(t *testing.T, st *Store, version int, below []string) {
	t.Helper()
	var stmts []string
	for v := schemaVersion; v > max(version, 4); v-- {
		stmts = append(stmts, undo[v]...)
	}
	stmts = append(append(stmts, below...), `UPDATE meta SET value = '`+strconv.Itoa(version)+`' WHERE key = 'schema'`)
	for _, stmt := range stmts {
		if _, err := st.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// A store of schema 5 (where-used by the identity index) is upgraded to
// one index by segment and identity that holds what where shows: where
// answers as before, in history too, and components_ident is gone.
func TestMigrateSegments(t *testing.T) {
	st, location := filledStore(t)
	type question struct {
		pkg, up, versions string
		history           bool
	}
	queries := []question{
		{"", "src:xz", "", false}, {"", "src:xz", "", true}, {"pkg:deb/debian/liblzma5", "", ">=5.6.0, <5.6.2", false},
		{"xz-libs", "", "", true}, {"openssl", "", "", false},
	}
	ask := func(q question) *WhereResult { t.Helper(); return whereIn(t, st, q.pkg, q.up, q.versions, q.history) }
	before := make([]*WhereResult, len(queries))
	for i, q := range queries {
		before[i] = ask(q)
	}
	if len(before[0].Matches) == 0 || len(before[3].Matches) == 0 {
		t.Fatalf("src:xz: %d matches, xz-libs in history: %d: the comparison below would prove little", len(before[0].Matches), len(before[3].Matches))
	}
	downgrade(t, st, 5, nil)
	st.Close()
	st = open(t, location)
	for i, q := range queries {
		if after := ask(q); !sameJSON(before[i], after) {
			t.Errorf("where %+v after the migration differs:\n%+v\nwant\n%+v", q, after.Matches, before[i].Matches)
		}
	}
	var names []string
	rows, err := st.db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'components' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if rows.Close(); !slices.Equal(names, []string{"components_where"}) {
		t.Errorf("indexes on components after the migration: %q, want [components_where]", names)
	}
}

// A match whose snapshot row is gone is a corrupt store (exit 2 with a
// hint), not a match without a product; its twin, the store before the
// damage, answers.
func TestWhereMissingSnapshotIsCorrupt(t *testing.T) {
	st, _ := filledStore(t)
	q, err := NewQuery("", "src:xz", "", false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Where(context.Background(), q)
	if err != nil || len(r.Matches) == 0 {
		t.Fatalf("before the damage: %v, %d matches", err, len(r.Matches))
	}
	if _, err := st.db.Exec(`DELETE FROM snapshots WHERE digest = ?`, r.Matches[0].Digest); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Where(context.Background(), q); reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt {
		t.Errorf("a match without its snapshot: %v, want %s", err, reason.PortfolioStoreCorrupt)
	}
}

// byID reads what it is asked, and only that, whether the ids are few,
// many and close together (one range read) or many and far apart (a
// search per id); the twin of each read is an id not asked, left out.
func TestByID(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "s.db"))
	if _, err := st.db.Exec(`CREATE TABLE nums (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Exec(`WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		INSERT INTO nums SELECT i, 'v' || i FROM n`); err != nil {
		t.Fatal(err)
	}
	for name, step := range map[string]int64{"few": 5000, "dense": 2, "sparse": 7} {
		into := map[int64]*string{}
		for id := int64(3); id <= 20000; id += step {
			into[id] = nil
		}
		want := len(into)
		err := byID(context.Background(), st, `SELECT id, v FROM nums WHERE id`, into, "numbers", func(row rowValues) (int64, *string, error) {
			var id int64
			v := new(string)
			return id, v, scanRow(row, &id, v)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(into) != want {
			t.Errorf("%s: %d ids after the read, %d asked", name, len(into), want)
		}
		for id, v := range into {
			if v == nil || *v != "v"+strconv.FormatInt(id, 10) {
				t.Errorf("%s: id %d read as %v", name, id, v)
			}
		}
	}
}

// A snapshot that holds fewer or more components than it says is a
// corrupt store, in whichever chunk of the parallel read it falls; its
// twin, the store before the damage, reports.
func TestReportCountMismatchIsCorrupt(t *testing.T) {
	dir := t.TempDir()
	writeMany(t, dir, 3*recordChunk)
	st := open(t, filepath.Join(t.TempDir(), "s.db"))
	ctx := context.Background()
	if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Report(ctx, 0); err != nil {
		t.Fatalf("before the damage: %v", err)
	}
	damaged := int64(2*recordChunk + 5)
	for _, delta := range []int{1, -1} {
		if _, err := st.db.Exec(`UPDATE snapshots SET components = components + ? WHERE id = ?`, delta, damaged); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Report(ctx, 0); reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt {
			t.Errorf("components %+d: %v, want %s", delta, err, reason.PortfolioStoreCorrupt)
		}
		if _, err := st.db.Exec(`UPDATE snapshots SET components = components - ? WHERE id = ?`, delta, damaged); err != nil {
			t.Fatal(err)
		}
	}
}

// A store whose where-used index is missing (an older sovcheck dropped
// it for a bulk load and crashed before building it again) gets it back
// when opened, and where answers as before.
func TestOpenBuildsMissingIndex(t *testing.T) {
	st, location := filledStore(t)
	before := where(t, st, "", "src:xz", "")
	if len(before.Matches) == 0 {
		t.Fatal("no match for src:xz: the comparison below would prove nothing")
	}
	if _, err := st.db.Exec(`DROP INDEX components_where`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = open(t, location)
	var n int
	if err := st.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'components_where'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if after := where(t, st, "", "src:xz", ""); n != 1 || !sameJSON(before, after) {
		t.Errorf("after reopening: %d components_where indexes, where differs: %v", n, !sameJSON(before, after))
	}
}

// A store of this schema opened to be read answers where without a
// connection of the driver; its twin, a store missing its where-used
// index, opened to be read, goes the whole way and gets the index back.
func TestForReadingCheckedOnReadConn(t *testing.T) {
	st, location := filledStore(t)
	before := where(t, st, "", "src:xz", "")
	st.Close()
	rd, err := Open(context.Background(), location, ForReading())
	if err != nil {
		t.Fatal(err)
	}
	after := where(t, rd, "", "src:xz", "")
	if n := rd.db.Stats().OpenConnections; n != 0 || !sameJSON(before, after) {
		t.Errorf("current store: %d driver connections opened, where differs: %v", n, !sameJSON(before, after))
	}
	rd.Close()

	st = open(t, location)
	if _, err := st.db.Exec(`DROP INDEX components_where`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rd = openReading(t, location)
	var n int
	if err := rd.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'components_where'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("store missing its index, opened to be read: %d indexes, %v; want it built", n, err)
	}
	if after := where(t, rd, "", "src:xz", ""); !sameJSON(before, after) {
		t.Error("store missing its index: where differs")
	}
}

// Terms and identities get their ids both ways: returned by the insert
// that adds them (a first load), and looked up when a new writer, with
// an empty cache, meets those already stored. Every component then
// refers to the identity of its own terms, and each key is stored once.
func TestInternNewAndStored(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		ctx := context.Background()
		dir := t.TempDir()
		writeMany(t, dir, 12)
		files := collect(t, dir)
		for _, part := range [][]string{files[:5], files} {
			st := open(t, location)
			if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, part); err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		st := open(t, location)
		defer st.Close()
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM components`: 36,
			// writeMany: lib000..lib011, liblzma5 and libc6 (names), their
			// versionless purls, and the upstreams xz and glibc (each once
			// as its src: form; the npm libraries are their own upstream).
			`SELECT COUNT(*) FROM idents`: 14,
			`SELECT COUNT(*) FROM components c JOIN idents i ON i.id = c.ident_id
				WHERE i.name_id = c.name_id AND i.package_id = c.package_id AND i.upstream_id = c.upstream_id`: 36,
			`SELECT COUNT(DISTINCT t.term) - COUNT(*) FROM terms t`: 0,
		} {
			var got int
			if err := st.db.QueryRowContext(ctx, q).Scan(&got); err != nil || got != want {
				t.Errorf("%s: %d, %v; want %d", q, got, err, want)
			}
		}
		if r := where(t, st, "", "src:xz", ""); r.Products != 12 {
			t.Errorf("where src:xz: %d products, want 12", r.Products)
		}
		if r := where(t, st, "pkg:npm/lib011", "", ""); r.Products != 1 || r.Matches[0].Product != "product-011" {
			t.Errorf("where lib011: %+v", r.Matches)
		}
	})
}

// A question asked of a store that does not exist is refused, and creates
// nothing: neither a file nor a schema in an empty database.
func TestReadingMissingStore(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		ctx := context.Background()
		if _, err := Open(ctx, location, ForReading()); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable ||
			!strings.Contains(err.Error(), "there is no store there") {
			t.Fatalf("reading a missing store: %v", err)
		}
		if !IsPostgres(location) {
			if _, err := os.Stat(location); !os.IsNotExist(err) {
				t.Fatalf("reading a missing store created %s: %v", location, err)
			}
			// An empty file is no store either.
			if err := os.WriteFile(location, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(ctx, location, ForReading()); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable {
				t.Fatalf("reading an empty file: %v", err)
			}
		}
		// Its twin: the store an add opened answers.
		open(t, location).Close()
		rd, err := Open(ctx, location, ForReading())
		if err != nil {
			t.Fatalf("reading a store: %v", err)
		}
		rd.Close()
	})
}

// A new SQLite store has newPageSize pages; a store made with SQLite's
// default keeps its 4096. Both checkpoint after walCheckpointBytes.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA journal_mode = WAL`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sboms := filepath.Join(dir, "sboms")
	if err := os.Mkdir(sboms, 0o755); err != nil {
		t.Fatal(err)
	}
	writeMany(t, sboms, 3)
	// A file with SQLite's magic but a page size SQLite knows not is not
	// a store: refused before the driver opens it, left as it was, nothing
	// made beside it. Its twins are the two stores below.
	odd := filepath.Join(dir, "odd.db")
	header := append([]byte("SQLite format 3\x00\x30\x00"), make([]byte, 84)...) // 12288
	if err := os.WriteFile(odd, header, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, odd); reason.CodeOf(err, "") != reason.PortfolioStoreForeign {
		t.Errorf("a page size of 12288: %v, want %s", err, reason.PortfolioStoreForeign)
	}
	if b, _ := os.ReadFile(odd); !bytes.Equal(b, header) {
		t.Error("the file with a page size of 12288 was changed")
	}
	if left, _ := filepath.Glob(odd + "-*"); len(left) > 0 {
		t.Errorf("the driver opened the file with a page size of 12288: %v left beside it", left)
	}
	for location, want := range map[string]int{filepath.Join(dir, "new.db"): newPageSize, old: 4096} {
		st := open(t, location)
		var size, pages int
		if err := st.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil || size != want {
			t.Errorf("%s: page size %d, %v; want %d", location, size, err, want)
		}
		if err := st.db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages*size != walCheckpointBytes {
			t.Errorf("%s: checkpoint every %d pages of %d, %v; want %d bytes", location, pages, size, err, walCheckpointBytes)
		}
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, sboms)); err != nil {
			t.Fatal(err)
		}
		if r := where(t, st, "", "src:xz", ""); r.Products != 3 {
			t.Errorf("%s: where src:xz: %d products", location, r.Products)
		}
		st.Close()
	}
}
