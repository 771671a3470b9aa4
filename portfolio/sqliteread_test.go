package portfolio

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

// where's own connections read as their store was opened: a store opened
// for reading is mapped with the small page cache, one opened to add is
// not mapped and has the large cache; both only read.
func TestReadConnSettings(t *testing.T) {
	st, location := filledStore(t)
	rd, err := Open(context.Background(), location, ForReading())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	pragma := func(st *Store, name string) int64 {
		var n int64
		err := st.eachRow(context.Background(), `PRAGMA `+name, nil, func(r rowValues) error {
			var err error
			n, err = r.integer(0)
			return err
		})
		if err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return n
	}
	for _, c := range []struct {
		st     *Store
		pragma string
		want   int64
	}{
		{rd, "mmap_size", mmapLimit}, {st, "mmap_size", 0},
		{rd, "cache_size", -readingCacheKiB}, {st, "cache_size", -writingCacheKiB},
		{rd, "query_only", 1}, {st, "query_only", 1},
		{rd, "busy_timeout", 60000},
	} {
		if n := pragma(c.st, c.pragma); n != c.want {
			t.Errorf("%s (reading %v): %d, want %d", c.pragma, c.st.reading, n, c.want)
		}
	}
	// A write through them is refused, and the store keeps its rows.
	err = rd.eachRow(context.Background(), `DELETE FROM snapshots`, nil, func(rowValues) error { return nil })
	if code, ok := sqliteCode(err); !ok || code&0xff != sqlite3.SQLITE_READONLY {
		t.Errorf("a delete through a read connection: %v, want SQLITE_READONLY", err)
	}
	if r := where(t, rd, "", "src:xz", ""); len(r.Matches) == 0 {
		t.Error("after the refused delete: no match")
	}
}

// Arguments reach SQLite as given (text with a NUL byte and non-ASCII
// letters included) and come back the same; a wrong number of arguments
// or one of another type is refused before any row.
func TestReadConnArguments(t *testing.T) {
	st, _ := filledStore(t)
	ctx := context.Background()
	const text = "a\x00b é ✓"
	rows := 0
	err := st.eachRow(ctx, `SELECT ?, ?, ?`, []any{int64(-7), 42, text}, func(r rowValues) error {
		rows++
		var a int64
		var b int
		var c string
		if err := scanRow(r, &a, &b, &c); err != nil {
			return err
		}
		if a != -7 || b != 42 || c != text {
			t.Errorf("read back %d %d %q", a, b, c)
		}
		return nil
	})
	if err != nil || rows != 1 {
		t.Fatalf("%d rows, %v", rows, err)
	}
	for _, args := range [][]any{{int64(1)}, {1, 2, 3, 4}, {1, 2, 3.5}} {
		err := st.eachRow(ctx, `SELECT ?, ?, ?`, args, func(rowValues) error {
			t.Errorf("%v: a row was read", args)
			return nil
		})
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// A connection comes back to the pool after a statement, is closed after
// a failed one, and none is left or opened once the store is closed.
func TestReadConnPool(t *testing.T) {
	st, _ := filledStore(t)
	ctx := context.Background()
	idle := func() int {
		st.reads.mu.Lock()
		defer st.reads.mu.Unlock()
		return len(st.reads.idle)
	}
	nothing := func(rowValues) error { return nil }
	if err := st.eachRow(ctx, `SELECT 1`, nil, nothing); err != nil || idle() != 1 {
		t.Fatalf("after a statement: %d idle, %v; want 1", idle(), err)
	}
	if err := st.eachRow(ctx, `SELECT FROM nowhere`, nil, nothing); err == nil || idle() != 0 {
		t.Errorf("after a failed statement: %d idle, %v; want 0 and an error", idle(), err)
	}
	if err := st.eachRow(ctx, `SELECT 1`, nil, nothing); err != nil || idle() != 1 {
		t.Fatalf("again: %d idle, %v; want 1", idle(), err)
	}
	st.Close()
	if err := st.eachRow(ctx, `SELECT 1`, nil, nothing); !errors.Is(err, errStoreClosed) || idle() != 0 {
		t.Errorf("after Close: %d idle, %v; want 0 and %v", idle(), err, errStoreClosed)
	}
}

// where reads a store whose path holds URI characters from that path: a
// connection of its own opened at another path would fail, for want of
// the file.
func TestReadConnPathEscaping(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a#b.db", "c?d.db", "e%20f.db"} {
		st := open(t, filepath.Join(dir, name))
		if r := where(t, st, "", "src:xz", ""); len(r.Matches) != 0 {
			t.Errorf("%s: %d matches in an empty store", name, len(r.Matches))
		}
	}
}
