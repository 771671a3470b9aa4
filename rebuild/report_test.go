package rebuild

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func reportResults() []*Result {
	match := attestedResult()
	match.Phases = []Phase{
		{Name: PhaseSubject, Status: PhasePass, Detail: "tool-linux-amd64 sha256:" + strings.Repeat("1", 64) + ", SLSA Go builder recipe"},
		{Name: PhaseToolchain, Status: PhasePass, Detail: "go1.26.8 (host)"},
		{Name: PhaseSource, Status: PhasePass, Detail: "https://example.test/tool commit aaaaaaaaaaaa (2025-01-02T03:04:05Z)"},
		{Name: PhaseDependencies, Status: PhasePass, Detail: "none needed"},
		{Name: PhaseBuild, Status: PhasePass, Detail: "1 step in sandbox linux-namespaces (ipc,mount,net,pid,user,uts)"},
		{Name: PhaseCompare, Status: PhasePass, Detail: "rebuilt sha256:" + strings.Repeat("1", 64) + " equals the attested digest"},
	}
	mismatch := attestedResult()
	mismatch.Artifact = "other"
	mismatch.Status = StatusMismatch
	mismatch.RebuiltSHA256 = strings.Repeat("3", 64)
	mismatch.Causes = []Cause{
		{Code: CodeGoVersionMismatch, What: "Go version", Got: "go1.26.8", Want: "go1.21.13"},
		{Code: CodeLdflagsMismatch, What: "-ldflags -X main.version", Got: "1.1", Want: "1.0"},
	}
	mismatch.Reason = &reason.Error{Code: CodeGoVersionMismatch, Msg: "rebuilt artifact differs: Go version", Got: "go1.26.8", Want: "go1.21.13", Hint: hintFor(CodeGoVersionMismatch)}
	mismatch.Phases = append(append([]Phase{}, match.Phases[:5]...), Phase{Name: PhaseCompare, Status: PhaseFail,
		Detail: "rebuilt sha256:" + strings.Repeat("3", 64) + ", attested sha256:" + strings.Repeat("1", 64)})
	skip := &Result{Artifact: "third", ArtifactSHA256: strings.Repeat("4", 64), Status: StatusSkip,
		Subject: Subject{Name: "third", SHA256: strings.Repeat("4", 64)},
		Recipe:  match.Recipe,
		Reason:  reason.New(CodeToolchainUnavailable, "install go1.21.13 and run the rebuild again", "toolchain go1.21.13 is not in the cache and the fetch phase is offline"),
		Phases: []Phase{match.Phases[0], {Name: PhaseToolchain, Status: PhaseSkip,
			Detail: "toolchain go1.21.13 is not in the cache and the fetch phase is offline"}}}
	unsandboxed := attestedResult()
	unsandboxed.Artifact = "fourth"
	unsandboxed.Sandbox = SandboxInfo{Method: SandboxNone}
	unsandboxed.Phases = match.Phases
	return []*Result{match, mismatch, skip, unsandboxed}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.txt", buf.Bytes())
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType string           `json:"mediaType"`
		Results   []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.MediaType != MediaTypeReport || len(doc.Results) != 4 {
		t.Fatalf("report does not parse: %v", err)
	}
	golden(t, "report.golden.json", buf.Bytes())
}

func TestWriteModuleReports(t *testing.T) {
	results := []*ModuleZipResult{
		{Module: "example.test/m", Version: "v1.0.0", Commit: strings.Repeat("a", 40), Status: StatusMatch, GotH1: "h1:abc=", WantH1: "h1:abc="},
		{Module: "example.test/m", Version: "v1.1.0", Commit: strings.Repeat("b", 40), Status: StatusMismatch, GotH1: "h1:abc=", WantH1: "h1:def=",
			Causes: []Cause{{Code: CodeModuleHashMismatch, What: "module zip hash", Got: "h1:abc=", Want: "h1:def="}},
			Reason: &reason.Error{Code: CodeModuleHashMismatch, Msg: "module zip recreated from git has another hash", Got: "h1:abc=", Want: "h1:def=", Hint: "check the tag"}},
		{Module: "example.test/m", Version: "v1.2.0", Status: StatusSkip, WantH1: "h1:x=",
			Reason: reason.New(CodeSourceUnavailable, "give --source", "resolving refs/tags/v1.2.0")},
	}
	var txt, js bytes.Buffer
	if err := WriteModuleText(&txt, results); err != nil {
		t.Fatal(err)
	}
	if err := WriteModuleJSON(&js, results); err != nil {
		t.Fatal(err)
	}
	golden(t, "modules.golden.txt", txt.Bytes())
	golden(t, "modules.golden.json", js.Bytes())
}
