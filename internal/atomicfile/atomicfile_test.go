package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snap.json")
	when := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if err := Write(path, []byte("one"), when); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Fatalf("read back %q, %v; want two", got, err)
	}
	if err := Write(path, []byte("three"), when); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || !st.ModTime().Equal(when) || st.Mode().Perm() != 0o644 {
		t.Errorf("stat: %v, %v, %v; want mtime %v and mode 0644", st.ModTime(), st.Mode(), err, when)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d entries in the directory, want only the file", len(entries))
	}
}

// TestWriteFailureLeavesTarget is the twin: a write that cannot finish
// (its directory is gone) leaves nothing behind and changes nothing.
func TestWriteFailureLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing", "snap.json")
	if err := Write(path, []byte("x"), time.Time{}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	// Renaming over a directory fails after the temporary file is
	// written: it must be removed and the directory kept.
	target := filepath.Join(dir, "isdir")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, []byte("x"), time.Time{}); err == nil {
		t.Fatal("write over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "isdir" {
		t.Errorf("directory holds %v, want only isdir", entries)
	}
}
