package portfolio

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Store is a portfolio store: an SQLite file, or a PostgreSQL database
// shared by many writers. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	d        dialect
	location string
	log      *slog.Logger
	now      func() time.Time
	reading  bool // opened ForReading: never creates a store
	// whereParts, when set, is the number of parts where reads a
	// question in (0: one per core); partsInTurn, when set, makes the
	// parts read one after another and is called after each with its
	// error, which it returns or replaces (tests).
	whereParts  int
	partsInTurn func(part int, err error) error
	// reads are where's own SQLite connections (readConn).
	reads readConns
	// frozen, when set, is the store file as it was when opened to be read
	// as immutable (readonly.go).
	frozen *frozenFile
}

// mmapLimit is the most of a store file ForReading maps: the SQLite
// driver's compiled-in ceiling (SQLITE_MAX_MMAP_SIZE), which caps any
// larger request to this value.
const mmapLimit = 0x7fff0000

// readingCacheKiB is the page cache of a store opened ForReading, in KiB:
// the pages past mmapLimit go through it, and a small cache recycles its
// buffers where a large one allocates a buffer per page read, each one
// faulted in and freed again through the driver's allocator (where over
// a 100,000-SBOM store, 5.6 GB: 1.5 -> 0.7 s for 12,290 matches, 12 -> 6
// s for 259,225, with 64 MiB -> 2 MiB).
const readingCacheKiB = 2048

// writingCacheKiB is the page cache of a store opened to add.
const writingCacheKiB = 65536

// Option configures Open.
type Option func(*config) error

type config struct {
	log     *slog.Logger
	now     func() time.Time
	reading bool
}

// ForReading says the store is opened to answer questions (where, report,
// diff), not to add: an SQLite store is then read through a memory map of
// its first mmapLimit bytes instead of copying every page a query touches
// into the connection's own cache (where-used over a 1,000-SBOM store: 60
// -> 30 ms, process start included; docs/portfolio.md), with a small page
// cache for the rest of the file (readingCacheKiB). Adding keeps the
// copy: its peak memory then counts only what sovcheck holds, not the
// pages of the file it has mapped. A PostgreSQL store ignores it.
func ForReading() Option {
	return func(c *config) error {
		c.reading = true
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("configuring portfolio store: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock that stamps when a snapshot was added.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("configuring portfolio store: nil clock")
		}
		c.now = now
		return nil
	}
}

// IsPostgres reports whether a store location names a PostgreSQL database.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Open opens the store at location (a file path, or a postgres:// URL),
// creating or upgrading its schema. A store written by a newer sovcheck is
// refused with reason.PortfolioStoreTooNew and left untouched; a file or database that
// is not a portfolio store is refused with reason.PortfolioStoreForeign.
func Open(ctx context.Context, location string, opts ...Option) (*Store, error) {
	c := config{log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	s := &Store{location: location, log: c.log, now: c.now, reading: c.reading}
	var err error
	if IsPostgres(location) {
		s.d = postgresDialect
		s.db, err = sql.Open("pgx", location)
		if err == nil {
			err = s.db.PingContext(ctx)
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the URL, that the server runs and that the user may connect",
				"opening portfolio store %s", redact(location))
		}
	} else {
		s.d = sqliteDialect
		var pageSize int
		if pageSize, err = checkSQLiteFile(location); err != nil {
			return nil, err
		}
		if pageSize == 0 {
			// A question asked of a store that is not there (a mistyped
			// --store) has no answer: an empty store would say that no
			// product holds anything.
			if c.reading {
				return nil, noStore(location)
			}
			if err := os.MkdirAll(filepath.Dir(location), 0o755); err != nil {
				return nil, reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store path and its permissions", "creating the directory of portfolio store %q", location)
			}
			if err := createSQLite(ctx, location); err != nil {
				return nil, s.classify(err, "creating")
			}
			pageSize = newPageSize
		}
		// WAL lets where and report read while add writes; immediate
		// transactions make concurrent writers queue instead of failing
		// on a lock upgrade; the busy timeout is how long they queue.
		// synchronous(NORMAL) in WAL mode keeps the store consistent
		// through a crash (a power loss may lose the last commits, never
		// half of one). A checkpoint every 64 MiB of WAL instead of 4 MiB
		// copies pages that many commits touch (index and tree pages)
		// once instead of many times. Foreign keys are declared for
		// PostgreSQL, which checks them; on SQLite the one writer takes
		// every id it refers to from its own transaction, and checking
		// them would cost four B-tree lookups per component row.
		// Temporary data goes to files (temp_store FILE): in memory,
		// SQLite's sorter never spills, so building a where-used index
		// (a migration, or ensureIndexes) would hold every component
		// row's key at once (720 MiB at 9 million rows; 300 MiB with
		// files).
		pragmas := readingPragmas(c.reading)
		s.db, err = sql.Open("sqlite", sqliteDSN(location, pageSize, pragmas, false))
		if err != nil {
			return nil, s.classify(err, "opening")
		}
		// Each connection has its own page cache: keep them open.
		s.db.SetMaxIdleConns(runtime.GOMAXPROCS(0) + 2)
		s.reads = readConns{location: location, pragmas: pragmas, max: runtime.GOMAXPROCS(0) + 2}
		// A store of this schema opened to be read is checked on where's
		// own connection, which then answers: a where opens no connection
		// of the driver (each sets itself up and reads the schema again).
		if c.reading {
			current, err := s.currentSchema(ctx)
			if readOnlyMedia(err) {
				err = s.readImmutable(ctx, pageSize)
				current = err == nil
			}
			if err != nil {
				s.Close()
				return nil, s.classify(err, "opening")
			}
			if current {
				return s, nil
			}
		}
		if err := s.pingSQLite(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pingSQLite opens the first connection. Switching a new database to WAL
// needs it alone: processes opening one new store at once get
// SQLITE_BUSY without waiting, so the open is retried (waitFor).
func (s *Store) pingSQLite(ctx context.Context) error {
	var err error
	_, werr := waitFor(ctx, func() int32 {
		err = s.db.PingContext(ctx)
		code, _ := sqliteCode(err)
		return int32(code)
	})
	if werr != nil {
		return s.classify(werr, "opening")
	}
	if err != nil {
		return s.classify(err, "opening")
	}
	return nil
}

// checkSQLiteFile refuses an existing file that is not an SQLite database
// before the driver touches it, and returns the page size its header
// states; 0 when there is no file or an empty one (a new store).
func checkSQLiteFile(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store path and its permissions", "opening portfolio store %q", path)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic)+2)
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return 0, nil // an empty file becomes a new store
	}
	// After the magic, the page size, big-endian; 1 stands for 65536.
	// SQLite knows no other than a power of two from 512.
	size := 0
	if n == len(head) && bytes.Equal(head[:len(sqliteMagic)], sqliteMagic) {
		if size = int(head[len(sqliteMagic)])<<8 | int(head[len(sqliteMagic)+1]); size == 1 {
			size = 65536
		}
	}
	if size < 512 || size&(size-1) != 0 {
		return 0, reason.New(reason.PortfolioStoreForeign, "give --store a new path, or the path of a store that 'sovcheck portfolio add' created",
			"opening portfolio store %q: not an SQLite database", path)
	}
	return size, nil
}

// noStore is the error of a question asked of a store that does not
// exist.
func noStore(location string) error {
	return reason.New(reason.PortfolioStoreUnavailable,
		"add SBOMs to it first ('sovcheck portfolio add --store PATH SBOMS'), or give --store the path of an existing store",
		"opening portfolio store %s: there is no store there", redact(location))
}

// newPageSize is the page size of a new SQLite store. Stores made before
// it keep 4096, SQLite's default, which only a rewrite of the whole file
// could change. With 16 KiB pages an add writes a quarter as many WAL
// frames (one pwrite each for header and page) and where reads a run of
// index entries from a quarter as many pages.
const newPageSize = 16384

// walCheckpointBytes of WAL are written between checkpoints, whatever the
// page size.
const walCheckpointBytes = 64 << 20

// createSQLite creates the database file of a new store with newPageSize
// pages, in WAL mode: the page size must be set before anything, the
// journal mode included, writes the file's first page. Another process
// creating the same store at once may hold it (SQLITE_BUSY); the open
// that follows waits for it, and a store it created first keeps its own
// page size.
func createSQLite(ctx context.Context, location string) error {
	db, err := sql.Open("sqlite", "file:"+uriPath(location)+"?_pragma=page_size("+itoa(newPageSize)+")")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	if code, ok := sqliteCode(err); ok && code&0xff == sqlite3.SQLITE_BUSY {
		return nil
	}
	return err
}

// Close closes the store.
func (s *Store) Close() error {
	s.reads.close()
	return s.db.Close()
}

// Location is where the store is, with any password removed.
func (s *Store) Location() string { return redact(s.location) }

// Dialect names the database kind: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// redact removes the password from a database URL.
func redact(location string) string {
	u, err := url.Parse(location)
	if err != nil || u.User == nil {
		return location
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// migrate brings an empty or older store to schemaVersion, in one
// transaction, serialised against other sovcheck processes.
func (s *Store) migrate(ctx context.Context) error {
	// A store of this schema opens without a write transaction, so that
	// where and report do not wait for a writer.
	var format, current string
	if s.db.QueryRowContext(ctx, s.d.q(`SELECT value FROM meta WHERE key = ?`), "format").Scan(&format) == nil &&
		s.db.QueryRowContext(ctx, s.d.q(`SELECT value FROM meta WHERE key = ?`), "schema").Scan(&current) == nil &&
		format == storeFormat && current == strconv.Itoa(schemaVersion) {
		return s.ensureIndexes(ctx)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(err, "migrating")
	}
	defer tx.Rollback()
	if s.d.name == "postgres" {
		// One migrator at a time; the lock ends with the transaction.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7306085318364230000)`); err != nil {
			return s.classify(err, "locking for migration")
		}
	}
	version, err := s.schemaOf(ctx, tx)
	if err != nil {
		return err
	}
	if err := s.versionRefusal(version); err != nil {
		return err
	}
	if version == schemaVersion {
		return tx.Commit()
	}
	for i := version; i < schemaVersion; i++ {
		for _, stmt := range migrations[i] {
			stmt, sqliteOnly := strings.CutPrefix(stmt, sqliteOnlyMark)
			if sqliteOnly && s.d.name != "sqlite" {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.d.ddl(stmt)); err != nil {
				return s.classify(err, fmt.Sprintf("migrating to schema %d", i+1))
			}
		}
	}
	for _, kv := range [][2]string{{"format", storeFormat}, {"schema", strconv.Itoa(schemaVersion)}} {
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), kv[0], kv[1])
		if err != nil {
			return s.classify(err, "writing schema version")
		}
	}
	if err := tx.Commit(); err != nil {
		return s.classify(err, "migrating")
	}
	s.log.Info("portfolio store schema", "store", s.Location(), "from", version, "to", schemaVersion)
	return nil
}

// currentSchema reports whether an SQLite store is of this sovcheck's
// schema and has its where-used indexes, as migrate's first check finds,
// read in one statement on a readConn. Any other answer or error leaves
// the whole check (pingSQLite, migrate) to say why, or to upgrade; only
// a wait for a lock that ran out, or a cancelled open, is returned (the
// whole check would wait again).
func (s *Store) currentSchema(ctx context.Context) (bool, error) {
	count, names := countIndexes()
	var format, schema string
	var indexes int
	err := s.eachRow(ctx, `SELECT (SELECT value FROM meta WHERE key = 'format'), (SELECT value FROM meta WHERE key = 'schema'), (`+count+`)`, names, func(row rowValues) error {
		return scanRow(row, &format, &schema, &indexes)
	})
	if code, _ := sqliteCode(err); code&0xff == sqlite3.SQLITE_BUSY || readOnlyMedia(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false, err
	}
	return err == nil && format == storeFormat && schema == strconv.Itoa(schemaVersion) && indexes >= len(componentIndexes), nil
}

// countIndexes is the query that counts the where-used indexes an SQLite
// store has, and its arguments.
func countIndexes() (string, []any) {
	names := make([]any, len(componentIndexes))
	for i, ix := range componentIndexes {
		names[i] = ix.name
	}
	return `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN (` + list("?", len(names)) + `)`, names
}

// ensureIndexes builds the where-used indexes that an older sovcheck's
// bulk load (which dropped them and built them at its end) left missing
// when it did not finish (SQLite only: PostgreSQL never drops them).
func (s *Store) ensureIndexes(ctx context.Context) error {
	if s.d.name != "sqlite" {
		return nil
	}
	count, names := countIndexes()
	var n int
	if err := s.db.QueryRowContext(ctx, count, names...).Scan(&n); err != nil {
		return s.classify(err, "reading the indexes of")
	}
	if n >= len(componentIndexes) {
		return nil
	}
	return s.createIndexes(ctx)
}

// createIndexes builds the where-used indexes that are missing.
func (s *Store) createIndexes(ctx context.Context) error {
	for _, ix := range componentIndexes {
		if _, err := s.db.ExecContext(ctx, strings.Replace(ix.ddl, "CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)); err != nil {
			return s.classify(err, "indexing")
		}
	}
	return nil
}

// tooNew refuses a store of a newer schema than this sovcheck's.
func (s *Store) tooNew(version int) error {
	return reason.New(reason.PortfolioStoreTooNew, "use the sovcheck that wrote this store (or a newer one); this store was left untouched",
		"opening portfolio store %s: schema version %d is newer than this sovcheck's %d", s.Location(), version, schemaVersion)
}

// versionRefusal is why a store of schema version cannot be used: there
// is none to read, or it is too new; nil otherwise.
func (s *Store) versionRefusal(version int) error {
	switch {
	case version == 0 && s.reading:
		return noStore(s.location)
	case version > schemaVersion:
		return s.tooNew(version)
	}
	return nil
}

// schemaOf reads the schema version of the store: 0 for an empty
// database. A database holding other tables, or a meta table of another
// format, is foreign.
func (s *Store) schemaOf(ctx context.Context, tx execQuerier) (int, error) {
	tables, err := s.tableNames(ctx, tx)
	if err != nil {
		return 0, err
	}
	if len(tables) == 0 {
		return 0, nil
	}
	foreign := reason.New(reason.PortfolioStoreForeign, "give --store a new path or database, or one that 'sovcheck portfolio add' created",
		"opening portfolio store %s: not a sovcheck portfolio store (tables %s)", s.Location(), strings.Join(tables, ", "))
	if !contains(tables, "meta") {
		return 0, foreign
	}
	var format, version string
	err = tx.QueryRowContext(ctx, s.d.q(`SELECT value FROM meta WHERE key = ?`), "format").Scan(&format)
	if damaged(err) {
		// A meta table whose pages cannot be read is damage, not another
		// application's database.
		return 0, s.classify(err, "reading the format of")
	}
	if err != nil || format != storeFormat {
		return 0, foreign
	}
	if err := tx.QueryRowContext(ctx, s.d.q(`SELECT value FROM meta WHERE key = ?`), "schema").Scan(&version); err != nil {
		return 0, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading the schema version of portfolio store %s", s.Location())
	}
	v, err := strconv.Atoi(version)
	if err != nil || v < 1 {
		return 0, reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading the schema version of portfolio store %s: got %q, want a positive number", s.Location(), version)
	}
	return v, nil
}

func (s *Store) tableNames(ctx context.Context, tx execQuerier) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if s.d.name == "postgres" {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, s.classify(err, "listing tables")
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, s.classify(err, "listing tables")
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "listing tables")
	}
	return names, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// classify turns a database error into a reason: a file that is not a
// database is foreign, a damaged one corrupt, anything else corrupt too
// unless the store could not be reached at all.
func (s *Store) classify(err error, doing string) error {
	var re *reason.Error
	// A question cancelled, or asked of a store closed, says nothing of
	// the store.
	if errors.As(err, &re) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errStoreClosed) {
		return err
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return reason.Wrap(err, reason.PortfolioStoreForeign, "give --store a new path, or the path of a store that 'sovcheck portfolio add' created",
				"%s portfolio store %s: not an SQLite database", doing, s.Location())
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store path and its permissions", "%s portfolio store %s", doing, s.Location())
		case sqlite3.SQLITE_BUSY:
			return reason.Wrap(err, reason.PortfolioStoreUnavailable, "another sovcheck holds the store too long; retry when it has finished", "%s portfolio store %s", doing, s.Location())
		}
	}
	return reason.Wrap(err, reason.PortfolioStoreCorrupt, "check the store; restore it from a backup if it is damaged", "%s portfolio store %s", doing, s.Location())
}

// damaged reports whether err says the SQLite file itself is damaged
// (malformed pages, an I/O error), rather than holding other data.
func damaged(err error) bool {
	code, ok := sqliteCode(err)
	if !ok {
		return false
	}
	code &= 0xff
	return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_IOERR
}

// sqliteCode is the SQLite result code err carries, from the driver or
// from a readConn.
func sqliteCode(err error) (int, bool) {
	var de *sqlite.Error
	if errors.As(err, &de) {
		return de.Code(), true
	}
	var re *sqliteError
	if errors.As(err, &re) {
		return re.code, true
	}
	return 0, false
}

func itoa(i int) string { return strconv.Itoa(i) }
