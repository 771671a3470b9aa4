package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/rebuild"
)

// rebuiltResult is a rebuild that matched, to vary.
func rebuiltResult() *rebuild.Result {
	return &rebuild.Result{
		Artifact:       "tool",
		ArtifactSHA256: strings.Repeat("1", 64),
		Subject:        rebuild.Subject{Name: "tool-linux-amd64", SHA256: strings.Repeat("1", 64)},
		Status:         rebuild.StatusMatch,
		Recipe: &rebuild.Recipe{BuildType: vocab.BuildTypeGoBuilder, Source: rebuild.Source{URI: "https://example.test/tool", Commit: strings.Repeat("a", 40)},
			Toolchain: "go1.26.8", Steps: []rebuild.Step{{Command: []string{"go", "build", "-o", "tool"}}}, Output: "tool"},
		Toolchain:     &rebuild.Toolchain{Version: "go1.26.8", Origin: rebuild.ToolchainFromHost, GOROOT: "/usr/local/go"},
		Sandbox:       rebuild.SandboxInfo{Method: rebuild.SandboxNamespaces, Hermetic: true, Namespaces: []string{"ipc", "mount", "net", "pid", "user", "uts"}},
		RebuiltSHA256: strings.Repeat("1", 64),
		Started:       time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Finished:      time.Date(2025, 1, 2, 3, 4, 9, 0, time.UTC),
	}
}

func reportResults() []*rebuild.Result {
	match := rebuiltResult()
	match.Phases = []rebuild.Phase{
		{Name: rebuild.PhaseSubject, Status: rebuild.PhasePass, Detail: "tool-linux-amd64 sha256:" + strings.Repeat("1", 64) + ", SLSA Go builder recipe"},
		{Name: rebuild.PhaseToolchain, Status: rebuild.PhasePass, Detail: "go1.26.8 (host)"},
		{Name: rebuild.PhaseSource, Status: rebuild.PhasePass, Detail: "https://example.test/tool commit aaaaaaaaaaaa (2025-01-02T03:04:05Z)"},
		{Name: rebuild.PhaseDependencies, Status: rebuild.PhasePass, Detail: "none needed"},
		{Name: rebuild.PhaseBuild, Status: rebuild.PhasePass, Detail: "1 step in sandbox linux-namespaces (ipc,mount,net,pid,user,uts)"},
		{Name: rebuild.PhaseCompare, Status: rebuild.PhasePass, Detail: "rebuilt sha256:" + strings.Repeat("1", 64) + " equals the attested digest"},
	}
	mismatch := rebuiltResult()
	mismatch.Artifact = "other"
	mismatch.Status = rebuild.StatusMismatch
	mismatch.RebuiltSHA256 = strings.Repeat("3", 64)
	mismatch.Causes = []rebuild.Cause{
		{Code: reason.GoVersionMismatch, What: "Go version", Got: "go1.26.8", Want: "go1.21.13"},
		{Code: reason.LdflagsMismatch, What: "-ldflags -X main.version", Got: "1.1", Want: "1.0"},
	}
	mismatch.Reason = &reason.Error{Code: reason.GoVersionMismatch, Msg: "rebuilt artifact differs: Go version", Got: "go1.26.8", Want: "go1.21.13", Hint: "the artifact was built by another Go toolchain than the provenance records; ask the publisher which one"}
	mismatch.Phases = append(append([]rebuild.Phase{}, match.Phases[:5]...), rebuild.Phase{Name: rebuild.PhaseCompare, Status: rebuild.PhaseFail,
		Detail: "rebuilt sha256:" + strings.Repeat("3", 64) + ", attested sha256:" + strings.Repeat("1", 64)})
	skip := &rebuild.Result{Artifact: "third", ArtifactSHA256: strings.Repeat("4", 64), Status: rebuild.StatusSkip,
		Subject: rebuild.Subject{Name: "third", SHA256: strings.Repeat("4", 64)},
		Recipe:  match.Recipe,
		Reason:  reason.New(reason.ToolchainUnavailable, "install go1.21.13 and run the rebuild again", "toolchain go1.21.13 is not in the cache and the fetch phase is offline"),
		Phases: []rebuild.Phase{match.Phases[0], {Name: rebuild.PhaseToolchain, Status: rebuild.PhaseSkip,
			Detail: "toolchain go1.21.13 is not in the cache and the fetch phase is offline"}}}
	unsandboxed := rebuiltResult()
	unsandboxed.Artifact = "fourth"
	unsandboxed.Sandbox = rebuild.SandboxInfo{Method: rebuild.SandboxNone}
	unsandboxed.Phases = match.Phases
	return []*rebuild.Result{match, mismatch, skip, unsandboxed}
}

func TestRebuildText(t *testing.T) {
	var buf bytes.Buffer
	if err := RebuildText(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	golden(t, "rebuild-results.golden.txt", buf.Bytes())
}

func TestRebuildJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := RebuildJSON(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType string           `json:"mediaType"`
		Results   []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.MediaType != vocab.MediaTypeRebuild || len(doc.Results) != 4 {
		t.Fatalf("report does not parse: %v", err)
	}
	golden(t, "rebuild-results.golden.json", buf.Bytes())
}

func TestModuleZipReports(t *testing.T) {
	results := []*rebuild.ModuleZipResult{
		{Module: "example.test/m", Version: "v1.0.0", Commit: strings.Repeat("a", 40), Status: rebuild.StatusMatch, GotH1: "h1:abc=", WantH1: "h1:abc="},
		{Module: "example.test/m", Version: "v1.1.0", Commit: strings.Repeat("b", 40), Status: rebuild.StatusMismatch, GotH1: "h1:abc=", WantH1: "h1:def=",
			Causes: []rebuild.Cause{{Code: reason.ModuleHashMismatch, What: "module zip hash", Got: "h1:abc=", Want: "h1:def="}},
			Reason: &reason.Error{Code: reason.ModuleHashMismatch, Msg: "module zip recreated from git has another hash", Got: "h1:abc=", Want: "h1:def=", Hint: "check the tag"}},
		{Module: "example.test/m", Version: "v1.2.0", Status: rebuild.StatusSkip, WantH1: "h1:x=",
			Reason: reason.New(reason.SourceUnavailable, "give --source", "resolving refs/tags/v1.2.0")},
	}
	var txt, js bytes.Buffer
	if err := ModuleZipText(&txt, results); err != nil {
		t.Fatal(err)
	}
	if err := ModuleZipJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	golden(t, "rebuild-modules.golden.txt", txt.Bytes())
	golden(t, "rebuild-modules.golden.json", js.Bytes())
}
