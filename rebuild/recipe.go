package rebuild

import (
	"encoding/hex"
	"fmt"
	"go/version"
	"path"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits on recipes read from provenance. A recipe that exceeds one is
// refused, never truncated.
const (
	MaxSteps      = 16
	MaxArgs       = 256
	MaxArgBytes   = 8 << 10
	MaxEnvEntries = 64
	MaxSubjects   = 1000
)

// Recipe is a build recipe read from provenance, normalised for replay.
type Recipe struct {
	BuildType string    `json:"buildType"`
	Source    Source    `json:"source"`
	Toolchain string    `json:"toolchain"` // Go toolchain name, e.g. go1.21.13
	Steps     []Step    `json:"steps"`
	Output    string    `json:"output"` // built artifact, slash path relative to the checkout root
	Subjects  []Subject `json:"subjects"`

	// Where the original build had its checkout and its Go toolchain
	// (absolute paths). The sandbox mounts both at the same places, so
	// binaries built without -trimpath can still match. Empty means a
	// sovcheck default.
	CheckoutDir string `json:"checkoutDir,omitempty"`
	GOROOT      string `json:"goroot,omitempty"`

	// Refused, when set, is why sovcheck will not replay this recipe
	// (code RECIPE_UNSUPPORTED); only BuildType and Subjects are set
	// then. Rebuilding an artifact it attests is a SKIP with this reason.
	Refused *reason.Error `json:"-"`
}

// Source is the source revision a recipe builds.
type Source struct {
	URI    string `json:"uri"`           // repository, e.g. https://github.com/org/repo
	Ref    string `json:"ref,omitempty"` // e.g. refs/tags/v1.2.3, informational
	Commit string `json:"commit"`        // full hex commit id
}

// Step is one command of a recipe, replayed verbatim in the sandbox.
type Step struct {
	Command []string `json:"command"`
	Dir     string   `json:"dir,omitempty"` // slash path relative to the checkout root
	Env     []string `json:"env,omitempty"` // KEY=VALUE
}

// Subject is one artifact the provenance attests.
type Subject struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// SubjectFor returns the subject whose sha256 is sha256Hex.
func (r *Recipe) SubjectFor(sha256Hex string) (Subject, bool) {
	for _, s := range r.Subjects {
		if s.SHA256 == strings.ToLower(sha256Hex) {
			return s, true
		}
	}
	return Subject{}, false
}

// ShortCommit is the commit id cut to 12 digits, for messages.
func (s Source) ShortCommit() string {
	if len(s.Commit) > 12 {
		return s.Commit[:12]
	}
	return s.Commit
}

// Toolchain minimums. The build runs in the sandbox, without network and
// with only the checkout's overlay, its private caches and the build cache
// of its own toolchain and source writable; that is the containment. What
// the minimums add is that the go command itself runs no program of the
// source's choosing. Go commands before go1.21.2 can be made to by #cgo
// directives (CVE-2023-39323, CVE-2023-29402, CVE-2023-29404,
// CVE-2023-29405), and only when cgo is enabled: with CGO_ENABLED=0 the go
// command excludes every file that imports "C", so it reads no #cgo
// directive at all. Hence:
//   - MinToolchainCgo and later: replayed as recorded;
//   - MinToolchain up to MinToolchainCgo: replayed only if every go build
//     step sets CGO_ENABLED=0 (as the SLSA GitHub generator's Go builder
//     configurations do); the other go commands a recipe may run (mod
//     download, mod vendor, mod verify, env, version) compile nothing;
//   - older: refused.
const (
	// MinToolchain is the oldest Go toolchain sovcheck replays at all:
	// the oldest its tests rebuild bit for bit (the SLSA GitHub
	// generator's Go builder used go1.18 in 2022-2023).
	MinToolchain = "go1.18"
	// MinToolchainCgo is the oldest Go toolchain sovcheck replays with
	// cgo enabled.
	MinToolchainCgo = "go1.21.2"
)

// goSubcommands are the go commands a recipe may run. None of them runs
// code from the source being built: the sandbox replays only the Go
// toolchain, so the shared build cache only ever holds entries the go
// command computed itself. go generate, go run, go test and go tool are
// refused for that reason.
var goSubcommands = map[string][]string{
	"build":   nil,
	"version": nil,
	"env":     nil,
	"mod":     {"download", "vendor", "verify"},
}

// stepEnvAllowed lists the variables a recipe step may set. Everything else
// is refused: the sandbox owns PATH, HOME, the caches and the proxy, and
// variables such as CC or CGO_LDFLAGS would let a recipe run programs of its
// choosing.
var stepEnvAllowed = map[string]bool{
	"GOOS": true, "GOARCH": true, "GOAMD64": true, "GOARM": true, "GOARM64": true, "GO386": true,
	"GOMIPS": true, "GOMIPS64": true, "GOPPC64": true, "GORISCV64": true, "GOWASM": true,
	"CGO_ENABLED": true, "GO111MODULE": true, "GOFLAGS": true, "GOEXPERIMENT": true,
	"GOWORK": true, "GOFIPS140": true,
	"GOPRIVATE": true, "GONOPROXY": true, "GONOSUMDB": true, "GOINSECURE": true,
}

func unsupported(format string, args ...any) *reason.Error {
	return reason.New(reason.RecipeUnsupported,
		"sovcheck replays go build recipes only; ask the publisher for a recipe without this construct",
		format, args...)
}

func malformed(format string, args ...any) *reason.Error {
	return reason.New(reason.ProvenanceMalformed, "the provenance is corrupt or not a build recipe; ask the publisher for a valid one", format, args...)
}

// Validate checks that the recipe is complete and replayable: known
// toolchain, full commit id, only go commands from the allowlist, only
// allowlisted environment, relative clean paths, and every count within its
// limit.
func (r *Recipe) Validate() error {
	if r.Source.URI == "" {
		return malformed("recipe has no source repository")
	}
	if !isHexID(r.Source.Commit) {
		return malformed("recipe source commit %q is not a full hex commit id", r.Source.Commit)
	}
	if !version.IsValid(r.Toolchain) || !strings.HasPrefix(r.Toolchain, "go") {
		return malformed("recipe toolchain %q is not a Go toolchain name", r.Toolchain)
	}
	if version.Compare(r.Toolchain, MinToolchain) < 0 {
		return unsupported("recipe asks for %s; sovcheck replays %s and later", r.Toolchain, MinToolchain)
	}
	if len(r.Subjects) == 0 {
		return malformed("recipe has no subject")
	}
	if len(r.Subjects) > MaxSubjects {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "recipe has too many subjects",
			Got: fmt.Sprint(len(r.Subjects)), Want: fmt.Sprintf("at most %d", MaxSubjects), Hint: "split the provenance"}
	}
	for _, s := range r.Subjects {
		if len(s.SHA256) != 64 || !isHex(s.SHA256) {
			return malformed("subject %q has no valid sha256 digest", s.Name)
		}
	}
	if len(r.Steps) == 0 {
		return malformed("recipe has no build step")
	}
	if len(r.Steps) > MaxSteps {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "recipe has too many steps",
			Got: fmt.Sprint(len(r.Steps)), Want: fmt.Sprintf("at most %d", MaxSteps), Hint: "sovcheck replays short go build recipes"}
	}
	for i, st := range r.Steps {
		if err := validateStep(st); err != nil {
			return fmt.Errorf("checking step %d: %w", i+1, err)
		}
		if version.Compare(r.Toolchain, MinToolchainCgo) < 0 && st.Command[1] == "build" && stepEnvValue(st, "CGO_ENABLED") != "0" {
			return unsupported("recipe asks for %s and step %d builds with cgo enabled; sovcheck replays toolchains before %s only with CGO_ENABLED=0, since their go command lets #cgo directives in the source run programs (CVE-2023-39323)",
				r.Toolchain, i+1, MinToolchainCgo)
		}
	}
	if err := checkRelPath("output", r.Output); err != nil {
		return err
	}
	// The last step builds the output: nothing else may be what the
	// comparison reads.
	if last := r.Steps[len(r.Steps)-1].Command; len(last) < 2 || last[1] != "build" {
		return unsupported("recipe's last step is not a go build")
	}
	if out, err := goBuildOutput(r.Steps); err != nil {
		return err
	} else if out != r.Output {
		return unsupported("recipe output %q is not the file its last go build writes (%q)", r.Output, out)
	}
	if r.Output == "." {
		return malformed("recipe output is the checkout root, want a file")
	}
	for _, p := range []struct{ what, dir string }{{"checkout dir", r.CheckoutDir}, {"GOROOT", r.GOROOT}} {
		if p.dir == "" {
			continue
		}
		if !path.IsAbs(p.dir) || path.Clean(p.dir) != p.dir || p.dir == "/" {
			return malformed("recipe %s %q is not a clean absolute path", p.what, p.dir)
		}
		if isReserved(p.dir) {
			return unsupported("recipe %s %q lies on a directory the sandbox reserves", p.what, p.dir)
		}
	}
	if r.CheckoutDir != "" && r.GOROOT != "" && (within(r.CheckoutDir, r.GOROOT) || within(r.GOROOT, r.CheckoutDir)) {
		return malformed("recipe checkout dir %q and GOROOT %q overlap", r.CheckoutDir, r.GOROOT)
	}
	return nil
}

func validateStep(st Step) error {
	if len(st.Command) == 0 {
		return malformed("step has no command")
	}
	if len(st.Command) > MaxArgs {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "step has too many arguments",
			Got: fmt.Sprint(len(st.Command)), Want: fmt.Sprintf("at most %d", MaxArgs), Hint: "sovcheck replays short go build recipes"}
	}
	for _, a := range st.Command {
		if len(a) > MaxArgBytes {
			return &reason.Error{Code: reason.InputTooLarge, Msg: "step argument too long",
				Got: fmt.Sprintf("%d bytes", len(a)), Want: fmt.Sprintf("at most %d", MaxArgBytes), Hint: "sovcheck replays short go build recipes"}
		}
		if strings.ContainsRune(a, 0) {
			return malformed("step argument contains a NUL byte")
		}
	}
	if path.Base(st.Command[0]) != "go" {
		return unsupported("step command %q is not the go command", st.Command[0])
	}
	if len(st.Command) < 2 {
		return unsupported("step runs the go command without a subcommand")
	}
	sub, ok := goSubcommands[st.Command[1]]
	if !ok {
		return unsupported("step runs go %s, which may run code from the source", st.Command[1])
	}
	if sub != nil && (len(st.Command) < 3 || !slices.Contains(sub, st.Command[2])) {
		return unsupported("step runs go %s with an unsupported subcommand", st.Command[1])
	}
	if err := checkGoArgs(st.Command); err != nil {
		return err
	}
	if err := checkRelPath("step dir", st.Dir); err != nil {
		return err
	}
	if len(st.Env) > MaxEnvEntries {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "step has too many environment variables",
			Got: fmt.Sprint(len(st.Env)), Want: fmt.Sprintf("at most %d", MaxEnvEntries), Hint: "sovcheck replays short go build recipes"}
	}
	for _, kv := range st.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return malformed("step environment entry %q is not KEY=VALUE", kv)
		}
		if strings.ContainsRune(kv, 0) {
			return malformed("step environment entry contains a NUL byte")
		}
		if !stepEnvAllowed[k] {
			return unsupported("step sets %s, which is not in the sandbox's environment allowlist", k)
		}
		if k == "GOFLAGS" {
			if err := checkGOFLAGS(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepEnvValue is the value a step sets for key, the last one winning as
// in stepEnv; "" if it sets none.
func stepEnvValue(st Step, key string) string {
	v := ""
	for _, kv := range st.Env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func checkRelPath(what, p string) error {
	if p == "" {
		return nil
	}
	if path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return malformed("recipe %s %q is not a clean relative path inside the checkout", what, p)
	}
	return nil
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func isReserved(p string) bool {
	if p == "/" {
		return true
	}
	for _, r := range reservedDirs {
		if within(p, r) || within(r, p) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// isHexID reports whether s is a full SHA-1 or SHA-256 git object id.
func isHexID(s string) bool {
	return (len(s) == 40 || len(s) == 64) && isHex(s)
}
