package oci

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every parser of outside input has a fuzz target: no panic, and an error
// means no result.

func FuzzParseManifest(f *testing.F) {
	for _, name := range []string{"manifest-oci.json", "manifest-docker.json", "index-oci.json", "referrer-bundle.json"} {
		f.Add(readTestdata(f, name), "")
		f.Add(readTestdata(f, name), "application/vnd.oci.image.index.v1+json")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		m, err := parseManifest(body, contentType)
		if (m == nil) == (err == nil) {
			t.Fatalf("parseManifest = %v, %v", m, err)
		}
		if m != nil && (m.Image == nil) == (m.Index == nil) {
			t.Fatalf("manifest is both or neither image and index: %+v", m)
		}
	})
}

func FuzzParseSimpleSigning(f *testing.F) {
	f.Add(readTestdata(f, "simplesigning.json"))
	f.Add([]byte(`{"critical":{}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ss, err := ParseSimpleSigning(payload)
		if err != nil && ss != (SimpleSigning{}) {
			t.Fatalf("error %v with a result %+v", err, ss)
		}
		if err == nil && !validDigest(ss.ManifestDigest) {
			t.Fatalf("accepted digest %q", ss.ManifestDigest)
		}
	})
}

func FuzzLegacyBundle(f *testing.F) {
	for _, name := range []string{"legacy-signature.json", "legacy-attestation.json"} {
		s := readLegacySeed(f, name)
		ann, _ := json.Marshal(s.Annotations)
		f.Add(s.MediaType, s.Layer, ann)
	}
	f.Fuzz(func(t *testing.T, mediaType string, layer, annotations []byte) {
		var ann map[string]string
		if json.Unmarshal(annotations, &ann) != nil {
			return
		}
		b, err := LegacyBundle(mediaType, layer, ann)
		if (b == nil) == (err == nil) {
			t.Fatalf("LegacyBundle = %s, %v", b, err)
		}
		if b != nil && !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"registry.example.eu/team/app:1.4", "oci-layout:app:1.4", "docker-archive:a.tar@sha256:0000000000000000000000000000000000000000000000000000000000000000", "docker://alpine", "127.0.0.1:5000/a@sha256:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		r, err := ParseRef(arg)
		if err != nil {
			if r != (Ref{}) {
				t.Fatalf("error %v with a result %+v", err, r)
			}
			return
		}
		if r.Kind == KindRegistry && r.Name == nil || r.Kind != KindRegistry && r.Path == "" {
			t.Fatalf("incomplete reference %+v", r)
		}
	})
}

func FuzzIndexTar(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"index-oci.json", "manifest-oci.json"} {
		data := readTestdata(f, name)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "a.tar")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tfs, err := openTar(path)
		if err != nil {
			if tfs != nil {
				t.Fatal("error with a result")
			}
			return
		}
		defer tfs.Close()
		for name, e := range tfs.files {
			if e.off < 0 || e.size < 0 || e.off+e.size > int64(len(data)) {
				t.Fatalf("entry %s out of bounds: %+v in %d bytes", name, e, len(data))
			}
		}
	})
}
