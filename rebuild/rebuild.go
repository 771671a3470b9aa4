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
	"syscall"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/sovcheck/sovcheck/internal/reason"
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
	Started        time.Time
	Finished       time.Time
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

// WithCacheDir sets where toolchains, modules and build caches are kept
// between rebuilds. Default: sovcheck/rebuild under the user cache dir.
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

var errRebuildTimeout = errors.New("rebuild timed out")

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
	sandbox func(context.Context, *sandboxSpec, io.Writer) *preparedSandbox
	tcMu    sync.Mutex
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
	return &Rebuilder{config: c, host: host, sandbox: startSandbox}, nil
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
	res := &Result{Artifact: name, Started: rb.now()}
	r := &run{rb: rb, res: res, req: req, hash: make(chan hashResult, 1)}
	defer func() { res.Finished = rb.now() }()

	// With one recipe, the artifact is hashed while the rebuild gets
	// going, and the subject is checked before the build; it decides the
	// result whatever happened meanwhile. Of several recipes, the digest
	// picks one first.
	f, err := openArtifact(req.Artifact)
	if err != nil {
		return nil, err
	}
	hash := func() {
		sum, err := artifactSHA256(f)
		r.hash <- hashResult{sum: sum, err: err}
	}
	if len(req.Recipes) == 1 {
		res.Recipe = req.Recipes[0]
		go hash()
	} else {
		hash()
		if ok, err := r.checkSubject(); err != nil {
			return nil, err
		} else if !ok {
			return res, nil
		}
	}

	dctx, cancel := ctx, context.CancelFunc(func() {})
	if rb.timeout > 0 {
		dctx, cancel = context.WithTimeoutCause(ctx, rb.timeout, errRebuildTimeout)
	}
	defer cancel()
	err = r.do(dctx)
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
	return res, nil
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

	hash        chan hashResult // the artifact's sha256, once
	subjectDone bool
	subjectOK   bool
	hashErr     error
}

type hashResult struct {
	sum string
	err error
}

// hashReady reports whether the artifact's digest is known.
func (r *run) hashReady() bool {
	return r.subjectDone || len(r.hash) > 0
}

// checkSubject waits for the artifact's digest and finds the recipe and
// subject that attest it. If none does, the result becomes a MISMATCH on
// the subject alone, replacing any phase run meanwhile. The error is the
// artifact's read error (no verdict).
func (r *run) checkSubject() (bool, error) {
	if r.subjectDone {
		return r.subjectOK, r.hashErr
	}
	r.subjectDone = true
	h := <-r.hash
	if h.err != nil {
		r.hashErr = h.err
		return false, h.err
	}
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
	if err := rec.Validate(); err != nil {
		return r.skip(ctx, PhaseToolchain, err, CodeRecipeUnsupported)
	}

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

	if err := os.MkdirAll(rb.workRoot(), 0o755); err != nil {
		return fmt.Errorf("creating work dir: %w", err)
	}
	ws, err := os.MkdirTemp(rb.workRoot(), "rebuild-")
	if err != nil {
		return fmt.Errorf("creating work dir: %w", err)
	}
	r.ws = ws
	defer os.RemoveAll(ws)

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
	r.source = src
	if !isGitURL(src) {
		if abs, err := filepath.Abs(src); err == nil {
			r.source = abs
		}
	}

	// The sandbox is set up while the source and the dependencies are
	// fetched; its mounts are the directories those phases fill.
	log := &tailBuffer{limit: sandboxOutput}
	in, sb, err := r.prepareSandbox(ctx, tc, log)
	if err != nil {
		return err
	}
	defer sb.abort()

	var co *checkout
	d, err = r.timed(PhaseSource, func() error {
		var err error
		co, err = newGit(rb.log).clone(ctx, src, rec.Source.Commit, r.checkoutDir(), ws, !rb.offline)
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseSource, err, CodeSourceUnavailable)
	}
	r.phase(PhaseSource, PhasePass, fmt.Sprintf("%s commit %s (%s)", rec.Source.URI, rec.Source.ShortCommit(), co.CommitTime.Format(time.RFC3339)), d)

	var ndeps int
	d, err = r.timed(PhaseDependencies, func() error {
		var err error
		ndeps, err = r.fetchDependencies(ctx, tc, co)
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseDependencies, err, CodeDependenciesUnavailable)
	}
	detail := "none needed"
	if ndeps > 0 {
		detail = fmt.Sprintf("downloaded for %d module%s into the private module cache", ndeps, plural(ndeps))
	}
	r.phase(PhaseDependencies, PhasePass, detail, d)

	// The subject is checked as soon as the digest is known: here if the
	// hash is done (an artifact that is no subject is not built), else
	// after the build, which the hash then runs beside.
	if r.hashReady() {
		if ok, err := r.checkSubject(); err != nil || !ok {
			return err
		}
	}
	var status *sandboxStatus
	d, err = r.timed(PhaseBuild, func() error {
		var err error
		status, err = r.build(ctx, tc, co, in, sb, log)
		return err
	})
	if err != nil {
		if errors.Is(err, errSandboxUnavailable) {
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
	method := "sandbox " + SandboxNamespaces + " (" + strings.Join(sandboxNamespaces, ",") + ")"
	if !r.res.Sandbox.Hermetic {
		method = "NOT HERMETIC: no sandbox, cleared environment only"
	}
	r.phase(PhaseBuild, PhasePass, fmt.Sprintf("%d step%s in %s", len(rec.Steps), plural(len(rec.Steps)), method), d)

	if ok, err := r.checkSubject(); err != nil || !ok {
		return err
	}
	return r.compare(ctx, co)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fetchDependencies downloads the modules of every module a step builds
// into the private module cache, with the recipe's toolchain, through the
// configured proxy and checksum database. Modules with a committed vendor
// directory need nothing. The checkout is reset afterwards, so the build
// sees exactly the commit.
func (r *run) fetchDependencies(ctx context.Context, tc *Toolchain, co *checkout) (int, error) {
	seen := map[string]bool{}
	var dirs []string
	for _, st := range r.res.Recipe.Steps {
		dir := filepath.Join(co.Dir, filepath.FromSlash(st.Dir))
		for d := dir; within(d, co.Dir); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				if !seen[d] {
					seen[d] = true
					dirs = append(dirs, d)
				}
				break
			}
			if d == co.Dir {
				break
			}
		}
	}
	n := 0
	home := filepath.Join(r.ws, "fetch-home")
	for _, d := range dirs {
		if err := confined(co.Dir, d); err != nil {
			return n, err
		}
		need, err := needsDownload(d)
		if err != nil {
			return n, reason.Wrap(err, reason.InputMalformed, "the source's go.mod is not valid", "reading go.mod in %s", relTo(co.Dir, d))
		}
		if !need {
			continue
		}
		env := []string{
			"GOMODCACHE=" + r.rb.modCache(),
			"GOPROXY=" + r.rb.goproxy,
			"GOSUMDB=" + r.rb.gosumdb,
			"GOFLAGS=-modcacherw",
			"GOTOOLCHAIN=local",
			"GOENV=off",
			"GOWORK=off", // a go.work in the source could use directories of this machine
			"GONOSUMDB=", "GONOSUMCHECK=", "GOPRIVATE=", "GOINSECURE=",
			"HOME=" + home,
			"GOPATH=" + filepath.Join(home, "gopath"),
			"GOCACHE=" + r.rb.buildCache(tc, r.source),
		}
		env = append(env, proxyEnv()...)
		if _, err := runGo(ctx, filepath.Join(tc.GOROOT, "bin", "go"), d, env, "mod", "download"); err != nil {
			return n, reason.Wrap(err, CodeDependenciesUnavailable,
				"check that the module proxy is reachable and the source's go.sum is complete, or fill the module cache before going offline",
				"downloading modules for %s", relTo(co.Dir, d))
		}
		n++
	}
	if n > 0 {
		g := newGit(r.rb.log)
		if _, err := g.output(ctx, co.Dir, "reset", "--quiet", "--hard", "HEAD"); err != nil {
			return n, fmt.Errorf("resetting checkout after download: %w", err)
		}
		if _, err := g.output(ctx, co.Dir, "clean", "-q", "-f", "-d", "-x"); err != nil {
			return n, fmt.Errorf("cleaning checkout after download: %w", err)
		}
	}
	return n, nil
}

// confined checks that the module directory d, which the fetch phase runs
// the go command in on this machine, is inside the checkout once symlinks
// are resolved, and that its module files are no symlinks: the source
// could otherwise point the download (and its go.sum writes) at a
// project of the caller.
func confined(checkout, d string) error {
	refuse := func(format string, args ...any) error {
		return reason.New(CodeRecipeUnsupported, "the source points out of its checkout with symlinks; sovcheck does not follow them",
			format, args...)
	}
	base, err := filepath.EvalSymlinks(checkout)
	if err != nil {
		return fmt.Errorf("resolving checkout: %w", err)
	}
	real, err := filepath.EvalSymlinks(d)
	if err != nil || !within(real, base) {
		return refuse("module directory %s leads out of the checkout", relTo(checkout, d))
	}
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
		if fi, err := os.Lstat(filepath.Join(d, f)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return refuse("%s in %s is a symlink", f, relTo(checkout, d))
		}
	}
	return nil
}

func relTo(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// needsDownload reports whether the module in dir requires other modules
// and has no committed vendor directory.
func needsDownload(dir string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false, err
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return false, err
	}
	if len(mf.Require) == 0 {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil {
		return false, nil
	}
	return true, nil
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

// checkoutDir is where the clone goes on the host: in a work dir of its
// own, named like the checkout in the sandbox, so that the work dir can be
// mounted as the checkout's parent (see shareParent).
func (r *run) checkoutDir() string {
	return filepath.Join(r.ws, "build", path.Base(sandboxCheckout(r.res.Recipe)))
}

// prepareSandbox creates the sandbox's directories and starts setting it
// up; the checkout directory is still empty, and the clone fills it.
func (r *run) prepareSandbox(ctx context.Context, tc *Toolchain, log io.Writer) (layout, *preparedSandbox, error) {
	rb, rec := r.rb, r.res.Recipe
	in := layout{
		checkout: sandboxCheckout(rec), goroot: rec.GOROOT,
		home: sbHome, tmp: sbTmp, gopath: sbGopath, modcache: sbModCache, gocache: sbGocache,
	}
	if in.goroot == "" {
		in.goroot = sbGorootDflt
	}
	gocache := rb.buildCache(tc, r.source)
	root := filepath.Join(r.ws, "root")
	dirs := []string{gocache, rb.modCache(), root, r.checkoutDir()}
	share := shareParent(in)
	if share {
		in.gotmp = path.Join(path.Dir(in.checkout), goTmpName)
		dirs = append(dirs, filepath.Join(filepath.Dir(r.checkoutDir()), goTmpName))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return in, nil, fmt.Errorf("creating build dirs: %w", err)
		}
	}
	mounts := []sandboxMount{
		{Source: tc.GOROOT, Target: in.goroot},
		{Target: sbHome},
		{Target: sbGopath},
		{Source: rb.modCache(), Target: sbModCache},
		{Source: gocache, Target: sbGocache, Writable: true},
	}
	// With the work dir as the checkout's parent, the go command's
	// temporary directory is beside the checkout. compare opens the
	// checkout below the work dir without following symlinks, since the
	// build may rename anything in it.
	if share {
		mounts = append(mounts, sandboxMount{Source: filepath.Dir(r.checkoutDir()), Target: path.Dir(in.checkout), Writable: true})
	} else {
		mounts = append(mounts, sandboxMount{Source: r.checkoutDir(), Target: in.checkout, Writable: true})
	}
	spec := &sandboxSpec{
		Root:     root,
		Mounts:   mounts,
		Files:    []sandboxFile{{Path: path.Join(sbHome, telemetryOff.Path), Content: telemetryOff.Content}},
		Checkout: in.checkout,
		Output:   rec.Output,
	}
	return in, rb.sandbox(ctx, spec, log), nil
}

// build runs the recipe's steps in the prepared sandbox or, if that is
// unavailable and the caller allowed it, directly with a cleared
// environment.
func (r *run) build(ctx context.Context, tc *Toolchain, co *checkout, in layout, sb *preparedSandbox, log io.Writer) (*sandboxStatus, error) {
	rb, rec := r.rb, r.res.Recipe
	status, err := sb.run(sandboxSteps(in, rec, co))
	if err == nil {
		r.res.Sandbox = SandboxInfo{Method: SandboxNamespaces, Hermetic: true, Namespaces: sandboxNamespaces}
		return status, nil
	}
	if !errors.Is(err, errSandboxUnavailable) || !rb.allowUnsandboxed {
		return nil, err
	}
	rb.log.Warn("build sandbox unavailable; rebuilding without it", "artifact", r.res.Artifact, "err", err)
	r.res.Sandbox = SandboxInfo{Method: SandboxNone, Hermetic: false}
	host := layout{
		checkout: co.Dir, goroot: tc.GOROOT,
		home: filepath.Join(r.ws, "home"), tmp: filepath.Join(r.ws, "tmp"), gopath: filepath.Join(r.ws, "gopath"),
		modcache: rb.modCache(), gocache: rb.buildCache(tc, r.source),
	}
	for _, d := range []string{host.home, host.tmp, host.gopath} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating build dir: %w", err)
		}
	}
	mode := filepath.Join(host.home, filepath.FromSlash(telemetryOff.Path))
	if err := os.MkdirAll(filepath.Dir(mode), 0o755); err != nil {
		return nil, fmt.Errorf("creating build dir: %w", err)
	}
	if err := os.WriteFile(mode, []byte(telemetryOff.Content), 0o644); err != nil {
		return nil, fmt.Errorf("creating build dir: %w", err)
	}
	return runUnsandboxed(ctx, sandboxSteps(host, rec, co), co.Dir, rec.Output, log), nil
}

// sandboxSteps turns the recipe's steps into commands for a layout. The go
// command is always the recipe's toolchain, wherever the original build had
// it.
func sandboxSteps(l layout, rec *Recipe, co *checkout) []sandboxStep {
	var steps []sandboxStep
	for _, st := range rec.Steps {
		argv := append([]string{path.Join(l.goroot, "bin", "go")}, st.Command[1:]...)
		steps = append(steps, sandboxStep{
			Argv: argv,
			Dir:  path.Join(l.checkout, st.Dir),
			Env:  stepEnv(l, st, co.CommitTime.Unix()),
		})
	}
	return steps
}

// runUnsandboxed runs the steps directly: cleared environment, private
// directories, but the machine's file system and network.
func runUnsandboxed(ctx context.Context, steps []sandboxStep, checkout, output string, log io.Writer) *sandboxStatus {
	st := &sandboxStatus{}
steps:
	for i, s := range steps {
		preexisted, err := checkStep(checkout, s.Dir, output, i == len(steps)-1)
		if preexisted {
			st.OutputPreexisted = true
			break
		}
		if err != nil {
			st.Steps = append(st.Steps, stepStatus{ExitCode: -1, Error: err.Error()})
			break
		}
		cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = s.Dir, s.Env, log, log
		// A process group of its own, killed whole when the step ends:
		// nothing the step started outlives it.
		cmd.SysProcAttr = stepProcAttr()
		cmd.Cancel = func() error { return killGroup(cmd) }
		err = cmd.Run()
		_ = killGroup(cmd)
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			st.Steps = append(st.Steps, stepStatus{})
			continue
		case errors.As(err, &exitErr):
			st.Steps = append(st.Steps, stepStatus{ExitCode: exitErr.ExitCode(), Error: exitErr.Error()})
		default:
			st.Steps = append(st.Steps, stepStatus{ExitCode: -1, Error: err.Error()})
		}
		break steps
	}
	return st
}

// compare hashes the rebuilt output and, on a difference, explains it.
func (r *run) compare(ctx context.Context, co *checkout) error {
	rec := r.res.Recipe
	work, err := os.OpenRoot(filepath.Dir(co.Dir))
	if err != nil {
		return fmt.Errorf("opening work dir: %w", err)
	}
	defer work.Close()
	root, err := work.OpenRoot(filepath.Base(co.Dir))
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
	name := filepath.FromSlash(rec.Output)
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
	if err := copyFromRoot(root, filepath.FromSlash(rec.Output), rebuilt); err != nil {
		return fmt.Errorf("keeping rebuilt output: %w", err)
	}
	causes := explainWith(r.req.Artifact, rebuilt, ldflagsXSymbols(rec))
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
	}
	return "the metadata sovcheck reads does not name the cause; rebuild locally and compare the files"
}
