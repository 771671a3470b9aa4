package verify

import (
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// entryOutcome is an Expansion item as the report shows it: an artifact
// to verify, or a refused entry with its reason.
func expansionOutcomes(exp *Expansion) []string {
	var out []string
	for _, it := range exp.items {
		if it.refused != nil {
			out = append(out, it.refused.Subject.Name+" "+it.refused.Reason)
			continue
		}
		out = append(out, exp.Artifacts[it.artifact])
	}
	return out
}

func releaseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"b", "a", "a.sigstore.json", "a.intoto.jsonl", "a.sig", "a.cdx.json", "a.cdx.json.sigstore.json", "sbom.cdx.json", "key.pub", "sub/c", "sub/c.sigstore.json"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExpand(t *testing.T) {
	dir := releaseDir(t)
	j := func(name string) string { return filepath.Join(dir, name) }
	digest := "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	exp, err := Expand([]string{dir, digest}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		j("a"), j("b"),
		j("key.pub") + " " + reason.EvidenceOrphaned,
		j("link") + " " + reason.EntrySymlink,
		j("pipe") + " " + reason.EntryNotRegular,
		j("sbom.cdx.json") + " " + reason.EvidenceOrphaned,
		j("sub") + " " + reason.EntrySubdirectory,
		digest,
	}
	if got := expansionOutcomes(exp); !reflect.DeepEqual(got, want) {
		t.Fatalf("Expand = %q\nwant %q", got, want)
	}
	wantEvidence := map[string][]string{j("a"): {j("a.cdx.json"), j("a.cdx.json.sigstore.json"), j("a.intoto.jsonl"), j("a.sig"), j("a.sigstore.json")}}
	if !reflect.DeepEqual(exp.evidence, wantEvidence) {
		t.Fatalf("evidence = %q, want %q", exp.evidence, wantEvidence)
	}
	for _, it := range exp.items {
		if v := it.refused; v != nil && (v.Status != policy.StatusFail || len(v.Checks) != 1 || v.Checks[0].ID != vocab.CheckEntry || v.Checks[0].Hint == "" || !v.Checks[0].Required) {
			t.Fatalf("refused entry: %+v", v)
		}
	}

	// Recursive: the subdirectory's files are artifacts and evidence too.
	exp, err = Expand([]string{dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := expansionOutcomes(exp); !reflect.DeepEqual(got[len(got)-1], j("sub/c")) || len(got) != 7 {
		t.Fatalf("Expand recursive = %q, want sub/c verified last", got)
	}
	if got := exp.evidence[j("sub/c")]; !reflect.DeepEqual(got, []string{j("sub/c.sigstore.json")}) {
		t.Fatalf("evidence of sub/c = %q", got)
	}

	if _, err := Expand([]string{"sha256:12"}, false); err == nil {
		t.Fatal("short digest accepted")
	}
	if _, err := Expand([]string{t.TempDir()}, false); err == nil {
		t.Fatal("empty directory accepted")
	}
}

// A clean release directory: every file an artifact or its evidence.
func TestExpandClean(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tool", "tool.sigstore.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exp, err := Expand([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := expansionOutcomes(exp); !reflect.DeepEqual(got, []string{filepath.Join(dir, "tool")}) {
		t.Fatalf("Expand = %q", got)
	}
}

func TestExpandDepthLimit(t *testing.T) {
	dir := t.TempDir()
	p := dir
	for range MaxDirectoryDepth + 2 {
		p = filepath.Join(p, "d")
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Expand([]string{dir}, true); err == nil {
		t.Fatal("a directory nested past MaxDirectoryDepth was walked")
	}
}
