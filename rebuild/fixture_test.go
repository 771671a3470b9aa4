package rebuild

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/sovcheck/sovcheck/internal/sandbox"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// testRoot holds everything the tests create that outlives one test: the
// shared fixture and the rebuild cache (module cache, build cache), so the
// first rebuild warms the cache for the others.
var testRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sovcheck-rebuild-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testRoot = dir
	code := m.Run()
	removeAll(dir)
	os.Exit(code)
}

// removeAll removes a tree that may hold read-only directories (a Go
// module cache).
func removeAll(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

// Names used by the fixture.
const (
	fxModule     = "example.test/hello"
	fxDepModule  = "example.test/greet"
	fxDepVersion = "v1.0.0"
	fxBinary     = "hello-linux-amd64"
	fxCheckout   = "/home/runner/work/hello/hello/__PROJECT_CHECKOUT_DIR__"
	fxLdflags    = "-ldflags=-X main.version=1.0"
	fxRepoURI    = "https://example.test/hello"
)

// fixture is a git repository with a Go program that has one dependency
// (served by a file:// module proxy), and the binary a "publisher" built
// from its first commit with the SLSA Go builder's steps.
type fixture struct {
	repo       string
	commit1    string // tagged v1.0.0; the published binary's commit
	commit2    string // changes only README
	proxy      string // file:// URL
	published  string
	pubSHA     string
	goVersion  string // the machine's Go, e.g. go1.26.8
	cache      string // rebuild cache shared by the tests
	commitTime time.Time
}

var (
	fxOnce sync.Once
	fx     *fixture
	fxErr  error
)

func getFixture(t *testing.T) *fixture {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on this machine")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git on this machine")
	}
	fxOnce.Do(func() { fx, fxErr = makeFixture() })
	if fxErr != nil {
		t.Fatalf("making fixture: %v", fxErr)
	}
	return fx
}

func runCmd(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// gitEnvAt pins author, committer and dates so commits are reproducible.
func gitEnvAt(when time.Time) []string {
	d := when.Format(time.RFC3339)
	return []string{
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.test", "GIT_AUTHOR_DATE=" + d,
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.test", "GIT_COMMITTER_DATE=" + d,
	}
}

func writeFiles(dir string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// makeFileProxy writes a module proxy directory holding one module and
// returns the go.sum lines for it.
func makeFileProxy(dir, mod, version string, files map[string]string) (string, error) {
	src := filepath.Join(dir, "src-"+strings.ReplaceAll(mod, "/", "_"))
	if err := writeFiles(src, files); err != nil {
		return "", err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(mod), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", err
	}
	zipPath := filepath.Join(vdir, version+".zip")
	f, err := os.Create(zipPath)
	if err != nil {
		return "", err
	}
	if err := modzip.CreateFromDir(f, module.Version{Path: mod, Version: version}, src); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	gomod := []byte(files["go.mod"])
	if err := os.WriteFile(filepath.Join(vdir, version+".mod"), gomod, 0o644); err != nil {
		return "", err
	}
	info := fmt.Sprintf(`{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, version)
	if err := os.WriteFile(filepath.Join(vdir, version+".info"), []byte(info), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(vdir, "list"), []byte(version+"\n"), 0o644); err != nil {
		return "", err
	}
	zipHash, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return "", err
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gomod)), nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", mod, version, zipHash, mod, version, modHash), nil
}

func makeFixture() (*fixture, error) {
	root := filepath.Join(testRoot, "fixture")
	f := &fixture{cache: filepath.Join(testRoot, "cache"), commitTime: time.Date(2025, 2, 25, 21, 6, 15, 0, time.UTC)}
	goVersion, err := runCmd("", []string{"GOTOOLCHAIN=local", "GOENV=off", "HOME=/nonexistent"}, "go", "env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	f.goVersion = goVersion

	proxyDir := filepath.Join(root, "proxy")
	sums, err := makeFileProxy(proxyDir, fxDepModule, fxDepVersion, map[string]string{
		"go.mod":   "module " + fxDepModule + "\n\ngo 1.21\n",
		"greet.go": "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n",
	})
	if err != nil {
		return nil, err
	}
	f.proxy = "file://" + proxyDir

	f.repo = filepath.Join(root, "repo")
	if err := writeFiles(f.repo, map[string]string{
		"go.mod":     "module " + fxModule + "\n\ngo 1.21\n\nrequire " + fxDepModule + " " + fxDepVersion + "\n",
		"go.sum":     sums,
		"main.go":    "package main\n\nimport \"" + fxDepModule + "\"\n\nvar version = \"dev\"\n\nfunc main() { println(greet.Hello(), version) }\n",
		"README":     "hello\n",
		"LICENSE":    "Test license\n",
		".gitignore": "/" + fxBinary + "\n",
	}); err != nil {
		return nil, err
	}
	env := gitEnvAt(f.commitTime)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"commit", "-q", "-m", "first"},
		{"tag", "v1.0.0"},
	} {
		if _, err := runCmd(f.repo, env, "git", args...); err != nil {
			return nil, err
		}
	}
	if f.commit1, err = runCmd(f.repo, env, "git", "rev-parse", "HEAD"); err != nil {
		return nil, err
	}
	if err := writeFiles(f.repo, map[string]string{"README": "hello, again\n"}); err != nil {
		return nil, err
	}
	env2 := gitEnvAt(f.commitTime.Add(time.Hour))
	if _, err := runCmd(f.repo, env2, "git", "commit", "-q", "-am", "second"); err != nil {
		return nil, err
	}
	if f.commit2, err = runCmd(f.repo, env2, "git", "rev-parse", "HEAD"); err != nil {
		return nil, err
	}

	// The publisher: a fresh checkout at the tag, the Go builder's two
	// steps, its own module cache, the machine's Go.
	pub := filepath.Join(root, "publisher", "__PROJECT_CHECKOUT_DIR__")
	if _, err := runCmd("", env, "git", "clone", "-q", f.repo, pub); err != nil {
		return nil, err
	}
	if _, err := runCmd(pub, env, "git", "checkout", "-q", "--detach", f.commit1); err != nil {
		return nil, err
	}
	goEnv := []string{
		"HOME=" + filepath.Join(root, "publisher"),
		// The rebuilder's cache for this source, to keep the tests fast.
		"GOCACHE=" + (&Rebuilder{config: config{cacheDir: f.cache}}).buildCache(&Toolchain{Version: goVersion}, f.repo),
		"GOMODCACHE=" + filepath.Join(root, "publisher", "mod"),
		"GOPATH=" + filepath.Join(root, "publisher", "gopath"),
		"GOPROXY=" + f.proxy, "GOSUMDB=off", "GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "GOENV=off",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	}
	if _, err := runCmd(pub, goEnv, "go", "mod", "vendor"); err != nil {
		return nil, err
	}
	buildEnv := append(goEnv, "GOOS=linux", "GOARCH=amd64", "GO111MODULE=on", "CGO_ENABLED=0")
	if _, err := runCmd(pub, buildEnv, "go", "build", "-mod=vendor", "-trimpath", "-tags=netgo", fxLdflags, "-o", fxBinary); err != nil {
		return nil, err
	}
	f.published = filepath.Join(root, fxBinary)
	if err := os.Rename(filepath.Join(pub, fxBinary), f.published); err != nil {
		return nil, err
	}
	if f.pubSHA, err = fileSHA256(f.published); err != nil {
		return nil, err
	}
	return f, nil
}

// provenance describes one Go builder provenance for the fixture.
type provenance struct {
	commit    string
	goVersion string // as in the hosted toolchain path, e.g. 1.26.8
	ldflags   string
	subject   string // sha256
	build     []string
}

func (f *fixture) provenance() provenance {
	return provenance{commit: f.commit1, goVersion: strings.TrimPrefix(f.goVersion, "go"), ldflags: fxLdflags, subject: f.pubSHA}
}

// statement renders the provenance as the SLSA Go builder writes it.
func (p provenance) statement() []byte {
	gobin := "/opt/hostedtoolcache/go/" + p.goVersion + "/x64/bin/go"
	build := p.build
	if build == nil {
		build = []string{gobin, "build", "-mod=vendor", "-trimpath", "-tags=netgo", p.ldflags, "-o", fxBinary}
	}
	pred := map[string]any{
		"builder":   map[string]any{"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"},
		"buildType": vocab.BuildTypeGoBuilder,
		"invocation": map[string]any{
			"configSource": map[string]any{"uri": "git+" + fxRepoURI + "@refs/tags/v1.0.0", "digest": map[string]string{"sha1": p.commit}},
		},
		"buildConfig": map[string]any{
			"version": 1,
			"steps": []map[string]any{
				{"workingDir": fxCheckout, "command": []string{gobin, "mod", "vendor"}, "env": nil},
				{"workingDir": fxCheckout, "command": build, "env": []string{"GOOS=linux", "GOARCH=amd64", "GO111MODULE=on", "CGO_ENABLED=0"}},
			},
		},
		"materials": []map[string]any{
			{"uri": "git+" + fxRepoURI + "@refs/tags/v1.0.0", "digest": map[string]string{"sha1": p.commit}},
			{"uri": "https://github.com/actions/virtual-environments/releases/tag/ubuntu24/20250209.1.0"},
		},
	}
	st := map[string]any{
		"_type":         vocab.StatementTypeV01,
		"predicateType": vocab.PredicateSLSAProvenanceV02,
		"subject":       []map[string]any{{"name": fxBinary, "digest": map[string]string{"sha256": p.subject}}},
		"predicate":     pred,
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	return b
}

func (p provenance) recipes(t *testing.T) []*Recipe {
	t.Helper()
	recs, err := ReadRecipes(bytes.NewReader(p.statement()))
	if err != nil {
		t.Fatalf("reading provenance: %v", err)
	}
	return recs
}

var (
	sandboxOnce sync.Once
	sandboxErr  error
)

// sandboxAvailable probes once whether this machine can create the
// sandbox's namespaces (CI runners may forbid unprivileged user namespaces).
func sandboxAvailable(t *testing.T) bool {
	t.Helper()
	sandboxOnce.Do(func() {
		dir, err := os.MkdirTemp(testRoot, "probe-")
		if err != nil {
			sandboxErr = err
			return
		}
		defer os.RemoveAll(dir)
		_, sandboxErr = sandbox.Run(context.Background(), &sandbox.Spec{Root: dir}, []sandbox.Step{{Argv: []string{"/bin/true"}, Dir: "/", Env: []string{}}}, io.Discard)
	})
	if sandboxErr != nil && !errors.Is(sandboxErr, sandbox.ErrUnavailable) {
		t.Fatalf("probing the sandbox: %v", sandboxErr)
	}
	if sandboxErr != nil {
		t.Logf("sandbox unavailable on this machine: %v", sandboxErr)
	}
	return sandboxErr == nil
}

func newTestRebuilder(t *testing.T, f *fixture, opts ...Option) *Rebuilder {
	t.Helper()
	base := []Option{WithCacheDir(f.cache), WithGoProxy(f.proxy), WithChecksumDB("off"), WithHostGo("go")}
	if !sandboxAvailable(t) {
		// Still test everything but the isolation on such machines.
		base = append(base, WithUnsandboxedFallbackUnsafe())
	}
	rb, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func rebuildOK(t *testing.T, rb *Rebuilder, req Request) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := rb.Rebuild(ctx, req)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	return res
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// buildZip returns a zip archive of the given entries, in order.
func buildZip(t testing.TB, entries [][2]string, mtime time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate, Modified: mtime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
