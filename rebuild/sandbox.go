package rebuild

import (
	"errors"
	"sort"
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
	sbSrcDefault  = "/sovcheck/src"
	sbGorootDflt  = "/sovcheck/go"
	sbTmp         = "/tmp"
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

// sandboxSpec is what the parent sends the sandbox's init process.
type sandboxSpec struct {
	Root   string         `json:"root"` // empty host dir on which the sandbox's root tmpfs is mounted
	Mounts []sandboxMount `json:"mounts"`
	Steps  []sandboxStep  `json:"steps"`
}

// sandboxStatus is what the init process reports back.
type sandboxStatus struct {
	SetupError string       `json:"setupError,omitempty"`
	Steps      []stepStatus `json:"steps"`
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
