//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The sandbox is the calling binary itself, started again through
// /proc/self/exe with argv[0] set to initArg0 in new user, mount, net,
// pid, ipc and uts namespaces. As pid 1 of its pid namespace it builds a
// private root file system on a tmpfs and pivots into it as soon as the
// parent sends the spec, then waits for the steps and runs them one after
// the other. When it exits, the kernel kills everything left in the
// namespace.
//
// The root file system holds: the host's /usr, /bin, /sbin and /lib*
// (read-only), a minimal /etc (its own passwd, group and hosts; the host's
// dynamic linker cache and alternatives, read-only), the null, zero, full,
// random and urandom devices, a fresh /proc, a private /tmp, and the
// mounts of the spec. Nothing else of the host is visible: not the
// caller's home, not /tmp, not /run. The root itself is made read-only
// after setup, so writes outside the mounts fail, and writes to the
// private tmpfs mounts are discarded on exit. The steps run with no
// capabilities and no_new_privs, so they cannot undo any of it.
func init() {
	if len(os.Args) == 1 && os.Args[0] == initArg0 && os.Getpid() == 1 {
		os.Exit(initMain())
	}
}

const initArg0 = "sovcheck-rebuild-sandbox"

// initMain runs inside the namespaces. fd 3 carries the spec (the mounts)
// and then the steps; fd 4 receives the report. The spec channel closing
// before the steps means the parent gave up: nothing runs.
func initMain() int {
	// Nothing but stdio reaches the steps: not the report pipe, which a
	// step could write a forged report to, nor any descriptor inherited
	// from sovcheck's caller.
	if err := closeOnExecFrom(3); err != nil {
		return 2
	}
	specFile := os.NewFile(3, "spec")
	reportFile := os.NewFile(4, "report")
	if specFile == nil || reportFile == nil {
		return 2
	}
	var rep report
	defer func() {
		// The steps' output is over: closing it first lets the parent
		// know, when the report comes, that it has all of it.
		os.Stdout.Close()
		os.Stderr.Close()
		_ = json.NewEncoder(reportFile).Encode(&rep)
		reportFile.Close()
	}()
	// A spec cut at the limit fails to decode (a SetupError); the arrow
	// table keeps sandbox a leaf, below boundedio.
	dec := json.NewDecoder(io.LimitReader(specFile, 2<<20))
	var spec Spec
	if err := dec.Decode(&spec); err != nil {
		if !errors.Is(err, io.EOF) {
			rep.SetupError = fmt.Sprintf("reading sandbox spec: %v", err)
		}
		return 0
	}
	if err := setupRoot(&spec); err != nil {
		rep.SetupError = err.Error()
		rep.OverlayError = errors.Is(err, ErrOverlayUnavailable)
		return 0
	}
	var run runSteps
	if err := dec.Decode(&run); err != nil {
		if !errors.Is(err, io.EOF) {
			rep.SetupError = fmt.Sprintf("reading sandbox steps: %v", err)
		}
		return 0
	}
	specFile.Close()
	syscall.Umask(0o022)
	for i, st := range run.Steps {
		if spec.Checkout != "" {
			preexisted, err := checkStep(spec.Checkout, st.Dir, spec.Output, i == len(run.Steps)-1)
			if preexisted {
				rep.OutputPreexisted = true
				break
			}
			if err != nil {
				rep.Steps = append(rep.Steps, StepStatus{ExitCode: -1, Error: err.Error()})
				break
			}
		}
		s := runStep(st)
		// Nothing a step started outlives it: no process can change
		// the checkout behind a later step or the output after the
		// last.
		killOthers()
		rep.Steps = append(rep.Steps, s)
		if s.ExitCode != 0 || s.Error != "" {
			break
		}
	}
	rep.Output = builtOutput(spec.Checkout, spec.Output, &rep.Status, len(run.Steps))
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

func runStep(st Step) StepStatus {
	bin, err := lookPathIn(st.Argv[0], st.Env)
	if err != nil {
		return StepStatus{ExitCode: -1, Error: err.Error()}
	}
	cmd := &exec.Cmd{Path: bin, Args: st.Argv, Dir: st.Dir, Env: st.Env, Stdout: os.Stdout, Stderr: os.Stderr}
	return stepStatusOf(cmd.Run())
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

// HiddenTools are the version control tools the sandbox hides: go commands
// before go1.23.11 and go1.24.5 run them for VCS stamping in any directory
// of the source that looks like theirs (CVE-2025-4674), and their
// configuration there can name programs to run.
var HiddenTools = []string{
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
// mount points only), /tmp, and the spec's tmpfs mounts. A build that
// fills them fails instead of the machine's memory.
const (
	rootTmpfsSize  = "size=16m"
	otherTmpfsSize = "size=2g"
)

// setupRoot builds the sandbox's root on a private tmpfs, one step at a
// time, pivots into it and locks the process down.
func setupRoot(spec *Spec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	root := spec.Root
	if err := unix.Mount("sovcheck", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,"+rootTmpfsSize); err != nil {
		return fmt.Errorf("mounting root tmpfs: %w", err)
	}
	in := func(p string) string { return filepath.Join(root, p) }
	for _, step := range []func(*Spec, func(string) string) error{
		mountSystemDirs, writeEtc, populateDev, mountProc, mountSpec,
	} {
		if err := step(spec, in); err != nil {
			return err
		}
	}
	if err := enterRoot(root, in); err != nil {
		return err
	}
	return lockDown()
}

// mountSystemDirs binds the host's system directories read-only (or
// recreates them as the symlinks they are) and hides the tools the
// build must not reach.
func mountSystemDirs(_ *Spec, in func(string) string) error {
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

	for _, tool := range HiddenTools {
		if fi, err := os.Stat(tool); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := unix.Mount("/dev/null", in(tool), "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("hiding %s: %w", tool, err)
		}
	}
	return nil
}

// writeEtc writes the sandbox's own passwd, group and hosts and binds
// the few host files a build may read.
func writeEtc(spec *Spec, in func(string) string) error {
	if err := os.MkdirAll(in("/etc"), 0o755); err != nil {
		return fmt.Errorf("creating /etc: %w", err)
	}
	home := spec.Home
	if home == "" {
		home = "/nonexistent"
	}
	for name, content := range map[string]string{
		"passwd": "root:x:0:0:root:" + home + ":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
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
	return nil
}

// populateDev binds the harmless device nodes and links the standard
// descriptors.
func populateDev(_ *Spec, in func(string) string) error {
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
	return nil
}

// mountProc mounts a fresh /proc of the sandbox's PID namespace.
func mountProc(_ *Spec, in func(string) string) error {
	if err := os.MkdirAll(in("/proc"), 0o555); err != nil {
		return fmt.Errorf("creating /proc: %w", err)
	}
	if err := unix.Mount("proc", in("/proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	return nil
}

// mountSpec sets up the spec's mounts (and the scratch TmpDir) and
// writes its files.
func mountSpec(spec *Spec, in func(string) string) error {
	mounts := append([]Mount{{Target: TmpDir}}, spec.Mounts...)
	sortMounts(mounts)
	for _, m := range mounts {
		if err := mount(m, in(m.Target)); err != nil {
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
	return nil
}

// enterRoot pivots into the prepared root, detaches the old one and
// makes the new root read-only.
func enterRoot(root string, in func(string) string) error {
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
	return makeReadOnly("/", false)
}

// lockDown sets the hostname, forbids new privileges and empties the
// capability bounding set.
func lockDown() error {
	if err := unix.Sethostname([]byte(Hostname)); err != nil {
		return fmt.Errorf("setting hostname: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	// The steps run as uid 0 of the user namespace. With an empty
	// capability bounding set they get no capabilities when executed, so
	// they cannot remount the read-only mounts writable, nor mount
	// anything else.
	for c := 0; c <= 63; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	return nil
}

// mount sets up one mount of the spec at target (its place under the new
// root).
func mount(m Mount, target string) error {
	switch {
	case m.Upper != "":
		return overlayMount(m, target)
	case m.Source == "":
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", m.Target, err)
		}
		mode := "mode=0755," + otherTmpfsSize
		if m.Target == TmpDir {
			mode = "mode=1777," + otherTmpfsSize
		}
		if err := unix.Mount("sovcheck", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, mode); err != nil {
			return fmt.Errorf("mounting tmpfs on %s: %w", m.Target, err)
		}
		return nil
	}
	fi, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mounting %s: %w", m.Target, err)
	}
	return bindMount(m.Source, target, m.Writable, fi.IsDir())
}

// overlayMount mounts an overlay of m.Source (lower, never written) and
// m.Upper at target. userxattr keeps overlayfs's own metadata in user.*
// extended attributes, the only ones an unprivileged mounter may write.
func overlayMount(m Mount, target string) error {
	for _, p := range []string{m.Source, m.Upper, m.Work} {
		if !OverlayPathOK(p) {
			return fmt.Errorf("%w: mounting %s: path %q cannot be given to overlayfs", ErrOverlayUnavailable, m.Target, p)
		}
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", m.Target, err)
	}
	opts := "lowerdir=" + m.Source + ",upperdir=" + m.Upper + ",workdir=" + m.Work + ",userxattr"
	if err := unix.Mount("overlay", target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("%w: mounting %s: %v", ErrOverlayUnavailable, m.Target, err)
	}
	return nil
}

// OverlayPathOK reports whether p can be a layer of an overlay: overlayfs
// options separate layers with ':' and options with ',', so paths holding
// those (or a backslash, its escape) are refused rather than escaped.
func OverlayPathOK(p string) bool {
	return path.IsAbs(p) && !strings.ContainsAny(p, ",:\\\n")
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
