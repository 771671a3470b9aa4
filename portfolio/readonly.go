package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// A store on read-only media (a disc, a read-only mount, a copy an auditor
// may read but not write beside) cannot be opened as usual: every reader
// of a WAL store keeps a shared-memory index in a file beside it (-shm),
// and SQLite cannot make one. Such a store is read as immutable: without
// the index and without locks, which is exact when no write-ahead log
// (-wal) holds commits the file lacks and no one writes while it is read.
// The first is checked before, the second after every question
// (checkFrozen): a store that changed while read so fails, never answers.

// frozenFile is what a store read as immutable looked like when opened.
type frozenFile struct {
	size    int64
	modTime time.Time
}

// readOnlyMedia reports whether err says SQLite could not open a store
// for reading because nothing may be written beside it: the shared-memory
// index cannot be made (SQLITE_CANTOPEN on a read-only file system,
// SQLITE_READONLY_DIRECTORY or another SQLITE_READONLY code).
func readOnlyMedia(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CANTOPEN || code&0xff == sqlite3.SQLITE_READONLY)
}

// readImmutable reopens s, whose store cannot be written beside, to be
// read as immutable, and checks its schema as Open does. A write-ahead
// log with commits in it is refused: reading as immutable ignores it, so
// the answer would miss them.
func (s *Store) readImmutable(ctx context.Context, pageSize int) (bool, error) {
	wal := s.location + "-wal"
	switch fi, err := os.Stat(wal); {
	case err == nil && fi.Size() > 0:
		return false, reason.New(reason.PortfolioStoreUnavailable,
			"copy the store and its -wal file to a directory you may write, and ask there (sovcheck then applies the log), or ask where the store was written",
			"opening portfolio store %s: it is on read-only media or in a directory you may not write, and its write-ahead log %s holds %d bytes of changes that reading without writing would miss",
			s.location, wal, fi.Size())
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store's directory and its permissions", "opening portfolio store %s", s.location)
	}
	fi, err := os.Stat(s.location)
	if err != nil {
		return false, reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store path and its permissions", "opening portfolio store %s", s.location)
	}
	s.frozen = &frozenFile{size: fi.Size(), modTime: fi.ModTime()}
	s.log.Info("portfolio: the store cannot be written beside; reading it as immutable", "store", s.location)
	if err := s.db.Close(); err != nil {
		return false, err
	}
	db, err := sql.Open("sqlite", sqliteDSN(s.location, pageSize, s.reads.pragmas, true))
	if err != nil {
		return false, err
	}
	s.db = db
	s.reads.closeIdle()
	s.reads.immutable = true
	current, err := s.currentSchema(ctx)
	if err == nil && !current {
		return false, reason.New(reason.PortfolioStoreUnavailable,
			"open the store once where it can be written (sovcheck upgrades it), or ask with the sovcheck that wrote it",
			"opening portfolio store %s: it is on read-only media and of an older schema, which reading needs upgraded", s.location)
	}
	return current, err
}

// checkFrozen fails when a store read as immutable changed while it was
// read: a write-ahead log appeared with commits in it, or the file's size
// or time moved. Anything read may then be torn.
func (s *Store) checkFrozen() error {
	if s.frozen == nil {
		return nil
	}
	changed := func(what string) error {
		return reason.New(reason.PortfolioStoreUnavailable, "ask again once no sovcheck writes the store, or ask where the store can be written (its readers then wait for the writer)",
			"reading portfolio store %s without writing beside it: %s while it was read, so the answer may be torn", s.location, what)
	}
	if fi, err := os.Stat(s.location + "-wal"); err == nil && fi.Size() > 0 {
		return changed("a write-ahead log appeared")
	}
	fi, err := os.Stat(s.location)
	if err != nil {
		return changed("the store file could not be read again")
	}
	if fi.Size() != s.frozen.size || !fi.ModTime().Equal(s.frozen.modTime) {
		return changed("the store file changed")
	}
	return nil
}
