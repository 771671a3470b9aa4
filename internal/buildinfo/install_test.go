package buildinfo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

const modulePath = "github.com/sovcheck/sovcheck"

// TestGoInstall proves that `go install MODULE/cmd/sovcheck@VERSION` works
// and that the binary it gives names its build: it serves this repository's
// HEAD commit as a pseudo-version from a module proxy on loopback (the
// layout of the GOPROXY protocol: @v/list, .info, .mod, .zip made with
// golang.org/x/mod/zip from the commit), with the local module cache and
// then the real module proxy behind it for the dependencies, in a fresh
// module cache, and runs `sovcheck version` of the result. A version the
// proxy does not hold is refused. It skips under -short, without git, and
// when the module proxy is out of reach.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sovcheck from a module zip: not under -short")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	upstream := reachableProxy(t)
	root := goEnv(t, "GOMOD")
	root = filepath.Dir(root)
	rev := strings.TrimSpace(run(t, root, nil, "git", "rev-parse", "HEAD"))
	secs, err := strconv.ParseInt(strings.TrimSpace(run(t, root, nil, "git", "log", "-1", "--format=%ct", rev)), 10, 64)
	if err != nil {
		t.Fatalf("reading the commit time: %v", err)
	}
	when := time.Unix(secs, 0).UTC()
	version := module.PseudoVersion("v0", "", when, rev[:12])

	// The proxy directory: what `go mod download` would serve for it.
	proxy := t.TempDir()
	vdir := filepath.Join(proxy, modulePath, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A clone: x/mod/zip, like the go command, recognises a repository
	// only where .git is a directory, which a `git worktree` lacks.
	clone := filepath.Join(t.TempDir(), "clone")
	run(t, root, nil, "git", "clone", "-q", "--no-checkout", root, clone)
	var zipBuf bytes.Buffer
	if err := modzip.CreateFromVCS(&zipBuf, module.Version{Path: modulePath, Version: version}, clone, rev, ""); err != nil {
		t.Fatalf("making the module zip of %s: %v", rev, err)
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when})
	files := map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": info,
		version + ".mod":  []byte(run(t, root, nil, "git", "show", rev+":go.mod")),
		version + ".zip":  zipBuf.Bytes(),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := dirhash.HashZip(filepath.Join(vdir, version+".zip"), dirhash.Hash1)
	if err != nil {
		t.Fatalf("hashing the module zip: %v", err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(proxy)))
	defer srv.Close()

	localCache := "file://" + filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download")
	work := t.TempDir()
	gobin := filepath.Join(work, "bin")
	env := []string{
		"GOPROXY=" + srv.URL + "," + localCache + "," + upstream,
		"GONOSUMDB=" + modulePath,
		"GOFLAGS=-mod=mod -modcacherw",
		"GOMODCACHE=" + filepath.Join(work, "modcache"),
		"GOBIN=" + gobin,
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"CGO_ENABLED=0",
	}
	run(t, work, env, "go", "install", modulePath+"/cmd/sovcheck@"+version)
	got := strings.TrimSpace(run(t, work, nil, filepath.Join(gobin, "sovcheck"), "version"))
	want := "sovcheck " + version + " (commit " + rev[:12] + ", clean, module sum " + sum + ", " + goEnv(t, "GOVERSION") + ")"
	if got != want {
		t.Errorf("sovcheck version of the installed binary:\n got %q\nwant %q", got, want)
	}

	// A version the proxy does not hold is refused, never built from
	// something else.
	missing := module.PseudoVersion("v0", "", when.Add(-time.Hour), "000000000000")
	cmd := exec.Command("go", "install", modulePath+"/cmd/sovcheck@"+missing)
	cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("go install @%s succeeded, want a failure:\n%s", missing, out)
	} else if !strings.Contains(string(out), missing) {
		t.Errorf("go install @%s failed without naming the version:\n%s", missing, out)
	}
}

// reachableProxy returns the first proxy of GOPROXY if it answers, and
// skips the test otherwise.
func reachableProxy(t *testing.T) string {
	first, _, _ := strings.Cut(goEnv(t, "GOPROXY"), ",")
	first, _, _ = strings.Cut(first, "|")
	if !strings.HasPrefix(first, "http") {
		t.Skipf("GOPROXY %q names no module proxy", first)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, first+"/golang.org/x/mod/@v/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Skipf("the module proxy %s is out of reach: %v", first, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("the module proxy %s answers %s", first, resp.Status)
	}
	return first
}

func goEnv(t *testing.T, name string) string {
	return strings.TrimSpace(run(t, ".", nil, "go", "env", name))
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
