package rebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sovcheck/sovcheck/internal/sandbox"
)

type config struct {
	cacheDir         string
	goproxy          string
	gosumdb          string
	offline          bool
	hostGo           string
	log              *slog.Logger
	progress         func(Progress)
	now              func() time.Time
	allowUnsandboxed bool
	timeout          time.Duration
}

// Option configures a Rebuilder.
type Option func(*config) error

// WithCacheDir sets where toolchains, modules, build caches and checkouts
// are kept between rebuilds. Default: sovcheck/rebuild under the user
// cache dir.
func WithCacheDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("cache dir is empty")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("resolving cache dir: %w", err)
		}
		c.cacheDir = abs
		return nil
	}
}

// WithGoProxy sets the module proxy of the fetch phase (GOPROXY syntax,
// e.g. a file:// proxy). Default: https://proxy.golang.org.
func WithGoProxy(proxy string) Option {
	return func(c *config) error {
		if proxy == "" {
			return errors.New("module proxy is empty")
		}
		c.goproxy = proxy
		return nil
	}
}

// WithChecksumDB sets the checksum database of the fetch phase (GOSUMDB
// syntax). Default: sum.golang.org.
func WithChecksumDB(db string) Option {
	return func(c *config) error {
		if db == "" {
			return errors.New("checksum database is empty")
		}
		c.gosumdb = db
		return nil
	}
}

// WithOffline keeps the fetch phase off the network: only cached
// toolchains and modules and local sources are used.
func WithOffline() Option {
	return func(c *config) error { c.offline = true; return nil }
}

// WithHostGo names the machine's go command, used as the toolchain when
// its version is the one wanted and to fetch other toolchains. Default:
// "go" from PATH; "" means none.
func WithHostGo(path string) Option {
	return func(c *config) error { c.hostGo = path; return nil }
}

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithProgress sets a function called at the start and end of long phases.
// It may be called from several goroutines at once by RebuildAll.
func WithProgress(f func(Progress)) Option {
	return func(c *config) error { c.progress = f; return nil }
}

// WithClock sets the clock used for result times. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithTimeout bounds each rebuild, fetch and build together (default
// DefaultTimeout; 0 means no bound). A rebuild that runs out of time is
// SKIP REBUILD_TIMEOUT, and its sandbox is killed.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("rebuild timeout %s is negative", d)
		}
		c.timeout = d
		return nil
	}
}

// DefaultTimeout bounds a rebuild unless WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Minute

var (
	errRebuildTimeout = errors.New("rebuild timed out")
	errNotAttested    = errors.New("artifact not attested by the recipe")
)

// MaxOutputBytes is the largest rebuilt output sovcheck hashes.
const MaxOutputBytes = 4 << 30

// WithUnsandboxedFallbackUnsafe lets a rebuild run without namespaces, with
// only a cleared environment, when the sandbox cannot be set up. Such a
// result says Hermetic false; without this option it is a SKIP with
// SANDBOX_UNAVAILABLE.
func WithUnsandboxedFallbackUnsafe() Option {
	return func(c *config) error { c.allowUnsandboxed = true; return nil }
}

// Rebuilder replays build recipes. It is safe for concurrent use.
type Rebuilder struct {
	config
	host    *hostGo
	sandbox func(context.Context, io.Writer) *sandbox.Sandbox
	tcMu    sync.Mutex
	// noOverlay is set once the kernel refused an overlay: later builds
	// go straight to a copy of the checkout.
	noOverlay atomic.Bool
}

// New returns a Rebuilder.
func New(opts ...Option) (*Rebuilder, error) {
	c := config{
		goproxy: "https://proxy.golang.org",
		gosumdb: "sum.golang.org",
		hostGo:  "go",
		log:     slog.New(slog.DiscardHandler),
		now:     time.Now,
		timeout: DefaultTimeout,
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("configuring rebuilder: %w", err)
		}
	}
	if c.cacheDir == "" {
		ucd, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("configuring rebuilder: finding the user cache dir: %w (set one with WithCacheDir)", err)
		}
		c.cacheDir = filepath.Join(ucd, "sovcheck", "rebuild")
	}
	if c.offline {
		c.goproxy = "off"
	}
	host := &hostGo{}
	if c.hostGo != "" {
		if p, err := exec.LookPath(c.hostGo); err == nil {
			host.path = p
		}
	}
	return &Rebuilder{config: c, host: host, sandbox: sandbox.Start}, nil
}

func (rb *Rebuilder) modCache() string { return filepath.Join(rb.cacheDir, "mod") }
func (rb *Rebuilder) workRoot() string { return filepath.Join(rb.cacheDir, "work") }

// buildCache is the Go build cache of one toolchain and one source: the
// sandbox mounts it writable, so rebuilds of other sources never share
// it, and a build that found a way to write into it could only mislead
// later rebuilds of its own source.
func (rb *Rebuilder) buildCache(tc *Toolchain, source string) string {
	sum := sha256.Sum256([]byte(source))
	return filepath.Join(rb.cacheDir, "gocache", tc.Version, hex.EncodeToString(sum[:8]))
}
