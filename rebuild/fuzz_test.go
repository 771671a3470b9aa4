package rebuild

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"
)

func FuzzReadRecipes(f *testing.F) {
	for _, name := range []string{"gobuilder.intoto.json", "sovcheck-recipe.intoto.json"} {
		stmt := readTestdata(f, name)
		f.Add(stmt)
		f.Add(envelopeJSON(f, inTotoPayloadType, stmt))
		f.Add(bundleJSON(f, inTotoPayloadType, stmt))
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
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid recipe: %v", err)
			}
			_ = ldflagsXSymbols(r)
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
