package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sovcheck/sovcheck/internal/startheap"
	"github.com/sovcheck/sovcheck/internal/wherecli"
)

var updateScripts = flag.Bool("update", false, "rewrite cmp golden files in scripts")

// interopDir holds real public bundles beside the repository (../shared);
// scripts that need it run under [interop] and are skipped without it.

var interopDir, _ = filepath.Abs(filepath.Join("..", "..", "..", "shared", "interop"))

// toolchainCacheEnv names a cache dir kept between test runs, in which
// scripts under [toolchains] fetch old Go toolchains (about 100 MB each)
// from the module proxy once; they are skipped when it is unset. CI sets
// it (.ci/run).
const toolchainCacheEnv = "SOVCHECK_TEST_TOOLCHAIN_CACHE"

func TestMain(m *testing.M) {
	// The test process collects as before, at Go's default; a script's
	// sovcheck runs with the command's settings, as main does.
	startheap.Done(100)
	testscript.Main(m, map[string]func(){
		"sovcheck": func() { startCollector(); os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
		// cmd/sovcheck-where's main, run by this test binary: the same code.
		"sovcheck-where": func() { startCollector(); os.Exit(wherecli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *updateScripts,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("XDG_CACHE_HOME", env.WorkDir+"/.cache")
			env.Values[authoritiesKey] = authorities{}
			env.Setenv("INTEROP", interopDir)
			env.Setenv("TOOLCHAIN_CACHE", os.Getenv(toolchainCacheEnv))
			env.Setenv("TOOLCHAIN_GOPROXY", os.Getenv("GOPROXY"))
			src := sourceCheckout()
			env.Setenv("SOVCHECK_SRC", src.dir)
			env.Setenv("SOVCHECK_HEAD", src.head)
			env.Setenv("HOST_GOMODCACHE", src.modCache)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "interop" {
				_, err := os.Stat(filepath.Join(interopDir, "public-good-trusted_root.json"))
				return err == nil, nil
			}
			if cond == "toolchains" {
				return os.Getenv(toolchainCacheEnv) != "", nil
			}
			if cond == "gitsource" {
				return sourceCheckout().head != "", nil
			}
			if cond == "netns" {
				return netnsTraceable(), nil
			}
			if cond == "romount" {
				return readOnlyMountable(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCommands(),
	})
}

// scriptCommands are the custom commands of sovcheck's test scripts.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exitcode": cmdExitCode,
	}
	for name, fn := range fixtureCommands() {
		cmds[name] = fn
	}
	return cmds
}

// cmdExitCode runs a program and asserts its exit status:
//
//	exitcode N program [args...]
//
// testscript's own exec only tells zero from non-zero; sovcheck's contract
// gives 1 and 2 different meanings, so the scripts check the number.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// netnsTraceable reports whether a program can be run in a network
// namespace of its own (unshare -rn: no interface but a loopback that is
// down) under strace: scripts under [netns] prove that the offline
// commands never try to connect, and are skipped where either is missing
// or user namespaces are not allowed.
func netnsTraceable() bool {
	return exec.Command("unshare", "-rn", "strace", "-qq", "-f", "-e", "trace=connect", "-o", os.DevNull, "true").Run() == nil
}

// readOnlyMountable reports whether a directory can be mounted read-only
// in a mount namespace of its own (unshare -rm, root or not): scripts under
// [romount] ask questions of a store on read-only media, and are skipped
// where user namespaces are not allowed.
func readOnlyMountable() bool {
	dir, err := os.MkdirTemp("", "romount")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	return exec.Command("unshare", "-rm", "sh", "-c", `mount --bind -o ro "$1" "$1" && ! touch "$1/x" 2>/dev/null`, "sh", dir).Run() == nil
}

// sourceCheckout is the git checkout this test runs in (the module root),
// its HEAD commit (empty when the module is not a git checkout, as in a
// module zip) and the machine's module cache, for the script that releases
// sovcheck itself from a clone of it.
var sourceCheckout = sync.OnceValue(func() (s struct{ dir, head, modCache string }) {
	s.dir, _ = filepath.Abs(filepath.Join("..", ".."))
	if out, err := exec.Command("git", "-C", s.dir, "rev-parse", "HEAD").Output(); err == nil {
		s.head = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		s.modCache = strings.TrimSpace(string(out))
	}
	return s
})
