package rebuild

import (
	"fmt"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Status is the outcome of one rebuild.
type Status string

const (
	// StatusMatch: the rebuilt artifact's sha256 equals the attested one.
	StatusMatch Status = "MATCH"
	// StatusMismatch: the rebuild ran and did not reproduce the artifact,
	// or the provenance does not attest the artifact at all.
	StatusMismatch Status = "MISMATCH"
	// StatusSkip: the rebuild could not be tried (toolchain, source,
	// dependencies or sandbox unavailable, or an unsupported recipe).
	StatusSkip Status = "SKIP"
)

// Phase names, in order.
const (
	PhaseSubject      = "subject"
	PhaseRecipe       = "recipe" // only when the recipe is refused
	PhaseToolchain    = "toolchain"
	PhaseSource       = "source"
	PhaseDependencies = "dependencies"
	PhaseBuild        = "build"
	PhaseCompare      = "compare"
)

// Phase statuses, as in gorebuild's log: anything not checked is not PASS.
const (
	PhasePass = "PASS"
	PhaseFail = "FAIL"
	PhaseSkip = "SKIP"
)

// Result is the outcome of rebuilding one artifact.
type Result struct {
	Artifact       string        // the artifact as the caller named it
	ArtifactSHA256 string        // sha256 of the published artifact
	Subject        Subject       // the provenance subject it matched (empty if none)
	Status         Status        // MATCH, MISMATCH or SKIP
	Reason         *reason.Error // why, for MISMATCH and SKIP; nil for MATCH
	Causes         []Cause       // every difference found on MISMATCH, most telling first
	Recipe         *Recipe       // the recipe replayed
	Toolchain      *Toolchain    // the toolchain used, once fetched
	Sandbox        SandboxInfo   // how the build was isolated
	RebuiltSHA256  string        // sha256 of the rebuilt artifact, once built
	Phases         []Phase       // what was done, in order
	BuildLog       string        // tail of the build output when the build failed
	// SourceMissing names (up to 10) the objects of the commit's tree
	// that the source lacked, "type id path"; SourceMissingCount counts
	// them all. The build ran without them: a MATCH stands, with a
	// warning; anything else is SKIP SOURCE_INCOMPLETE.
	SourceMissing      []string
	SourceMissingCount int
	Started            time.Time
	Finished           time.Time
}

// Hermetic reports whether the build ran in the namespace sandbox.
func (r *Result) Hermetic() bool { return r.Sandbox.Hermetic }

// SandboxInfo says how a build was isolated.
type SandboxInfo struct {
	Method     string   `json:"method"` // SandboxNamespaces, SandboxNone, or "" if no build ran
	Hermetic   bool     `json:"hermetic"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// Phase is one line of the result's PASS/FAIL/SKIP log.
type Phase struct {
	Name    string        `json:"name"`
	Status  string        `json:"status"`
	Detail  string        `json:"detail"`
	Elapsed time.Duration `json:"-"`
}

// Cause is one explained difference between the published and the rebuilt
// artifact.
type Cause struct {
	Code string `json:"code"`
	What string `json:"what"`
	Got  string `json:"got,omitempty"`  // in the rebuilt artifact
	Want string `json:"want,omitempty"` // in the published artifact
}

// Progress reports the start (Done false) and end (Done true) of a long
// phase of one rebuild.
type Progress struct {
	Artifact string
	Phase    string
	Done     bool
	Elapsed  time.Duration
}

// Request asks for one artifact to be rebuilt.
type Request struct {
	// Artifact is the path of the published artifact.
	Artifact string
	// SHA256, when Artifact is empty, is the published artifact's digest
	// (lowercase hex): the rebuild is compared with it, and a mismatch
	// cannot be explained from the published file.
	SHA256 string
	// Name is how reports name the artifact; default: Artifact.
	Name string
	// Recipes are the recipes read from the artifact's provenance; the one
	// whose subject has the artifact's sha256 is replayed.
	Recipes []*Recipe
	// Source is a git checkout directory or a git URL holding the recipe's
	// commit. Empty: the recipe's own source URI (network).
	Source string
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// SourceWarning says what the source lacked, for a result whose source
// was incomplete; "" otherwise.
func (r *Result) SourceWarning() string {
	if r.SourceMissingCount == 0 {
		return ""
	}
	more := ""
	if n := r.SourceMissingCount - len(r.SourceMissing); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("the source checkout lacks %d git object%s of the commit (%s%s); the build ran without them",
		r.SourceMissingCount, plural(r.SourceMissingCount), strings.Join(r.SourceMissing, ", "), more)
}
