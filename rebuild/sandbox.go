package rebuild

import (
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
