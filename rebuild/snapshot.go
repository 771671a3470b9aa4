package rebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A snapshot is a pristine checkout of one commit, cloned once and kept in
// the cache, so that a warm rebuild does not clone its source again: the
// sandbox mounts the snapshot read-only as the lower layer of an overlay
// whose upper layer, in the rebuild's work dir, receives everything the
// build writes. Nothing writes a kept snapshot after it is made.
//
// A snapshot is found again by its source, commit, checkout name and the
// source's branches and tags at the time: a clone copies those refs, and
// the go command reads the tags when it stamps the main module's version,
// so a tag added or moved since means a new clone. A clone during which the
// refs changed is used for its own rebuild only (ephemeral).
//
// A rebuild holds a shared lock on the snapshot's directory while it uses
// the snapshot; trimSnapshots removes only what it can lock exclusively,
// so never a snapshot in use, however long the build takes.
type snapshot struct {
	dir       string    // holds tree/<name> (the checkout) and snapshotMeta
	co        *checkout // the checkout: dir/tree/<name>
	ephemeral bool      // removed when its rebuild ends
	lock      *os.File  // dir, locked shared until release
}

// tree is the directory holding the checkout: the overlay's lower layer
// when the checkout's parent is the work dir's mount.
func (s *snapshot) tree() string { return filepath.Join(s.dir, "tree") }

const (
	snapshotFormat   = "sovcheck-snapshot-v2" // v2: only complete checkouts are kept
	snapshotMetaFile = "snapshot.json"
	// maxSnapshots bounds the snapshots kept beyond those in use; the
	// least recently used go first.
	maxSnapshots = 32
	// cloneGrace spares a clone just begun, whose rebuild may not have
	// locked it yet.
	cloneGrace = time.Minute
)

// snapshotMeta is what a kept snapshot records of itself.
type snapshotMeta struct {
	Format     string `json:"format"`
	Commit     string `json:"commit"`
	CommitTime int64  `json:"commitTime"`
}

func (rb *Rebuilder) snapshotsDir() string { return filepath.Join(rb.cacheDir, "checkouts") }

func snapshotKey(src, commit, name, refs string) string {
	h := sha256.New()
	for _, s := range []string{snapshotFormat, src, commit, name, refs} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// snapshot returns a pristine checkout of the recipe's commit from src,
// named name: the one kept from an earlier rebuild, or a new clone, kept
// for later ones.
func (r *run) snapshot(ctx context.Context, src *source, name string) (*snapshot, error) {
	rb, commit := r.rb, r.res.Recipe.Source.Commit
	g := newGit(rb.log)
	refs, err := g.refs(ctx, src, !rb.offline)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(rb.snapshotsDir(), snapshotKey(src.loc, commit, name, refs))
	if s, err := openSnapshot(dir, name, commit); err == nil {
		now := time.Now()
		_ = os.Chtimes(filepath.Join(dir, snapshotMetaFile), now, now)
		rb.log.Debug("reusing checkout snapshot", "commit", commit, "snapshot", filepath.Base(dir))
		return s, nil
	}

	if err := os.MkdirAll(rb.snapshotsDir(), 0o755); err != nil {
		return nil, fmt.Errorf("creating snapshot dir: %w", err)
	}
	stage, err := os.MkdirTemp(rb.snapshotsDir(), ".new-")
	if err != nil {
		return nil, fmt.Errorf("creating snapshot dir: %w", err)
	}
	lock, err := lockDir(stage, unix.LOCK_SH)
	if err != nil {
		os.RemoveAll(stage)
		return nil, fmt.Errorf("locking snapshot: %w", err)
	}
	s := &snapshot{dir: stage, ephemeral: true, lock: lock}
	s.co, err = g.clone(ctx, src, commit, filepath.Join(stage, "tree", name))
	if err == nil && ctx.Err() == nil {
		var again string
		again, err = g.refs(ctx, src, !rb.offline)
		if err == nil && again != refs {
			rb.log.Debug("source changed while cloned; checkout kept for this rebuild only", "commit", commit)
			return s, nil
		}
		// A clone that lacks objects is used for its own rebuild only
		// (which says so): once the source is complete, the next
		// rebuild clones it again.
		if err == nil && s.co.MissingCount > 0 {
			rb.log.Warn("source lacks objects of the commit; checkout kept for this rebuild only", "commit", commit, "missing", s.co.MissingCount)
			return s, nil
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		s.release()
		return nil, err
	}
	meta, err := json.Marshal(snapshotMeta{Format: snapshotFormat, Commit: commit, CommitTime: s.co.CommitTime.Unix()})
	if err == nil {
		err = os.WriteFile(filepath.Join(stage, snapshotMetaFile), meta, 0o644)
	}
	if err != nil {
		s.release()
		return nil, fmt.Errorf("writing snapshot: %w", err)
	}
	if err := os.Rename(stage, dir); err != nil {
		// Another rebuild kept the same snapshot first.
		if kept, err := openSnapshot(dir, name, commit); err == nil {
			s.release()
			return kept, nil
		}
		return s, nil
	}
	rb.trimSnapshots(dir)
	kept, err := openSnapshot(dir, name, commit)
	lock.Close()
	return kept, err
}

// lockDir opens dir and locks it (unix.LOCK_SH or unix.LOCK_EX) without
// waiting.
func lockDir(dir string, how int) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openSnapshot opens the kept snapshot in dir and locks it for use.
func openSnapshot(dir, name, commit string) (*snapshot, error) {
	lock, err := lockDir(dir, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	s := &snapshot{dir: dir, lock: lock}
	var meta snapshotMeta
	data, err := readLimited(filepath.Join(dir, snapshotMetaFile), 64<<10)
	if err == nil {
		err = json.Unmarshal(data, &meta)
	}
	switch {
	case err != nil:
		err = fmt.Errorf("reading snapshot %s: %w", dir, err)
	case meta.Format != snapshotFormat || meta.Commit != commit:
		err = fmt.Errorf("snapshot %s is of %s (%s), want %s", dir, meta.Commit, meta.Format, commit)
	}
	co := filepath.Join(dir, "tree", name)
	if fi, lerr := os.Lstat(co); err == nil && (lerr != nil || !fi.IsDir()) {
		err = fmt.Errorf("snapshot %s has no checkout %s", dir, name)
	}
	if err != nil {
		s.release()
		return nil, err
	}
	s.co = &checkout{Dir: co, Commit: commit, CommitTime: time.Unix(meta.CommitTime, 0).UTC()}
	return s, nil
}

// release ends the rebuild's use of the snapshot, and removes it if it
// is ephemeral.
func (s *snapshot) release() {
	if s.ephemeral {
		os.RemoveAll(s.dir)
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// trimSnapshots removes the least recently used kept snapshots beyond
// maxSnapshots, and clones left behind by rebuilds that were killed:
// never keep, nor anything a rebuild has locked.
func (rb *Rebuilder) trimSnapshots(keep string) {
	entries, err := os.ReadDir(rb.snapshotsDir())
	if err != nil {
		return
	}
	type kept struct {
		dir  string
		used time.Time
	}
	var snaps []kept
	for _, e := range entries {
		dir := filepath.Join(rb.snapshotsDir(), e.Name())
		if !e.IsDir() || dir == keep {
			continue
		}
		if strings.HasPrefix(e.Name(), ".") {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > cloneGrace {
				removeUnlocked(dir)
			}
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, snapshotMetaFile))
		if err != nil {
			continue
		}
		snaps = append(snaps, kept{dir, fi.ModTime()})
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].used.Before(snaps[j].used) })
	for over := len(snaps) - (maxSnapshots - 1); over > 0 && len(snaps) > 0; snaps = snaps[1:] {
		if removeUnlocked(snaps[0].dir) {
			over--
		}
	}
}

// removeUnlocked removes dir if no rebuild has it locked: out of sight
// first, so that no rebuild opens it half removed.
func removeUnlocked(dir string) bool {
	lock, err := lockDir(dir, unix.LOCK_EX)
	if err != nil {
		return false
	}
	defer lock.Close()
	gone := dir
	if base := filepath.Base(dir); !strings.HasPrefix(base, ".") {
		gone = filepath.Join(filepath.Dir(dir), ".old-"+base)
		if os.Rename(dir, gone) != nil {
			return false
		}
	}
	return os.RemoveAll(gone) == nil
}
