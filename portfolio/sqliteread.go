package portfolio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// readConn is a connection of sovcheck's own to an SQLite store, through
// the SQLite library's C API (modernc.org/sqlite/lib) rather than its
// database/sql driver, that where uses to read rows. The driver opens
// every connection SQLITE_OPEN_FULLMUTEX, so that database/sql may hand it
// to any goroutine: every value read from a row then takes and releases
// the connection's mutex, and the library emulates each of those with a
// map lookup (17% of where's CPU over a 100,000-SBOM store). A readConn
// is opened SQLITE_OPEN_NOMUTEX and used by one goroutine at a time (the
// pool below hands it out), which is what that mode asks of its caller.
// It runs no statement that writes (query_only is on); as any connection
// to a store in WAL mode, it keeps the shared-memory index, and the last
// connection to close checkpoints the WAL into the store.
type readConn struct {
	tls *libc.TLS
	db  uintptr
}

// sqliteError is an error the SQLite library returned on a readConn, with
// its result code, which classify and damaged read as they read the
// driver's.
type sqliteError struct {
	code int
	msg  string
}

func (e *sqliteError) Error() string { return e.msg }

// readConns is a Store's pool of readConns, opened on first use.
type readConns struct {
	location  string
	pragmas   [][2]string // readingPragmas of the store
	max       int         // idle connections kept
	immutable bool        // opened read-only, without locks (readonly.go)

	mu     sync.Mutex
	idle   []*readConn
	closed bool
}

// errStoreClosed says a question was asked of a store already closed.
var errStoreClosed = errors.New("the store is closed")

// get returns an idle connection, or opens one to the store.
func (p *readConns) get(ctx context.Context) (*readConn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errStoreClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return openReadConn(ctx, p.location, p.pragmas, p.immutable)
}

// put returns c to the pool, or closes it when the pool is full.
func (p *readConns) put(c *readConn) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.max {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// close closes every idle connection, and the pool: a question asked
// after is refused, a connection in use is closed when handed back.
func (p *readConns) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.closeIdle()
}

// closeIdle closes every idle connection.
func (p *readConns) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// openReadConn opens a readConn to an existing store file, with pragmas
// (readingPragmas) set.
func openReadConn(ctx context.Context, location string, pragmas [][2]string, immutable bool) (*readConn, error) {
	c := &readConn{tls: libc.NewTLS()}
	uri, flags := "file:"+uriPath(location), int32(sqlite3.SQLITE_OPEN_READWRITE)
	if immutable {
		uri, flags = uri+"?immutable=1", sqlite3.SQLITE_OPEN_READONLY
	}
	name, err := libc.CString(uri)
	if err != nil {
		c.tls.Close()
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb := libc.Xmalloc(c.tls, 8)
	if pdb == 0 {
		c.tls.Close()
		return nil, &sqliteError{code: sqlite3.SQLITE_NOMEM, msg: "opening a connection: out of memory"}
	}
	defer libc.Xfree(c.tls, pdb)
	// SQLite sets *pdb, to a handle or to NULL, whatever the outcome;
	// the handle holds the error message.
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb, flags|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	c.db = libc.AtomicLoadPUintptr(pdb)
	if rc != sqlite3.SQLITE_OK {
		err := c.err(rc, "opening a connection")
		c.close()
		return nil, err
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	set := "PRAGMA query_only=1;"
	for _, p := range pragmas {
		set += " PRAGMA " + p[0] + "=" + p[1] + ";"
	}
	if err := c.exec(ctx, set); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// exec runs statements that return no rows of interest, and may be run
// again: a lock another connection holds is waited for.
func (c *readConn) exec(ctx context.Context, sql string) error {
	z, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, z)
	rc, err := waitFor(ctx, func() int32 { return sqlite3.Xsqlite3_exec(c.tls, c.db, z, 0, 0, 0) })
	if err != nil {
		return err
	}
	if rc != sqlite3.SQLITE_OK {
		return c.err(rc, "setting up a connection")
	}
	return nil
}

// close closes c.
func (c *readConn) close() {
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.tls.Close()
}

// err is the error of result code rc, with the connection's message.
func (c *readConn) err(rc int32, doing string) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return &sqliteError{code: int(rc), msg: fmt.Sprintf("%s: %s (%d)", doing, msg, rc)}
}

// sqliteRow is the current row of a statement on a readConn.
type sqliteRow struct {
	c     *readConn
	stmt  uintptr
	ncols int
	last  []string // per column, the text it held last
}

func (r *sqliteRow) columns() int { return r.ncols }

func (r *sqliteRow) integer(i int) (int64, error) {
	if t := sqlite3.Xsqlite3_column_type(r.c.tls, r.stmt, int32(i)); t != sqlite3.SQLITE_INTEGER {
		return 0, fmt.Errorf("%w: %s where an integer belongs", errColumnType, sqliteType(t))
	}
	return sqlite3.Xsqlite3_column_int64(r.c.tls, r.stmt, int32(i)), nil
}

func (r *sqliteRow) text(i int) (string, error) {
	switch t := sqlite3.Xsqlite3_column_type(r.c.tls, r.stmt, int32(i)); t {
	case sqlite3.SQLITE_TEXT, sqlite3.SQLITE_BLOB:
	default:
		return "", fmt.Errorf("%w: %s where text belongs", errColumnType, sqliteType(t))
	}
	p := sqlite3.Xsqlite3_column_text(r.c.tls, r.stmt, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(r.c.tls, r.stmt, int32(i))
	if p == 0 || n <= 0 {
		return "", nil
	}
	// The same text as the row before (a version, a date, a grade held
	// by many rows in a row) is that row's string, not a copy.
	b := libc.GoBytes(p, int(n))
	if last := r.last[i]; last == string(b) {
		return last, nil
	}
	r.last[i] = string(b)
	return r.last[i], nil
}

// sqliteType names an SQLite fundamental datatype, as errors give it.
func sqliteType(t int32) string {
	switch t {
	case sqlite3.SQLITE_INTEGER:
		return "an integer"
	case sqlite3.SQLITE_FLOAT:
		return "a real"
	case sqlite3.SQLITE_TEXT:
		return "text"
	case sqlite3.SQLITE_BLOB:
		return "a blob"
	case sqlite3.SQLITE_NULL:
		return "NULL"
	}
	return "type " + strconv.Itoa(int(t))
}

// busyWait bounds how long sovcheck waits for a lock another connection
// holds (waitFor): a readConn, and Open's first connection to a new
// store, as the busy timeout of the driver's connections does. The wait
// is sovcheck's (a readConn's busy timeout is SQLite's default, 0), so
// that a cancelled question stops waiting.
const busyWait = time.Minute

// each runs query, one statement, with args (int64, int or string) and
// calls fn with each row. A cancelled ctx interrupts the statement, also
// while SQLite works before the first row, and ends a wait for a lock.
func (c *readConn) each(ctx context.Context, query string, args []any, fn func(row rowValues) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := c.interruptWhenDone(ctx)
	defer stop()
	stmt, err := c.prepare(ctx, query)
	if err != nil {
		return err
	}
	defer sqlite3.Xsqlite3_finalize(c.tls, stmt)
	if err := c.bind(stmt, args); err != nil {
		return err
	}
	ncols := int(sqlite3.Xsqlite3_column_count(c.tls, stmt))
	row := &sqliteRow{c: c, stmt: stmt, ncols: ncols, last: make([]string, ncols)}
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var rc int32
		if n == 0 {
			// A reader waits for a lock only as its read transaction
			// begins, at the first step.
			rc, err = waitFor(ctx, func() int32 {
				rc := sqlite3.Xsqlite3_step(c.tls, stmt)
				if rc&0xff == sqlite3.SQLITE_BUSY {
					sqlite3.Xsqlite3_reset(c.tls, stmt)
				}
				return rc
			})
			if err != nil {
				return err
			}
		} else {
			rc = sqlite3.Xsqlite3_step(c.tls, stmt)
		}
		switch rc {
		case sqlite3.SQLITE_ROW:
			if err := fn(row); err != nil {
				return err
			}
		case sqlite3.SQLITE_DONE:
			return nil
		default:
			if err := ctx.Err(); err != nil {
				return err // interrupted
			}
			return c.err(rc, "reading rows")
		}
	}
}

// prepare compiles query, which must be one statement.
func (c *readConn) prepare(ctx context.Context, query string) (uintptr, error) {
	if strings.IndexByte(query, 0) >= 0 {
		return 0, errors.New("preparing a query: it holds a NUL byte")
	}
	z, err := libc.CString(query)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, z)
	out := libc.Xmalloc(c.tls, 16) // the statement, then the rest of the text
	if out == 0 {
		return 0, &sqliteError{code: sqlite3.SQLITE_NOMEM, msg: "preparing a query: out of memory"}
	}
	defer libc.Xfree(c.tls, out)
	// SQLite sets the statement, to NULL on an error or an empty query,
	// and where the text it compiled ends. Reading the schema takes a
	// lock, which another connection may hold.
	rc, err := waitFor(ctx, func() int32 { return sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, out, out+8) })
	if err != nil {
		return 0, err
	}
	if rc != sqlite3.SQLITE_OK {
		if err := ctx.Err(); err != nil {
			return 0, err // interrupted while reading the schema
		}
		return 0, c.err(rc, "preparing a query")
	}
	stmt := libc.AtomicLoadPUintptr(out)
	if stmt == 0 {
		return 0, fmt.Errorf("preparing a query: no statement in %q", query)
	}
	if rest := query[libc.AtomicLoadPUintptr(out+8)-z:]; strings.TrimSpace(rest) != "" {
		sqlite3.Xsqlite3_finalize(c.tls, stmt)
		return 0, fmt.Errorf("preparing a query: more than one statement (%q after the first)", rest)
	}
	return stmt, nil
}

// bind binds args to stmt's parameters, which must be as many.
func (c *readConn) bind(stmt uintptr, args []any) error {
	if want := int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, stmt)); want != len(args) {
		return fmt.Errorf("a query of %d parameters given %d arguments", want, len(args))
	}
	for i, a := range args {
		var rc int32
		switch v := a.(type) {
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, int32(i+1), v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, stmt, int32(i+1), int64(v))
		case string:
			p, err := libc.CString(v)
			if err != nil {
				return err
			}
			// SQLITE_TRANSIENT: SQLite copies the text before it returns.
			rc = sqlite3.Xsqlite3_bind_text(c.tls, stmt, int32(i+1), p, int32(len(v)), sqlite3.SQLITE_TRANSIENT)
			libc.Xfree(c.tls, p)
		default:
			return fmt.Errorf("cannot bind an argument of type %T", a)
		}
		if rc != sqlite3.SQLITE_OK {
			return c.err(rc, "binding an argument")
		}
	}
	return nil
}

// interruptWhenDone interrupts c's statement once ctx is done; stop ends
// that, and waits for an interrupt under way, so that none reaches the
// connection after it is handed on or closed. An interrupt that comes
// between two statements is dropped by SQLite when the next one starts.
func (c *readConn) interruptWhenDone(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	db := c.db
	done := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		defer close(done)
		// sqlite3_interrupt may be called from any thread; it needs a
		// TLS of its own.
		tls := libc.NewTLS()
		defer tls.Close()
		sqlite3.Xsqlite3_interrupt(tls, db)
	})
	return func() {
		if !stopAfter() {
			<-done
		}
	}
}

// waitFor calls try until it returns anything but SQLITE_BUSY, waiting a
// little longer each time, for at most busyWait or until ctx is done.
func waitFor(ctx context.Context, try func() int32) (int32, error) {
	deadline := time.Now().Add(busyWait)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		rc := try()
		if rc&0xff != sqlite3.SQLITE_BUSY || !time.Now().Before(deadline) {
			return rc, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return rc, ctx.Err()
		case <-t.C:
		}
	}
}
