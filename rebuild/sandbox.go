package rebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// Sandbox methods recorded in results and attestations.
const (
	SandboxNamespaces = "linux-namespaces" // new user, mount, net, pid, ipc and uts namespaces
	SandboxNone       = "none"             // cleared environment only; not hermetic
)

// sandboxNamespaces are the namespaces every hermetic build runs in.
var sandboxNamespaces = []string{"ipc", "mount", "net", "pid", "user", "uts"}

// Paths inside the sandbox. /sovcheck is reserved, so no recipe path can
// land on them.
const (
	sbHome        = "/sovcheck/home"
	sbGopath      = "/sovcheck/gopath"
	sbModCache    = "/sovcheck/gopath/pkg/mod"
	sbGocache     = "/sovcheck/gocache"
	sbSrcDefault  = "/sovcheck/build/src"
	sbGorootDflt  = "/sovcheck/go"
	sbTmp         = "/tmp"
	goTmpName     = ".sovcheck-gotmp" // the go command's temporary directory, beside the checkout
	sandboxArg0   = "sovcheck-rebuild-sandbox"
	sandboxHost   = "sovcheck-rebuild"
	sandboxOutput = 256 << 10 // bytes of build output kept (the tail)
)

// errSandboxUnavailable means the namespaces or the mounts of the sandbox
// could not be set up on this machine.
var errSandboxUnavailable = errors.New("sandbox unavailable")

// sandboxMount is one mount of the sandbox: a bind of a host path, or a
// private tmpfs when Source is empty.
type sandboxMount struct {
	Source   string `json:"source,omitempty"`
	Target   string `json:"target"`
	Writable bool   `json:"writable,omitempty"`
}

type sandboxStep struct {
	Argv []string `json:"argv"`
	Dir  string   `json:"dir"`
	Env  []string `json:"env"`
}

// sandboxFile is a file the init process writes after mounting, inside one
// of the private tmpfs mounts.
type sandboxFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// sandboxSpec is what the parent sends the sandbox's init process.
type sandboxSpec struct {
	Root   string         `json:"root"` // empty host dir on which the sandbox's root tmpfs is mounted
	Mounts []sandboxMount `json:"mounts"`
	Files  []sandboxFile  `json:"files,omitempty"`
	Steps  []sandboxStep  `json:"steps"`

	// Checkout, when set, is the checkout's path in the sandbox: each
	// step's directory must lie in it (no symlink out), and Output
	// (relative to it) must not exist before the last step, which has
	// to write it: a file committed to the source or left by an earlier
	// step would otherwise "match" without being built.
	Checkout string `json:"checkout,omitempty"`
	Output   string `json:"output,omitempty"`
}

// telemetryOff is the go command's telemetry mode file (under the user
// configuration directory, $HOME/.config) set to off: a build counts
// nothing and starts no telemetry process.
var telemetryOff = sandboxFile{Path: ".config/go/telemetry/mode", Content: "off"}

// sandboxRunSteps is the second message to the init process: the steps,
// sent once the checkout is ready.
type sandboxRunSteps struct {
	Steps []sandboxStep `json:"steps"`
}

// preparedSandbox is a sandbox whose namespaces and mounts are set up
// while the source is fetched: the mounts are of directories, which the
// fetch fills in afterwards. run sends the steps and waits for them; abort
// ends a sandbox that will not be used. One of the two must be called.
type preparedSandbox struct {
	steps chan []sandboxStep
	done  chan sandboxResult
	once  sync.Once
	res   sandboxResult
}

type sandboxResult struct {
	status *sandboxStatus
	err    error
}

func newPreparedSandbox() *preparedSandbox {
	return &preparedSandbox{steps: make(chan []sandboxStep, 1), done: make(chan sandboxResult, 1)}
}

// failedSandbox is a prepared sandbox that could not be set up.
func failedSandbox(err error) *preparedSandbox {
	p := newPreparedSandbox()
	p.done <- sandboxResult{err: err}
	return p
}

// run sends the steps (once) and returns the init process's report.
func (p *preparedSandbox) run(steps []sandboxStep) (*sandboxStatus, error) {
	p.once.Do(func() {
		p.steps <- steps
		p.res = <-p.done
	})
	return p.res.status, p.res.err
}

// abort ends the sandbox without running anything, if run was not called.
func (p *preparedSandbox) abort() {
	p.once.Do(func() {
		close(p.steps)
		p.res = <-p.done
		if p.res.err == nil {
			p.res.err = errSandboxAborted
		}
	})
}

// errSandboxAborted is what run reports after abort.
var errSandboxAborted = errors.New("sandbox aborted before the build")

// runSandbox sets up a sandbox and runs spec's steps in it.
func runSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer) (*sandboxStatus, error) {
	return startSandbox(ctx, spec, out).run(spec.Steps)
}

// sandboxStatus is what the init process reports back.
type sandboxStatus struct {
	SetupError string       `json:"setupError,omitempty"`
	Steps      []stepStatus `json:"steps"`
	// OutputPreexisted says the output existed before the last step,
	// which then did not run.
	OutputPreexisted bool `json:"outputPreexisted,omitempty"`
}

type stepStatus struct {
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
}

// sortMounts orders mounts so that a parent directory is mounted before
// anything below it.
func sortMounts(ms []sandboxMount) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Target < ms[j].Target })
}

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

// checkStep checks, before a step runs, that its directory lies in the
// checkout (symlinks included) and, before the last, that the output
// does not exist yet.
func checkStep(checkout, dir, output string, last bool) (preexisted bool, err error) {
	parent, err := os.OpenRoot(path.Dir(checkout))
	if err != nil {
		return false, fmt.Errorf("opening the checkout's parent: %w", err)
	}
	defer parent.Close()
	co, err := parent.OpenRoot(path.Base(checkout))
	if err != nil {
		return false, fmt.Errorf("the checkout is no directory of its own any more: %w", err)
	}
	defer co.Close()
	rel, ok := strings.CutPrefix(dir, checkout)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return false, fmt.Errorf("step directory %s is outside the checkout", dir)
	}
	if rel = strings.TrimPrefix(rel, "/"); rel != "" {
		d, err := co.OpenRoot(rel)
		if err != nil {
			return false, fmt.Errorf("step directory %s leaves the checkout: %w", rel, err)
		}
		d.Close()
	}
	if !last || output == "" {
		return false, nil
	}
	_, err = co.Lstat(output)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("output %s leaves the checkout: %w", output, err)
}
