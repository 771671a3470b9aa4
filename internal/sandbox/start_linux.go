//go:build linux

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// Start starts a sandbox's init process in its new namespaces and returns
// at once. The init starts up while the caller prepares the mounts; Setup
// sends them. Failures to create the namespaces are ErrUnavailable
// (wrapped), reported by Run.
func Start(ctx context.Context, out io.Writer) *Sandbox {
	s := newSandbox()
	go func() {
		defer close(s.exited)
		defer s.openOverlayWork()
		// Pdeathsig fires when the thread that started the child exits,
		// so the start and the wait happen on one locked thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := supervise(ctx, out, s); err != nil {
			s.done <- result{err: err}
		}
	}()
	// The init is on the critical path of the caller, which is busy
	// preparing the mounts: let its start go first.
	runtime.Gosched()
	return s
}

// openOverlayWork gives the owner back the scratch dirs overlayfs made in
// the overlays' work dirs: the kernel leaves them with mode 0, which an
// unprivileged caller could not remove.
func (s *Sandbox) openOverlayWork() {
	if s.spec == nil {
		return
	}
	for _, m := range s.spec.Mounts {
		if m.Upper != "" && m.Work != "" {
			_ = os.Chmod(filepath.Join(m.Work, "work"), 0o700)
		}
	}
}

// supervise starts the init, feeds it the spec and the steps, delivers its
// report on s.done and waits for it to exit. An error is for s.done.
func supervise(ctx context.Context, out io.Writer, s *Sandbox) error {
	specR, specW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("creating sandbox pipe: %w", err)
	}
	defer specR.Close()
	defer specW.Close()
	repR, repW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("creating sandbox pipe: %w", err)
	}
	defer repR.Close()
	defer repW.Close()

	// The steps' output comes through a pipe of its own, copied here, so
	// that the report can be delivered as soon as the copy has all of
	// it (the init closes its end first), not only when the init exits.
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("creating sandbox pipe: %w", err)
	}
	defer outR.Close()
	defer outW.Close()
	if out == nil {
		out = io.Discard
	}

	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArg0},
		Env:        []string{},
		Stdout:     outW,
		Stderr:     outW,
		ExtraFiles: []*os.File{specR, repW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET |
				syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
			UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
			GidMappingsEnableSetgroups: false,
			Pdeathsig:                  syscall.SIGKILL,
			// A session of its own: no controlling terminal, so no
			// step can read from or inject input into the caller's.
			Setsid: true,
		},
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: creating namespaces: %v", ErrUnavailable, err)
	}
	specR.Close()
	repW.Close()
	outW.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, outR)
	}()
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	defer stop()
	// gaveUp kills the init, which as pid 1 of its namespace takes
	// everything in it along.
	gaveUp := func(err error) error {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-copied
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}

	enc := json.NewEncoder(specW)
	select {
	case spec := <-s.specc:
		s.spec = spec
		if err := enc.Encode(spec); err != nil {
			return gaveUp(fmt.Errorf("sending sandbox spec: %w", err))
		}
	case <-s.abortc:
		return gaveUp(ErrAborted)
	case <-ctx.Done():
		return gaveUp(ctx.Err())
	}
	var steps []Step
	select {
	case steps = <-s.stepc:
	case <-s.abortc:
		return gaveUp(ErrAborted)
	case <-ctx.Done():
		return gaveUp(ctx.Err())
	}
	encErr := enc.Encode(runSteps{Steps: steps})
	specW.Close()
	var rep report
	decErr := json.NewDecoder(io.LimitReader(repR, 1<<20)).Decode(&rep)
	if decErr == nil && encErr == nil && rep.SetupError == "" && ctx.Err() == nil {
		// The init kills and reaps every other process and closes the
		// output before it reports: the build is over and its output
		// complete once copied, and the caller may go on while the
		// kernel tears the namespaces down.
		<-copied
		s.done <- result{status: &rep.Status}
		_ = cmd.Wait()
		return nil
	}
	waitErr := cmd.Wait()
	<-copied
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case decErr == nil && rep.OverlayError:
		return fmt.Errorf("%w: %s", ErrOverlayUnavailable, rep.SetupError)
	case decErr == nil && rep.SetupError != "":
		return fmt.Errorf("%w: %s", ErrUnavailable, rep.SetupError)
	case encErr != nil:
		return fmt.Errorf("sending sandbox steps: %w", encErr)
	}
	return fmt.Errorf("reading sandbox report: %w (sandbox exit: %v)", decErr, waitErr)
}

// groupProcAttr puts an unsandboxed step in a process group of its own.
func groupProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills an unsandboxed step's process group.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
