//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paths the tests mount things at, as a rebuild would.
const (
	testCheckout = "/sovcheck/build/src"
	testHome     = "/sovcheck/home"
	testCache    = "/sovcheck/gocache"
)

var (
	availableOnce sync.Once
	availableErr  error
)

// sandboxAvailable probes once whether this machine can create the
// sandbox's namespaces (CI runners may forbid unprivileged user namespaces).
func sandboxAvailable(t *testing.T) bool {
	t.Helper()
	availableOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sovcheck-sandbox-probe-")
		if err != nil {
			availableErr = err
			return
		}
		defer os.RemoveAll(dir)
		_, availableErr = Run(context.Background(), &Spec{Root: dir}, []Step{{Argv: []string{"/bin/true"}, Dir: "/", Env: []string{}}}, io.Discard)
	})
	if availableErr != nil && !errors.Is(availableErr, ErrUnavailable) {
		t.Fatalf("probing the sandbox: %v", availableErr)
	}
	if availableErr != nil {
		t.Logf("sandbox unavailable on this machine: %v", availableErr)
	}
	return availableErr == nil
}

// lockedBuffer collects a sandbox's output; stdout and stderr of the
// steps share it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// workspace returns a dir holding an empty root/ for the sandbox and a
// src/ to mount as its checkout; it skips the test where there are no
// namespaces.
func workspace(t *testing.T) string {
	t.Helper()
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	ws := t.TempDir()
	for _, d := range []string{"root", "src"} {
		if err := os.Mkdir(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// runSpec runs the steps in a sandbox set up by spec and returns the
// status and the output; a sandbox that cannot run them fails the test.
func runSpec(t *testing.T, spec *Spec, steps []Step) (*Status, string) {
	t.Helper()
	out := &lockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := Run(ctx, spec, steps, out)
	if err != nil {
		t.Fatalf("running sandbox: %v\noutput: %s", err, out.String())
	}
	return st, out.String()
}

// sandboxProbe runs one shell script in the sandbox with a writable
// workspace mounted at the default checkout and returns its status and output.
func sandboxProbe(t *testing.T, script string, env ...string) (*Status, string) {
	t.Helper()
	ws := workspace(t)
	spec := &Spec{
		Root: filepath.Join(ws, "root"),
		Mounts: []Mount{
			{Source: filepath.Join(ws, "src"), Target: testCheckout, Writable: true},
			{Target: testHome},
		},
	}
	steps := []Step{{
		Argv: []string{"/bin/sh", "-c", script},
		Dir:  testCheckout,
		Env:  append([]string{"PATH=/usr/bin:/bin", "HOME=" + testHome}, env...),
	}}
	st, out := runSpec(t, spec, steps)
	if len(st.Steps) != 1 {
		t.Fatalf("sandbox ran %d steps, want 1", len(st.Steps))
	}
	return st, out
}

// runHost runs the same script outside the sandbox: the control for each
// isolation test, so that a test cannot pass because the probe is broken.
func runHost(t *testing.T, script string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestSandboxBasics(t *testing.T) {
	st, out := sandboxProbe(t, `echo "uid=$(id -u) pid=$$ host=$(hostname) umask=$(umask)"; ls /`)
	if st.Steps[0].ExitCode != 0 {
		t.Fatalf("probe failed: %+v\n%s", st.Steps[0], out)
	}
	for _, want := range []string{"uid=0", "host=" + Hostname, "umask=0022"} {
		if !strings.Contains(out, want) {
			t.Errorf("sandbox output lacks %q:\n%s", want, out)
		}
	}
	for _, hidden := range []string{"root\n", "home\n", "work\n", "run\n", "var\n"} {
		if strings.Contains(out, "\n"+hidden) {
			t.Errorf("sandbox root lists /%s", strings.TrimSpace(hidden))
		}
	}
}

func TestSandboxFailingStepIsReported(t *testing.T) {
	st, _ := sandboxProbe(t, "exit 3")
	if st.Steps[0].ExitCode != 3 {
		t.Fatalf("exit code = %d, want 3", st.Steps[0].ExitCode)
	}
}

func TestSandboxHasNoNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	script := fmt.Sprintf(`exec bash -c 'echo hi > /dev/tcp/127.0.0.1/%d' 2>&1`, port)
	if code, out := runHost(t, script); code != 0 {
		t.Fatalf("control: dialing the listener from the host failed (%d): %s", code, out)
	}
	st, out := sandboxProbe(t, script)
	if st.Steps[0].ExitCode == 0 {
		t.Fatalf("a build step reached a listener on the host's loopback: %s", out)
	}
	st, out = sandboxProbe(t, `exec bash -c 'echo hi > /dev/tcp/1.1.1.1/443' 2>&1`)
	if st.Steps[0].ExitCode == 0 {
		t.Fatalf("a build step reached the internet: %s", out)
	}
}

func TestSandboxHidesCallerHome(t *testing.T) {
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret")
	if err := os.WriteFile(secret, []byte("caller-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`cat %q`, secret)
	// The caller's home, when it exists, must be invisible too.
	if home, err := os.UserHomeDir(); err == nil && home != "/" {
		if _, err := os.Stat(home); err == nil {
			script = fmt.Sprintf(`ls -A %q >/dev/null && %s`, home, script)
		}
	}
	if code, out := runHost(t, script); code != 0 || !strings.Contains(out, "caller-secret") {
		t.Fatalf("control: the host cannot read its own files (%d): %s", code, out)
	}
	st, out := sandboxProbe(t, script)
	if st.Steps[0].ExitCode == 0 || strings.Contains(out, "caller-secret") {
		t.Fatalf("a build step read the caller's files: %s", out)
	}
	st, out = sandboxProbe(t, `ls -A "$HOME" | wc -l`)
	if st.Steps[0].ExitCode != 0 || strings.TrimSpace(out) != "0" {
		t.Fatalf("the build's own HOME is not empty: %s", out)
	}
}

func TestSandboxConfinesWrites(t *testing.T) {
	outside := t.TempDir()
	target := filepath.Join(outside, "escaped")
	st, out := sandboxProbe(t, fmt.Sprintf(`
		echo x > %q && echo wrote-outside
		echo x > /usr/sovcheck-probe && echo wrote-usr
		echo x > /sovcheck-probe && echo wrote-root
		echo x > /tmp/scratch && echo wrote-tmp
		echo x > /sovcheck/build/src/out && echo wrote-workspace
		true`, target))
	if st.Steps[0].ExitCode != 0 {
		t.Fatalf("probe failed: %s", out)
	}
	for _, bad := range []string{"wrote-outside", "wrote-usr", "wrote-root"} {
		if strings.Contains(out, bad) {
			t.Errorf("a build step could write: %s\n%s", bad, out)
		}
	}
	for _, good := range []string{"wrote-tmp", "wrote-workspace"} {
		if !strings.Contains(out, good) {
			t.Errorf("a build step could not write where it may: %s\n%s", good, out)
		}
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("file written in the sandbox appeared on the host at %s", target)
	}
	if _, err := os.Stat("/usr/sovcheck-probe"); err == nil {
		t.Errorf("file written in the sandbox appeared on the host in /usr")
	}
}

// TestSandboxStepsHaveNoCapabilities: a step cannot remount a read-only
// mount writable or mount anything.
func TestSandboxStepsHaveNoCapabilities(t *testing.T) {
	st, out := sandboxProbe(t, `
		grep '^CapEff:' /proc/self/status
		mount -o remount,bind,rw /usr 2>/dev/null && echo remounted-usr
		mount -t tmpfs x /sovcheck/home 2>/dev/null && echo mounted
		true`)
	if st.Steps[0].ExitCode != 0 {
		t.Fatalf("probe failed: %s", out)
	}
	if !strings.Contains(out, "CapEff:\t0000000000000000") {
		t.Errorf("a step has capabilities:\n%s", out)
	}
	if strings.Contains(out, "remounted") || strings.Contains(out, "mounted") {
		t.Errorf("a step could change mounts:\n%s", out)
	}
}

func TestSandboxMissingCommand(t *testing.T) {
	st, _ := sandboxProbe(t, "exec /nonexistent/tool")
	if st.Steps[0].ExitCode == 0 {
		t.Fatal("a missing command succeeded")
	}
}

// TestSandboxUnprivileged runs the isolation tests again as an unprivileged
// user, in a user namespace of its own: the sandbox must work without root.
func TestSandboxUnprivileged(t *testing.T) {
	if os.Getenv("SOVCHECK_TEST_UNPRIVILEGED") == "1" {
		t.Skip("already unprivileged")
	}
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user; the other sandbox tests already ran unprivileged")
	}
	dir, err := os.MkdirTemp("", "sovcheck-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sandbox.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^Test(Sandbox(Basics|HasNoNetwork|HidesCallerHome|ConfinesWrites)|OverlayKeepsLowerPristine)$", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"SOVCHECK_TEST_UNPRIVILEGED=1", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "TMPDIR=" + dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandbox tests as uid 65534 failed: %v\n%s", err, out)
	}
	if strings.Count(string(out), "--- PASS") < 5 {
		t.Fatalf("sandbox tests as uid 65534 did not run:\n%s", out)
	}
}

// TestSandboxDeadlineKillsEverything: when the rebuild runs out of time the
// sandbox's init is killed, and with it every process of the build, even
// ones that left the step's process group; run returns promptly.
func TestSandboxDeadlineKillsEverything(t *testing.T) {
	ws := workspace(t)
	marker := fmt.Sprintf("sovcheck-deadline-probe-%d.sh", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(ws, "src", marker), []byte("sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{
		Root:   filepath.Join(ws, "root"),
		Mounts: []Mount{{Source: filepath.Join(ws, "src"), Target: testCheckout, Writable: true}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	script := "setsid /bin/sh ./" + marker + " & /bin/sh ./" + marker
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, spec, []Step{{Argv: []string{"/bin/sh", "-c", script}, Dir: testCheckout, Env: []string{"PATH=/usr/bin:/bin"}}}, io.Discard)
		done <- err
	}()
	// The control: the probe sees both build processes while they run.
	for processesRunning(t, marker) < 2 {
		if time.Since(start) > 2*time.Second {
			t.Fatal("the build processes never showed up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	err := <-done
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run returned after %s", d)
	}
	// The kernel tears the pid namespace down asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := processesRunning(t, marker)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d build processes outlived the sandbox", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesRunning counts the processes whose command line mentions s.
func processesRunning(t *testing.T, s string) int {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), s) {
			n++
		}
	}
	return n
}

// TestSandboxStepsGetOnlyStdio: the init's report pipe (and anything
// sovcheck's caller left open) does not reach the steps, so a build cannot
// forge the sandbox's report, for example a set-up failure that would
// turn --allow-unsandboxed into a rebuild outside the sandbox.
func TestSandboxStepsGetOnlyStdio(t *testing.T) {
	leak, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	// An inheritable descriptor, as a careless caller would leave one.
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, leak.Fd(), syscall.F_SETFD, 0); errno != 0 {
		t.Fatal(errno)
	}
	st, out := sandboxProbe(t, `for fd in /proc/self/fd/*; do echo "fd ${fd##*/}"; done; echo '{"setupError":"forged","steps":[]}' >&4 && echo forged; echo '{}' >&3 && echo wrote-spec; true`)
	if len(st.Steps) != 1 || st.Steps[0].ExitCode != 0 {
		t.Fatalf("status = %+v, output:\n%s", st, out)
	}
	if strings.Contains(out, "\nforged") || strings.Contains(out, "wrote-spec") {
		t.Errorf("a step wrote to the sandbox's pipes:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		fd, ok := strings.CutPrefix(line, "fd ")
		if ok && fd != "0" && fd != "1" && fd != "2" && fd != "3" {
			// 3 is the shell's own handle on /proc/self/fd.
			t.Errorf("step inherited descriptor %s:\n%s", fd, out)
		}
	}
}

// TestSandboxHasNoTerminal: the build runs in a session of its own (the
// sandbox's init leads it) and sees no /dev/tty, so it can neither read
// the caller's keystrokes nor type commands into the caller's shell.
func TestSandboxHasNoTerminal(t *testing.T) {
	st, out := sandboxProbe(t, `read -r _ _ _ _ _ sid _ < /proc/self/stat; echo "sid=$sid"; [ -e /dev/tty ] && echo has-tty; true`)
	if st.Steps[0].ExitCode != 0 {
		t.Fatalf("probe failed: %+v\n%s", st.Steps[0], out)
	}
	if !strings.Contains(out, "sid=1\n") || strings.Contains(out, "has-tty") {
		t.Errorf("the build shares the caller's session or terminal:\n%s", out)
	}
}

// checkoutProbe runs shell steps in a sandbox whose spec names the
// checkout and the output, as a rebuild's does; files are put into the
// checkout first.
func checkoutProbe(t *testing.T, files map[string]string, links map[string]string, output string, scripts ...string) (*Status, string, string) {
	t.Helper()
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	ws := t.TempDir()
	src := filepath.Join(ws, "src")
	for _, d := range []string{"root", "src"} {
		if err := os.Mkdir(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	spec := &Spec{
		Root:     filepath.Join(ws, "root"),
		Mounts:   []Mount{{Source: src, Target: testCheckout, Writable: true}, {Target: testHome}},
		Checkout: testCheckout,
		Output:   output,
	}
	var steps []Step
	for _, sc := range scripts {
		dir := testCheckout
		if d, rest, ok := strings.Cut(sc, ": "); ok && !strings.Contains(d, " ") {
			dir, sc = path.Join(testCheckout, d), rest
		}
		steps = append(steps, Step{Argv: []string{"/bin/sh", "-c", sc}, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}})
	}
	st, out := runSpec(t, spec, steps)
	return st, out, src
}

// TestSandboxOutputMustBeBuilt: the last step must write the output; if it
// is there before (committed, or left by an earlier step), the last step
// does not run and the status says so. The twin: a fresh output is fine.
func TestSandboxOutputMustBeBuilt(t *testing.T) {
	st, out, _ := checkoutProbe(t, map[string]string{"bin/app": "committed"}, nil, "bin/app", "echo first", "echo last-ran")
	if !st.OutputPreexisted || strings.Contains(out, "last-ran") || len(st.Steps) != 1 {
		t.Errorf("a committed output was accepted: %+v\n%s", st, out)
	}
	st, out, _ = checkoutProbe(t, nil, nil, "bin/app", "mkdir bin && echo early > bin/app", "echo last-ran")
	if !st.OutputPreexisted || strings.Contains(out, "last-ran") {
		t.Errorf("an output left by an earlier step was accepted: %+v\n%s", st, out)
	}
	st, out, src := checkoutProbe(t, nil, nil, "bin/app", "mkdir bin", "echo built > bin/app")
	if st.OutputPreexisted || len(st.Steps) != 2 || st.Steps[1].ExitCode != 0 {
		t.Fatalf("a fresh output was refused: %+v\n%s", st, out)
	}
	if b, err := os.ReadFile(filepath.Join(src, "bin", "app")); err != nil || string(b) != "built\n" {
		t.Errorf("output = %q, %v", b, err)
	}
}

// TestSandboxStepsStayInTheCheckout: a committed symlink cannot take a
// step's directory or the output out of the checkout (into the shared
// build cache, say).
func TestSandboxStepsStayInTheCheckout(t *testing.T) {
	st, out, _ := checkoutProbe(t, nil, map[string]string{"out": testCache}, "out/app", "echo last-ran")
	if len(st.Steps) != 1 || st.Steps[0].ExitCode != -1 || !strings.Contains(st.Steps[0].Error, "leaves the checkout") || strings.Contains(out, "last-ran") {
		t.Errorf("an output through a symlink out of the checkout was accepted: %+v\n%s", st, out)
	}
	st, out, _ = checkoutProbe(t, nil, map[string]string{"sub": "/tmp"}, "app", "sub: echo ran-in-tmp")
	if len(st.Steps) != 1 || st.Steps[0].ExitCode != -1 || strings.Contains(out, "ran-in-tmp") {
		t.Errorf("a step directory through a symlink out of the checkout was accepted: %+v\n%s", st, out)
	}
	// The twin: a symlink inside the checkout is fine.
	st, out, _ = checkoutProbe(t, map[string]string{"real/.keep": ""}, map[string]string{"sub": "real"}, "app", "sub: echo ran > ../app")
	if len(st.Steps) != 1 || st.Steps[0].ExitCode != 0 {
		t.Errorf("a step in a symlinked directory inside the checkout was refused: %+v\n%s", st, out)
	}
}

// TestSandboxNothingOutlivesAStep: a process a step leaves behind is
// killed when the step ends, before it can change the output.
func TestSandboxNothingOutlivesAStep(t *testing.T) {
	st, out, src := checkoutProbe(t, nil, nil, "app",
		"(sleep 0.5; echo forged > late) >/dev/null 2>&1 & echo started",
		"sleep 1; echo built > app")
	if len(st.Steps) != 2 || st.Steps[1].ExitCode != 0 {
		t.Fatalf("status = %+v\n%s", st, out)
	}
	if _, err := os.Stat(filepath.Join(src, "late")); err == nil {
		t.Error("a process left by the first step wrote into the checkout later")
	}
}

// TestSandboxHidesOtherVCS: version control tools other than git cannot be
// run in the sandbox (old go commands run them from the source's
// directories). Needs one of them installed on this machine.
func TestSandboxHidesOtherVCS(t *testing.T) {
	var present []string
	for _, tool := range HiddenTools {
		if fi, err := os.Stat(tool); err == nil && fi.Mode().IsRegular() {
			present = append(present, tool)
		}
	}
	if len(present) == 0 {
		t.Skip("no hg, svn, bzr or fossil on this machine")
	}
	script := ""
	for _, tool := range present {
		script += tool + " --version >/dev/null 2>&1 && echo ran-" + filepath.Base(tool) + "; "
	}
	_, out := sandboxProbe(t, script+"true")
	if strings.Contains(out, "ran-") {
		t.Errorf("a version control tool ran in the sandbox:\n%s", out)
	}
}
