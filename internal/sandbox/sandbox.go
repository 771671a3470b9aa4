package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Method names the isolation in results and attestations.
const Method = "linux-namespaces"

// Namespaces are the namespaces every sandbox runs in.
var Namespaces = []string{"ipc", "mount", "net", "pid", "user", "uts"}

// Hostname is the sandbox's host name.
const Hostname = "sovcheck-rebuild"

// TmpDir is the sandbox's private /tmp, a tmpfs of its own.
const TmpDir = "/tmp"

// Reserved are the paths the sandbox fills itself; the mounts of a Spec
// may not land on them.
var Reserved = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/dev", "/proc", "/sys", "/tmp", "/.oldroot"}

var (
	// ErrUnavailable means the namespaces or the mounts of the sandbox
	// could not be set up on this machine.
	ErrUnavailable = errors.New("sandbox unavailable")
	// ErrOverlayUnavailable means the kernel refused an overlay mount
	// (too old, or an upper dir on a file system without user extended
	// attributes); the same build can run on a writable bind mount.
	ErrOverlayUnavailable = errors.New("overlay mount unavailable")
	// ErrAborted is what Run reports after Close.
	ErrAborted = errors.New("sandbox aborted before the build")
)

// Mount is one mount of the sandbox: a bind of the host path Source, a
// private tmpfs when Source is empty, or an overlay when Upper is set.
type Mount struct {
	Source   string `json:"source,omitempty"`
	Target   string `json:"target"`
	Writable bool   `json:"writable,omitempty"`
	// Upper and Work make the mount a writable overlay whose only lower
	// layer is Source, which is never written: every write lands in
	// Upper. Work is overlayfs's scratch dir, empty and on Upper's file
	// system.
	Upper string `json:"upper,omitempty"`
	Work  string `json:"work,omitempty"`
}

// File is a file the init writes after mounting, inside a private tmpfs.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Spec says how to set a sandbox up.
type Spec struct {
	Root   string  `json:"root"` // empty host dir on which the sandbox's root tmpfs is mounted
	Mounts []Mount `json:"mounts"`
	Files  []File  `json:"files,omitempty"`
	// Home is the home directory /etc/passwd gives the sandbox's user.
	Home string `json:"home,omitempty"`

	// Checkout, when set, is the checkout's path in the sandbox: each
	// step's directory must lie in it (no symlink out), and Output
	// (relative to it) must not exist before the last step, which has
	// to write it: a file committed to the source or left by an earlier
	// step would otherwise "match" without being built.
	Checkout string `json:"checkout,omitempty"`
	Output   string `json:"output,omitempty"`
}

// Step is one command, run with exactly this environment.
type Step struct {
	Argv []string `json:"argv"`
	Dir  string   `json:"dir"`
	Env  []string `json:"env"`
}

// Status is what the init reports back.
type Status struct {
	Steps []StepStatus `json:"steps"`
	// OutputPreexisted says the output existed before the last step,
	// which then did not run.
	OutputPreexisted bool `json:"outputPreexisted,omitempty"`
	// Output is where the Spec's Output is once every step succeeded:
	// its slash path relative to the checkout with every symlink
	// resolved, as the build left them. Where the checkout is an
	// overlay, the file is at that path in the upper dir. Empty if a
	// step failed or the output is not inside the checkout.
	Output string `json:"output,omitempty"`
}

// StepStatus is the outcome of one step.
type StepStatus struct {
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
}

// report is the init's message to the parent: a status, or why the
// sandbox could not be set up.
type report struct {
	Status
	SetupError string `json:"setupError,omitempty"`
	// OverlayError says the set-up failed at an overlay mount.
	OverlayError bool `json:"overlayError,omitempty"`
}

// runSteps is the init's second message: the steps.
type runSteps struct {
	Steps []Step `json:"steps"`
}

// Sandbox is a started sandbox. Setup gives it its mounts, once; Run runs
// the steps, once; Close ends it. Its methods are safe to call from
// several goroutines; a Close while Run is under way waits for the build
// (cancel the context given to Start to stop it).
type Sandbox struct {
	specc  chan *Spec
	stepc  chan []Step
	abortc chan struct{}
	done   chan result   // the init's report, as soon as it is read
	exited chan struct{} // closed once the init is gone

	setupOnce, endOnce sync.Once
	setUp              bool
	res                result
	spec               *Spec // as the supervisor received it
}

type result struct {
	status *Status
	err    error
}

func newSandbox() *Sandbox {
	return &Sandbox{
		specc:  make(chan *Spec, 1),
		stepc:  make(chan []Step, 1),
		abortc: make(chan struct{}),
		done:   make(chan result, 1),
		exited: make(chan struct{}),
	}
}

// Unavailable returns a sandbox that fails with err (wrapped in
// ErrUnavailable): what Start returns where namespaces cannot be made.
func Unavailable(err error) *Sandbox {
	s := newSandbox()
	s.done <- result{err: fmt.Errorf("%w: %v", ErrUnavailable, err)}
	close(s.exited)
	return s
}

// Setup sends the sandbox its mounts; the init sets them up while the
// caller goes on. Only the first call counts.
func (s *Sandbox) Setup(spec *Spec) {
	s.setupOnce.Do(func() {
		s.setUp = true
		s.specc <- spec
	})
}

// Run runs the steps in the set-up sandbox, one after the other until one
// fails, and returns the init's report as soon as it has it: by then every
// process of the build is gone, while the kernel may still be tearing the
// namespaces down (see Close). Only the first call of Run counts; later
// calls, and calls after Close, return its result.
func (s *Sandbox) Run(steps []Step) (*Status, error) {
	s.setupOnce.Do(func() {})
	s.endOnce.Do(func() {
		if !s.setUp {
			close(s.abortc)
			s.res = <-s.done
			if s.res.err == nil || errors.Is(s.res.err, ErrAborted) {
				s.res = result{err: errors.New("sandbox run before its set-up")}
			}
			return
		}
		s.stepc <- steps
		s.res = <-s.done
	})
	return s.res.status, s.res.err
}

// Close ends the sandbox, without running anything if Run was not called,
// and waits until its init is gone and with it every mount of the
// sandbox: only then may the caller remove what the sandbox mounted.
func (s *Sandbox) Close() {
	s.endOnce.Do(func() {
		close(s.abortc)
		s.res = <-s.done
		if s.res.err == nil {
			s.res.err = ErrAborted
		}
	})
	<-s.exited
}

// Run sets up a sandbox, runs the steps in it and closes it.
func Run(ctx context.Context, spec *Spec, steps []Step, out io.Writer) (*Status, error) {
	s := Start(ctx, out)
	defer s.Close()
	s.Setup(spec)
	return s.Run(steps)
}

// sortMounts orders mounts so that a parent directory is mounted before
// anything below it.
func sortMounts(ms []Mount) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Target < ms[j].Target })
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

// RunUnsandboxed runs the steps directly on this machine, with their
// environment but its file system and network: for callers that allowed a
// build without isolation where the sandbox is unavailable. The step and
// output checks are the sandbox's, and each step runs in a process group
// of its own, killed whole when it ends.
func RunUnsandboxed(ctx context.Context, steps []Step, checkout, output string, out io.Writer) *Status {
	st := &Status{}
	for i, s := range steps {
		preexisted, err := checkStep(checkout, s.Dir, output, i == len(steps)-1)
		if preexisted {
			st.OutputPreexisted = true
			return st
		}
		if err != nil {
			st.Steps = append(st.Steps, StepStatus{ExitCode: -1, Error: err.Error()})
			return st
		}
		cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = s.Dir, s.Env, out, out
		cmd.SysProcAttr = groupProcAttr()
		cmd.Cancel = func() error { return killGroup(cmd) }
		err = cmd.Run()
		_ = killGroup(cmd)
		ss := stepStatusOf(err)
		st.Steps = append(st.Steps, ss)
		if ss.ExitCode != 0 || ss.Error != "" {
			return st
		}
	}
	st.Output = builtOutput(checkout, output, st, len(steps))
	return st
}

// builtOutput resolves the output once the n steps are done and nothing
// runs any more: see Status.Output.
func builtOutput(checkout, output string, st *Status, n int) string {
	if checkout == "" || output == "" || st.OutputPreexisted || len(st.Steps) != n {
		return ""
	}
	for _, s := range st.Steps {
		if s.ExitCode != 0 || s.Error != "" {
			return ""
		}
	}
	base, err := filepath.EvalSymlinks(checkout)
	if err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(filepath.Join(base, filepath.FromSlash(output)))
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(base, real)
	if err != nil || !filepath.IsLocal(rel) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// stepStatusOf turns the error of a finished command into its status.
func stepStatusOf(err error) StepStatus {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return StepStatus{}
	case errors.As(err, &exitErr):
		return StepStatus{ExitCode: exitErr.ExitCode(), Error: exitErr.Error()}
	}
	return StepStatus{ExitCode: -1, Error: err.Error()}
}
