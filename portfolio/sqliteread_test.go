package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/sovcheck/sovcheck/internal/reason"

	sqlite3 "modernc.org/sqlite/lib"
)

// where's own connections read as their store was opened: a store opened
// for reading is mapped with the small page cache, one opened to add is
// not mapped and has the large cache; both only read.
func TestReadConnSettings(t *testing.T) {
	st, location := filledStore(t)
	rd := openReading(t, location)
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
		{rd, "temp_store", 1}, {st, "temp_store", 1},
		// The wait for a lock is sovcheck's (TestReadConnWaitsForLock).
		{rd, "busy_timeout", 0},
	} {
		if n := pragma(c.st, c.pragma); n != c.want {
			t.Errorf("%s (reading %v): %d, want %d", c.pragma, c.st.reading, n, c.want)
		}
	}
	// A write through them is refused, and the store keeps its rows.
	err := rd.eachRow(context.Background(), `DELETE FROM snapshots`, nil, func(rowValues) error { return nil })
	if code, ok := sqliteCode(err); !ok || code&0xff != sqlite3.SQLITE_READONLY {
		t.Errorf("a delete through a read connection: %v, want SQLITE_READONLY", err)
	}
	if r := where(t, rd, "", "src:xz", ""); len(r.Matches) == 0 {
		t.Error("after the refused delete: no match")
	}
	// The connection has no mutex of its own (SQLITE_OPEN_NOMUTEX), the
	// point of a readConn; the driver's connections have one.
	c, err := openReadConn(context.Background(), location, readingPragmas(true), false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if m := sqlite3.Xsqlite3_db_mutex(c.tls, c.db); m != 0 {
		t.Errorf("a read connection has a mutex (%#x)", m)
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

// A query is one statement: a second one, or a NUL byte that would end
// the text SQLite reads early, is refused rather than dropped.
func TestReadConnOneStatement(t *testing.T) {
	st, _ := filledStore(t)
	for _, q := range []string{`SELECT 1; SELECT x FROM nowhere`, "SELECT 1\x00 WHERE 0", `SELECT 1; SELECT 2`} {
		err := st.eachRow(context.Background(), q, nil, func(rowValues) error {
			t.Errorf("%q: a row was read", q)
			return nil
		})
		if err == nil {
			t.Errorf("%q: no error", q)
		}
	}
	// The twin: one statement with a trailing semicolon and spaces.
	n := 0
	if err := st.eachRow(context.Background(), "SELECT 1; \n", nil, func(rowValues) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("one statement: %d rows, %v", n, err)
	}
}

// A statement that works long before its first row is interrupted when
// its question is cancelled; its twin, bounded and not cancelled, ends.
func TestReadConnInterrupted(t *testing.T) {
	st, _ := filledStore(t)
	const count = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c%s) SELECT max(x) FROM c`
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	// Counting to 10^8 takes tens of seconds.
	err := st.eachRow(ctx, strings.ReplaceAll(count, "%s", " WHERE x < 100000000"), nil, func(rowValues) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("long statement, cancelled: %v after %v, want the deadline within 5 s", err, time.Since(start))
	}
	var max int64
	err = st.eachRow(context.Background(), strings.ReplaceAll(count, "%s", " WHERE x < 100000"), nil, func(r rowValues) error {
		var err error
		max, err = r.integer(0)
		return err
	})
	if err != nil || max != 100000 {
		t.Errorf("bounded statement: %d, %v", max, err)
	}
	// Cancelled before it starts, a question reports the cancellation, not
	// an interrupted statement (once an error of the store).
	done, stop := context.WithCancel(context.Background())
	stop()
	if err := st.eachRow(done, `SELECT 1`, nil, func(rowValues) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before the first statement: got %v, want context.Canceled", err)
	}
	// The interrupted connection was kept, and reads as before.
	if err := st.eachRow(context.Background(), `SELECT 1`, nil, func(rowValues) error { return nil }); err != nil {
		t.Errorf("after the interrupt: %v", err)
	}
}

// A question waits while another connection holds the store, and reads
// once it lets go; cancelled, it stops waiting.
func TestReadConnWaitsForLock(t *testing.T) {
	st, location := filledStore(t)
	st.Close()
	rd := openReading(t, location)
	// The store in WAL mode can be held only when no other connection
	// has it open: the idle connections (Open's own included) are let go,
	// and where's open again when asked.
	rd.db.SetMaxIdleConns(0)
	rd.reads.closeIdle()
	hold := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+uriPath(location)+"?_pragma=locking_mode(EXCLUSIVE)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		if _, err := db.Exec(`BEGIN EXCLUSIVE; CREATE TABLE held (x); ROLLBACK`); err != nil {
			t.Fatal(err)
		}
		return db
	}
	q, _ := NewQuery("", "src:xz", "", false)

	db := hold()
	// Opening it to be read waits as well, and stops when cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	start := time.Now()
	if _, err := Open(ctx, location, ForReading()); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("store held, opened to be read, cancelled: %v after %v, want the deadline within 5 s", err, time.Since(start))
	}
	cancel()
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	start = time.Now()
	_, err := rd.Where(ctx, q)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || reason.CodeOf(err, "") != "" || time.Since(start) > 5*time.Second {
		t.Errorf("store held, question cancelled: %v after %v, want the deadline within 5 s", err, time.Since(start))
	}

	time.AfterFunc(300*time.Millisecond, func() { db.Close() })
	start = time.Now()
	r, err := rd.Where(context.Background(), q)
	if err != nil || len(r.Matches) == 0 || time.Since(start) < 250*time.Millisecond {
		t.Errorf("store held for 300 ms: %v after %v, want the answer after the wait", err, time.Since(start))
	}
	db.Close()
}

// Reading through where's connections, a damaged index page makes the
// store corrupt, and a store file removed after it was opened makes it
// unavailable; the twin, undamaged, answers.
func TestReadConnFailures(t *testing.T) {
	ctx := context.Background()
	st, location := filledStore(t)
	root, pageSize := rootPage(t, st, "components_where")
	st.Close()
	q, _ := NewQuery("", "src:xz", "", false)
	ask := func() error {
		rd, err := Open(ctx, location, ForReading())
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		_, err = rd.Where(ctx, q)
		return err
	}
	if err := ask(); err != nil {
		t.Fatalf("undamaged: %v", err)
	}
	overwritePage(t, location, root, pageSize)
	if err := ask(); reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("damaged where-used index: %v, want %s (malformed)", err, reason.PortfolioStoreCorrupt)
	}

	_, location = filledStore(t)
	rd := openReading(t, location)
	// A connection open before the removal still reads the file (Open
	// left one idle); a new one cannot open it.
	rd.reads.closeIdle()
	for _, f := range []string{location, location + "-wal", location + "-shm"} {
		os.Remove(f)
	}
	if _, err := rd.Where(ctx, q); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable {
		t.Errorf("store removed after it was opened: %v, want %s", err, reason.PortfolioStoreUnavailable)
	}
}

// Questions asked at once of one store, each read in parts, never share a
// connection (a race detector does not see SQLite's memory): each answers
// as the same question asked alone.
func TestReadConnConcurrentQuestions(t *testing.T) {
	st, _ := partsStore(t, 600)
	st.whereParts = 4
	ups := []string{"src:xz", "src:curl", "src:openssl", "src:zlib"}
	want := map[string]*WhereResult{}
	for _, up := range ups {
		want[up] = where(t, st, "", up, "")
	}
	var wg sync.WaitGroup
	for range 4 {
		for _, up := range ups {
			wg.Go(func() {
				q, _ := NewQuery("", up, "", false)
				got, err := st.Where(context.Background(), q)
				if err != nil || !reflect.DeepEqual(got.Matches, want[up].Matches) {
					t.Errorf("%s asked at once with others: %v, or another answer", up, err)
				}
			})
		}
	}
	wg.Wait()
}

// Closing the store while a question reads ends it cleanly: the
// connection in use is closed after the question, not kept.
func TestReadConnCloseDuringRead(t *testing.T) {
	st, _ := filledStore(t)
	n := 0
	err := st.eachRow(context.Background(), `SELECT 1 UNION ALL SELECT 2`, nil, func(rowValues) error {
		if n++; n == 1 {
			st.Close()
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Errorf("closed during the read: %d rows, %v", n, err)
	}
	st.reads.mu.Lock()
	idle := len(st.reads.idle)
	st.reads.mu.Unlock()
	if idle != 0 {
		t.Errorf("%d connections kept after Close", idle)
	}
}

// A text column holding the same value as in the row before gives the
// same string, not a copy; any other value is read as it is. (Go keeps
// every one-byte string in one table: the values are longer.)
func TestReadConnRepeatedText(t *testing.T) {
	st, _ := filledStore(t)
	var got []string
	err := st.eachRow(context.Background(), `SELECT column1 FROM (VALUES ('aa'), ('aa'), ('bb'), ('aa'), (''), ('aa'), ('aab'))`, nil, func(r rowValues) error {
		s, err := r.text(0)
		got = append(got, s)
		return err
	})
	if err != nil || !reflect.DeepEqual(got, []string{"aa", "aa", "bb", "aa", "", "aa", "aab"}) {
		t.Fatalf("read %q, %v", got, err)
	}
	if unsafe.StringData(got[0]) != unsafe.StringData(got[1]) {
		t.Error("the repeated value was copied")
	}
	if unsafe.StringData(got[1]) == unsafe.StringData(got[3]) {
		t.Error("a value after another was taken from two rows before")
	}
}
