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
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sandbox"
)

// Status is the outcome of one rebuild.
type Status string

const (
	// StatusMatch: the rebuilt artifact's sha256 equals the attested one.
	StatusMatch Status = "MATCH"
	// StatusMismatch: the rebuild ran and did not reproduce the artifact,
	// or the provenance does not attest the artifact at all.
	StatusMismatch Status = "MISMATCH"
	// StatusSkip: the rebuild could not be tried (toolchain, source,
	// dependencies or sandbox unavailable, or an unsupported recipe).
	StatusSkip Status = "SKIP"
)

// Phase names, in order.
const (
	PhaseSubject      = "subject"
	PhaseRecipe       = "recipe" // only when the recipe is refused
	PhaseToolchain    = "toolchain"
	PhaseSource       = "source"
	PhaseDependencies = "dependencies"
	PhaseBuild        = "build"
	PhaseCompare      = "compare"
)

// Phase statuses, as in gorebuild's log: anything not checked is not PASS.
const (
	PhasePass = "PASS"
	PhaseFail = "FAIL"
	PhaseSkip = "SKIP"
)

// Result is the outcome of rebuilding one artifact.
type Result struct {
	Artifact       string        // the artifact as the caller named it
	ArtifactSHA256 string        // sha256 of the published artifact
	Subject        Subject       // the provenance subject it matched (empty if none)
	Status         Status        // MATCH, MISMATCH or SKIP
	Reason         *reason.Error // why, for MISMATCH and SKIP; nil for MATCH
	Causes         []Cause       // every difference found on MISMATCH, most telling first
	Recipe         *Recipe       // the recipe replayed
	Toolchain      *Toolchain    // the toolchain used, once fetched
	Sandbox        SandboxInfo   // how the build was isolated
	RebuiltSHA256  string        // sha256 of the rebuilt artifact, once built
	Phases         []Phase       // what was done, in order
	BuildLog       string        // tail of the build output when the build failed
	// SourceMissing names (up to 10) the objects of the commit's tree
	// that the source lacked, "type id path"; SourceMissingCount counts
	// them all. The build ran without them: a MATCH stands, with a
	// warning; anything else is SKIP SOURCE_INCOMPLETE.
	SourceMissing      []string
	SourceMissingCount int
	Started            time.Time
	Finished           time.Time
}

// Hermetic reports whether the build ran in the namespace sandbox.
func (r *Result) Hermetic() bool { return r.Sandbox.Hermetic }

// SandboxInfo says how a build was isolated.
type SandboxInfo struct {
	Method     string   `json:"method"` // SandboxNamespaces, SandboxNone, or "" if no build ran
	Hermetic   bool     `json:"hermetic"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// Phase is one line of the result's PASS/FAIL/SKIP log.
type Phase struct {
	Name    string        `json:"name"`
	Status  string        `json:"status"`
	Detail  string        `json:"detail"`
	Elapsed time.Duration `json:"-"`
}

// Cause is one explained difference between the published and the rebuilt
// artifact.
type Cause struct {
	Code string `json:"code"`
	What string `json:"what"`
	Got  string `json:"got,omitempty"`  // in the rebuilt artifact
	Want string `json:"want,omitempty"` // in the published artifact
}

// Progress reports the start (Done false) and end (Done true) of a long
// phase of one rebuild.
type Progress struct {
	Artifact string
	Phase    string
	Done     bool
	Elapsed  time.Duration
}

// Request asks for one artifact to be rebuilt.
type Request struct {
	// Artifact is the path of the published artifact.
	Artifact string
	// SHA256, when Artifact is empty, is the published artifact's digest
	// (lowercase hex): the rebuild is compared with it, and a mismatch
	// cannot be explained from the published file.
	SHA256 string
	// Name is how reports name the artifact; default: Artifact.
	Name string
	// Recipes are the recipes read from the artifact's provenance; the one
	// whose subject has the artifact's sha256 is replayed.
	Recipes []*Recipe
	// Source is a git checkout directory or a git URL holding the recipe's
	// commit. Empty: the recipe's own source URI (network).
	Source string
}

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

// RebuildAll rebuilds the artifacts with up to jobs rebuilds at once.
// results[i] and errs[i] belong to reqs[i]; see Rebuild.
func (rb *Rebuilder) RebuildAll(ctx context.Context, reqs []Request, jobs int) ([]*Result, []error) {
	if jobs < 1 {
		jobs = 1
	}
	results := make([]*Result, len(reqs))
	errs := make([]error, len(reqs))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = rb.Rebuild(ctx, reqs[i])
		}()
	}
	wg.Wait()
	return results, errs
}

// Rebuild rebuilds one artifact from its recipe and compares the result
// with the attested digest. The error is non-nil only when no verdict can
// be given (the artifact cannot be read, no recipe was given, the context
// was cancelled); every other outcome, including failures to fetch or
// build, is a Result with status MATCH, MISMATCH or SKIP.
func (rb *Rebuilder) Rebuild(ctx context.Context, req Request) (*Result, error) {
	name := req.Name
	if name == "" {
		name = req.Artifact
	}
	if len(req.Recipes) == 0 {
		return nil, reason.New(reason.EvidenceMissing, "give the artifact's provenance", "rebuilding %s: no recipe given", name)
	}
	if name == "" {
		name = "sha256:" + req.SHA256
	}
	res := &Result{Artifact: name, Started: rb.now()}
	defer func() { res.Finished = rb.now() }()
	r := &run{rb: rb, res: res, req: req, hashDone: make(chan struct{})}
	if req.Artifact == "" {
		if len(req.SHA256) != 64 || !isHex(req.SHA256) {
			return nil, reason.New(reason.InputMalformed, "give the artifact's file, or its digest as sha256:<64 lowercase hex digits>", "rebuilding %s: no artifact file and no valid sha256", name)
		}
		r.hashRes.sum = req.SHA256
		close(r.hashDone)
		r.startHash = func() {}
	} else {
		f, err := openArtifact(req.Artifact)
		if err != nil {
			return nil, err
		}
		r.startHash = sync.OnceFunc(func() {
			go func() {
				defer close(r.hashDone)
				r.hashRes.sum, r.hashRes.err = artifactSHA256(f)
			}()
		})
	}

	dctx, cancel := ctx, context.CancelFunc(func() {})
	if rb.timeout > 0 {
		dctx, cancel = context.WithTimeoutCause(ctx, rb.timeout, errRebuildTimeout)
	}
	defer cancel()
	// With one recipe, the artifact is hashed beside the sandbox's set-up
	// and the build (see do), and a digest that the provenance does not
	// attest stops the rebuild at once; the subject decides the result
	// whatever happened meanwhile. Of several recipes, the digest picks
	// one first.
	if len(req.Recipes) == 1 {
		res.Recipe = req.Recipes[0]
		var abandon context.CancelCauseFunc
		dctx, abandon = context.WithCancelCause(dctx)
		defer abandon(nil)
		go func() {
			select {
			case <-r.hashDone:
				if _, _, err := SelectRecipe(req.Recipes, r.hashRes.sum); r.hashRes.err != nil || err != nil {
					abandon(errNotAttested)
				}
			case <-dctx.Done():
			}
		}()
	} else {
		if ok, err := r.checkSubject(); err != nil {
			return nil, err
		} else if !ok {
			return res, nil
		}
	}

	err := r.do(dctx)
	if ok, herr := r.checkSubject(); herr != nil {
		return nil, herr
	} else if !ok {
		return res, nil
	}
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(dctx), errRebuildTimeout) {
		// Out of time, not cancelled by the caller: a result, not an
		// error. The sandbox and the fetch commands were killed.
		phase := r.current
		if phase == "" {
			phase = PhaseToolchain
		}
		why := reason.New(CodeRebuildTimeout, "allow more time with --timeout (--rebuild-timeout for verify), or find out why the build hangs",
			"%s did not finish within %s", phase, rb.timeout)
		r.phase(phase, PhaseSkip, why.Msg, time.Since(r.since))
		r.finish(StatusSkip, why)
		return res, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("rebuilding %s: %w", name, ctx.Err())
		}
		return nil, err
	}
	r.doubtSource()
	return res, nil
}

// doubtSource turns a MISMATCH of a rebuild whose source lacked objects
// into a SKIP SOURCE_INCOMPLETE: the build ran without files of the
// commit, so the difference says nothing about the artifact. A MATCH
// stands (the bytes were reproduced all the same), with the warning the
// reports print.
func (r *run) doubtSource() {
	res := r.res
	if res.SourceMissingCount == 0 || res.Status != StatusMismatch || !r.subjectOK {
		return
	}
	was := "MISMATCH"
	if res.Reason != nil {
		was = res.Reason.Code
	}
	res.Status = StatusSkip
	res.Reason = &reason.Error{Code: CodeSourceIncomplete,
		Msg: fmt.Sprintf("the source lacks %d object%s of commit %s (%s); the rebuild did not match (%s), which is no evidence about the artifact",
			res.SourceMissingCount, plural(res.SourceMissingCount), res.Recipe.Source.ShortCommit(), strings.Join(res.SourceMissing, ", "), was),
		Hint: hintFor(CodeSourceIncomplete)}
}

func buildTypeName(bt string) string {
	switch bt {
	case BuildTypeGoBuilder:
		return "SLSA Go builder recipe"
	case BuildTypeSovcheckGo:
		return "sovcheck Go recipe"
	}
	return bt
}

// run is the state of one rebuild.
type run struct {
	rb      *Rebuilder
	res     *Result
	req     Request
	ws      string
	source  string    // where the source comes from: a URL or an absolute path
	current string    // the phase under way
	since   time.Time // when it started

	// The artifact's sha256: startHash starts hashing it, once; hashRes
	// holds the result when hashDone is closed.
	startHash   func()
	hashDone    chan struct{}
	hashRes     hashResult
	subjectDone bool
	subjectOK   bool
}

type hashResult struct {
	sum string
	err error
}

// checkSubject waits for the artifact's digest and finds the recipe and
// subject that attest it. If none does, the result becomes a MISMATCH on
// the subject alone, replacing any phase run meanwhile. The error is the
// artifact's read error (no verdict).
func (r *run) checkSubject() (bool, error) {
	r.startHash()
	<-r.hashDone
	h := r.hashRes
	if r.subjectDone || h.err != nil {
		return r.subjectOK, h.err
	}
	r.subjectDone = true
	r.res.ArtifactSHA256 = h.sum
	rec, subj, err := SelectRecipe(r.req.Recipes, h.sum)
	if err != nil {
		// Nothing done meanwhile counts: the result is the subject's.
		*r.res = Result{Artifact: r.res.Artifact, ArtifactSHA256: h.sum, Started: r.res.Started}
		r.phase(PhaseSubject, PhaseFail, "sha256:"+h.sum+" is not a subject of the provenance", 0)
		r.finish(StatusMismatch, reason.As(err, reason.SubjectMismatch, ""))
		return false, nil
	}
	r.res.Recipe, r.res.Subject = rec, subj
	p := Phase{Name: PhaseSubject, Status: PhasePass, Detail: fmt.Sprintf("%s sha256:%s, %s", subj.Name, subj.SHA256, buildTypeName(rec.BuildType))}
	r.res.Phases = append([]Phase{p}, r.res.Phases...)
	r.subjectOK = true
	return true, nil
}

func (r *run) phase(name, status, detail string, elapsed time.Duration) {
	r.res.Phases = append(r.res.Phases, Phase{Name: name, Status: status, Detail: detail, Elapsed: elapsed})
}

func (r *run) finish(st Status, why *reason.Error) *Result {
	r.res.Status = st
	r.res.Reason = why
	return r.res
}

// timed runs f as a long phase, reporting progress.
func (r *run) timed(phase string, f func() error) (time.Duration, error) {
	start := time.Now()
	r.current, r.since = phase, start
	if r.rb.progress != nil {
		r.rb.progress(Progress{Artifact: r.res.Artifact, Phase: phase})
	}
	err := f()
	d := time.Since(start)
	if r.rb.progress != nil {
		r.rb.progress(Progress{Artifact: r.res.Artifact, Phase: phase, Done: true, Elapsed: d})
	}
	return d, err
}

// skip records a phase that could not be done and ends the rebuild as SKIP;
// cancellation is passed up instead.
func (r *run) skip(ctx context.Context, phase string, err error, code string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	re := reason.As(err, code, "")
	r.phase(phase, PhaseSkip, re.Error(), 0)
	r.finish(StatusSkip, re)
	return nil
}

func (r *run) do(ctx context.Context) error {
	rb, rec := r.rb, r.res.Recipe
	if rec.Refused != nil {
		return r.skip(ctx, PhaseRecipe, rec.Refused, CodeRecipeUnsupported)
	}
	if err := rec.Validate(); err != nil {
		return r.skip(ctx, PhaseRecipe, err, CodeRecipeUnsupported)
	}
	if err := os.MkdirAll(rb.workRoot(), 0o755); err != nil {
		return fmt.Errorf("creating work dir: %w", err)
	}
	ws, err := os.MkdirTemp(rb.workRoot(), "rebuild-")
	if err != nil {
		return fmt.Errorf("creating work dir: %w", err)
	}
	r.ws = ws
	defer os.RemoveAll(ws)
	// The sandbox's init process starts up while the toolchain, the
	// source and the dependencies are made ready; its mounts follow.
	// Closing it waits until its mounts are gone, before the work dir is
	// removed.
	log := &tailBuffer{limit: sandboxOutput}
	sb := rb.sandbox(ctx, log)
	defer sb.Close()

	var tc *Toolchain
	d, err := r.timed(PhaseToolchain, func() error {
		rb.tcMu.Lock()
		defer rb.tcMu.Unlock()
		var err error
		tc, err = rb.toolchain(ctx, rec.Toolchain)
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseToolchain, err, CodeToolchainUnavailable)
	}
	r.res.Toolchain = tc
	r.phase(PhaseToolchain, PhasePass, tc.Version+" ("+tc.Origin+")", d)

	src := r.req.Source
	if src == "" {
		// Only a remote repository may come from the provenance: a local
		// path or file:// URL there would let a recipe pick any repository
		// on this machine.
		if !isRemoteGitURL(rec.Source.URI) {
			return r.skip(ctx, PhaseSource, reason.New(CodeSourceUnavailable, "give the source with --source DIR or URL",
				"recipe source %q is not a remote git URL", rec.Source.URI), CodeSourceUnavailable)
		}
		src = rec.Source.URI
	}
	var snap *snapshot
	d, err = r.timed(PhaseSource, func() error {
		s, err := openSource(src, ws)
		if err != nil {
			return reason.Wrap(err, CodeSourceUnavailable, "give --source a git checkout (or URL) of the recipe's repository", "opening the source")
		}
		r.source = s.loc
		snap, err = r.snapshot(ctx, s, path.Base(sandboxCheckout(rec)))
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseSource, err, CodeSourceUnavailable)
	}
	// The snapshot is released (an ephemeral one removed) once the
	// sandbox, which mounts it, is gone.
	defer func() { sb.Close(); snap.release() }()
	detail := fmt.Sprintf("%s commit %s (%s)", rec.Source.URI, rec.Source.ShortCommit(), snap.co.CommitTime.Format(time.RFC3339))
	if n := snap.co.MissingCount; n > 0 {
		r.res.SourceMissing, r.res.SourceMissingCount = snap.co.Missing, n
		detail += fmt.Sprintf(", INCOMPLETE: %d object%s missing", n, plural(n))
	}
	r.phase(PhaseSource, PhasePass, detail, d)

	var ndeps int
	d, err = r.timed(PhaseDependencies, func() error {
		var err error
		ndeps, err = r.fetchDependencies(ctx, tc, snap)
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseDependencies, err, CodeDependenciesUnavailable)
	}
	detail = "none needed"
	if ndeps > 0 {
		detail = fmt.Sprintf("of %d module%s, in the private module cache", ndeps, plural(ndeps))
	}
	r.phase(PhaseDependencies, PhasePass, detail, d)

	overlay := !rb.noOverlay.Load()
	in, spec, checkoutDir, err := r.sandboxSpec(tc, snap, overlay)
	if err != nil {
		return err
	}
	sb.Setup(spec)
	// The artifact is hashed now, while the sandbox sets up and builds:
	// earlier, it would take a core from the set-up of the toolchain,
	// the source and the sandbox, on the critical path of the rebuild.
	r.startHash()

	var status *sandbox.Status
	d, err = r.timed(PhaseBuild, func() error {
		var err error
		status, checkoutDir, err = r.build(ctx, tc, snap, sb, in, checkoutDir, overlay, log)
		return err
	})
	if err != nil {
		if errors.Is(err, sandbox.ErrUnavailable) {
			return r.skip(ctx, PhaseBuild, reason.Wrap(err, CodeSandboxUnavailable,
				"run where unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0), or allow an unsandboxed rebuild explicitly",
				"setting up the build sandbox"), CodeSandboxUnavailable)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("running build: %w", err)
	}
	r.res.BuildLog = ""
	if status.OutputPreexisted {
		why := reason.New(CodeOutputPreexists, "remove the built file from the source, or the step that writes it before the build",
			"%s existed before the last build step (committed to the source or written by an earlier step), so the rebuild would not prove its bytes", rec.Output)
		r.phase(PhaseBuild, PhaseFail, why.Msg, d)
		r.finish(StatusMismatch, why)
		return nil
	}
	for i, st := range status.Steps {
		if st.ExitCode != 0 || st.Error != "" {
			r.res.BuildLog = log.String()
			why := reason.New(CodeBuildFailed, "the recipe does not build as recorded; read the build log, and check that the source and toolchain are the ones the publisher used",
				"step %d (%s) failed: %s", i+1, strings.Join(rec.Steps[i].Command, " "), st.Error)
			r.phase(PhaseBuild, PhaseFail, why.Msg, d)
			r.finish(StatusMismatch, why)
			return nil
		}
	}
	if len(status.Steps) != len(rec.Steps) {
		return fmt.Errorf("running build: sandbox ran %d of %d steps", len(status.Steps), len(rec.Steps))
	}
	method := "sandbox " + SandboxNamespaces + " (" + strings.Join(sandbox.Namespaces, ",") + ")"
	if !r.res.Sandbox.Hermetic {
		method = "NOT HERMETIC: no sandbox, cleared environment only"
	}
	r.phase(PhaseBuild, PhasePass, fmt.Sprintf("%d step%s in %s", len(rec.Steps), plural(len(rec.Steps)), method), d)

	if ok, err := r.checkSubject(); err != nil || !ok {
		return err
	}
	// Where the build left the output: the sandbox resolves the
	// recipe's path, which may lead through a symlink of the source that
	// an overlay's upper dir does not hold.
	output := rec.Output
	if status.Output != "" {
		output = status.Output
	}
	return r.compare(ctx, checkoutDir, output)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
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

// compare hashes the rebuilt output, the file output (a slash path) in
// the checkout dir on the host, and on a difference explains it. The
// build may have renamed or linked anything in its work dir, so the
// output is opened through roots that no symlink leads out of.
func (r *run) compare(ctx context.Context, dir, output string) error {
	rec := r.res.Recipe
	work, err := os.OpenRoot(filepath.Dir(dir))
	if err != nil {
		return fmt.Errorf("opening work dir: %w", err)
	}
	defer work.Close()
	root, err := work.OpenRoot(filepath.Base(dir))
	if err != nil {
		why := reason.New(CodeOutputMissing, "the build replaced its checkout directory; check the recipe",
			"checkout is no longer a directory inside the work dir: %v", err)
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	defer root.Close()
	// Not a FIFO or device a build left there (opening one could block
	// for good), and not larger than any artifact sovcheck compares.
	name := filepath.FromSlash(output)
	fi, err := root.Lstat(name)
	var f *os.File
	if err == nil && fi.Mode().IsRegular() {
		f, err = root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
		if err == nil {
			defer f.Close()
			fi, err = f.Stat()
		}
	}
	if err != nil || !fi.Mode().IsRegular() {
		why := reason.New(CodeOutputMissing, "the recipe's -o names a different file than the build wrote; check the recipe",
			"build did not write %s as a regular file inside the checkout", rec.Output)
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	if fi.Size() > MaxOutputBytes {
		why := &reason.Error{Code: reason.InputTooLarge, Msg: "rebuilt output is too large to compare",
			Got: fmt.Sprintf("%d bytes", fi.Size()), Want: fmt.Sprintf("at most %d", int64(MaxOutputBytes)), Hint: "check the recipe; sovcheck compares artifacts up to 4 GiB"}
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	sum, err := readerSHA256(io.LimitReader(f, MaxOutputBytes))
	if err != nil {
		return fmt.Errorf("hashing rebuilt %s: %w", rec.Output, err)
	}
	r.res.RebuiltSHA256 = sum
	if sum == r.res.Subject.SHA256 {
		r.phase(PhaseCompare, PhasePass, "rebuilt sha256:"+sum+" equals the attested digest", 0)
		r.finish(StatusMatch, nil)
		return nil
	}
	rebuilt := filepath.Join(r.ws, "rebuilt")
	if err := copyFromRoot(root, name, rebuilt); err != nil {
		return fmt.Errorf("keeping rebuilt output: %w", err)
	}
	causes := []Cause{{Code: reason.DigestMismatch, What: "the published artifact was given by its digest; give its file to explain the difference"}}
	if r.req.Artifact != "" {
		causes = explainWith(r.req.Artifact, rebuilt, ldflagsXSymbols(rec))
	}
	r.res.Causes = causes
	top := causes[0]
	why := &reason.Error{Code: top.Code, Msg: "rebuilt artifact differs: " + top.What, Got: top.Got, Want: top.Want, Hint: hintFor(top.Code)}
	r.phase(PhaseCompare, PhaseFail, fmt.Sprintf("rebuilt sha256:%s, attested sha256:%s", sum, r.res.Subject.SHA256), 0)
	r.finish(StatusMismatch, why)
	return ctx.Err()
}

func copyFromRoot(root *os.Root, name, dst string) error {
	in, err := root.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hintFor says what to do about each cause of a mismatch.
func hintFor(code string) string {
	switch code {
	case CodeGoVersionMismatch:
		return "the artifact was built by another Go toolchain than the provenance records; ask the publisher which one"
	case CodeVCSStampMismatch:
		return "the artifact was built from another commit or another checkout state than the provenance records"
	case CodeLdflagsMismatch:
		return "the artifact was linked with other -ldflags than the provenance records"
	case CodeBuildSettingMismatch:
		return "the artifact was built with other flags or environment (GOOS, GOARCH, CGO_ENABLED, -tags, -trimpath) than the provenance records"
	case CodeModuleMismatch:
		return "the artifact was built with other dependency versions than the source at this commit selects"
	case CodeGzipOnly:
		return "the archives hold the same data; only the gzip compression differs (level, mtime or OS byte in the header)"
	case CodeArchiveMismatch:
		return "the archives differ in the entries listed; compare them with the recipe's inputs"
	case CodeSourceIncomplete:
		return "give --source a complete clone of the repository (git fsck --connectivity-only finds what is missing) and rebuild again"
	}
	return "the metadata sovcheck reads does not name the cause; rebuild locally and compare the files"
}
