package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// A store on read-only media (a disc, a read-only mount, a copy an auditor
// may read but not write beside) cannot be opened as usual: every reader
// of a WAL store keeps a shared-memory index in a file beside it (-shm),
// and SQLite cannot make one. Such a store is read as immutable: without
// the index, without locks and without looking at a write-ahead log or a
// rollback journal. That is exact only when neither holds anything and no
// one writes while the store is read. The first is checked before the
// question (a -wal or -journal with content is refused), the second after
// it (checkFrozen: the same file, size and modification time, and still
// no log), so that a store that changed while read fails instead of
// answering. A change that keeps the file, its size and its time to the
// file system's resolution is not seen.

// frozenFile is what a store read as immutable looked like when opened.
type frozenFile struct {
	path string // the file itself, symbolic links resolved
	info os.FileInfo
}

// readOnlyMedia reports whether err says SQLite could not open a store
// for reading because nothing may be written beside it: the shared-memory
// index cannot be made on a read-only file system (SQLITE_CANTOPEN) or in
// a directory the user may not write (SQLITE_READONLY_DIRECTORY,
// SQLITE_READONLY_CANTINIT). Other read-only codes say something is
// pending (SQLITE_READONLY_ROLLBACK: a hot journal; _RECOVERY: a log to
// recover), which reading as immutable would ignore: they stay errors.
func readOnlyMedia(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CANTOPEN || code == sqlite3.SQLITE_READONLY_DIRECTORY || code == sqlite3.SQLITE_READONLY_CANTINIT)
}

// readImmutable reopens s, whose store cannot be written beside, to be
// read as immutable, and checks its schema as Open does: nil when it is
// this sovcheck's, with its where-used indexes.
func (s *Store) readImmutable(ctx context.Context, pageSize int) error {
	unavailable := func(err error) error {
		return reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store path and its permissions", "opening portfolio store %s", s.location)
	}
	path, err := filepath.EvalSymlinks(s.location)
	if err != nil {
		return unavailable(err)
	}
	if err := pending(s.location, path); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return unavailable(err)
	}
	s.frozen = &frozenFile{path: path, info: fi}
	s.log.Info("portfolio: the store cannot be written beside; reading it as immutable", "store", s.location)
	if err := s.db.Close(); err != nil {
		return err
	}
	if s.db, err = sql.Open("sqlite", sqliteDSN(s.location, pageSize, s.reads.pragmas, true)); err != nil {
		return err
	}
	s.reads.closeIdle()
	s.reads.immutable = true
	if current, err := s.currentSchema(ctx); err != nil || current {
		return err
	}
	// Not this schema, or without its indexes: say why, as Open does where
	// the store can be written, but nothing can be upgraded or built here.
	version, err := s.schemaOf(ctx, s.db)
	if err == nil {
		err = s.versionRefusal(version)
	}
	if err != nil {
		return err
	}
	const hint = "open the store once where it can be written (sovcheck upgrades it), or ask with the sovcheck that wrote it"
	if version == schemaVersion {
		return reason.New(reason.PortfolioStoreUnavailable, hint,
			"opening portfolio store %s: it is on read-only media and lacks a where-used index (an add that did not finish), which reading needs built", s.location)
	}
	return reason.New(reason.PortfolioStoreUnavailable, hint,
		"opening portfolio store %s: it is on read-only media and of schema %d, older than this sovcheck's %d, which reading needs upgraded",
		s.location, version, schemaVersion)
}

// pending refuses a store (at location, the file itself at path) beside
// which a write-ahead log or a rollback journal has content: reading as
// immutable would ignore it.
func pending(location, path string) error {
	suffix, size, err := logBeside(path)
	switch {
	case err != nil:
		return reason.Wrap(err, reason.PortfolioStoreUnavailable, "check the store's directory and its permissions", "opening portfolio store %s", location)
	case suffix != "":
		return reason.New(reason.PortfolioStoreUnavailable,
			"copy the store and its "+suffix+" file to a directory you may write, and ask there (sovcheck then applies it), or ask where the store was written",
			"opening portfolio store %s: it is on read-only media or in a directory you may not write, and %s (%d bytes) may hold changes that reading without writing would miss",
			location, path+suffix, size)
	}
	return nil
}

// logBeside finds a write-ahead log or rollback journal with content
// beside the store file at path: its suffix and size, or "" when there
// is none; an error when one cannot be looked for.
func logBeside(path string) (suffix string, size int64, err error) {
	for _, suffix := range []string{"-wal", "-journal"} {
		fi, err := os.Stat(path + suffix)
		switch {
		case err == nil && fi.Size() > 0:
			return suffix, fi.Size(), nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", 0, err
		}
	}
	return "", 0, nil
}

// checkFrozen fails when a store read as immutable changed while it was
// read: a log or journal appeared with content in it, or the file was
// replaced, or its size or modification time moved. Anything read may
// then be torn.
func (s *Store) checkFrozen() error {
	if s.frozen == nil {
		return nil
	}
	changed := func(what string) error {
		return reason.New(reason.PortfolioStoreUnavailable, "ask again once no sovcheck writes the store, or ask where the store can be written (its readers then wait for the writer)",
			"reading portfolio store %s without writing beside it: %s while it was read, so the answer may be torn", s.location, what)
	}
	switch suffix, _, err := logBeside(s.frozen.path); {
	case err != nil:
		return changed("its directory could not be read again (" + err.Error() + ")")
	case suffix != "":
		return changed("a write-ahead log or a rollback journal appeared")
	}
	fi, err := os.Stat(s.frozen.path)
	if err != nil {
		return changed("the store file could not be read again")
	}
	if !os.SameFile(fi, s.frozen.info) || fi.Size() != s.frozen.info.Size() || !fi.ModTime().Equal(s.frozen.info.ModTime()) {
		return changed("the store file changed")
	}
	return nil
}

// afterFrozen is the outcome of a question asked of s: checkFrozen's
// error first, since a read torn by a writer can fail as damage.
func (s *Store) afterFrozen(err error) error {
	if ferr := s.checkFrozen(); ferr != nil {
		return ferr
	}
	return err
}
