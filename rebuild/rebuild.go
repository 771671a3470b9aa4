package rebuild

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sandbox"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

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
		why := reason.New(reason.RebuildTimeout, "allow more time with --timeout (--rebuild-timeout for verify), or find out why the build hangs",
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
	res.Reason = &reason.Error{Code: reason.SourceIncomplete,
		Msg: fmt.Sprintf("the source lacks %d object%s of commit %s (%s); the rebuild did not match (%s), which is no evidence about the artifact",
			res.SourceMissingCount, plural(res.SourceMissingCount), res.Recipe.Source.ShortCommit(), strings.Join(res.SourceMissing, ", "), was),
		Hint: hintFor(reason.SourceIncomplete)}
}

func buildTypeName(bt string) string {
	switch bt {
	case vocab.BuildTypeGoBuilder:
		return "SLSA Go builder recipe"
	case vocab.BuildTypeSovcheckGo:
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

// do runs the phases of one rebuild: the fetch phase (toolchain, source,
// dependencies) here, then buildAndCompare. A phase that cannot be done
// ends the result as SKIP; the error is for no verdict at all.
func (r *run) do(ctx context.Context) error {
	rb, rec := r.rb, r.res.Recipe
	if rec.Refused != nil {
		return r.skip(ctx, PhaseRecipe, rec.Refused, reason.RecipeUnsupported)
	}
	if err := rec.Validate(); err != nil {
		return r.skip(ctx, PhaseRecipe, err, reason.RecipeUnsupported)
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
		return r.skip(ctx, PhaseToolchain, err, reason.ToolchainUnavailable)
	}
	r.res.Toolchain = tc
	r.phase(PhaseToolchain, PhasePass, tc.Version+" ("+tc.Origin+")", d)

	src := r.req.Source
	if src == "" {
		// Only a remote repository may come from the provenance: a local
		// path or file:// URL there would let a recipe pick any repository
		// on this machine.
		if !isRemoteGitURL(rec.Source.URI) {
			return r.skip(ctx, PhaseSource, reason.New(reason.SourceUnavailable, "give the source with --source DIR or URL",
				"recipe source %q is not a remote git URL", rec.Source.URI), reason.SourceUnavailable)
		}
		src = rec.Source.URI
	}
	var snap *snapshot
	d, err = r.timed(PhaseSource, func() error {
		s, err := openSource(src, ws)
		if err != nil {
			return reason.Wrap(err, reason.SourceUnavailable, "give --source a git checkout (or URL) of the recipe's repository", "opening the source")
		}
		r.source = s.loc
		snap, err = r.snapshot(ctx, s, path.Base(sandboxCheckout(rec)))
		return err
	})
	if err != nil {
		return r.skip(ctx, PhaseSource, err, reason.SourceUnavailable)
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
		return r.skip(ctx, PhaseDependencies, err, reason.DependenciesUnavailable)
	}
	detail = "none needed"
	if ndeps > 0 {
		detail = fmt.Sprintf("of %d module%s, in the private module cache", ndeps, plural(ndeps))
	}
	r.phase(PhaseDependencies, PhasePass, detail, d)

	return r.buildAndCompare(ctx, tc, snap, sb, log)
}

// buildAndCompare is the build phase of a rebuild whose toolchain, source
// and dependencies are ready: it sets up the sandbox, runs the recipe's
// steps and compares the output with the attested digest.
func (r *run) buildAndCompare(ctx context.Context, tc *Toolchain, snap *snapshot, sb *sandbox.Sandbox, log *tailBuffer) error {
	rb, rec := r.rb, r.res.Recipe
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
	d, err := r.timed(PhaseBuild, func() error {
		var err error
		status, checkoutDir, err = r.build(ctx, tc, snap, sb, in, checkoutDir, overlay, log)
		return err
	})
	if err != nil {
		if errors.Is(err, sandbox.ErrUnavailable) {
			return r.skip(ctx, PhaseBuild, reason.Wrap(err, reason.SandboxUnavailable,
				"run where unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0), or allow an unsandboxed rebuild explicitly",
				"setting up the build sandbox"), reason.SandboxUnavailable)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("running build: %w", err)
	}
	r.res.BuildLog = ""
	if status.OutputPreexisted {
		why := reason.New(reason.OutputPreexists, "remove the built file from the source, or the step that writes it before the build",
			"%s existed before the last build step (committed to the source or written by an earlier step), so the rebuild would not prove its bytes", rec.Output)
		r.phase(PhaseBuild, PhaseFail, why.Msg, d)
		r.finish(StatusMismatch, why)
		return nil
	}
	for i, st := range status.Steps {
		if st.ExitCode != 0 || st.Error != "" {
			r.res.BuildLog = log.String()
			why := reason.New(reason.BuildFailed, "the recipe does not build as recorded; read the build log, and check that the source and toolchain are the ones the publisher used",
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
