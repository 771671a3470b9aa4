package oci_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/oci/ocitest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

func layoutFixture(t *testing.T) (dir, digest string, p *ocitest.LayoutPlace) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "app")
	p, err := ocitest.NewLayoutPlace(dir, "registry.example.eu/team/app")
	if err != nil {
		t.Fatal(err)
	}
	img, err := ocitest.RandomImage("linux/arm64", 2, 256)
	if err != nil {
		t.Fatal(err)
	}
	if digest, err = p.PutImage("1.4", img); err != nil {
		t.Fatal(err)
	}
	return dir, digest, p
}

func openLocal(t *testing.T, arg string) (*oci.Image, error) {
	t.Helper()
	c, err := oci.NewClient(oci.WithOffline(true))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := oci.ParseRef(arg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Open(context.Background(), ref)
	if err == nil {
		t.Cleanup(func() { img.Close() })
	}
	return img, err
}

func TestLayoutAndArchive(t *testing.T) {
	dir, digest, _ := layoutFixture(t)
	archive := filepath.Join(t.TempDir(), "app.tar")
	if err := ocitest.Archive(dir, archive); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"oci-layout:" + dir, "oci-layout:" + dir + ":1.4", "oci-layout:" + dir + "@" + digest, "oci-archive:" + archive, "docker-archive:" + archive + ":1.4"} {
		img, err := openLocal(t, arg)
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if img.Digest != digest {
			t.Fatalf("%s: digest %s, want %s", arg, img.Digest, digest)
		}
		targets, err := img.Targets(context.Background(), "linux/arm64")
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if n, err := img.CheckBlobs(context.Background(), targets[0]); err != nil || n != 3 {
			t.Fatalf("%s: CheckBlobs = %d, %v", arg, n, err)
		}
	}
}

func TestLayoutTampering(t *testing.T) {
	t.Run("manifest changed in place", func(t *testing.T) {
		dir, digest, _ := layoutFixture(t)
		blob := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
		raw, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blob, bytes.Replace(raw, []byte(`"schemaVersion":2`), []byte(`"schemaVersion": 2`), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = openLocal(t, "oci-layout:"+dir)
		wantCode(t, err, reason.DigestMismatch)
	})
	t.Run("unknown layout version", func(t *testing.T) {
		dir, _, _ := layoutFixture(t)
		if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"2.0.0"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := openLocal(t, "oci-layout:"+dir)
		wantCode(t, err, reason.ManifestInvalid)
	})
	t.Run("not a layout", func(t *testing.T) {
		_, err := openLocal(t, "oci-layout:"+t.TempDir())
		wantCode(t, err, reason.ManifestInvalid)
	})
	t.Run("missing blob", func(t *testing.T) {
		dir, digest, _ := layoutFixture(t)
		if err := os.Remove(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))); err != nil {
			t.Fatal(err)
		}
		_, err := openLocal(t, "oci-layout:"+dir)
		wantCode(t, err, reason.ImageNotFound)
	})
}

func writeTar(t *testing.T, entries ...string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(entries); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: entries[i], Mode: 0o644, Size: int64(len(entries[i+1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(entries[i+1]))
	}
	tw.Close()
	f := filepath.Join(t.TempDir(), "a.tar")
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestArchiveErrors(t *testing.T) {
	layoutFile := `{"imageLayoutVersion":"1.0.0"}`
	for _, tc := range []struct {
		name string
		file string
		code string
	}{
		{"duplicate entry", writeTar(t, "oci-layout", layoutFile, "index.json", `{"schemaVersion":2,"manifests":[]}`, "./index.json", `{}`), reason.ManifestInvalid},
		{"legacy docker save", writeTar(t, "manifest.json", `[]`), reason.ImageDigestUnknown},
		{"no image", writeTar(t, "oci-layout", layoutFile, "index.json", `{"schemaVersion":2,"manifests":[]}`), reason.ImageNotFound},
		{"index not an index", writeTar(t, "oci-layout", layoutFile, "index.json", `{"schemaVersion":2,"config":{"digest":"sha256:`+strings.Repeat("0", 64)+`","size":1},"layers":[]}`), reason.ManifestInvalid},
		{"not a tar", writeTar(t) + "x", reason.InputUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "not a tar" {
				if err := os.WriteFile(tc.file, []byte(strings.Repeat("not a tar archive ", 100)), 0o644); err != nil {
					t.Fatal(err)
				}
				tc.code = reason.ManifestInvalid
			}
			_, err := openLocal(t, "oci-archive:"+tc.file)
			wantCode(t, err, tc.code)
		})
	}
}

func TestCosignSaveLayout(t *testing.T) {
	// cosign save marks the image and its signature images with a kind
	// annotation instead of cosign's tags.
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	key, err := sigstoretest.NewKey("ecdsa-p256")
	if err != nil {
		t.Fatal(err)
	}
	staging, digest, sp := layoutFixture(t)
	if err := (ocitest.Signer{Authority: ca, Key: key}).Sign(sp, digest); err != nil {
		t.Fatal(err)
	}
	src, err := layout.FromPath(staging)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := src.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "saved")
	dst, err := layout.Write(dir, mustEmptyIndex(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		kind := "dev.cosignproject.cosign/image"
		if strings.HasSuffix(d.Annotations["org.opencontainers.image.ref.name"], ".sig") {
			kind = "dev.cosignproject.cosign/sigs"
		}
		if err := dst.AppendImage(img, layout.WithAnnotations(map[string]string{"kind": kind})); err != nil {
			t.Fatal(err)
		}
	}
	img, err := openLocal(t, "oci-layout:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest != digest {
		t.Fatalf("selected %s, want the image %s", img.Digest, digest)
	}
	d, err := img.Discover(context.Background(), digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Evidence) != 1 || d.Evidence[0].Kind != oci.EvidenceSignature || d.Evidence[0].Err != nil {
		t.Fatalf("evidence = %+v", d.Evidence)
	}
}

func mustEmptyIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	return mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
}
