//go:build linux

package rebuild

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sandbox"
)

// specProbe lays out a rebuild's sandbox the way a rebuild does (an
// overlay of a snapshot or a copy of it, private home, the host's Go as
// toolchain) for a recipe with the given checkout dir, on a snapshot
// holding one file.
func specProbe(t *testing.T, checkoutDir string, overlay bool) *probe {
	t.Helper()
	if !sandboxAvailable(t) {
		t.Skip("the isolation tests need Linux user namespaces")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	rec := &Recipe{CheckoutDir: checkoutDir, Steps: []Step{{Command: []string{"go", "mod", "init", "example.test/probe"}}}, Output: "go.mod"}
	snapDir := t.TempDir()
	co := filepath.Join(snapDir, "tree", filepath.Base(sandboxCheckout(rec)))
	if err := os.MkdirAll(co, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(co, "in-snapshot"), []byte("from the snapshot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := &snapshot{dir: snapDir, co: &checkout{Dir: co}}
	rb := &Rebuilder{config: config{cacheDir: t.TempDir(), log: slog.New(slog.DiscardHandler)}, sandbox: sandbox.Start}
	r := &run{rb: rb, ws: t.TempDir(), res: &Result{Artifact: "probe", Recipe: rec}}
	if err := os.WriteFile(filepath.Join(r.ws, "source.gitconfig"), []byte("scratch"), 0o644); err != nil {
		t.Fatal(err)
	}
	tc := &Toolchain{Version: "go", GOROOT: strings.TrimSpace(string(goroot))}
	p := &probe{r: r, snap: snap, tc: tc, out: &tailBuffer{limit: 1 << 16}}
	if p.in, p.spec, p.hostCo, err = r.sandboxSpec(tc, snap, overlay); err != nil {
		t.Fatal(err)
	}
	return p
}

// probe is a rebuild's sandbox, laid out but not started.
type probe struct {
	r      *run
	snap   *snapshot
	tc     *Toolchain
	in     layout
	spec   *sandbox.Spec
	hostCo string // where the checkout is on the host
	out    *tailBuffer
}

// run runs a shell script in the probe's sandbox.
func (p *probe) run(t *testing.T, script string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sandbox.Run(ctx, p.spec, []sandbox.Step{{Argv: []string{"/bin/sh", "-c", script}, Dir: p.in.checkout, Env: stepEnv(p.in, Step{}, 0)}}, p.out)
	if err != nil {
		t.Fatalf("running sandbox: %v\n%s", err, p.out.String())
	}
	if st.Steps[0].ExitCode != 0 {
		t.Fatalf("probe failed: %+v\n%s", st.Steps[0], p.out.String())
	}
}

// TestSandboxLayout: the build sees the snapshot's checkout and writes to
// it freely, on an overlay or on a copy, and the snapshot stays as it
// was; the writes are found where the rebuild looks for the output. The
// go command's temporary directory is on the checkout's mount (a hard
// link between them works, which it never does across mounts); telemetry
// is off; sovcheck's scratch files are out of sight.
func TestSandboxLayout(t *testing.T) {
	for _, overlay := range []bool{true, false} {
		name := map[bool]string{true: "overlay", false: "copy"}[overlay]
		t.Run(name, func(t *testing.T) {
			p := specProbe(t, "/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__", overlay)
			if p.in.gotmp == "" {
				t.Fatal("no go temp dir beside the checkout")
			}
			p.run(t, `cat in-snapshot; echo x > "$GOTMPDIR/linked" && ln "$GOTMPDIR/linked" ./linked && echo same-mount; go telemetry; ls -A ..; echo built > written`)
			got := p.out.String()
			for _, want := range []string{"from the snapshot\n", "same-mount\n", "off\n", goTmpName + "\n__PROJECT_CHECKOUT_DIR__\n"} {
				if !strings.Contains(got, want) {
					t.Errorf("sandbox output lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "gitconfig") {
				t.Errorf("the build sees sovcheck's scratch files:\n%s", got)
			}
			if b, err := os.ReadFile(filepath.Join(p.hostCo, "written")); err != nil || string(b) != "built\n" {
				t.Errorf("the build's file on the host = %q, %v", b, err)
			}
			entries, err := os.ReadDir(p.snap.co.Dir)
			if err != nil || len(entries) != 1 {
				t.Errorf("the snapshot changed: %v, %v", entries, err)
			}
		})
	}
}

// TestSandboxLayoutFallsBackToTmp: where the checkout's parent cannot be
// the work dir (here /), the checkout is mounted alone and the go command
// uses the private /tmp.
func TestSandboxLayoutFallsBackToTmp(t *testing.T) {
	for _, overlay := range []bool{true, false} {
		p := specProbe(t, "/src", overlay)
		if p.in.gotmp != "" {
			t.Fatalf("go temp dir %s for a checkout at /src", p.in.gotmp)
		}
		p.run(t, `pwd; echo x > "${GOTMPDIR:-/tmp}/f" && echo wrote-tmp; echo built > written`)
		if got := p.out.String(); got != "/src\nwrote-tmp\n" {
			t.Errorf("overlay %v: output = %q", overlay, got)
		}
		if b, err := os.ReadFile(filepath.Join(p.hostCo, "written")); err != nil || string(b) != "built\n" {
			t.Errorf("overlay %v: the build's file on the host = %q, %v", overlay, b, err)
		}
	}
}

// TestOverlayRefusedFallsBackToCopy: when the kernel refuses the overlay
// (here its work dir is gone), the build runs again in a new sandbox on a
// copy of the checkout, still hermetic, and later builds go to the copy
// at once.
func TestOverlayRefusedFallsBackToCopy(t *testing.T) {
	p := specProbe(t, sbSrcDefault, true)
	for i, m := range p.spec.Mounts {
		if m.Upper != "" {
			p.spec.Mounts[i].Work = filepath.Join(p.r.ws, "no-such-dir")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb := sandbox.Start(ctx, p.out)
	sb.Setup(p.spec)
	st, checkout, err := p.r.build(ctx, p.tc, p.snap, sb, p.in, p.hostCo, true, p.out)
	if err != nil || len(st.Steps) != 1 || st.Steps[0].ExitCode != 0 {
		t.Fatalf("build = %+v, %v\n%s", st, err, p.out.String())
	}
	if checkout == p.hostCo || !p.r.res.Hermetic() {
		t.Errorf("build ran in %s (hermetic %v), want a copy in the sandbox", checkout, p.r.res.Hermetic())
	}
	if _, err := os.Stat(filepath.Join(checkout, "go.mod")); err != nil {
		t.Errorf("the build's output is not in the copy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(p.snap.co.Dir, "go.mod")); err == nil {
		t.Error("the build wrote into the snapshot")
	}
	if !p.r.rb.noOverlay.Load() {
		t.Error("the refused overlay is tried again by later builds")
	}
}

// TestCompareRefusesFIFO: a build that leaves a FIFO at the output path
// cannot make the comparison block: OUTPUT_MISSING at once.
func TestCompareRefusesFIFO(t *testing.T) {
	ws := t.TempDir()
	co := filepath.Join(ws, "build", "src")
	if err := os.MkdirAll(co, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(co, "tool"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &run{ws: ws, res: &Result{Recipe: &Recipe{Output: "tool"}, Subject: Subject{Name: "tool", SHA256: strings.Repeat("0", 64)}}}
	done := make(chan error, 1)
	go func() { done <- r.compare(context.Background(), co, "tool") }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("compare blocks on a FIFO")
	}
	wantStatus(t, r.res, StatusMismatch, reason.OutputMissing)
}

// TestCompareOutputThroughSymlink: a recipe whose -o leads through a
// symlink committed to the source builds into the symlink's target; on an
// overlay, only that target is in the upper dir, and compare finds the
// output there by the path the sandbox resolved. The twin: the recipe's
// path unresolved finds nothing in the upper dir.
func TestCompareOutputThroughSymlink(t *testing.T) {
	p := specProbe(t, sbSrcDefault, true)
	if err := os.Mkdir(filepath.Join(p.snap.co.Dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(p.snap.co.Dir, "bin")); err != nil {
		t.Fatal(err)
	}
	p.spec.Output = "bin/app"
	ctx := context.Background()
	st, err := sandbox.Run(ctx, p.spec, []sandbox.Step{{Argv: []string{"/bin/sh", "-c", "echo built > bin/app"}, Dir: p.in.checkout, Env: stepEnv(p.in, Step{}, 0)}}, p.out)
	if err != nil || st.Output != "real/app" {
		t.Fatalf("Run = %+v, %v\n%s", st, err, p.out.String())
	}
	sum := sha256Hex([]byte("built\n"))
	p.r.res = &Result{Recipe: &Recipe{Output: "bin/app"}, Subject: Subject{Name: "app", SHA256: sum}}
	if err := p.r.compare(ctx, p.hostCo, st.Output); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.r.res, StatusMatch, "")

	p.r.res = &Result{Recipe: &Recipe{Output: "bin/app"}, Subject: Subject{Name: "app", SHA256: sum}}
	if err := p.r.compare(ctx, p.hostCo, "bin/app"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.r.res, StatusMismatch, reason.OutputMissing)
}
