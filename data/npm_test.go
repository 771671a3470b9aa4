package data

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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

// verdaccioConfig is written at test time: local storage and users, no
// uplink (nothing is proxied to the internet), anyone may read, any
// logged-in user may publish.
const verdaccioConfig = `storage: ./storage
auth:
  htpasswd:
    file: ./htpasswd
    max_users: 100
uplinks: {}
packages:
  '@*/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
`

// npmRegistry is a verdaccio started on loopback for one test.
type npmRegistry struct {
	url string
	dir string
}

// startVerdaccio starts verdaccio (6.8.0, installed with
// 'npm install -g verdaccio@6.8.0') on a free loopback port, or skips the
// test when node, npm or verdaccio is not installed.
func startVerdaccio(t *testing.T) *npmRegistry {
	t.Helper()
	for _, tool := range []string{"node", "npm", "verdaccio"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (the npm registry test runs verdaccio: npm install -g verdaccio@6.8.0): %v", tool, err)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(verdaccioConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command("verdaccio", "--config", filepath.Join(dir, "config.yaml"), "--listen", addr)
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "verdaccio.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting verdaccio: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	r := &npmRegistry{url: "http://" + addr, dir: dir}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(r.url + "/-/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "verdaccio.log"))
			t.Fatalf("verdaccio did not answer on %s within 60s: %v\n%s", addr, err, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// addUser registers a user as 'npm adduser' does (the CouchDB user
// document) and writes an npmrc holding the user's token.
func (r *npmRegistry) addUser(t *testing.T, name string) string {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"password":"pw-%s-0123456789","email":"%s@example.org"}`, name, name, name)
	req, _ := http.NewRequest(http.MethodPut, r.url+"/-/user/org.couchdb.user:"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("adding npm user %s: %s %v", name, resp.Status, err)
	}
	rc := filepath.Join(r.dir, name+".npmrc")
	host := strings.TrimPrefix(r.url, "http:")
	if err := os.WriteFile(rc, fmt.Appendf(nil, "registry=%s/\n%s/:_authToken=%s\n", r.url, host, tok.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

// npm runs the npm command with the user's npmrc, its own cache and home.
func (r *npmRegistry) npm(t *testing.T, dir, npmrc string, args ...string) {
	t.Helper()
	cmd := exec.Command("npm", append(args, "--userconfig", npmrc, "--registry", r.url+"/")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+r.dir, "npm_config_cache="+filepath.Join(r.dir, "npm-cache"), "npm_config_update_notifier=false", "npm_config_audit=false", "npm_config_fund=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

// publish makes a package from its package.json and publishes it.
func (r *npmRegistry) publish(t *testing.T, npmrc, manifest string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	r.npm(t, dir, npmrc, "publish")
}

func TestNPMRegistryVerdaccio(t *testing.T) {
	reg := startVerdaccio(t)
	carol, dave := reg.addUser(t, "carol"), reg.addUser(t, "dave")
	reg.publish(t, carol, `{"name":"solo","version":"0.1.0","maintainers":[{"name":"carol","email":"carol@example.org"}],
		"repository":{"type":"git","url":"git+https://github.com/example/solo.git"}}`)
	reg.publish(t, carol, `{"name":"@team/several","version":"2.0.0","repository":"github:example/several",
		"maintainers":[{"name":"carol","email":"carol@example.org"},{"name":"dave","email":"dave@example.org"}]}`)
	reg.publish(t, dave, `{"name":"old-thing","version":"1.0.0","maintainers":[{"name":"dave","email":"dave@example.org"}]}`)
	reg.publish(t, dave, `{"name":"old-thing","version":"1.1.0","maintainers":[{"name":"dave","email":"dave@example.org"}]}`)
	reg.npm(t, t.TempDir(), dave, "deprecate", "old-thing", "no longer maintained; use new-thing")
	reg.publish(t, carol, `{"name":"nobody","version":"1.0.0"}`)

	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return now })
	src, err := NewNPMRegistry(reg.url, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	today := time.Now().UTC().Format(time.DateOnly)

	f, srcs, err := src.Lookup(ctx, "pkg:npm/solo")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Maintainers) != 1 || f.Maintainers[0].Name != "carol" || f.Steward != "carol" || f.Deprecated != "" ||
		f.LatestVersion != "0.1.0" || f.LatestRelease != today || f.Repository != "https://github.com/example/solo" {
		t.Errorf("solo: %+v", f)
	}
	if len(srcs) != 1 || srcs[0].URL != reg.url+"/solo" || srcs[0].Kind != "npm" || len(srcs[0].SHA256) != 64 || srcs[0].FetchedAt != "2026-12-01T00:00:00Z" {
		t.Errorf("solo sources %+v", srcs)
	}
	f, srcs, err = src.Lookup(ctx, "pkg:npm/@team/several")
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{f.Maintainers[0].Name, f.Maintainers[len(f.Maintainers)-1].Name}; len(f.Maintainers) != 2 || !slices.Equal(names, []string{"carol", "dave"}) ||
		f.Repository != "https://github.com/example/several" || srcs[0].URL != reg.url+"/@team%2fseveral" {
		t.Errorf("several: %+v %+v", f, srcs)
	}
	f, _, err = src.Lookup(ctx, "pkg:npm/old-thing")
	if err != nil {
		t.Fatal(err)
	}
	if f.Deprecated != "no longer maintained; use new-thing" || f.LatestVersion != "1.1.0" {
		t.Errorf("old-thing: %+v", f)
	}
	// Nothing says who may publish: unknown, never guessed.
	f, _, err = src.Lookup(ctx, "pkg:npm/nobody")
	if err != nil || f.Maintainers != nil || f.Deprecated != "" {
		t.Errorf("nobody: %+v %v", f, err)
	}
	if _, _, err := src.Lookup(ctx, "pkg:npm/not-published"); reason.CodeOf(err, "") != reason.RiskDataNotFound {
		t.Errorf("unpublished name: %v", err)
	}

	// A pull over them: sorted, counted, and the snapshot reads back.
	keys := []string{"pkg:npm/solo", "pkg:npm/@team/several", "pkg:npm/old-thing", "pkg:npm/nobody", "pkg:npm/not-published"}
	rd, err := Pull(ctx, keys, []Source{src}, clock, WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Counts != (sbom.RiskDataLookupStat{Packages: 5, Found: 4, Unknown: 1}) || len(rd.Failures) != 1 || rd.Failures[0].Key != "pkg:npm/not-published" {
		t.Errorf("pull: counts %+v failures %+v", rd.Counts, rd.Failures)
	}
	b, _ := json.Marshal(rd)
	back, err := sbom.ReadRiskData(strings.NewReader(string(b)), "npm.json")
	if err != nil {
		t.Fatalf("snapshot does not read back: %v", err)
	}
	if len(back.Packages) != 4 || back.Packages[0].Key != "pkg:npm/@team/several" {
		t.Errorf("snapshot packages %+v", back.Packages)
	}
}

func TestNPMRegistryURL(t *testing.T) {
	for _, base := range []string{"ftp://registry.example", "registry.npmjs.org", "http://"} {
		if _, err := NewNPMRegistry(base, nil); reason.CodeOf(err, "") != reason.InputMalformed {
			t.Errorf("%q: %v", base, err)
		}
	}
}

// The packument reader on the shapes the public registry serves:
// top-level maintainers, old versions with string people and
// "deprecated": false, an unpublished package.
func TestParsePackument(t *testing.T) {
	const u = "https://registry.npmjs.org/left-pad"
	doc := `{"name":"left-pad","dist-tags":{"latest":"1.3.0"},
	  "maintainers":[{"name":"stevemao","email":"s@example.com"},{"name":"camwest","email":"c@example.com"}],
	  "time":{"created":"2014-03-14T00:00:00.000Z","1.3.0":"2018-04-09T01:50:53.437Z"},
	  "versions":{"0.0.1":{"maintainers":["Azer Koculu <azer@example.com>"],"deprecated":false},
	              "1.3.0":{"deprecated":"use String.prototype.padStart()","_npmUser":{"name":"stevemao"}}},
	  "repository":{"type":"git","url":"git+https://github.com/stevemao/left-pad.git"}}`
	f, err := parsePackument([]byte(doc), "pkg:npm/left-pad", u)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Maintainers) != 2 || f.Record != u+"#/maintainers" || f.LatestRelease != "2018-04-09" ||
		f.Deprecated != "use String.prototype.padStart()" || f.Repository != "https://github.com/stevemao/left-pad" {
		t.Errorf("left-pad: %+v", f)
	}
	for name, doc := range map[string]string{
		"unpublished": `{"name":"x","time":{"unpublished":{"time":"2020-01-01T00:00:00.000Z"}}}`,
	} {
		if _, err := parsePackument([]byte(doc), "pkg:npm/x", u); reason.CodeOf(err, "") != reason.RiskDataNotFound {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, doc := range map[string]string{
		"not json":       `<html>`,
		"no versions":    `{"name":"x"}`,
		"latest missing": `{"dist-tags":{"latest":"9.9.9"},"versions":{"1.0.0":{}}}`,
		"bad time":       `{"dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{}},"time":{"1.0.0":"yesterday"}}`,
	} {
		if f, err := parsePackument([]byte(doc), "pkg:npm/x", u); f != nil || reason.CodeOf(err, "") != reason.RiskDataMalformed {
			t.Errorf("%s: %+v %v", name, f, err)
		}
	}
}

func FuzzParsePackument(f *testing.F) {
	f.Add([]byte(`{"dist-tags":{"latest":"1.0.0"},"maintainers":[{"name":"a"}],"versions":{"1.0.0":{"deprecated":"x","maintainers":"B <b@c>"}},"time":{"1.0.0":"2020-01-01T00:00:00Z"},"repository":"u/r"}`))
	f.Add([]byte(`{"time":{"unpublished":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		facts, err := parsePackument(b, "pkg:npm/x", "https://r/x")
		if (err == nil) == (facts == nil) {
			t.Fatalf("facts %v with error %v", facts, err)
		}
	})
}
