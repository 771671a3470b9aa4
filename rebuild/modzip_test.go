package rebuild

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// modFixture is a repository holding a root module and a module in a
// subdirectory, with the hashes and zips the go command itself computes
// for them from git (GOPROXY=direct, git URL rewritten to the local repo).
type modFixture struct {
	repo                  string
	rootSum, subSum       string
	rootZip               string
	pseudo, pseudoSum     string
	rootModule, subModule string
}

var (
	modFxOnce sync.Once
	modFx     *modFixture
	modFxErr  error
)

func getModFixture(t *testing.T) *modFixture {
	t.Helper()
	getFixture(t) // same tool requirements
	modFxOnce.Do(func() { modFx, modFxErr = makeModFixture() })
	if modFxErr != nil {
		t.Fatalf("making module fixture: %v", modFxErr)
	}
	return modFx
}

func makeModFixture() (*modFixture, error) {
	root := filepath.Join(testRoot, "modfixture")
	m := &modFixture{repo: filepath.Join(root, "repo"), rootModule: "example.test/mz.git", subModule: "example.test/mz.git/sub"}
	if err := writeFiles(m.repo, map[string]string{
		"go.mod":            "module " + m.rootModule + "\n\ngo 1.21\n",
		"mz.go":             "package mz\n",
		"LICENSE":           "root license\n",
		"ignored.txt":       "not exported\n",
		".gitattributes":    "ignored.txt export-ignore\n",
		"internal/x/x.go":   "package x\n",
		"sub/go.mod":        "module " + m.subModule + "\n\ngo 1.21\n",
		"sub/sub.go":        "package sub\n",
		"testdata/data.bin": "\x00\x01",
	}); err != nil {
		return nil, err
	}
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	env := gitEnvAt(when)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "first"},
		{"tag", "v1.0.0"}, {"tag", "sub/v1.2.0"},
	} {
		if _, err := runCmd(m.repo, env, "git", args...); err != nil {
			return nil, err
		}
	}
	if err := writeFiles(m.repo, map[string]string{"mz.go": "package mz\n\n// Later.\nconst Later = 1\n"}); err != nil {
		return nil, err
	}
	env2 := gitEnvAt(when.Add(time.Hour))
	if _, err := runCmd(m.repo, env2, "git", "commit", "-q", "-am", "second"); err != nil {
		return nil, err
	}

	gitconfig := filepath.Join(root, "gitconfig")
	if err := os.WriteFile(gitconfig, []byte("[url \"file://"+m.repo+"\"]\n\tinsteadOf = https://example.test/mz\n[protocol \"file\"]\n\tallow = always\n"), 0o644); err != nil {
		return nil, err
	}
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	goEnv := []string{"GIT_CONFIG_GLOBAL=" + gitconfig, "GIT_CONFIG_NOSYSTEM=1", "GOPROXY=direct", "GOSUMDB=off",
		"GOMODCACHE=" + filepath.Join(root, "mod"), "GOFLAGS=-modcacherw", "HOME=" + root, "GOTOOLCHAIN=local", "GOENV=off"}
	download := func(mv string) (sum, zip, version string, err error) {
		out, err := runCmd(work, goEnv, "go", "mod", "download", "-json", mv)
		if err != nil {
			return "", "", "", err
		}
		var d struct{ Sum, Zip, Version string }
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			return "", "", "", err
		}
		return d.Sum, d.Zip, d.Version, nil
	}
	var err error
	if m.rootSum, m.rootZip, _, err = download(m.rootModule + "@v1.0.0"); err != nil {
		return nil, err
	}
	if m.subSum, _, _, err = download(m.subModule + "@v1.2.0"); err != nil {
		return nil, err
	}
	if m.pseudoSum, _, m.pseudo, err = download(m.rootModule + "@main"); err != nil {
		return nil, err
	}
	return m, nil
}

func TestCheckModuleZip(t *testing.T) {
	m := getModFixture(t)
	f := getFixture(t)
	rb := newTestRebuilder(t, f, WithOffline())
	ctx := context.Background()
	check := func(t *testing.T, req ModuleZipRequest) *ModuleZipResult {
		t.Helper()
		res, err := rb.CheckModuleZip(ctx, req)
		if err != nil {
			t.Fatalf("CheckModuleZip: %v", err)
		}
		return res
	}

	t.Run("root module matches the go command", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: m.rootSum})
		if res.Status != StatusMatch {
			t.Fatalf("status = %s (%v), got %s want %s", res.Status, res.Reason, res.GotH1, m.rootSum)
		}
	})
	t.Run("submodule with inherited LICENSE matches", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.subModule, Version: "v1.2.0", Dir: "sub", WantH1: m.subSum})
		if res.Status != StatusMatch {
			t.Fatalf("status = %s (%v), got %s want %s", res.Status, res.Reason, res.GotH1, m.subSum)
		}
	})
	t.Run("pseudo-version matches", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: m.pseudo, WantH1: m.pseudoSum})
		if res.Status != StatusMatch {
			t.Fatalf("status = %s (%v)", res.Status, res.Reason)
		}
	})
	t.Run("wrong hash", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: m.subSum})
		if res.Status != StatusMismatch || reason.CodeOf(res.Reason, "") != reason.ModuleHashMismatch || res.Reason.Hint == "" {
			t.Fatalf("status = %s reason = %v, want MISMATCH %s", res.Status, res.Reason, reason.ModuleHashMismatch)
		}
	})
	t.Run("tampered published zip is explained per entry", func(t *testing.T) {
		tampered := filepath.Join(t.TempDir(), "v1.0.0.zip")
		entries := [][2]string{
			{m.rootModule + "@v1.0.0/LICENSE", "root license\n"},
			{m.rootModule + "@v1.0.0/go.mod", "module " + m.rootModule + "\n\ngo 1.21\n"},
			{m.rootModule + "@v1.0.0/mz.go", "package mz\n\nfunc init() { evil() }\n"},
		}
		if err := os.WriteFile(tampered, buildZip(t, entries, time.Time{}), 0o644); err != nil {
			t.Fatal(err)
		}
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: "h1:tampered", Published: tampered})
		if res.Status != StatusMismatch {
			t.Fatalf("status = %s", res.Status)
		}
		var whats []string
		for _, c := range res.Causes {
			whats = append(whats, c.Code+" "+c.What)
		}
		joined := strings.Join(whats, "\n")
		for _, want := range []string{"mz.go sha256", "internal/x/x.go", "testdata/data.bin"} {
			if !strings.Contains(joined, want) {
				t.Errorf("causes lack %q:\n%s", want, joined)
			}
		}
		if strings.Contains(joined, "LICENSE") || strings.Contains(joined, "go.mod") {
			t.Errorf("causes list equal entries:\n%s", joined)
		}
	})
	t.Run("published zip from the go command is equal", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: m.rootSum, Published: m.rootZip})
		if res.Status != StatusMatch {
			t.Fatalf("status = %s", res.Status)
		}
	})
	t.Run("tag missing", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: m.repo, Module: m.rootModule, Version: "v1.9.9", WantH1: m.rootSum})
		if res.Status != StatusSkip || reason.CodeOf(res.Reason, "") != reason.SourceUnavailable {
			t.Fatalf("status = %s reason = %v", res.Status, res.Reason)
		}
	})
	t.Run("source URL offline", func(t *testing.T) {
		res := check(t, ModuleZipRequest{Source: "https://example.test/mz", Module: m.rootModule, Version: "v1.0.0", WantH1: m.rootSum})
		if res.Status != StatusSkip || reason.CodeOf(res.Reason, "") != reason.SourceUnavailable {
			t.Fatalf("status = %s reason = %v", res.Status, res.Reason)
		}
	})
	for name, req := range map[string]ModuleZipRequest{
		"bad version": {Source: m.repo, Module: m.rootModule, Version: "1.0", WantH1: m.rootSum},
		"bad module":  {Source: m.repo, Module: "Not A Module", Version: "v1.0.0", WantH1: m.rootSum},
		"not h1":      {Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: "sha256:abc"},
		"dir escapes": {Source: m.repo, Module: m.rootModule, Version: "v1.0.0", WantH1: m.rootSum, Dir: "../x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := rb.CheckModuleZip(ctx, req); err == nil {
				t.Fatal("malformed request accepted")
			}
		})
	}
}

func TestGoSumHashes(t *testing.T) {
	sum := "example.test/a v1.0.0 h1:zip=\nexample.test/a v1.0.0/go.mod h1:mod=\nexample.test/b v1.0.0 h1:other=\n"
	z, m, err := GoSumHashes(strings.NewReader(sum), "example.test/a", "v1.0.0")
	if err != nil || z != "h1:zip=" || m != "h1:mod=" {
		t.Fatalf("GoSumHashes = %q, %q, %v", z, m, err)
	}
	for name, tc := range map[string]struct{ sum, code string }{
		"absent":    {sum, reason.EvidenceMissing},
		"malformed": {"example.test/a v1.0.0\n", reason.InputMalformed},
		"not h1":    {"example.test/a v1.0.0 sha1:x\n", reason.InputMalformed},
		"too large": {strings.Repeat("x", MaxGoSumBytes+1), reason.InputTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := GoSumHashes(strings.NewReader(tc.sum), "example.test/c", "v1.0.0")
			if reason.CodeOf(err, "") != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
}
