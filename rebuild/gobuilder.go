package rebuild

import (
	"encoding/json"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// checkoutMarker names the directory into which the Go builder checks out
// the project; everything after it in a step's workingDir is the step's
// directory inside the checkout.
const checkoutMarker = "__PROJECT_CHECKOUT_DIR__"

// goBuilderPredicate is the part of the Go builder's SLSA v0.2 predicate
// that a replay needs.
type goBuilderPredicate struct {
	BuildType   string `json:"buildType"`
	BuildConfig struct {
		Version int `json:"version"`
		Steps   []struct {
			WorkingDir string   `json:"workingDir"`
			Command    []string `json:"command"`
			Env        []string `json:"env"`
		} `json:"steps"`
	} `json:"buildConfig"`
	Materials []struct {
		URI    string            `json:"uri"`
		Digest map[string]string `json:"digest"`
	} `json:"materials"`
}

// hostedGoPath matches the Go command of a GitHub-hosted toolchain, e.g.
// /opt/hostedtoolcache/go/1.21.13/x64/bin/go, capturing the version.
var hostedGoPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`/go/([0-9]+\.[0-9]+(?:\.[0-9]+)?(?:(?:rc|beta)[0-9]+)?)/[^/]+/bin/go$`)
})

// ToolchainFromGoPath returns the Go toolchain name (go1.21.13) encoded in
// the path of a go command from a hosted toolchain cache
// (/opt/hostedtoolcache/go/1.21.13/x64/bin/go). Directory versions of
// releases before Go 1.21 carry a ".0" that the release name does not.
func ToolchainFromGoPath(goPath string) (string, bool) {
	m := hostedGoPath().FindStringSubmatch(goPath)
	if m == nil {
		return "", false
	}
	v := m[1]
	parts := strings.Split(v, ".")
	if len(parts) == 3 && parts[2] == "0" {
		if minor, err := strconv.Atoi(parts[1]); err == nil && minor < 21 {
			v = parts[0] + "." + parts[1]
		}
	}
	return "go" + v, true
}

func parseGoBuilder(raw json.RawMessage) (*Recipe, error) {
	var p goBuilderPredicate
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, reason.Wrap(err, reason.ProvenanceMalformed, provenanceReadHint, "parsing Go builder provenance")
	}
	if p.BuildConfig.Version != 1 {
		return nil, unsupported("Go builder buildConfig version %d, want 1", p.BuildConfig.Version)
	}
	if len(p.BuildConfig.Steps) == 0 {
		return nil, malformed("Go builder provenance has no buildConfig.steps")
	}
	if len(p.BuildConfig.Steps) > MaxSteps {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "Go builder provenance has too many steps",
			Want: "at most " + strconv.Itoa(MaxSteps), Hint: "sovcheck replays short go build recipes"}
	}
	if len(p.Materials) == 0 {
		return nil, malformed("Go builder provenance has no materials; the source is unknown")
	}
	rec := &Recipe{BuildType: vocab.BuildTypeGoBuilder}
	src := p.Materials[0]
	uri, ref, _ := strings.Cut(strings.TrimPrefix(src.URI, "git+"), "@")
	rec.Source = Source{URI: uri, Ref: ref, Commit: strings.ToLower(src.Digest["sha1"])}
	if rec.Source.Commit == "" {
		rec.Source.Commit = strings.ToLower(src.Digest["gitCommit"])
	}

	// The checkout root is the first step's workingDir up to the marker;
	// provenance from builders without the marker uses the first step's
	// workingDir as the root.
	first := p.BuildConfig.Steps[0].WorkingDir
	root := first
	if i := strings.Index(first, checkoutMarker); i >= 0 {
		root = first[:i+len(checkoutMarker)]
	}
	if !path.IsAbs(root) || path.Clean(root) != root {
		return nil, malformed("Go builder workingDir %q is not a clean absolute path", first)
	}
	rec.CheckoutDir = root

	for _, s := range p.BuildConfig.Steps {
		if len(s.Command) == 0 {
			return nil, malformed("Go builder step has no command")
		}
		wd := path.Clean(s.WorkingDir)
		if !within(wd, root) {
			return nil, malformed("Go builder workingDir %q is outside the checkout %q", s.WorkingDir, root)
		}
		dir := strings.TrimPrefix(strings.TrimPrefix(wd, root), "/")
		tc, ok := ToolchainFromGoPath(s.Command[0])
		if !ok {
			return nil, unsupported("Go builder command %q does not name a hosted Go toolchain; the Go version is unknown", s.Command[0])
		}
		if rec.Toolchain == "" {
			rec.Toolchain = tc
			rec.GOROOT = path.Dir(path.Dir(s.Command[0]))
		} else if rec.Toolchain != tc {
			return nil, unsupported("Go builder steps use two Go toolchains, %s and %s", rec.Toolchain, tc)
		}
		rec.Steps = append(rec.Steps, Step{Command: s.Command, Dir: dir, Env: s.Env})
	}
	out, err := goBuildOutput(rec.Steps)
	if err != nil {
		return nil, err
	}
	rec.Output = out
	if isReserved(rec.CheckoutDir) {
		rec.CheckoutDir = ""
	}
	if isReserved(rec.GOROOT) {
		rec.GOROOT = ""
	}
	return rec, nil
}

// goBuildOutput finds the -o of the last go build step, relative to the
// checkout root.
func goBuildOutput(steps []Step) (string, error) {
	for i := len(steps) - 1; i >= 0; i-- {
		cmd := steps[i].Command
		if len(cmd) < 2 || cmd[1] != "build" {
			continue
		}
		for j := 2; j < len(cmd); j++ {
			var out string
			switch {
			case cmd[j] == "-o" || cmd[j] == "--o":
				if j+1 < len(cmd) {
					out = cmd[j+1]
				}
			case strings.HasPrefix(cmd[j], "-o="), strings.HasPrefix(cmd[j], "--o="):
				_, out, _ = strings.Cut(cmd[j], "=")
			default:
				continue
			}
			if out == "" || path.IsAbs(out) {
				return "", unsupported("go build -o %q is not a path relative to the working directory", out)
			}
			return path.Join(steps[i].Dir, out), nil
		}
		return "", unsupported("go build step has no -o flag; the output file is unknown")
	}
	return "", unsupported("recipe has no go build step")
}
