package rebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
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
type snapshot struct {
	dir       string    // holds tree/<name> (the checkout) and snapshotMeta
	co        *checkout // the checkout: dir/tree/<name>
	ephemeral bool      // removed when its rebuild ends
}

// tree is the directory holding the checkout: the overlay's lower layer
// when the checkout's parent is the work dir's mount.
func (s *snapshot) tree() string { return filepath.Join(s.dir, "tree") }

const (
	snapshotFormat   = "sovcheck-snapshot-v1"
	snapshotMetaFile = "snapshot.json"
	// maxSnapshots bounds the snapshots kept; the least recently used go
	// first, but never one used within snapshotGrace, which a concurrent
	// rebuild may have mounted.
	maxSnapshots  = 32
	snapshotGrace = time.Hour
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
	co, err := g.clone(ctx, src, commit, filepath.Join(stage, "tree", name), !rb.offline)
	if err != nil {
		os.RemoveAll(stage)
		return nil, err
	}
	s := &snapshot{dir: stage, co: co, ephemeral: true}
	if again, err := g.refs(ctx, src, !rb.offline); err != nil || again != refs {
		rb.log.Debug("source changed while cloned; checkout kept for this rebuild only", "commit", commit)
		return s, nil
	}
	meta, err := json.Marshal(snapshotMeta{Format: snapshotFormat, Commit: commit, CommitTime: co.CommitTime.Unix()})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stage, snapshotMetaFile), meta, 0o644); err != nil {
		os.RemoveAll(stage)
		return nil, fmt.Errorf("writing snapshot: %w", err)
	}
	if err := os.Rename(stage, dir); err != nil {
		// Another rebuild kept the same snapshot first.
		if kept, err := openSnapshot(dir, name, commit); err == nil {
			os.RemoveAll(stage)
			return kept, nil
		}
		return s, nil
	}
	rb.trimSnapshots(dir)
	return openSnapshot(dir, name, commit)
}

// openSnapshot opens the kept snapshot in dir.
func openSnapshot(dir, name, commit string) (*snapshot, error) {
	f, err := os.Open(filepath.Join(dir, snapshotMetaFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var meta snapshotMeta
	if err := json.NewDecoder(io.LimitReader(f, 64<<10)).Decode(&meta); err != nil {
		return nil, fmt.Errorf("reading snapshot %s: %w", dir, err)
	}
	if meta.Format != snapshotFormat || meta.Commit != commit {
		return nil, fmt.Errorf("snapshot %s is of %s (%s), want %s", dir, meta.Commit, meta.Format, commit)
	}
	co := filepath.Join(dir, "tree", name)
	if fi, err := os.Lstat(co); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("snapshot %s has no checkout %s", dir, name)
	}
	return &snapshot{dir: dir, co: &checkout{Dir: co, Commit: commit, CommitTime: time.Unix(meta.CommitTime, 0).UTC()}}, nil
}

// release removes an ephemeral snapshot.
func (s *snapshot) release() {
	if s.ephemeral {
		os.RemoveAll(s.dir)
	}
}

// trimSnapshots removes the least recently used kept snapshots beyond
// maxSnapshots, and clones left behind by rebuilds that were killed; never
// keep, nor anything used within snapshotGrace.
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
	cutoff := time.Now().Add(-snapshotGrace)
	for _, e := range entries {
		dir := filepath.Join(rb.snapshotsDir(), e.Name())
		if !e.IsDir() || dir == keep {
			continue
		}
		if strings.HasPrefix(e.Name(), ".") {
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
				os.RemoveAll(dir)
			}
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, snapshotMetaFile))
		if err != nil {
			continue
		}
		snaps = append(snaps, kept{dir, fi.ModTime()})
	}
	if len(snaps) < maxSnapshots {
		return
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].used.Before(snaps[j].used) })
	for _, s := range snaps[:len(snaps)-maxSnapshots+1] {
		if s.used.After(cutoff) {
			break
		}
		// Out of sight first, so no rebuild opens it half removed.
		gone := filepath.Join(rb.snapshotsDir(), ".old-"+filepath.Base(s.dir))
		if os.Rename(s.dir, gone) == nil {
			os.RemoveAll(gone)
		}
	}
}

// readLimited reads a file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("%s is larger than %d bytes", filepath.Base(name), limit)}
	}
	return data, nil
}
