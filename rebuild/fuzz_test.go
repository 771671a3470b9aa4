package rebuild

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func FuzzReadRecipes(f *testing.F) {
	for _, name := range []string{"gobuilder.intoto.json", "sovcheck-recipe.intoto.json"} {
		stmt := readTestdata(f, name)
		f.Add(stmt)
		f.Add(envelopeJSON(f, vocab.InTotoPayloadType, stmt))
		f.Add(bundleJSON(f, vocab.InTotoPayloadType, stmt))
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":""}` + "\n" + `{"_type":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadRecipes(bytes.NewReader(data))
		if err != nil {
			if recs != nil {
				t.Fatal("error with a non-nil result")
			}
			return
		}
		for _, r := range recs {
			if r.Refused != nil {
				if r.Refused.Code != reason.RecipeUnsupported || len(r.Subjects) == 0 {
					t.Fatalf("refused recipe %+v, want code %s and subjects", r, reason.RecipeUnsupported)
				}
				continue
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid recipe: %v", err)
			}
			_ = ldflagsXSymbols(r)
		}
	})
}

// FuzzProvenanceLines: the JSON Lines reader returns each line on its own,
// valid JSON within its limits, and no line overwrites another.
func FuzzProvenanceLines(f *testing.F) {
	stmt := readTestdata(f, "gobuilder.intoto.json")
	big := provenanceLines(f, 3, 20<<10)
	f.Add(big)
	f.Add(bytes.Join([][]byte{envelopeJSON(f, vocab.InTotoPayloadType, stmt), bundleJSON(f, vocab.InTotoPayloadType, stmt)}, []byte("\r\n")))
	f.Add([]byte("{}\n\n  \n[]"))
	f.Add([]byte("{\"a\":\n1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := splitDocuments(data)
		if err != nil {
			if docs != nil {
				t.Fatal("error with a non-nil result")
			}
			return
		}
		if len(docs) == 0 || len(docs) > MaxProvenanceLines {
			t.Fatalf("%d documents, want 1 to %d", len(docs), MaxProvenanceLines)
		}
		for i, d := range docs {
			if !json.Valid(d) {
				t.Fatalf("document %d is not JSON", i+1)
			}
			if len(docs) > 1 && (len(d) > MaxProvenanceLineBytes || bytes.IndexByte(d, '\n') >= 0) {
				t.Fatalf("line %d: %d bytes, or holds a newline", i+1, len(d))
			}
		}
		// Each line parses alone, whatever was read after it.
		if len(docs) > 1 {
			again, err := splitDocuments(docs[0])
			if err != nil || !bytes.Equal(again[0], docs[0]) {
				t.Fatalf("first line does not read alone: %v", err)
			}
		}
	})
}

func FuzzArchiveReaders(f *testing.F) {
	epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tarData := buildTar(f, []tarEntry{{"a.txt", "alpha\n", 0o644}})
	f.Add(buildZip(f, [][2]string{{"a", "1"}, {"b/c", "2"}}, epoch))
	f.Add(tarData)
	f.Add(gzipBytes(f, tarData, gzip.BestSpeed, epoch))
	f.Fuzz(func(t *testing.T, data []byte) {
		if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			if es, err := readZipEntries(zr); err != nil && es != nil {
				t.Fatal("zip: error with a non-nil result")
			}
		}
		if es, err := readTarEntries(bytes.NewReader(data)); err != nil && es != nil {
			t.Fatal("tar: error with a non-nil result")
		}
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if es, err := readTarEntries(zr); err != nil && es != nil {
				t.Fatal("tar.gz: error with a non-nil result")
			}
		}
		_ = sniffArchive(data)
	})
}

func FuzzGoSumHashes(f *testing.F) {
	f.Add("example.test/a v1.0.0 h1:zip=\nexample.test/a v1.0.0/go.mod h1:mod=\n")
	f.Add("example.test/a v1.0.0\n")
	f.Fuzz(func(t *testing.T, sum string) {
		z, m, err := GoSumHashes(strings.NewReader(sum), "example.test/a", "v1.0.0")
		if err != nil && (z != "" || m != "") {
			t.Fatal("error with a result")
		}
		if err == nil && !strings.HasPrefix(z+m, "h1:") {
			t.Fatalf("hashes %q %q are not h1:", z, m)
		}
	})
}

// FuzzDepsRecord: whatever go mod download -json prints, the record made
// of it names only files inside the module cache, and reading it back
// never panics.
func FuzzDepsRecord(f *testing.F) {
	f.Add(`{"Path":"example.test/greet","Version":"v1.0.0","GoMod":"/cache/mod/cache/download/example.test/greet/@v/v1.0.0.mod","Zip":"/cache/mod/cache/download/example.test/greet/@v/v1.0.0.zip","Dir":"/cache/mod/example.test/greet@v1.0.0"}`)
	f.Add(`{"GoMod":"/cache/mod/../../etc/passwd"}`)
	f.Add(`{"Error":"not found"}`)
	f.Add(`{"GoMod":"/elsewhere/x.mod"}{`)
	f.Fuzz(func(t *testing.T, out string) {
		dir := t.TempDir()
		rb := &Rebuilder{config: config{cacheDir: filepath.Join(dir, "cache")}}
		record := filepath.Join(dir, "record.json")
		rb.recordDeps(record, strings.ReplaceAll(out, "/cache/mod", rb.modCache()))
		data, err := os.ReadFile(record)
		if err != nil {
			return
		}
		var rec depsRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatalf("unreadable record %q: %v", data, err)
		}
		for _, p := range rec.Files {
			if !filepath.IsLocal(filepath.FromSlash(p)) {
				t.Fatalf("record names %q, outside the module cache", p)
			}
		}
		_ = rb.depsPresent(record, dir)
	})
}

// FuzzOpenSnapshot: a damaged snapshot record is refused, never
// trusted: an opened snapshot is of the commit asked for.
func FuzzOpenSnapshot(f *testing.F) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	f.Add([]byte(`{"format":"sovcheck-snapshot-v1","commit":"` + commit + `","commitTime":1735689600}`))
	f.Add([]byte(`{"format":"sovcheck-snapshot-v0","commit":"` + commit + `"}`))
	f.Add([]byte(`{"commit":1}`))
	f.Fuzz(func(t *testing.T, meta []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "tree", "src"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, snapshotMetaFile), meta, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := openSnapshot(dir, "src", commit)
		if err != nil {
			if s != nil {
				t.Fatal("error with a non-nil snapshot")
			}
			return
		}
		defer s.release()
		var m snapshotMeta
		if err := json.Unmarshal(meta, &m); err != nil || m.Format != snapshotFormat || m.Commit != commit {
			t.Fatalf("opened a snapshot whose record says %+v (%v)", m, err)
		}
		if s.co.Dir != filepath.Join(dir, "tree", "src") || s.co.CommitTime.Unix() != m.CommitTime {
			t.Fatalf("opened %+v", s.co)
		}
	})
}
