//go:build linux

package rebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The sandbox is the sovcheck binary itself, started again through
// /proc/self/exe with argv[0] set to sandboxArg0 in new user, mount, net,
// pid, ipc and uts namespaces. As pid 1 of its pid namespace it builds a
// private root file system on a tmpfs and pivots into it while the parent
// still fetches the source, then waits for the steps and runs them one
// after the other. When it exits, the kernel kills everything left in the
// namespace.
//
// The root file system holds: the host's /usr, /bin, /sbin and /lib*
// (read-only), a minimal /etc (its own passwd, group and hosts; the host's
// dynamic linker cache and alternatives, read-only), the null, zero, full,
// random, urandom and tty devices, a fresh /proc, a private /tmp, and the
// mounts of the spec (the checkout's work dir read-write, holding the
// checkout and the go command's temporary directory; toolchain and module
// cache read-only; build cache read-write; private HOME, with the go
// command's telemetry off, and GOPATH). Nothing else
// of the host is visible: not the caller's home, not /tmp, not /run. The
// root itself is made read-only after setup, so writes outside the mounts
// fail, and writes to the private tmpfs mounts are discarded on exit. The
// steps run with no capabilities and no_new_privs, so they cannot undo any
// of it.
func init() {
	if len(os.Args) == 1 && os.Args[0] == sandboxArg0 && os.Getpid() == 1 {
		os.Exit(sandboxInit())
	}
}

// sandboxInit runs inside the namespaces. fd 3 carries the spec (the
// mounts) and then, once the checkout is ready, the steps; fd 4 receives
// the status. The spec channel closing before the steps means the parent
// gave up: nothing runs.
func sandboxInit() int {
	// Nothing but stdio reaches the steps: not the status pipe, which a
	// step could write a forged report to, nor any descriptor inherited
	// from sovcheck's caller.
	if err := closeOnExecFrom(3); err != nil {
		return 2
	}
	specFile := os.NewFile(3, "spec")
	statusFile := os.NewFile(4, "status")
	if specFile == nil || statusFile == nil {
		return 2
	}
	var status sandboxStatus
	defer func() {
		_ = json.NewEncoder(statusFile).Encode(&status)
		statusFile.Close()
	}()
	dec := json.NewDecoder(io.LimitReader(specFile, 2<<20))
	var spec sandboxSpec
	if err := dec.Decode(&spec); err != nil {
		status.SetupError = fmt.Sprintf("reading sandbox spec: %v", err)
		return 0
	}
	if err := setupRoot(&spec); err != nil {
		status.SetupError = err.Error()
		return 0
	}
	var run sandboxRunSteps
	if err := dec.Decode(&run); err != nil {
		if !errors.Is(err, io.EOF) {
			status.SetupError = fmt.Sprintf("reading sandbox steps: %v", err)
		}
		return 0
	}
	specFile.Close()
	syscall.Umask(0o022)
	for i, st := range run.Steps {
		if spec.Checkout != "" {
			preexisted, err := checkStep(spec.Checkout, st.Dir, spec.Output, i == len(run.Steps)-1)
			if preexisted {
				status.OutputPreexisted = true
				break
			}
			if err != nil {
				status.Steps = append(status.Steps, stepStatus{ExitCode: -1, Error: err.Error()})
				break
			}
		}
		s := runStepInSandbox(st)
		// Nothing a step started outlives it: no process can change
		// the checkout behind a later step or the output after the
		// last.
		killOthers()
		status.Steps = append(status.Steps, s)
		if s.ExitCode != 0 || s.Error != "" {
			break
		}
	}
	return 0
}

// killOthers kills every process of the sandbox but the init and reaps
// them: as pid 1 of the namespace, kill(-1) reaches all of them.
func killOthers() {
	_ = unix.Kill(-1, unix.SIGKILL)
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return
		}
	}
}

// closeOnExecFrom marks every descriptor from first on close-on-exec.
func closeOnExecFrom(first int) error {
	err := unix.CloseRange(uint(first), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return err
	}
	// Kernels before 5.11.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			syscall.CloseOnExec(fd)
		}
	}
	return nil
}

func runStepInSandbox(st sandboxStep) stepStatus {
	bin, err := lookPathIn(st.Argv[0], st.Env)
	if err != nil {
		return stepStatus{ExitCode: -1, Error: err.Error()}
	}
	cmd := &exec.Cmd{Path: bin, Args: st.Argv, Dir: st.Dir, Env: st.Env, Stdout: os.Stdout, Stderr: os.Stderr}
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return stepStatus{}
	case errors.As(err, &exitErr):
		return stepStatus{ExitCode: exitErr.ExitCode(), Error: exitErr.Error()}
	default:
		return stepStatus{ExitCode: -1, Error: err.Error()}
	}
}

// lookPathIn resolves a command against the PATH of the step's environment
// (the init process itself has no environment).
func lookPathIn(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(p) {
				cand := filepath.Join(dir, name)
				if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
					return cand, nil
				}
			}
		}
	}
	return "", fmt.Errorf("command %q not found in the sandbox's PATH", name)
}

// systemDirs are the host directories the sandbox sees, read-only. Symlinks
// (merged /usr) are recreated as symlinks.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// hiddenTools are the version control tools the sandbox hides (see
// setupRoot).
var hiddenTools = []string{
	"/usr/bin/hg", "/usr/bin/svn", "/usr/bin/bzr", "/usr/bin/brz", "/usr/bin/fossil",
	"/usr/local/bin/hg", "/usr/local/bin/svn", "/usr/local/bin/bzr", "/usr/local/bin/brz", "/usr/local/bin/fossil",
}

// etcShared are host files under /etc that programs need to start: the
// dynamic linker's cache and configuration, and the alternatives symlinks
// (cc, c++ and friends on Debian).
var etcShared = []string{"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives"}

// devNodes are the devices the sandbox sees. Not tty: the build runs in a
// session of its own, without a terminal to read from or type into.
var devNodes = []string{"null", "zero", "full", "random", "urandom"}

// Sizes of the sandbox's private tmpfs mounts: the root (directories and
// mount points only), /tmp, and the private HOME and GOPATH. A build that
// fills them fails instead of the machine's memory.
const (
	rootTmpfsSize  = "size=16m"
	otherTmpfsSize = "size=2g"
)

func setupRoot(spec *sandboxSpec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	root := spec.Root
	if err := unix.Mount("sovcheck", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,"+rootTmpfsSize); err != nil {
		return fmt.Errorf("mounting root tmpfs: %w", err)
	}
	in := func(p string) string { return filepath.Join(root, p) }

	for _, d := range systemDirs {
		fi, err := os.Lstat(d)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(d)
			if err != nil {
				return fmt.Errorf("reading symlink %s: %w", d, err)
			}
			if err := os.Symlink(target, in(d)); err != nil {
				return fmt.Errorf("creating symlink %s: %w", d, err)
			}
			continue
		}
		if err := bindMount(d, in(d), false, true); err != nil {
			return err
		}
	}

	// Version control tools other than git are hidden: go commands
	// before go1.23.11 and go1.24.5 run them for VCS stamping in any
	// directory of the source that looks like theirs (CVE-2025-4674),
	// and their configuration there can name programs to run.
	for _, tool := range hiddenTools {
		if fi, err := os.Stat(tool); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := unix.Mount("/dev/null", in(tool), "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("hiding %s: %w", tool, err)
		}
	}

	if err := os.MkdirAll(in("/etc"), 0o755); err != nil {
		return fmt.Errorf("creating /etc: %w", err)
	}
	for name, content := range map[string]string{
		"passwd": "root:x:0:0:root:" + sbHome + ":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":  "root:x:0:\nnogroup:x:65534:\n",
		"hosts":  "127.0.0.1 localhost\n::1 localhost\n",
	} {
		if err := os.WriteFile(in("/etc/"+name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing /etc/%s: %w", name, err)
		}
	}
	for _, p := range etcShared {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if err := bindMount(p, in(p), false, fi.IsDir()); err != nil {
			return err
		}
	}

	if err := os.MkdirAll(in("/dev"), 0o755); err != nil {
		return fmt.Errorf("creating /dev: %w", err)
	}
	for _, n := range devNodes {
		if _, err := os.Stat("/dev/" + n); err != nil {
			continue
		}
		if err := bindMount("/dev/"+n, in("/dev/"+n), true, false); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, in("/dev/"+name)); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", name, err)
		}
	}

	if err := os.MkdirAll(in("/proc"), 0o555); err != nil {
		return fmt.Errorf("creating /proc: %w", err)
	}
	if err := unix.Mount("proc", in("/proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}

	mounts := append([]sandboxMount{{Target: sbTmp}}, spec.Mounts...)
	sortMounts(mounts)
	for _, m := range mounts {
		if m.Source == "" {
			if err := os.MkdirAll(in(m.Target), 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", m.Target, err)
			}
			mode := "mode=0755," + otherTmpfsSize
			if m.Target == sbTmp {
				mode = "mode=1777," + otherTmpfsSize
			}
			if err := unix.Mount("sovcheck", in(m.Target), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, mode); err != nil {
				return fmt.Errorf("mounting tmpfs on %s: %w", m.Target, err)
			}
			continue
		}
		fi, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("mounting %s: %w", m.Target, err)
		}
		if err := bindMount(m.Source, in(m.Target), m.Writable, fi.IsDir()); err != nil {
			return err
		}
	}

	for _, f := range spec.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return fmt.Errorf("writing %s: not a clean absolute path", f.Path)
		}
		if err := os.MkdirAll(filepath.Dir(in(f.Path)), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if err := os.WriteFile(in(f.Path), []byte(f.Content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}

	old := in("/.oldroot")
	if err := os.Mkdir(old, 0o700); err != nil {
		return fmt.Errorf("creating old root: %w", err)
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivoting root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering new root: %w", err)
	}
	if err := unix.Unmount("/.oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	if err := os.Remove("/.oldroot"); err != nil {
		return fmt.Errorf("removing old root: %w", err)
	}
	if err := makeReadOnly("/", false); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(sandboxHost)); err != nil {
		return fmt.Errorf("setting hostname: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	// The steps run as uid 0 of the user namespace. With an empty
	// capability bounding set they get no capabilities when executed, so
	// they cannot remount the read-only toolchain or module cache
	// writable, nor mount anything else.
	for c := 0; c <= 63; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	return nil
}

// bindMount binds source on target (created as a directory or an empty
// file), read-only unless writable.
func bindMount(source, target string, writable, dir bool) error {
	if dir {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("creating mount point %s: %w", target, err)
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("creating mount point %s: %w", target, err)
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("creating mount point %s: %w", target, err)
		}
		f.Close()
	}
	if err := unix.Mount(source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s: %w", source, err)
	}
	if writable {
		return nil
	}
	return makeReadOnly(target, true)
}

// makeReadOnly sets a mount (and, if recursive, everything below it)
// read-only. mount_setattr only adds the flag; on kernels without it a bind
// remount keeps the flags the kernel locks in a user namespace.
func makeReadOnly(target string, recursive bool) error {
	flags := 0
	if recursive {
		flags = unix.AT_RECURSIVE
	}
	err := unix.MountSetattr(-1, target, uint(flags), &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("making %s read-only: %w", target, err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return fmt.Errorf("making %s read-only: %w", target, err)
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|keep, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", target, err)
	}
	return nil
}

// startSandbox starts the sandbox's init process, which sets up the
// namespaces and spec's mounts and then waits for the steps. Failures to
// create the namespaces or the mounts are errSandboxUnavailable (wrapped),
// reported by run.
func startSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer) *preparedSandbox {
	p := newPreparedSandbox()
	go func() {
		// Pdeathsig fires when the thread that started the child exits,
		// so the start and the wait happen on one locked thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		st, err := superviseSandbox(ctx, spec, out, p.steps)
		p.done <- sandboxResult{status: st, err: err}
	}()
	return p
}

func superviseSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer, steps <-chan []sandboxStep) (*sandboxStatus, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating sandbox pipe: %w", err)
	}
	defer specR.Close()
	defer specW.Close()
	statR, statW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating sandbox pipe: %w", err)
	}
	defer statR.Close()
	defer statW.Close()

	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{sandboxArg0},
		Env:        []string{},
		Stdout:     out,
		Stderr:     out,
		ExtraFiles: []*os.File{specR, statW},
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
		return nil, fmt.Errorf("%w: creating namespaces: %v", errSandboxUnavailable, err)
	}
	specR.Close()
	statW.Close()
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	defer stop()

	setup := *spec
	setup.Steps = nil
	enc := json.NewEncoder(specW)
	encErr := enc.Encode(&setup)
	var run []sandboxStep
	ok := false
	if encErr == nil {
		select {
		case run, ok = <-steps:
		case <-ctx.Done():
		}
	}
	if !ok {
		// Aborted (or the spec could not be sent): as pid 1 of its
		// namespace, the init takes everything in it along.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case encErr != nil:
			return nil, fmt.Errorf("sending sandbox spec: %w", encErr)
		}
		return nil, errSandboxAborted
	}
	encErr = enc.Encode(sandboxRunSteps{Steps: run})
	specW.Close()
	var st sandboxStatus
	decErr := json.NewDecoder(io.LimitReader(statR, 1<<20)).Decode(&st)
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case decErr == nil && st.SetupError != "":
		return nil, fmt.Errorf("%w: %s", errSandboxUnavailable, st.SetupError)
	case encErr != nil:
		return nil, fmt.Errorf("sending sandbox steps: %w", encErr)
	case decErr != nil:
		return nil, fmt.Errorf("reading sandbox status: %w (sandbox exit: %v)", decErr, waitErr)
	case waitErr != nil:
		return nil, fmt.Errorf("sandbox init: %w", waitErr)
	}
	return &st, nil
}

// stepProcAttr puts an unsandboxed step in a process group of its own.
func stepProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills an unsandboxed step's process group.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
