//go:build linux

package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// overlayFixture is a lower dir holding a small tree, and the empty upper
// and work dirs of an overlay of it.
type overlayFixture struct {
	ws, lower, upper, work string
}

func newOverlayFixture(t *testing.T) *overlayFixture {
	t.Helper()
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	ws := t.TempDir()
	f := &overlayFixture{ws: ws, lower: filepath.Join(ws, "lower"), upper: filepath.Join(ws, "upper"), work: filepath.Join(ws, "work")}
	for _, d := range []string{"root", "lower/sub", "lower/vendor", "upper", "work"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"a": "lower a\n", "sub/b": "lower b\n", "vendor/x": "lower x\n"} {
		if err := os.WriteFile(filepath.Join(f.lower, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// snapshot reads every file below dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			files[rel] = "(" + d.Type().String() + ")"
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const overlayScript = `echo more >> a && rm sub/b && rm -rf vendor && mkdir vendor && echo y > vendor/y && echo built > out && cat a && ls -A . sub vendor`

// TestOverlayKeepsLowerPristine: a build on an overlay sees its lower
// tree and changes it at will, and every change lands in the upper dir;
// the lower tree is byte for byte what it was. The control: the same
// script on a writable bind of the tree changes it, so the comparison
// can fail.
func TestOverlayKeepsLowerPristine(t *testing.T) {
	f := newOverlayFixture(t)
	before := snapshot(t, f.lower)
	spec := &Spec{
		Root:     filepath.Join(f.ws, "root"),
		Mounts:   []Mount{{Source: f.lower, Target: testCheckout, Upper: f.upper, Work: f.work}},
		Checkout: testCheckout,
		Output:   "out",
	}
	out := &lockedBuffer{}
	st, err := Run(context.Background(), spec, []Step{{Argv: []string{"/bin/sh", "-c", overlayScript}, Dir: testCheckout, Env: []string{"PATH=/usr/bin:/bin"}}}, out)
	if err != nil {
		t.Fatalf("running sandbox: %v\n%s", err, out)
	}
	if len(st.Steps) != 1 || st.Steps[0].ExitCode != 0 {
		t.Fatalf("status = %+v\n%s", st, out)
	}
	if got := out.String(); !strings.Contains(got, "lower a\nmore\n") || strings.Contains(got, "\nb\n") || !strings.Contains(got, "y\n") || strings.Contains(got, "x\n") {
		t.Errorf("the build's view of the overlay:\n%s", got)
	}
	if after := snapshot(t, f.lower); !equalMaps(before, after) {
		t.Errorf("lower dir changed: %v, was %v", after, before)
	}
	up := snapshot(t, f.upper)
	if up["out"] != "built\n" || up["a"] != "lower a\nmore\n" || up["vendor/y"] != "y\n" {
		t.Errorf("upper dir = %v, want the build's writes", up)
	}

	// The control: a writable bind of the same tree is changed.
	ctl := t.TempDir()
	if err := os.CopyFS(ctl, os.DirFS(f.lower)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(f.ws, "root2"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec = &Spec{Root: filepath.Join(f.ws, "root2"), Mounts: []Mount{{Source: ctl, Target: testCheckout, Writable: true}}}
	if _, err := Run(context.Background(), spec, []Step{{Argv: []string{"/bin/sh", "-c", overlayScript}, Dir: testCheckout, Env: []string{"PATH=/usr/bin:/bin"}}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if equalMaps(before, snapshot(t, ctl)) {
		t.Error("control: the script did not change a writable tree")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestOverlayFailureIsItsOwn: an overlay the sandbox cannot mount is
// ErrOverlayUnavailable, which is not ErrUnavailable: a caller may retry
// on a bind mount, but never fall back to a build without the sandbox.
func TestOverlayFailureIsItsOwn(t *testing.T) {
	f := newOverlayFixture(t)
	for name, m := range map[string]Mount{
		"comma in a path": {Source: f.lower + ",x", Target: testCheckout, Upper: f.upper, Work: f.work},
		"no work dir":     {Source: f.lower, Target: testCheckout, Upper: f.upper, Work: filepath.Join(f.ws, "missing")},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			_, err := Run(context.Background(), &Spec{Root: root, Mounts: []Mount{m}}, []Step{{Argv: []string{"/bin/true"}, Dir: "/"}}, io.Discard)
			if !errors.Is(err, ErrOverlayUnavailable) || errors.Is(err, ErrUnavailable) {
				t.Fatalf("Run = %v, want ErrOverlayUnavailable alone", err)
			}
		})
	}
}

func TestOverlayPathOK(t *testing.T) {
	for p, want := range map[string]bool{
		"/home/user/.cache/sovcheck/rebuild/checkouts/ab12/tree": true,
		"/tmp/with space/x": true,
		"relative/dir":      false,
		"/a,b":              false,
		"/a:b":              false,
		`/a\b`:              false,
		"/a\nb":             false,
	} {
		if got := OverlayPathOK(p); got != want {
			t.Errorf("OverlayPathOK(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestStartThenSetup: the init process starts before its mounts are known
// and sets them up when they come.
func TestStartThenSetup(t *testing.T) {
	f := newOverlayFixture(t)
	out := &lockedBuffer{}
	sb := Start(context.Background(), out)
	time.Sleep(50 * time.Millisecond) // the init is up and waiting
	sb.Setup(&Spec{Root: filepath.Join(f.ws, "root"), Mounts: []Mount{{Source: f.lower, Target: testCheckout}}})
	st, err := sb.Run([]Step{{Argv: []string{"/bin/cat", "a"}, Dir: testCheckout}})
	sb.Close()
	if err != nil || len(st.Steps) != 1 || st.Steps[0].ExitCode != 0 {
		t.Fatalf("Run = %+v, %v\n%s", st, err, out)
	}
	if out.String() != "lower a\n" {
		t.Errorf("output = %q", out)
	}
}

// TestClose: a sandbox closed before or after its set-up ends without
// running anything, and Run afterwards says so; Run without Setup is an
// error, not a hang.
func TestClose(t *testing.T) {
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	for _, setup := range []bool{false, true} {
		sb := Start(context.Background(), io.Discard)
		if setup {
			sb.Setup(&Spec{Root: t.TempDir()})
		}
		sb.Close()
		sb.Close()
		st, err := sb.Run([]Step{{Argv: []string{"/bin/true"}, Dir: "/"}})
		if !errors.Is(err, ErrAborted) || st != nil {
			t.Errorf("setup %v: Run after Close = %+v, %v; want ErrAborted", setup, st, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Start(context.Background(), io.Discard).Run([]Step{{Argv: []string{"/bin/true"}, Dir: "/"}})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run without Setup succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run without Setup hangs")
	}
}

// TestStepsCannotReachTheInit: a step cannot read the memory map of the
// init, nor ptrace it to forge its report, though both run as uid 0 of the
// namespace: the init holds capabilities the steps lack. The control: a
// step reads its own.
func TestStepsCannotReachTheInit(t *testing.T) {
	st, out := sandboxProbe(t, `head -c 1 /proc/self/maps >/dev/null && echo own-ok; head -c 1 /proc/1/maps >/dev/null 2>&1 && echo read-init; echo '{"steps":[]}' 2>/dev/null >/proc/1/fd/4 && echo forged; true`)
	if st.Steps[0].ExitCode != 0 || !strings.Contains(out, "own-ok") {
		t.Fatalf("control: a step cannot read its own maps:\n%s", out)
	}
	if strings.Contains(out, "read-init") || strings.Contains(out, "forged") {
		t.Errorf("a step reached the init's memory map or its report:\n%s", out)
	}
}

// TestImportsOnlyStdlib: the package's init decides whether the binary is
// a sandbox; it runs early only while the package imports nothing heavy.
func TestImportsOnlyStdlib(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "golang.org/x/sys/unix" && p != "github.com/sovcheck/sovcheck/internal/sandbox" {
			t.Errorf("internal/sandbox imports %s", p)
		}
	}
}

// slowWriter takes its time with every write, as a loaded machine may.
type slowWriter struct{ lockedBuffer }

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return w.lockedBuffer.Write(p)
}

// TestRunReturnsAllOutput: Run returns before the namespaces are torn
// down, but never before the steps' output is all delivered: the last
// line of a failing build is the one that says why.
func TestRunReturnsAllOutput(t *testing.T) {
	ws := workspace(t)
	out := &slowWriter{}
	script := `for i in 1 2 3 4 5 6 7 8; do echo "line $i"; sleep 0.01; done; echo "the last word" >&2; exit 1`
	st, err := Run(context.Background(), &Spec{Root: filepath.Join(ws, "root")}, []Step{{Argv: []string{"/bin/sh", "-c", script}, Dir: "/", Env: []string{"PATH=/usr/bin:/bin"}}}, out)
	if err != nil || len(st.Steps) != 1 || st.Steps[0].ExitCode != 1 {
		t.Fatalf("Run = %+v, %v", st, err)
	}
	if got := out.String(); !strings.HasSuffix(got, "the last word\n") {
		t.Errorf("output when Run returned = %q, lacks its end", got)
	}
}

// TestOutputThroughSymlink: an output path through a symlink of the
// source is reported resolved, so the file is found in the overlay's
// upper dir, where the symlink itself is not. The twin: no output, no
// path.
func TestOutputThroughSymlink(t *testing.T) {
	f := newOverlayFixture(t)
	if err := os.Symlink("sub", filepath.Join(f.lower, "bin")); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{
		Root:     filepath.Join(f.ws, "root"),
		Mounts:   []Mount{{Source: f.lower, Target: testCheckout, Upper: f.upper, Work: f.work}},
		Checkout: testCheckout,
		Output:   "bin/app",
	}
	st, err := Run(context.Background(), spec, []Step{{Argv: []string{"/bin/sh", "-c", "echo built > bin/app"}, Dir: testCheckout, Env: []string{"PATH=/usr/bin:/bin"}}}, io.Discard)
	if err != nil || st.Output != "sub/app" {
		t.Fatalf("Run = %+v, %v; want the output at sub/app", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(f.upper, filepath.FromSlash(st.Output))); err != nil || string(b) != "built\n" {
		t.Errorf("output in the upper dir = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(f.upper, "bin", "app")); err == nil {
		t.Error("the output path unresolved is in the upper dir too")
	}

	root := filepath.Join(f.ws, "root2")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	spec = &Spec{Root: root, Mounts: []Mount{{Source: f.lower, Target: testCheckout}}, Checkout: testCheckout, Output: "bin/none"}
	st, err = Run(context.Background(), spec, []Step{{Argv: []string{"/bin/true"}, Dir: testCheckout}}, io.Discard)
	if err != nil || st.Output != "" {
		t.Errorf("Run without an output = %+v, %v; want no output path", st, err)
	}
}
