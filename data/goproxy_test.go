package data

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// goProxyDir makes a module proxy tree with the go command: it downloads
// golang.org/x/mod@v0.42.0 into a fresh GOMODCACHE from the machine's own
// module cache (GOPROXY=file://, no network), and adds example.com/old,
// deprecated, with retracted versions. The go command itself then reads
// the tree back through the loopback server, so the tree is one the go
// command accepts.
func goProxyDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	machine := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	if _, err := os.Stat(filepath.Join(machine, "golang.org", "x", "mod", "@v", "v0.42.0.mod")); err != nil {
		t.Skipf("golang.org/x/mod@v0.42.0 not in the machine's module cache: %v", err)
	}
	modcache := t.TempDir()
	cmd := exec.Command("go", "mod", "download", "-json", "golang.org/x/mod@v0.42.0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOMODCACHE="+modcache, "GOPROXY=file://"+filepath.ToSlash(machine), "GOSUMDB=off", "GOFLAGS=-modcacherw", "GO111MODULE=on")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, b)
	}
	dir := filepath.Join(modcache, "cache", "download")
	old := filepath.Join(dir, "example.com", "old", "@v")
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, "list"), []byte("v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0-rc.1\n"), 0o644)
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0-rc.1"} {
		os.WriteFile(filepath.Join(old, v+".info"), []byte(`{"Version":"`+v+`","Time":"2019-03-04T05:06:07Z"}`), 0o644)
		os.WriteFile(filepath.Join(old, v+".mod"), []byte(`// Deprecated: use example.com/new instead.
module example.com/old

go 1.12

retract (
	v1.1.0 // published by mistake
	[v1.0.0, v1.0.5] // data loss
)
`), 0o644)
	}
	return dir
}

func serve(t *testing.T, dir string) *httptest.Server {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

func TestGoProxy(t *testing.T) {
	dir := goProxyDir(t)
	srv := serve(t, dir)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	src, err := NewGoProxy(srv.URL, srv.Client(), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	f, srcs, err := src.Lookup(context.Background(), "pkg:golang/golang.org/x/mod")
	if err != nil {
		t.Fatal(err)
	}
	if f.LatestVersion != "v0.42.0" || f.LatestRelease == "" || f.Deprecated != "" || len(srcs) != 3 {
		t.Errorf("x/mod facts %+v, %d sources", f, len(srcs))
	}
	if srcs[1].URL != srv.URL+"/golang.org/x/mod/@v/v0.42.0.info" || len(srcs[1].SHA256) != 64 || srcs[1].FetchedAt != "2026-12-01T00:00:00Z" {
		t.Errorf("source %+v", srcs[1])
	}

	// The go command agrees that example.com/old is deprecated.
	cmd := exec.Command("go", "list", "-m", "-u", "-retracted", "-json", "example.com/old@v1.1.0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOPROXY="+srv.URL, "GOSUMDB=off", "GOFLAGS=-modcacherw", "GO111MODULE=on")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list through the loopback proxy: %v", err)
	}
	var gl struct {
		Version, Deprecated string
		Retracted           []string
	}
	json.Unmarshal(b, &gl)
	f, _, err = src.Lookup(context.Background(), "pkg:golang/example.com/old")
	if err != nil {
		t.Fatal(err)
	}
	if gl.Version != "v1.1.0" || len(gl.Retracted) == 0 || f.Deprecated != gl.Deprecated || f.Deprecated != "use example.com/new instead." {
		t.Errorf("facts %+v; the go command says %+v", f, gl)
	}
	if !slices.Equal(f.Retracted, []string{"v1.1.0", "[v1.0.0, v1.0.5]"}) || f.LatestRelease != "2019-03-04" {
		t.Errorf("retracted %v, release %s", f.Retracted, f.LatestRelease)
	}
	if f.Evidence["deprecated"] != srv.URL+"/example.com/old/@v/v1.2.0.mod" {
		t.Errorf("evidence %v", f.Evidence)
	}

	// A module the proxy does not know is not found, never guessed.
	if _, _, err := src.Lookup(context.Background(), "pkg:golang/example.com/nothere"); reason.CodeOf(err, "") != reason.RiskDataNotFound {
		t.Errorf("unknown module: %v", err)
	}
	// file:// proxies work as for the go command.
	fsrc, _ := NewGoProxy("file://"+filepath.ToSlash(dir), nil)
	if f, _, err := fsrc.Lookup(context.Background(), "pkg:golang/example.com/old"); err != nil || f.LatestVersion != "v1.2.0" {
		t.Errorf("file proxy: %+v %v", f, err)
	}
}

func TestPull(t *testing.T) {
	dir := goProxyDir(t)
	srv := serve(t, dir)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return now })
	gp, _ := NewGoProxy(srv.URL, srv.Client(), clock)
	// A proxy that is down: its lookups fail, are counted and recorded.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusBadGateway) }))
	defer down.Close()
	keys := []string{"pkg:golang/example.com/old", "pkg:golang/golang.org/x/mod", "pkg:golang/example.com/nothere", "pkg:npm/left-pad", "pkg:golang/example.com/old"}
	rd, err := Pull(context.Background(), keys, []Source{gp}, clock, WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Counts != (sbom.RiskDataLookupStat{Packages: 4, Found: 2, Unknown: 2}) || len(rd.Failures) != 1 || rd.Failures[0].Code != reason.RiskDataNotFound {
		t.Errorf("counts %+v failures %+v", rd.Counts, rd.Failures)
	}
	if rd.Packages[0].Key != "pkg:golang/example.com/old" || rd.AsOf != "2026-12-01T00:00:00Z" {
		t.Errorf("packages not sorted or undated: %+v", rd.Packages[0])
	}
	// The snapshot reads back, every fact's source among its sources.
	b, _ := json.Marshal(rd)
	if _, err := sbom.ReadRiskData(strings.NewReader(string(b)), "snap.json"); err != nil {
		t.Errorf("snapshot does not read back: %v", err)
	}
	gpDown, _ := NewGoProxy(down.URL, down.Client(), clock)
	rd, _ = Pull(context.Background(), keys, []Source{gpDown}, clock)
	if rd.Counts.Unknown != 4 || len(rd.Failures) != 3 || rd.Failures[0].Code != reason.RiskDataLookupFailed {
		t.Errorf("proxy down: counts %+v failures %+v", rd.Counts, rd.Failures)
	}
}
