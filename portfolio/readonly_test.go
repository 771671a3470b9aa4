package portfolio

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// readOnlyMedia tells the errors of a store nothing may be written beside
// from the others.
func TestReadOnlyMediaCodes(t *testing.T) {
	for _, c := range []struct {
		code int
		want bool
	}{
		{sqlite3.SQLITE_CANTOPEN, true},
		{sqlite3.SQLITE_READONLY_DIRECTORY, true},
		{sqlite3.SQLITE_READONLY_CANTINIT, true},
		// Something pending that reading as immutable would ignore.
		{sqlite3.SQLITE_READONLY, false},
		{sqlite3.SQLITE_READONLY_ROLLBACK, false},
		{sqlite3.SQLITE_READONLY_RECOVERY, false},
		{sqlite3.SQLITE_BUSY, false},
		{sqlite3.SQLITE_CORRUPT, false},
		{sqlite3.SQLITE_NOTADB, false},
	} {
		if got := readOnlyMedia(&sqliteError{code: c.code, msg: "x"}); got != c.want {
			t.Errorf("readOnlyMedia(code %d) = %v, want %v", c.code, got, c.want)
		}
	}
	if readOnlyMedia(nil) || readOnlyMedia(context.Canceled) {
		t.Error("readOnlyMedia of nil or a cancellation: got true")
	}
}

// A store read as immutable answers as the store opened as usual, and
// fails, rather than answers, when the file changes or a write-ahead log
// with content appears while it is read. (The read-only media themselves,
// which send Open here, are in cmd/sovcheck's portfolio_readonly script.)
func TestReadImmutable(t *testing.T) {
	ctx := context.Background()
	st, location := filledStore(t)
	want := where(t, st, "", "src:xz", "")
	st.Close()
	pageSize, err := checkSQLiteFile(location)
	if err != nil {
		t.Fatal(err)
	}
	frozen := func(t *testing.T) *Store {
		t.Helper()
		rd := openReading(t, location)
		if err := rd.readImmutable(ctx, pageSize); err != nil {
			t.Fatalf("readImmutable: %v", err)
		}
		return rd
	}
	rd := frozen(t)
	if got := where(t, rd, "", "src:xz", ""); !reflect.DeepEqual(got, want) {
		t.Errorf("read as immutable, the answer differs:\n got %+v\nwant %+v", got, want)
	}
	if _, err := rd.Report(ctx, 0); err != nil {
		t.Errorf("report, read as immutable: %v", err)
	}

	q, _ := NewQuery("", "src:xz", "", false)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(location, later, later); err != nil {
		t.Fatal(err)
	}
	for name, ask := range map[string]func() error{
		"where":  func() error { _, err := rd.Where(ctx, q); return err },
		"report": func() error { _, err := rd.Report(ctx, 0); return err },
		"diff":   func() error { _, err := rd.Diff(ctx, "2026-01-01"); return err },
	} {
		if err := ask(); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), "the store file changed while it was read") {
			t.Errorf("%s after the store file changed: got %v, want %s saying so", name, err, reason.PortfolioStoreUnavailable)
		}
	}

	rd = frozen(t)
	if err := os.WriteFile(location+"-wal", []byte("commits"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Where(ctx, q); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), "a write-ahead log or a rollback journal appeared") {
		t.Errorf("where after a write-ahead log appeared: got %v", err)
	}
	// Opened with the log there, the store is refused before any question.
	if err := rd.readImmutable(ctx, pageSize); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), "-wal (7 bytes)") {
		t.Errorf("readImmutable with a write-ahead log of 7 bytes: got %v", err)
	}
}

// What reading as immutable would miss is refused: a hot rollback journal
// as a log is; through a symbolic link, the log beside the file itself;
// and a store replaced, after the open, by a copy of the same size and
// time fails the next question.
func TestReadImmutableRefuses(t *testing.T) {
	ctx := context.Background()
	st, location := filledStore(t)
	st.Close()
	pageSize, err := checkSQLiteFile(location)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(what string, err error, want string) {
		t.Helper()
		if reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s saying %q", what, err, reason.PortfolioStoreUnavailable, want)
		}
	}

	// (Written after the usual open, which, where it may write, deletes
	// a journal that is not hot.)
	rd := openReading(t, location)
	write(location+"-journal", "half")
	err = rd.readImmutable(ctx, pageSize)
	refused("a rollback journal of 4 bytes", err, location+"-journal (4 bytes)")
	os.Remove(location + "-journal")

	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(location, link); err != nil {
		t.Fatal(err)
	}
	byLink := openReading(t, link)
	write(location+"-wal", "commits")
	err = byLink.readImmutable(ctx, pageSize)
	refused("through a link, a log beside the file", err, location+"-wal (7 bytes)")
	os.Remove(location + "-wal")

	rd = openReading(t, location)
	if err := rd.readImmutable(ctx, pageSize); err != nil {
		t.Fatalf("readImmutable: %v", err)
	}
	fi, err := os.Stat(location)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(location)
	if err != nil {
		t.Fatal(err)
	}
	write(location+".new", string(data))
	if err := os.Chtimes(location+".new", fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(location+".new", location); err != nil {
		t.Fatal(err)
	}
	q, _ := NewQuery("", "src:xz", "", false)
	_, err = rd.Where(ctx, q)
	refused("where after the store was replaced by a copy of the same size and time", err, "the store file changed")
	// Several questions, checked once after the last.
	advisories, err := sbom.LoadAdvisories(writeAdvisories(t, xzAdvisories))
	if err != nil {
		t.Fatal(err)
	}
	_, err = rd.WhereAffected(ctx, advisories, false)
	refused("where --vulns after the store was replaced", err, "the store file changed")

	// A store not of this schema, or without its where-used index (an add
	// that did not finish), says why, as where it can be written.
	db, err := sql.Open("sqlite", location)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var schema string
	if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var index string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'components_where'`).Scan(&index); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change, undo, code, want string
	}{
		{`UPDATE meta SET value = '99' WHERE key = 'schema'`, `UPDATE meta SET value = '` + schema + `' WHERE key = 'schema'`,
			reason.PortfolioStoreTooNew, "schema version 99 is newer"},
		{`UPDATE meta SET value = '5' WHERE key = 'schema'`, `UPDATE meta SET value = '` + schema + `' WHERE key = 'schema'`,
			reason.PortfolioStoreUnavailable, "of schema 5, older than this sovcheck's"},
		{`UPDATE meta SET value = 'another-app' WHERE key = 'format'`, `UPDATE meta SET value = '` + storeFormat + `' WHERE key = 'format'`,
			reason.PortfolioStoreForeign, "not a sovcheck portfolio store"},
		{`DROP INDEX components_where`, index, reason.PortfolioStoreUnavailable, "lacks a where-used index"},
	} {
		rd := openReading(t, location)
		// Checkpointed: the change is in the file, the log empty.
		for _, q := range []string{c.change, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		err = rd.readImmutable(ctx, pageSize)
		if reason.CodeOf(err, "") != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s, read as immutable: got %v, want %s saying %q", c.change, err, c.code, c.want)
		}
		for _, q := range []string{c.undo, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
}
