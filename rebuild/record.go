package rebuild

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// LocalBuild is a local Go build for which `sovcheck attest recipe`
// writes a replayable recipe.
type LocalBuild struct {
	Source    string   // git checkout DIR at the commit to record, with no uncommitted changes
	SourceURI string   // repository URI to record; empty: the checkout's origin remote
	WorkDir   string   // where the command runs, relative to Source
	Output    string   // the built artifact, relative to Source (what go build -o names)
	Command   []string // go build ...
	Env       []string // KEY=VALUE recorded in the recipe and set for the build
	// Log receives the build's own output (stdout and stderr).
	Log io.Writer
}

// inheritedEnv lists the variables a recorded build takes from the
// caller's environment: where the go command finds itself, its caches and
// its module sources. None of them changes the bytes built, and a replay
// sets its own. Everything else is cleared, so that what changes the
// build (GOFLAGS, CGO_ENABLED, GOOS, GOEXPERIMENT, a go.env file) comes
// from the recipe's Env only, as in the rebuild sandbox.
var inheritedEnv = []string{
	"PATH", "HOME", "TMPDIR", "GOPATH", "GOMODCACHE", "GOCACHE",
	"GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE", "GOAUTH",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// fixedEnv is set for every recorded build, as the rebuild sandbox sets it.
var fixedEnv = []string{
	"GOTOOLCHAIN=local", // the toolchain the recipe names is the one that builds
	"GOENV=off",         // no go.env file adds flags behind the recipe's back
	"TZ=UTC", "LC_ALL=C", "LANG=C",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", // VCS stamping reads no machine configuration
}

// RecordRecipe runs the build in the checkout and returns sovcheck's
// replayable recipe for what it built (NewRecipeStatement), as an
// unsigned in-toto statement. The command must be `go build`; what else
// a recipe may hold is checked against the rebuild sandbox's rules once
// the artifact exists.
func RecordRecipe(ctx context.Context, b LocalBuild) ([]byte, error) {
	if len(b.Command) < 2 || filepath.Base(b.Command[0]) != "go" || b.Command[1] != "build" {
		return nil, reason.New(reason.RecipeUnsupported, "give the build after --, e.g. -- go build -trimpath -o tool ./cmd/tool",
			"sovcheck records go build commands only, got %q", strings.Join(b.Command, " "))
	}
	if b.Output == "" || !filepath.IsLocal(b.Output) {
		return nil, reason.New(reason.InputMalformed, "give --output as the artifact's path inside the checkout, as go build -o names it",
			"--output %q is not a path inside the checkout", b.Output)
	}
	if b.WorkDir != "" && !filepath.IsLocal(b.WorkDir) {
		return nil, reason.New(reason.InputMalformed, "give --workdir relative to --source", "--workdir %q is not inside the checkout", b.WorkDir)
	}
	env := make([]string, 0, len(inheritedEnv)+len(fixedEnv)+len(b.Env))
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, fixedEnv...)
	for _, kv := range b.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, reason.New(reason.InputMalformed, "write --env KEY=VALUE", "environment entry %q is not KEY=VALUE", kv)
		}
		env = append(env, kv)
	}
	cmd := exec.CommandContext(ctx, b.Command[0], b.Command[1:]...)
	cmd.Dir = filepath.Join(b.Source, b.WorkDir)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = b.Log, b.Log
	if err := cmd.Run(); err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "the build failed; its output is above", "running %s", strings.Join(b.Command, " "))
	}
	st, _, err := NewRecipeStatement(ctx, RecipeSpec{SourceDir: b.Source, SourceURI: b.SourceURI, Command: b.Command,
		WorkingDir: b.WorkDir, Env: b.Env, Artifact: filepath.Join(b.Source, b.Output)})
	if err != nil {
		return nil, err
	}
	return st, nil
}
