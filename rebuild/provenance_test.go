package rebuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestFindProvenance(t *testing.T) {
	dir := t.TempDir()
	art := filepath.Join(dir, "tool")
	if got := FindProvenance(art); got != "" {
		t.Errorf("no provenance: got %q, want none", got)
	}
	// A directory by the first name is no provenance; the next regular
	// file in order is.
	if err := os.Mkdir(art+".intoto.jsonl", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".bundle", ".sigstore"} {
		if err := os.WriteFile(art+ext, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := FindProvenance(art), art+".sigstore"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadGoSumFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := write("full.sum", "example.test/m v1.0.0 h1:zip=\nexample.test/m v1.0.0/go.mod h1:mod=\n")
	if h1, err := ReadGoSumFile(full, "example.test/m", "v1.0.0"); err != nil || h1 != "h1:zip=" {
		t.Errorf("got %q, %v; want h1:zip=", h1, err)
	}
	for name, c := range map[string]struct {
		path, code, msg string
	}{
		"go.mod hash only": {write("mod.sum", "example.test/m v1.0.0/go.mod h1:mod=\n"), reason.EvidenceMissing, "only the go.mod hash"},
		"missing file":     {filepath.Join(dir, "none.sum"), reason.InputUnreadable, "reading "},
		"too large":        {write("big.sum", strings.Repeat("x", MaxGoSumBytes+1)), reason.InputTooLarge, "file too large"},
	} {
		t.Run(name, func(t *testing.T) {
			h1, err := ReadGoSumFile(c.path, "example.test/m", "v1.0.0")
			if h1 != "" || reason.CodeOf(err, "") != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %q, %v; want %s %q", h1, err, c.code, c.msg)
			}
		})
	}
}

func TestReadSigningKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(notPEM, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, make([]byte, MaxKeyBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, code := range map[string]string{notPEM: reason.KeyInvalid, big: reason.InputTooLarge, filepath.Join(dir, "none"): reason.InputUnreadable} {
		if k, err := ReadSigningKey(path); k != nil || reason.CodeOf(err, "") != code {
			t.Errorf("%s: got %v, %v; want %s", filepath.Base(path), k, err, code)
		}
	}
}

// TestRebuildArtifactsWithoutProvenance: an artifact without provenance
// gets no verdict, and there is nothing to attest.
func TestRebuildArtifactsWithoutProvenance(t *testing.T) {
	rb, err := New(WithCacheDir(t.TempDir()), WithOffline(), WithHostGo(""))
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(art, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := rb.RebuildArtifacts(context.Background(), []string{art}, "", "", 1)
	if len(b.Results) != 0 || reason.CodeOf(b.Err, "") != reason.EvidenceMissing {
		t.Fatalf("got %d results, %v; want none and EVIDENCE_MISSING", len(b.Results), b.Err)
	}
	if env, err := b.Attest(context.Background(), nil, "test"); env != nil || reason.CodeOf(err, "") != reason.EvidenceMissing {
		t.Errorf("attest: got %q, %v; want EVIDENCE_MISSING", env, err)
	}
	// A provenance that is not one: the error names the file.
	prov := filepath.Join(t.TempDir(), "prov.json")
	if err := os.WriteFile(prov, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	b = rb.RebuildArtifacts(context.Background(), []string{art}, prov, "", 1)
	if b.Err == nil || !strings.Contains(b.Err.Error(), "reading provenance "+prov) {
		t.Errorf("got %v, want an error reading %s", b.Err, prov)
	}
}
