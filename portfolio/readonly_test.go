package portfolio

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sovcheck/sovcheck/internal/reason"
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
		{sqlite3.SQLITE_READONLY, true},
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
		rd, err := Open(ctx, location, ForReading())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rd.Close() })
		if current, err := rd.readImmutable(ctx, pageSize); err != nil || !current {
			t.Fatalf("readImmutable: %v, %v", current, err)
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
	if _, err := rd.Where(ctx, q); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), "a write-ahead log appeared") {
		t.Errorf("where after a write-ahead log appeared: got %v", err)
	}
	// Opened with the log there, the store is refused before any question.
	if _, err := rd.readImmutable(ctx, pageSize); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable || !strings.Contains(err.Error(), "holds 7 bytes") {
		t.Errorf("readImmutable with a write-ahead log of 7 bytes: got %v", err)
	}
}
