package rebuild

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// logBuffer collects a rebuilder's debug log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was logged since the last call.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

func debugLogger(b *logBuffer) Option {
	return WithLogger(slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// fixtureSnapshot is where the snapshot of the fixture's first commit is
// kept for the repository's refs as they are now.
func fixtureSnapshot(t *testing.T, f *fixture) string {
	t.Helper()
	src, err := openSource(f.repo, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	refs, err := newGit(nil).refs(context.Background(), src, false)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(f.cache, "checkouts", snapshotKey(src.loc, f.commit1, filepath.Base(fxCheckout), refs))
}

// TestSnapshotReused: a warm rebuild mounts the checkout kept by the last
// one instead of cloning again, and that checkout stays exactly the
// commit, whatever the builds wrote (vendor/, the binary). A tag added to
// the source since is not hidden by it: a clone would copy the tag and the
// go command would stamp the version from it, so the rebuild clones anew,
// and here no longer matches; without the tag the kept checkout serves
// again.
func TestSnapshotReused(t *testing.T) {
	f := getFixture(t)
	logs := &logBuffer{}
	rb := newTestRebuilder(t, f, debugLogger(logs))
	req := Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo}

	wantStatus(t, rebuildOK(t, rb, req), StatusMatch, "")
	logs.take()
	wantStatus(t, rebuildOK(t, rb, req), StatusMatch, "")
	if got := logs.take(); !strings.Contains(got, "reusing checkout snapshot") {
		t.Errorf("the second rebuild did not reuse the checkout:\n%s", got)
	}
	snap := filepath.Join(fixtureSnapshot(t, f), "tree", filepath.Base(fxCheckout))
	env := gitEnvAt(f.commitTime)
	if st, err := runCmd(snap, env, "git", "status", "--porcelain", "--ignored"); err != nil || st != "" {
		t.Errorf("kept checkout is not pristine: %q, %v", st, err)
	}
	if head, err := runCmd(snap, env, "git", "rev-parse", "HEAD"); err != nil || head != f.commit1 {
		t.Errorf("kept checkout is at %q, %v; want %s", head, err, f.commit1)
	}

	if _, err := runCmd(f.repo, env, "git", "tag", "v1.0.1", f.commit1); err != nil {
		t.Fatal(err)
	}
	tagged := rebuildOK(t, rb, req)
	if _, err := runCmd(f.repo, env, "git", "tag", "-d", "v1.0.1"); err != nil {
		t.Fatal(err)
	}
	if got := logs.take(); strings.Contains(got, "reusing checkout snapshot") {
		t.Errorf("a rebuild after a new tag reused the old checkout:\n%s", got)
	}
	if tagged.Status != StatusMismatch {
		t.Errorf("with a newer tag on the commit: %s, want MISMATCH (the go command stamps the version from the tag)", tagged.Status)
	}
	wantStatus(t, rebuildOK(t, rb, req), StatusMatch, "")
	if got := logs.take(); !strings.Contains(got, "reusing checkout snapshot") {
		t.Errorf("with the tag gone, the kept checkout was not reused:\n%s", got)
	}
}

// TestSnapshotNotKeptWhenSourceMoves: refs that change while the source is
// cloned make a checkout for this rebuild only: kept, it would be found
// again under refs it does not have.
func TestSnapshotNotKeptWhenSourceMoves(t *testing.T) {
	f := getFixture(t)
	src := filepath.Join(t.TempDir(), "src")
	env := gitEnvAt(f.commitTime)
	if _, err := runCmd("", env, "git", "clone", "-q", f.repo, src); err != nil {
		t.Fatal(err)
	}
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip(err)
	}
	// A git that tags the source whenever it has cloned it.
	bin := t.TempDir()
	script := "#!/bin/sh\n" + real + " \"$@\"; rc=$?\nif [ \"$1\" = clone ]; then " + real + " -C " + src + " tag -f moved >/dev/null 2>&1; fi\nexit $rc\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	rb := newTestRebuilder(t, f, WithCacheDir(t.TempDir()))
	r := &run{rb: rb, ws: t.TempDir(), res: &Result{Recipe: f.provenance().recipes(t)[0]}}
	s, err := openSource(src, r.ws)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.snapshot(context.Background(), s, "src")
	if err != nil {
		t.Fatal(err)
	}
	if !snap.ephemeral || snap.co.Commit != f.commit1 {
		t.Fatalf("snapshot = %+v, want an ephemeral checkout of %s", snap, f.commit1)
	}
	snap.release()
	entries, err := os.ReadDir(rb.snapshotsDir())
	if err != nil || len(entries) != 0 {
		t.Errorf("snapshots left behind: %v, %v", entries, err)
	}

	// A whole rebuild from such a source matches, and leaves no clone
	// behind (the ephemeral one goes once the sandbox is closed).
	script = "#!/bin/sh\n" + real + " \"$@\"; rc=$?\nif [ \"$1\" = clone ]; then " + real + " -C " + f.repo + " tag -f moved >/dev/null 2>&1; fi\nexit $rc\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = runCmd(f.repo, env, real, "tag", "-d", "moved") })
	// A tag of its own makes refs no kept snapshot has: the rebuild clones.
	probe := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	if _, err := runCmd(f.repo, env, real, "tag", probe, f.commit2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = runCmd(f.repo, env, real, "tag", "-d", probe) })
	logs := &logBuffer{}
	frb := newTestRebuilder(t, f, debugLogger(logs))
	before, _ := os.ReadDir(frb.snapshotsDir())
	wantStatus(t, rebuildOK(t, frb, Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo}), StatusMatch, "")
	after, _ := os.ReadDir(frb.snapshotsDir())
	if len(after) != len(before) {
		t.Errorf("snapshots before the rebuild: %d, after: %d; want none added", len(before), len(after))
	}
	if got := logs.take(); !strings.Contains(got, "checkout kept for this rebuild only") {
		t.Errorf("the rebuild did not clone a moving source:\n%s", got)
	}

	// The twin: refs that hold still make a kept snapshot.
	if err := os.Remove(filepath.Join(bin, "git")); err != nil {
		t.Fatal(err)
	}
	snap, err = r.snapshot(context.Background(), s, "src")
	if err != nil || snap.ephemeral {
		t.Fatalf("snapshot = %+v, %v; want a kept one", snap, err)
	}
	if _, err := os.Stat(filepath.Join(snap.dir, snapshotMetaFile)); err != nil {
		t.Error(err)
	}
}

// TestDependenciesRecorded: what the fetch phase downloaded is recorded
// beside the snapshot, and while it is all in the module cache a rebuild
// does not run the go command to download again (here, with a proxy that
// could not serve it). A module gone from the cache is noticed: the
// download runs again and, without a proxy, the rebuild is SKIP, never a
// build against a broken cache.
func TestDependenciesRecorded(t *testing.T) {
	f := getFixture(t)
	req := Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo}
	wantStatus(t, rebuildOK(t, newTestRebuilder(t, f), req), StatusMatch, "")

	record := filepath.Join(fixtureSnapshot(t, f), "deps-"+f.goVersion+"-"+shortHash(".")+".json")
	before, err := os.Stat(record)
	if err != nil {
		t.Fatalf("no dependency record: %v", err)
	}
	data, err := os.ReadFile(record)
	if err != nil || !strings.Contains(string(data), "cache/download/"+fxDepModule+"/@v/"+fxDepVersion+".zip") {
		t.Fatalf("record = %s, %v", data, err)
	}

	noProxy := newTestRebuilder(t, f, WithGoProxy("file://"+filepath.Join(t.TempDir(), "empty")))
	wantStatus(t, rebuildOK(t, noProxy, req), StatusMatch, "")
	if after, err := os.Stat(record); err != nil || !os.SameFile(before, after) {
		t.Errorf("the download ran again with everything in the cache (record replaced: %v)", err)
	}

	zip := filepath.Join(f.cache, "mod", "cache", "download", fxDepModule, "@v", fxDepVersion+".zip")
	if err := os.Remove(zip); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, rebuildOK(t, noProxy, req), StatusSkip, reason.DependenciesUnavailable)
	wantStatus(t, rebuildOK(t, newTestRebuilder(t, f), req), StatusMatch, "")
	if after, err := os.Stat(record); err != nil || os.SameFile(before, after) {
		t.Errorf("the record was not renewed by the download (%v)", err)
	}
}

// TestTrimSnapshots: beyond maxSnapshots, the least recently used kept
// snapshots go, and clones left by killed rebuilds; never the one just
// made, nor one a rebuild has locked (in use, however old), nor a clone
// just begun.
func TestTrimSnapshots(t *testing.T) {
	rb := &Rebuilder{config: config{cacheDir: t.TempDir()}}
	old := time.Now().Add(-24 * time.Hour)
	mk := func(name string, used time.Time) string {
		dir := filepath.Join(rb.snapshotsDir(), name)
		if err := os.MkdirAll(filepath.Join(dir, "tree"), 0o755); err != nil {
			t.Fatal(err)
		}
		meta := filepath.Join(dir, snapshotMetaFile)
		if err := os.WriteFile(meta, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{meta, dir} {
			if err := os.Chtimes(p, used, used); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	lock := func(dir string) {
		f, err := lockDir(dir, unix.LOCK_SH)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
	}
	for i := range maxSnapshots + 5 {
		mk(fmt.Sprintf("old%02d", i), old.Add(time.Duration(i)*time.Minute))
	}
	busy := mk("busy", old.Add(-time.Hour)) // the least recently used of all, but in use
	lock(busy)
	keep := mk("keep", old.Add(-2*time.Hour))
	staleClone := mk(".new-stale", old)
	freshClone := mk(".new-fresh", time.Now())
	busyClone := mk(".new-busy", old)
	lock(busyClone)
	rb.trimSnapshots(keep)

	for _, d := range []string{busy, keep, freshClone, busyClone} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed", filepath.Base(d))
		}
	}
	if _, err := os.Stat(staleClone); err == nil {
		t.Error("a clone left by a killed rebuild was kept")
	}
	entries, err := os.ReadDir(rb.snapshotsDir())
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			kept = append(kept, e.Name())
		}
	}
	if len(kept) != maxSnapshots {
		t.Errorf("%d snapshots kept, want %d: %v", len(kept), maxSnapshots, kept)
	}
	for i := range 7 {
		if slices.Contains(kept, fmt.Sprintf("old%02d", i)) {
			t.Errorf("old%02d, among the least recently used, was kept", i)
		}
	}
	if !slices.Contains(kept, "old07") {
		t.Error("old07 went, though the snapshot in use made room for it")
	}
}

// TestRebuildStopsForUnattestedArtifact: the artifact is hashed beside
// the build, and a digest the provenance does not attest ends the build
// at once rather than after it. The artifact here is a FIFO whose bytes
// come only once the build has started, and the build cache is cold, so
// the whole build would compile the runtime: it must not get far.
func TestRebuildStopsForUnattestedArtifact(t *testing.T) {
	f := getFixture(t)
	fifo := filepath.Join(t.TempDir(), "artifact")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	building := make(chan struct{}, 1)
	cache := teardownTempDir(t)
	rb := newTestRebuilder(t, f, WithCacheDir(cache), WithProgress(func(p Progress) {
		if p.Phase == PhaseBuild && !p.Done {
			building <- struct{}{}
		}
	}))
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		select {
		case <-building:
		case <-time.After(time.Minute):
		}
		_, _ = w.Write([]byte("not the published binary"))
	}()
	res := rebuildOK(t, rb, Request{Artifact: fifo, Recipes: f.provenance().recipes(t), Source: f.repo})
	wantStatus(t, res, StatusMismatch, reason.SubjectMismatch)
	if len(res.Phases) != 1 {
		t.Errorf("phases = %+v, want the subject alone", res.Phases)
	}
	// A whole cold build leaves about 90 compiled packages in the cache.
	entries, _ := filepath.Glob(filepath.Join(cache, "gocache", "*", "*", "*", "*-d"))
	if len(entries) > 40 {
		t.Errorf("the build went on after the digest was known: %d packages compiled", len(entries))
	}
}

// teardownTempDir is t.TempDir for a cache a stopped sandbox wrote into:
// the build is killed when the digest is known, and the kernel tears the
// sandbox's mount namespace (its overlay's work directory in the cache)
// down after the rebuild has returned, so removing the directory is
// retried for a while instead of failing the test at cleanup.
func teardownTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sovcheck-rebuild-cache-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("removing %s: %v", dir, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// TestDepsPresentNeedsEveryGoMod: a record is not enough while a go.mod
// that go.sum names (a module of the graph the download did not fetch
// whole) is missing from the module cache; the twin: with it there, the
// record holds.
func TestDepsPresentNeedsEveryGoMod(t *testing.T) {
	dir := t.TempDir()
	rb := &Rebuilder{config: config{cacheDir: dir}}
	cached := func(rel string) string { return filepath.Join(rb.modCache(), filepath.FromSlash(rel)) }
	zip := "cache/download/example.test/a/@v/v1.0.0.zip"
	for _, f := range []string{zip, "cache/download/example.test/a/@v/v1.0.0.mod"} {
		if err := os.MkdirAll(filepath.Dir(cached(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cached(f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	module := filepath.Join(dir, "src")
	if err := os.Mkdir(module, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := "example.test/a v1.0.0 h1:x=\nexample.test/a v1.0.0/go.mod h1:y=\nexample.test/Upper/b v1.2.0/go.mod h1:z=\n"
	if err := os.WriteFile(filepath.Join(module, "go.sum"), []byte(sum), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "record.json")
	if err := os.WriteFile(record, []byte(`{"files":["`+zip+`"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if rb.depsPresent(record, module) {
		t.Error("a module's go.mod missing from the cache went unnoticed")
	}
	bmod := cached("cache/download/example.test/!upper/b/@v/v1.2.0.mod")
	if err := os.MkdirAll(filepath.Dir(bmod), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bmod, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !rb.depsPresent(record, module) {
		t.Error("everything is in the cache, yet the record does not hold")
	}
}

// TestSnapshotKeptOnceByParallelRebuilds: two cold rebuilds of one commit
// at once both clone it; one keeps its clone, the other uses that one (or
// its own, once), and no clone is left behind.
func TestSnapshotKeptOnceByParallelRebuilds(t *testing.T) {
	f := getFixture(t)
	cache := t.TempDir()
	// A warm build cache, so that only the snapshots are cold.
	tc := &Toolchain{Version: f.goVersion}
	warm := (&Rebuilder{config: config{cacheDir: f.cache}}).buildCache(tc, f.repo)
	if err := os.CopyFS((&Rebuilder{config: config{cacheDir: cache}}).buildCache(tc, f.repo), os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	rb := newTestRebuilder(t, f, WithCacheDir(cache))
	req := Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo}
	results, errs := rb.RebuildAll(context.Background(), []Request{req, req}, 2)
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		wantStatus(t, results[i], StatusMatch, "")
	}
	entries, err := os.ReadDir(rb.snapshotsDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || strings.HasPrefix(names[0], ".") {
		t.Errorf("snapshots after two parallel rebuilds: %v, want one kept", names)
	}
}
