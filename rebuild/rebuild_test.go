package rebuild

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sandbox"
)

// phaseLog is a result's phases and reason, one per line.
func phaseLog(res *Result) string {
	var b strings.Builder
	for _, p := range res.Phases {
		fmt.Fprintf(&b, "%s %s %s\n", p.Status, p.Name, p.Detail)
	}
	if res.Reason != nil {
		fmt.Fprintf(&b, "reason: %s\n", res.Reason.Error())
	}
	return b.String()
}

func wantStatus(t *testing.T, res *Result, st Status, code string) {
	t.Helper()
	if res.Status != st {
		t.Fatalf("status = %s, want %s\n%s\nbuild log:\n%s", res.Status, st, phaseLog(res), res.BuildLog)
	}
	got := ""
	if res.Reason != nil {
		got = res.Reason.Code
	}
	if got != code {
		t.Fatalf("reason = %q, want %q\n%s", got, code, phaseLog(res))
	}
	if st != StatusMatch && (res.Reason == nil || res.Reason.Hint == "") {
		t.Fatalf("a %s result has no hint\n%s", st, phaseLog(res))
	}
}

// TestRebuildGoBuilder replays Go builder provenance for a binary the
// fixture's publisher built: the honest provenance matches, and each way of
// lying in it is caught with the right cause.
func TestRebuildGoBuilder(t *testing.T) {
	f := getFixture(t)
	rb := newTestRebuilder(t, f)

	t.Run("match", func(t *testing.T) {
		res := rebuildOK(t, rb, Request{Artifact: f.published, Name: fxBinary, Recipes: f.provenance().recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMatch, "")
		if sandboxAvailable(t) && (!res.Hermetic() || res.Sandbox.Method != SandboxNamespaces) {
			t.Errorf("sandbox = %+v, want hermetic namespaces", res.Sandbox)
		}
		if res.Toolchain.Origin != ToolchainFromHost || res.Toolchain.Version != f.goVersion {
			t.Errorf("toolchain = %+v, want the host's %s", res.Toolchain, f.goVersion)
		}
		if res.RebuiltSHA256 != f.pubSHA {
			t.Errorf("rebuilt sha256 = %s, want %s", res.RebuiltSHA256, f.pubSHA)
		}
		// The published binary is stamped as the Go builder's are: a real
		// checkout, modified by the untracked vendor/ of `go mod vendor`.
		bi, err := buildinfo.ReadFile(f.published)
		if err != nil {
			t.Fatal(err)
		}
		if !hasSetting(bi, "vcs.modified", "true") || !hasSetting(bi, "vcs.revision", f.commit1) {
			t.Errorf("published binary's VCS stamp = %v, want revision %s modified", bi.Settings, f.commit1)
		}
		var names []string
		for _, p := range res.Phases {
			if p.Status != PhasePass {
				t.Errorf("phase %s = %s, want PASS", p.Name, p.Status)
			}
			names = append(names, p.Name)
		}
		if got := strings.Join(names, ","); got != "subject,toolchain,source,dependencies,build,compare" {
			t.Errorf("phases = %s", got)
		}
	})

	t.Run("source from a git URL", func(t *testing.T) {
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: "file://" + f.repo})
		wantStatus(t, res, StatusMatch, "")
	})

	t.Run("ldflags", func(t *testing.T) {
		p := f.provenance()
		p.ldflags = "-ldflags=-X main.version=1.1"
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMismatch, reason.LdflagsMismatch)
		// -trimpath builds do not record -ldflags in their build info, so
		// the cause comes from the variable itself.
		if res.Reason.Got != "1.1" || res.Reason.Want != "1.0" || !strings.Contains(res.Reason.Msg, "-X main.version") {
			t.Errorf("reason = %q got/want = %q/%q", res.Reason.Msg, res.Reason.Got, res.Reason.Want)
		}
	})

	t.Run("commit", func(t *testing.T) {
		p := f.provenance()
		p.commit = f.commit2
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMismatch, reason.VCSStampMismatch)
		if res.Reason.Got != f.commit2 || res.Reason.Want != f.commit1 {
			t.Errorf("reason got/want = %q/%q, want the two commits", res.Reason.Got, res.Reason.Want)
		}
		for _, c := range res.Causes {
			if c.Code != reason.VCSStampMismatch {
				t.Errorf("unexpected cause %+v for a README-only commit", c)
			}
		}
	})

	t.Run("published by another Go", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), fxBinary)
		data, err := os.ReadFile(f.published)
		if err != nil {
			t.Fatal(err)
		}
		patched := patchGoVersion(t, data, f.goVersion, otherGoVersion(f.goVersion))
		if err := os.WriteFile(other, patched, 0o755); err != nil {
			t.Fatal(err)
		}
		p := f.provenance()
		p.subject = sha256Hex(patched)
		res := rebuildOK(t, rb, Request{Artifact: other, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMismatch, reason.GoVersionMismatch)
		if res.Reason.Got != f.goVersion || res.Reason.Want != otherGoVersion(f.goVersion) {
			t.Errorf("reason got/want = %q/%q", res.Reason.Got, res.Reason.Want)
		}
	})

	t.Run("go version in provenance unavailable", func(t *testing.T) {
		offline := newTestRebuilder(t, f, WithOffline())
		p := f.provenance()
		p.goVersion = strings.TrimPrefix(otherGoVersion(f.goVersion), "go")
		res := rebuildOK(t, offline, Request{Artifact: f.published, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusSkip, reason.ToolchainUnavailable)
		if res.RebuiltSHA256 != "" {
			t.Error("a skipped rebuild has a rebuilt digest")
		}
	})

	t.Run("artifact not attested", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other")
		if err := os.WriteFile(other, []byte("not the artifact"), 0o644); err != nil {
			t.Fatal(err)
		}
		res := rebuildOK(t, rb, Request{Artifact: other, Recipes: f.provenance().recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMismatch, reason.SubjectMismatch)
		if len(res.Phases) != 1 || res.Phases[0].Name != PhaseSubject || res.RebuiltSHA256 != "" || res.Recipe != nil {
			t.Errorf("a subject mismatch built or kept other phases: %+v", res.Phases)
		}

		// The artifact is hashed while the rebuild gets going; what failed
		// meanwhile (here the source) does not hide that the artifact is
		// not attested.
		res = rebuildOK(t, rb, Request{Artifact: other, Recipes: f.provenance().recipes(t), Source: t.TempDir()})
		wantStatus(t, res, StatusMismatch, reason.SubjectMismatch)
		if len(res.Phases) != 1 || res.Toolchain != nil {
			t.Errorf("a subject mismatch kept what ran meanwhile: %+v", res)
		}
	})

	t.Run("artifact unreadable", func(t *testing.T) {
		_, err := rb.Rebuild(context.Background(), Request{Artifact: filepath.Join(t.TempDir(), "missing"), Recipes: f.provenance().recipes(t), Source: f.repo})
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Rebuild of a missing artifact = %v, want no verdict", err)
		}
	})

	t.Run("commit not in source", func(t *testing.T) {
		p := f.provenance()
		p.commit = strings.Repeat("ab", 20)
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusSkip, reason.SourceUnavailable)
	})

	t.Run("source not a checkout", func(t *testing.T) {
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: t.TempDir()})
		wantStatus(t, res, StatusSkip, reason.SourceUnavailable)
	})

	t.Run("build fails", func(t *testing.T) {
		p := f.provenance()
		gobin := "/opt/hostedtoolcache/go/" + p.goVersion + "/x64/bin/go"
		p.build = []string{gobin, "build", "-mod=vendor", "-o", fxBinary, "./nonexistent"}
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: p.recipes(t), Source: f.repo})
		wantStatus(t, res, StatusMismatch, reason.BuildFailed)
		if !strings.Contains(res.BuildLog, "nonexistent") {
			t.Errorf("build log does not show the failure:\n%s", res.BuildLog)
		}
	})

	t.Run("output not what the build writes", func(t *testing.T) {
		// A recipe that names another output than its go build's -o
		// would compare a file the build did not write.
		p := f.provenance()
		gobin := "/opt/hostedtoolcache/go/" + p.goVersion + "/x64/bin/go"
		p.build = []string{gobin, "build", "-mod=vendor", "-trimpath", "-o", "elsewhere/" + fxBinary}
		recs := p.recipes(t)
		recs[0].Output = fxBinary
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: recs, Source: f.repo})
		wantStatus(t, res, StatusSkip, reason.RecipeUnsupported)
	})

	t.Run("no recipe", func(t *testing.T) {
		_, err := rb.Rebuild(context.Background(), Request{Artifact: f.published})
		if reason.CodeOf(err, "") != reason.EvidenceMissing {
			t.Fatalf("err = %v, want %s", err, reason.EvidenceMissing)
		}
	})

	t.Run("artifact unreadable", func(t *testing.T) {
		_, err := rb.Rebuild(context.Background(), Request{Artifact: filepath.Join(t.TempDir(), "missing"), Recipes: f.provenance().recipes(t)})
		if reason.CodeOf(err, "") != reason.InputUnreadable {
			t.Fatalf("err = %v, want %s", err, reason.InputUnreadable)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := rb.Rebuild(ctx, Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// TestRebuildWithoutSandbox covers machines where the namespaces cannot be
// created: SKIP by default, a non-hermetic MATCH only when allowed.
func TestRebuildWithoutSandbox(t *testing.T) {
	f := getFixture(t)
	unavailable := func(context.Context, io.Writer) *sandbox.Sandbox {
		return sandbox.Unavailable(errors.New("creating namespaces: operation not permitted"))
	}
	req := Request{Artifact: f.published, Recipes: f.provenance().recipes(t), Source: f.repo}

	rb := newTestRebuilder(t, f)
	rb.sandbox = unavailable
	res := rebuildOK(t, rb, req)
	wantStatus(t, res, StatusSkip, reason.SandboxUnavailable)
	if res.Hermetic() {
		t.Error("a skipped rebuild says hermetic")
	}

	rb = newTestRebuilder(t, f, WithUnsandboxedFallbackUnsafe())
	rb.sandbox = unavailable
	res = rebuildOK(t, rb, req)
	wantStatus(t, res, StatusMatch, "")
	if res.Hermetic() || res.Sandbox.Method != SandboxNone {
		t.Errorf("sandbox = %+v, want not hermetic", res.Sandbox)
	}
	if log := phaseLog(res); !strings.Contains(log, "NOT HERMETIC") {
		t.Errorf("build phase does not say the match is not hermetic:\n%s", log)
	}
}

// TestRebuildAllParallel rebuilds several artifacts at once; results keep
// the order of the requests.
func TestRebuildAllParallel(t *testing.T) {
	f := getFixture(t)
	var mu sync.Mutex
	var events []Progress
	rb := newTestRebuilder(t, f, WithProgress(func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, p)
	}))
	bad := f.provenance()
	bad.ldflags = "-ldflags=-X main.version=2"
	reqs := []Request{
		{Artifact: f.published, Name: "a", Recipes: f.provenance().recipes(t), Source: f.repo},
		{Artifact: f.published, Name: "b", Recipes: bad.recipes(t), Source: f.repo},
		{Artifact: filepath.Join(t.TempDir(), "missing"), Name: "c", Recipes: bad.recipes(t), Source: f.repo},
	}
	results, errs := rb.RebuildAll(context.Background(), reqs, 2)
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errs = %v", errs)
	}
	if results[0].Artifact != "a" || results[0].Status != StatusMatch {
		t.Errorf("results[0] = %s %s", results[0].Artifact, results[0].Status)
	}
	if results[1].Artifact != "b" || results[1].Status != StatusMismatch {
		t.Errorf("results[1] = %s %s", results[1].Artifact, results[1].Status)
	}
	starts, ends := 0, 0
	for _, e := range events {
		if e.Done {
			ends++
		} else {
			starts++
		}
	}
	if starts == 0 || starts != ends {
		t.Errorf("progress: %d starts, %d ends", starts, ends)
	}
}

// TestSovcheckRecipe writes sovcheck's own recipe from a local build and
// replays it.
func TestSovcheckRecipe(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	local := filepath.Join(t.TempDir(), "tool")
	env := gitEnvAt(f.commitTime)
	if _, err := runCmd("", env, "git", "clone", "-q", f.repo, local); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(local, env, "git", "checkout", "-q", "--detach", f.commit2); err != nil {
		t.Fatal(err)
	}
	goEnv := []string{
		"HOME=" + t.TempDir(), "GOCACHE=" + (&Rebuilder{config: config{cacheDir: f.cache}}).buildCache(&Toolchain{Version: f.goVersion}, f.repo),
		"GOMODCACHE=" + filepath.Join(t.TempDir(), "mod"), "GOFLAGS=-modcacherw",
		"GOPROXY=" + f.proxy, "GOSUMDB=off", "GOTOOLCHAIN=local", "GOENV=off", "CGO_ENABLED=0",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	}
	command := []string{"go", "build", "-trimpath", "-o", "bin/tool", "."}
	if _, err := runCmd(local, goEnv, command[0], command[1:]...); err != nil {
		t.Fatal(err)
	}
	spec := RecipeSpec{SourceDir: local, SourceURI: fxRepoURI, Command: command, Env: []string{"CGO_ENABLED=0"}, Artifact: filepath.Join(local, "bin", "tool")}
	stmt, rec, err := NewRecipeStatement(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Toolchain != f.goVersion || rec.Source.Commit != f.commit2 || rec.Output != "bin/tool" {
		t.Fatalf("recipe = %+v", rec)
	}
	// The statement records where the build ran; a checkout under /tmp
	// cannot be recreated in the sandbox, so the replay uses its default.
	if !bytes.Contains(stmt, []byte(`"checkoutDir": "`+local+`"`)) || rec.CheckoutDir != "" {
		t.Fatalf("checkout dir: recipe has %q, statement:\n%s", rec.CheckoutDir, stmt)
	}
	recs, err := ReadRecipes(bytes.NewReader(stmt))
	if err != nil {
		t.Fatalf("reading the written recipe: %v", err)
	}
	rb := newTestRebuilder(t, f)
	res := rebuildOK(t, rb, Request{Artifact: spec.Artifact, Recipes: recs, Source: f.repo})
	wantStatus(t, res, StatusMatch, "")

	t.Run("dirty checkout refused", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(local, "README"), []byte("changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer runCmd(local, env, "git", "checkout", "--", "README")
		_, _, err := NewRecipeStatement(ctx, spec)
		if reason.CodeOf(err, "") != reason.SourceUnavailable {
			t.Fatalf("err = %v, want %s", err, reason.SourceUnavailable)
		}
	})
	t.Run("command refused", func(t *testing.T) {
		bad := spec
		bad.Command = []string{"go", "run", "."}
		_, _, err := NewRecipeStatement(ctx, bad)
		if reason.CodeOf(err, "") != reason.RecipeUnsupported {
			t.Fatalf("err = %v, want %s", err, reason.RecipeUnsupported)
		}
	})
	t.Run("artifact outside checkout", func(t *testing.T) {
		bad := spec
		bad.Artifact = f.published
		_, _, err := NewRecipeStatement(ctx, bad)
		if reason.CodeOf(err, "") != reason.InputMalformed {
			t.Fatalf("err = %v, want %s", err, reason.InputMalformed)
		}
	})
	t.Run("not a Go binary", func(t *testing.T) {
		bad := spec
		bad.Artifact = filepath.Join(local, "README")
		_, _, err := NewRecipeStatement(ctx, bad)
		if reason.CodeOf(err, "") != reason.InputMalformed {
			t.Fatalf("err = %v, want %s", err, reason.InputMalformed)
		}
	})
}

// otherGoVersion is a Go version that is not the machine's.
func otherGoVersion(v string) string {
	if strings.HasSuffix(v, ".7") {
		return strings.TrimSuffix(v, ".7") + ".6"
	}
	i := strings.LastIndexByte(v, '.')
	return v[:i] + ".7"
}

// patchGoVersion rewrites the Go version in a binary's build info blob, as
// if another toolchain had built it.
func patchGoVersion(t *testing.T, data []byte, from, to string) []byte {
	t.Helper()
	if len(from) != len(to) {
		t.Fatalf("cannot patch %s to %s: lengths differ", from, to)
	}
	out := bytes.Clone(data)
	magic := bytes.Index(out, []byte("\xff Go buildinf:"))
	if magic < 0 {
		t.Fatal("no build info in binary")
	}
	i := bytes.Index(out[magic:], []byte(from))
	if i < 0 {
		t.Fatal("no Go version in build info")
	}
	copy(out[magic+i:], to)
	return out
}

// TestRebuildRefusesLocalSourceFromRecipe: without --source, only a remote
// repository named by the provenance is fetched, never a local path.
func TestRebuildRefusesLocalSourceFromRecipe(t *testing.T) {
	f := getFixture(t)
	rb := newTestRebuilder(t, f, WithOffline())
	for _, uri := range []string{f.repo, "file://" + f.repo} {
		recs := f.provenance().recipes(t)
		recs[0].Source.URI = uri
		res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: recs})
		wantStatus(t, res, StatusSkip, reason.SourceUnavailable)
	}
	res := rebuildOK(t, rb, Request{Artifact: f.published, Recipes: f.provenance().recipes(t)})
	wantStatus(t, res, StatusSkip, reason.SourceUnavailable)
	if !strings.Contains(res.Reason.Msg, "offline") {
		t.Errorf("reason = %v, want the offline refusal", res.Reason)
	}
}

// TestStepEnv: the build environment is built from scratch; the recipe's
// variables come last and nothing of the caller's environment is in it.
func TestStepEnv(t *testing.T) {
	t.Setenv("SOVCHECK_CALLER_SECRET", "leak")
	l := layout{checkout: "/src", goroot: "/go", home: "/h", tmp: "/tmp", gopath: "/gp", modcache: "/gp/pkg/mod", gocache: "/gc"}
	env := stepEnv(l, Step{Env: []string{"GOOS=linux", "CGO_ENABLED=0"}}, 1735689600)
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	want := map[string]string{
		"PATH": "/go/bin:/usr/local/bin:/usr/bin:/bin", "HOME": "/h", "TMPDIR": "/tmp", "GOPATH": "/gp", "GOMODCACHE": "/gp/pkg/mod",
		"GOCACHE": "/gc", "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOENV": "off", "TZ": "UTC", "LC_ALL": "C", "LANG": "C",
		"SOURCE_DATE_EPOCH": "1735689600", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GOOS": "linux", "CGO_ENABLED": "0",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("environment has %d variables, want %d: %q", len(got), len(want), env)
	}
	if !sort.StringsAreSorted(env) {
		t.Error("environment is not sorted")
	}

	// With the go command's temporary directory beside the checkout, and
	// only then, GOTMPDIR names it.
	l.gotmp = "/w/.sovcheck-gotmp"
	if env := stepEnv(l, Step{}, 0); !slices.Contains(env, "GOTMPDIR=/w/.sovcheck-gotmp") {
		t.Errorf("GOTMPDIR missing: %q", env)
	}
	for _, kv := range stepEnv(layout{}, Step{}, 0) {
		if strings.HasPrefix(kv, "GOTMPDIR=") {
			t.Errorf("GOTMPDIR set without a directory: %q", kv)
		}
	}
}

// TestShareParent: the checkout's parent becomes the work dir's mount only
// where it is no system directory and meets no other mount.
func TestShareParent(t *testing.T) {
	base := layout{goroot: sbGorootDflt, home: sbHome, tmp: sbTmp, gopath: sbGopath, modcache: sbModCache, gocache: sbGocache}
	for _, tc := range []struct {
		checkout string
		goroot   string
		want     bool
	}{
		{sbSrcDefault, "", true},
		{"/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__", "/opt/hostedtoolcache/go/1.21.13/x64", true},
		{"/src", "", false},                // the parent would be /
		{"/sovcheck/src", "", false},       // the parent holds the sandbox's own mounts
		{"/work/src", "/work/go", false},   // the parent holds GOROOT
		{"/usr/src/tool", "", false},       // a system directory
		{"/build/" + goTmpName, "", false}, // the checkout would be the temp dir
		{"/build/tool", "/opt/go", true},
	} {
		l := base
		l.checkout = tc.checkout
		if tc.goroot != "" {
			l.goroot = tc.goroot
		}
		if got := shareParent(l); got != tc.want {
			t.Errorf("shareParent(%s, goroot %s) = %v, want %v", l.checkout, l.goroot, got, tc.want)
		}
	}
}

// TestCompareRefusesReplacedCheckout: a build sees its work dir, so it could
// swap the checkout for a symlink to any directory of the caller (the
// artifact's, to "rebuild" it by pointing at it). compare must not follow
// it: OUTPUT_MISSING, never MATCH.
func TestCompareRefusesReplacedCheckout(t *testing.T) {
	ws := t.TempDir()
	elsewhere := t.TempDir()
	artifact := filepath.Join(elsewhere, "tool")
	if err := os.WriteFile(artifact, []byte("published bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := fileSHA256(artifact)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(ws, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	co := &checkout{Dir: filepath.Join(ws, "build", "src")}
	if err := os.Symlink(elsewhere, co.Dir); err != nil {
		t.Fatal(err)
	}
	r := &run{ws: ws, res: &Result{Recipe: &Recipe{Output: "tool"}, Subject: Subject{Name: "tool", SHA256: sum}}}
	if err := r.compare(context.Background(), co.Dir, "tool"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r.res, StatusMismatch, reason.OutputMissing)

	// The twin: a real directory with the same bytes matches.
	if err := os.Remove(co.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(co.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(co.Dir, "tool"), []byte("published bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.res = &Result{Recipe: &Recipe{Output: "tool"}, Subject: Subject{Name: "tool", SHA256: sum}}
	if err := r.compare(context.Background(), co.Dir, "tool"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r.res, StatusMatch, "")
}

// TestConfinedModuleDirs: the fetch phase runs the go command on this
// machine, so it refuses module directories and module files that
// symlinks lead out of the checkout (into a project of the caller).
func TestConfinedModuleDirs(t *testing.T) {
	co := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{filepath.Join(co, "inner"), filepath.Join(co, "mod")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "go.mod"), []byte("module example.test/private\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(co, "tool")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "go.mod"), filepath.Join(co, "mod", "go.mod")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inner", filepath.Join(co, "alias")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tool", "mod"} {
		if err := confined(co, filepath.Join(co, d)); reason.CodeOf(err, "") != reason.RecipeUnsupported {
			t.Errorf("confined(%s) = %v, want %s", d, err, reason.RecipeUnsupported)
		}
	}
	for _, d := range []string{".", "inner", "alias"} {
		if err := confined(co, filepath.Join(co, d)); err != nil {
			t.Errorf("confined(%s) = %v", d, err)
		}
	}
}

// TestBuildCachePerSource: rebuilds of different sources never share the
// writable build cache; rebuilds of one source do (warm rebuilds).
func TestBuildCachePerSource(t *testing.T) {
	rb := &Rebuilder{config: config{cacheDir: "/c"}}
	tc := &Toolchain{Version: "go1.26.0"}
	a, b := rb.buildCache(tc, "/src/a"), rb.buildCache(tc, "https://example.test/b")
	if a == b || a != rb.buildCache(tc, "/src/a") || !strings.HasPrefix(a, "/c/gocache/go1.26.0/") {
		t.Errorf("build caches: %s, %s", a, b)
	}
	if rb.buildCache(&Toolchain{Version: "go1.25.0"}, "/src/a") == a {
		t.Error("two toolchains share a build cache")
	}
}
