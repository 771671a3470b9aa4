package rebuild

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Toolchain origins recorded in results and attestations.
const (
	ToolchainFromHost        = "host"         // the machine's own Go, whose version equals the wanted one
	ToolchainFromModuleProxy = "module-proxy" // golang.org/toolchain, checksum-verified by the go command
)

// Toolchain is a Go toolchain ready for a rebuild.
type Toolchain struct {
	Version string `json:"version"` // e.g. go1.21.13
	Origin  string `json:"origin"`  // ToolchainFromHost or ToolchainFromModuleProxy
	GOROOT  string `json:"-"`       // host directory; never reported, so reports hold no local paths
}

// hostGo describes the machine's go command, probed once.
type hostGo struct {
	once    sync.Once
	path    string
	version string
	goroot  string
	err     error
}

func (h *hostGo) probe(ctx context.Context) error {
	h.once.Do(func() {
		if h.path == "" {
			h.err = fmt.Errorf("no go command on this machine")
			return
		}
		if v, root, ok := releaseVersionFile(h.path); ok {
			h.version, h.goroot = v, root
			return
		}
		out, err := runGo(ctx, h.path, "", []string{"GOTOOLCHAIN=local", "GOENV=off", "HOME=/nonexistent"}, "env", "GOVERSION", "GOROOT")
		if err != nil {
			h.err = err
			return
		}
		lines := strings.Split(out, "\n")
		if len(lines) != 2 || lines[0] == "" || lines[1] == "" {
			h.err = fmt.Errorf("unexpected output of go env: %q", out)
			return
		}
		h.version, h.goroot = lines[0], lines[1]
	})
	return h.err
}

// releaseVersionFile reads the version of a released Go distribution from
// its GOROOT/VERSION file, which saves starting the go command (about a
// twentieth of a small rebuild). It answers only for the layout of a
// release, GOROOT/bin/go with a VERSION file naming go1.N...; anything else
// (a development build, a wrapper script) is left to `go env`.
func releaseVersionFile(goPath string) (version, goroot string, ok bool) {
	real, err := filepath.EvalSymlinks(goPath)
	if err != nil || filepath.Base(real) != "go" || filepath.Base(filepath.Dir(real)) != "bin" {
		return "", "", false
	}
	root := filepath.Dir(filepath.Dir(real))
	f, err := os.Open(filepath.Join(root, "VERSION"))
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	// A VERSION file whose first line is longer than this is no release's.
	line, err := bufio.NewReader(boundedio.NewReader(f, 256, nil)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", "", false
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "go1.") || strings.ContainsAny(line, " \t") {
		return "", "", false
	}
	return line, root, true
}

// toolchainModule is the golang.org/toolchain module version that holds the
// given Go release for this machine.
func toolchainModule(version string) string {
	return "golang.org/toolchain@v0.0.1-" + version + "." + runtime.GOOS + "-" + runtime.GOARCH
}

// toolchain returns the Go toolchain named version: the machine's own Go
// when its version is the one wanted, else the golang.org/toolchain module
// from the module cache, downloading it through the module proxy if
// needed. The download is done by the machine's go command, which verifies
// the module's checksum against go.sum semantics and the checksum
// database, and marks the toolchain's commands executable. The caller holds
// rb.tcMu.
func (rb *Rebuilder) toolchain(ctx context.Context, version string) (*Toolchain, error) {
	unavailable := func(err error, format string, args ...any) *reason.Error {
		return reason.Wrap(err, reason.ToolchainUnavailable,
			"install "+version+" (or allow sovcheck to fetch it from the Go module proxy) and run the rebuild again",
			format, args...)
	}
	hostErr := rb.host.probe(ctx)
	if hostErr == nil && rb.host.version == version {
		return &Toolchain{Version: version, Origin: ToolchainFromHost, GOROOT: rb.host.goroot}, nil
	}

	dir := filepath.Join(rb.modCache(), filepath.FromSlash(toolchainModule(version)))
	if tc, err := checkToolchainDir(ctx, dir, version); err == nil {
		return tc, nil
	}
	if rb.offline {
		return nil, unavailable(nil, "toolchain %s is not in the cache and the fetch phase is offline", version)
	}
	if hostErr != nil {
		return nil, unavailable(hostErr, "fetching toolchain %s needs a go command on this machine", version)
	}
	rb.log.Info("fetching Go toolchain", "version", version, "module", toolchainModule(version))
	if err := os.MkdirAll(rb.workRoot(), 0o755); err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	work, err := os.MkdirTemp(rb.workRoot(), "toolchain-")
	if err != nil {
		return nil, fmt.Errorf("creating toolchain work dir: %w", err)
	}
	defer os.RemoveAll(work)
	env := []string{
		"GOTOOLCHAIN=" + version,
		"GOMODCACHE=" + rb.modCache(),
		"GOPROXY=" + rb.goproxy,
		"GOSUMDB=" + rb.gosumdb,
		"GOENV=off",
		"GOFLAGS=",
		"GO111MODULE=on",
		"HOME=" + work,
		"GOCACHE=" + filepath.Join(work, "gocache"),
		"GOPATH=" + filepath.Join(work, "gopath"),
	}
	env = append(env, proxyEnv()...)
	out, err := runGo(ctx, rb.host.path, work, env, "env", "GOVERSION")
	if err != nil {
		return nil, unavailable(err, "fetching toolchain %s from %s", version, rb.goproxy)
	}
	if out != version {
		return nil, unavailable(nil, "fetched toolchain reports version %q, want %q", out, version)
	}
	tc, err := checkToolchainDir(ctx, dir, version)
	if err != nil {
		return nil, unavailable(err, "checking fetched toolchain %s", version)
	}
	return tc, nil
}

// checkToolchainDir accepts a toolchain in the module cache if its go
// command runs and reports the wanted version.
func checkToolchainDir(ctx context.Context, dir, version string) (*Toolchain, error) {
	gobin := filepath.Join(dir, "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		return nil, err
	}
	out, err := runGo(ctx, gobin, "", []string{"GOTOOLCHAIN=local", "GOENV=off", "HOME=/nonexistent"}, "env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	if out != version {
		return nil, fmt.Errorf("toolchain in %s reports %q, want %q", dir, out, version)
	}
	return &Toolchain{Version: version, Origin: ToolchainFromModuleProxy, GOROOT: dir}, nil
}

// runGo runs a go command with exactly the given environment (plus PATH,
// which the go command needs to find git and the C toolchain).
func runGo(ctx context.Context, gobin, dir string, env []string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout = &limitedBuffer{buf: &stdout, limit: gitOutputLimit}
	cmd.Stderr = &limitedBuffer{buf: &stderr, limit: gitOutputLimit}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

func proxyEnv() []string {
	var env []string
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
