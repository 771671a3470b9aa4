//go:build unix

package sbom

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestCollectInputsListsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app.spdx", "SPDXVersion: SPDX-2.3\n")
	write("image.sbom", `{"bomFormat":"CycloneDX","specVersion":"1.6"}`)
	write("README", "not an SBOM\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "linked-dir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	files, skipped, err := CollectInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if !slices.Equal(names, []string{"README", "app.spdx", "image.sbom"}) {
		t.Fatalf("files %q: want every regular file, whatever its name", names)
	}
	got := map[string]string{}
	for _, s := range skipped {
		got[filepath.Base(s.Source)] = s.Code
		if s.Message == "" || s.Hint == "" {
			t.Errorf("skipped %+v without a message and hint", s)
		}
	}
	want := map[string]string{"pipe": reason.SBOMInputNotRegular, "linked-dir": reason.SBOMInputNotRegular, "dangling": reason.InputUnreadable}
	if len(got) != len(want) {
		t.Fatalf("skipped %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s listed with %q, want %q", k, got[k], v)
		}
	}
}
