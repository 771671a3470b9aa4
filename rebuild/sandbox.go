package rebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/sandbox"
)

// Sandbox methods recorded in results and attestations.
const (
	SandboxNamespaces = sandbox.Method // new user, mount, net, pid, ipc and uts namespaces
	SandboxNone       = "none"         // cleared environment only; not hermetic
)

// Paths inside the sandbox (see package sandbox for what else it holds).
// /sovcheck is reserved, so no recipe path can land on them.
const (
	sbHome        = "/sovcheck/home"
	sbGopath      = "/sovcheck/gopath"
	sbModCache    = "/sovcheck/gopath/pkg/mod"
	sbGocache     = "/sovcheck/gocache"
	sbSrcDefault  = "/sovcheck/build/src"
	sbGorootDflt  = "/sovcheck/go"
	sbTmp         = sandbox.TmpDir
	goTmpName     = ".sovcheck-gotmp" // the go command's temporary directory, beside the checkout
	sandboxOutput = 256 << 10         // bytes of build output kept (the tail)
)

// reservedDirs are sandbox paths the recipe's checkout and toolchain may not
// be mounted on.
var reservedDirs = append([]string{"/sovcheck"}, sandbox.Reserved...)

// telemetryOff is the go command's telemetry mode file (under the user
// configuration directory, $HOME/.config) set to off: a build counts
// nothing and starts no telemetry process.
var telemetryOff = sandbox.File{Path: ".config/go/telemetry/mode", Content: "off"}

// tailBuffer keeps the last limit bytes written to it. It is safe for
// concurrent writers, since a build's stdout and stderr share one.
type tailBuffer struct {
	mu    sync.Mutex
	buf   []byte
	limit int
	cut   bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut {
		return "[...]\n" + string(t.buf)
	}
	return string(t.buf)
}

// layout is where the build's directories are, as the build sees them.
type layout struct {
	checkout, goroot, home, tmp, gopath, modcache, gocache string
	// gotmp, when set, is the go command's temporary directory
	// (GOTMPDIR): one on the checkout's mount, so that the go command
	// renames the linked binary into place instead of copying it across
	// mounts (about 10% of a warm build of a mid-sized program).
	gotmp string
}

// sandboxCheckout is where a recipe's build sees its checkout.
func sandboxCheckout(rec *Recipe) string {
	if rec.CheckoutDir != "" {
		return rec.CheckoutDir
	}
	return sbSrcDefault
}

// shareParent reports whether the checkout's parent directory can be the
// sandbox's mount of the work dir (holding the checkout and the go
// command's temporary directory): it must be no system directory and meet
// no other mount.
func shareParent(l layout) bool {
	parent := path.Dir(l.checkout)
	if parent == "/" || path.Base(l.checkout) == goTmpName {
		return false
	}
	others := []string{l.goroot, l.home, l.tmp, l.gopath, l.modcache, l.gocache}
	for _, r := range reservedDirs {
		if r != "/sovcheck" {
			others = append(others, r)
		}
	}
	for _, o := range others {
		if within(parent, o) || within(o, parent) {
			return false
		}
	}
	return true
}

// stepEnv builds a step's environment from scratch: the sandbox's own
// variables, then the recipe's (already checked against the allowlist).
// Nothing of the caller's environment reaches the build.
func stepEnv(l layout, st Step, epoch int64) []string {
	env := map[string]string{
		// The toolchain first, then the system's tools (git for VCS
		// stamping, the C toolchain for cgo).
		"PATH": l.goroot + "/bin:/usr/local/bin:/usr/bin:/bin",
		// Private, empty home and caches: nothing of the caller leaks in.
		"HOME":       l.home,
		"TMPDIR":     l.tmp,
		"GOPATH":     l.gopath,
		"GOMODCACHE": l.modcache,
		"GOCACHE":    l.gocache,
		"GOTMPDIR":   l.gotmp,
		// The recipe's toolchain and nothing else; no downloads, no
		// configuration files.
		"GOTOOLCHAIN": "local",
		"GOPROXY":     "off",
		"GOENV":       "off",
		// Fixed locale, time zone and time, as reproducible-builds.org asks.
		"TZ":                "UTC",
		"LC_ALL":            "C",
		"LANG":              "C",
		"SOURCE_DATE_EPOCH": strconv.FormatInt(epoch, 10),
		// git, run by the go command for VCS stamping, reads no
		// configuration of the machine.
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   "/dev/null",
	}
	for _, kv := range st.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if k == "GOTMPDIR" && v == "" {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// sandboxSpec lays out a rebuild's sandbox and creates its directories on
// the host. With overlay, the snapshot is the lower layer of an overlay at
// the checkout (or at its parent, see shareParent) and the build's writes
// go to an upper dir in the work dir; without, the build runs on a
// writable copy of the snapshot in the work dir. It returns the layout
// the build sees, the spec, and where the checkout is on the host after
// the build.
func (r *run) sandboxSpec(tc *Toolchain, snap *snapshot, overlay bool) (layout, *sandbox.Spec, string, error) {
	rb, rec := r.rb, r.res.Recipe
	in := layout{
		checkout: sandboxCheckout(rec), goroot: rec.GOROOT,
		home: sbHome, tmp: sbTmp, gopath: sbGopath, modcache: sbModCache, gocache: sbGocache,
	}
	if in.goroot == "" {
		in.goroot = sbGorootDflt
	}
	name := path.Base(in.checkout)
	share := shareParent(in)
	// The overlay's lower layer is the snapshot's checkout, or the dir
	// holding it when the overlay is the checkout's parent.
	upper, work := filepath.Join(r.ws, "upper"), filepath.Join(r.ws, "overlay-work")
	lower, target, checkout := snap.co.Dir, in.checkout, upper
	if share {
		lower, target, checkout = snap.tree(), path.Dir(in.checkout), filepath.Join(upper, name)
	}
	overlay = overlay && sandbox.OverlayPathOK(lower) && sandbox.OverlayPathOK(upper) && sandbox.OverlayPathOK(work)

	// top is the host dir the build sees as the checkout's parent when
	// share holds, and checkout where the checkout is on the host.
	top := upper
	var co sandbox.Mount
	if overlay {
		co = sandbox.Mount{Source: lower, Target: target, Upper: upper, Work: work}
	} else {
		copied, err := r.copyCheckout(snap)
		if err != nil {
			return in, nil, "", err
		}
		// The copy's dir takes the upper dir's part.
		top, checkout = filepath.Dir(copied), copied
		co = sandbox.Mount{Source: copied, Target: target, Writable: true}
		if share {
			co.Source = top
		}
	}
	gocache := rb.buildCache(tc, r.source)
	root := filepath.Join(r.ws, "root")
	dirs := []string{gocache, rb.modCache(), root, top}
	if overlay {
		dirs = append(dirs, work)
	}
	// The go command's temporary directory beside the checkout (see
	// layout.gotmp).
	if share {
		in.gotmp = path.Join(path.Dir(in.checkout), goTmpName)
		dirs = append(dirs, filepath.Join(top, goTmpName))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return in, nil, "", fmt.Errorf("creating build dirs: %w", err)
		}
	}
	spec := &sandbox.Spec{
		Root: root,
		Mounts: []sandbox.Mount{
			{Source: tc.GOROOT, Target: in.goroot},
			{Target: sbHome},
			{Target: sbGopath},
			{Source: rb.modCache(), Target: sbModCache},
			{Source: gocache, Target: sbGocache, Writable: true},
			co,
		},
		Files:    []sandbox.File{{Path: path.Join(sbHome, telemetryOff.Path), Content: telemetryOff.Content}},
		Home:     sbHome,
		Checkout: in.checkout,
		Output:   rec.Output,
	}
	return in, spec, checkout, nil
}

// copyCheckout copies the snapshot's checkout into the work dir, once, for
// a build that cannot run on an overlay of it.
func (r *run) copyCheckout(snap *snapshot) (string, error) {
	dst := filepath.Join(r.ws, "build", filepath.Base(snap.co.Dir))
	if _, err := os.Lstat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("creating build dir: %w", err)
	}
	if err := os.CopyFS(dst, os.DirFS(snap.co.Dir)); err != nil {
		return "", fmt.Errorf("copying the checkout: %w", err)
	}
	return dst, nil
}

// build runs the recipe's steps in the sandbox set up by sandboxSpec; on a
// writable copy of the snapshot in a new sandbox if the kernel refused the
// overlay; or, if the sandbox is unavailable and the caller allowed it,
// directly on this machine with a cleared environment. It returns the
// steps' status and where the checkout is on the host.
func (r *run) build(ctx context.Context, tc *Toolchain, snap *snapshot, sb *sandbox.Sandbox, in layout, checkout string, overlay bool, log io.Writer) (*sandbox.Status, string, error) {
	rb, rec := r.rb, r.res.Recipe
	status, err := sb.Run(sandboxSteps(in, rec, snap.co))
	if overlay && errors.Is(err, sandbox.ErrOverlayUnavailable) {
		rb.log.Warn("overlay mount refused; building on a copy of the checkout", "artifact", r.res.Artifact, "err", err)
		rb.noOverlay.Store(true)
		var spec *sandbox.Spec
		if in, spec, checkout, err = r.sandboxSpec(tc, snap, false); err != nil {
			return nil, "", err
		}
		sb = rb.sandbox(ctx, log)
		defer sb.Close()
		sb.Setup(spec)
		status, err = sb.Run(sandboxSteps(in, rec, snap.co))
	}
	if err == nil {
		r.res.Sandbox = SandboxInfo{Method: SandboxNamespaces, Hermetic: true, Namespaces: sandbox.Namespaces}
		return status, checkout, nil
	}
	if !errors.Is(err, sandbox.ErrUnavailable) || !rb.allowUnsandboxed {
		return nil, "", err
	}
	rb.log.Warn("build sandbox unavailable; rebuilding without it", "artifact", r.res.Artifact, "err", err)
	r.res.Sandbox = SandboxInfo{Method: SandboxNone, Hermetic: false}
	if checkout, err = r.copyCheckout(snap); err != nil {
		return nil, "", err
	}
	host := layout{
		checkout: checkout, goroot: tc.GOROOT,
		home: filepath.Join(r.ws, "home"), tmp: filepath.Join(r.ws, "tmp"), gopath: filepath.Join(r.ws, "gopath"),
		modcache: rb.modCache(), gocache: rb.buildCache(tc, r.source),
	}
	for _, d := range []string{host.home, host.tmp, host.gopath} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, "", fmt.Errorf("creating build dir: %w", err)
		}
	}
	mode := filepath.Join(host.home, filepath.FromSlash(telemetryOff.Path))
	if err := os.MkdirAll(filepath.Dir(mode), 0o755); err != nil {
		return nil, "", fmt.Errorf("creating build dir: %w", err)
	}
	if err := os.WriteFile(mode, []byte(telemetryOff.Content), 0o644); err != nil {
		return nil, "", fmt.Errorf("creating build dir: %w", err)
	}
	return sandbox.RunUnsandboxed(ctx, sandboxSteps(host, rec, snap.co), checkout, rec.Output, log), checkout, nil
}

// sandboxSteps turns the recipe's steps into commands for a layout. The go
// command is always the recipe's toolchain, wherever the original build had
// it.
func sandboxSteps(l layout, rec *Recipe, co *checkout) []sandbox.Step {
	var steps []sandbox.Step
	for _, st := range rec.Steps {
		argv := append([]string{path.Join(l.goroot, "bin", "go")}, st.Command[1:]...)
		steps = append(steps, sandbox.Step{
			Argv: argv,
			Dir:  path.Join(l.checkout, st.Dir),
			Env:  stepEnv(l, st, co.CommitTime.Unix()),
		})
	}
	return steps
}
