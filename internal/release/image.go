package release

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// imagePath is where the image holds the binary.
const imagePath = "usr/local/bin/sovcheck"

// pushImage builds the image index of the release's linux sovcheck binaries, pushes
// it to o.Registry under the release's version and signs its digest with
// the release key as cosign does (a simple signing payload under the
// sha256-<hex>.sig tag; no transparency log). It returns the pushed
// index as REGISTRY/REPO@sha256:... and the tag.
func pushImage(ctx context.Context, o Options, res *Result, created time.Time) (string, string, error) {
	var adds []mutate.IndexAddendum
	for _, a := range res.Artifacts {
		goos, goarch, _ := strings.Cut(a.Platform, "/")
		if goos != "linux" || a.Command != "sovcheck" {
			continue
		}
		img, err := imageOf(filepath.Join(o.Source, a.Path), goos, goarch, created, res)
		if err != nil {
			return "", "", fmt.Errorf("image for %s: %w", a.Platform, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: goos, Architecture: goarch}}})
	}
	if len(adds) == 0 {
		return "", "", fmt.Errorf("the release has no linux binary, and an image needs one")
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	tag := o.Tag
	if tag == "" {
		tag = strings.NewReplacer("+", "-").Replace(res.Version)
	}
	ref, err := name.NewTag(o.Registry+":"+tag, nopts...)
	if err != nil {
		return "", "", fmt.Errorf("image reference: %w", err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	fmt.Fprintf(o.Log, "release: pushing %s\n", ref)
	if err := remote.WriteIndex(ref, idx, ropts...); err != nil {
		return "", "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return "", "", err
	}
	if err := signImage(ref.Context(), digest, o.Key, nopts, ropts); err != nil {
		return "", "", err
	}
	return ref.Context().Name() + "@" + digest.String(), tag, nil
}

// imageOf is the image of one binary: a single layer with the binary at
// /usr/local/bin/sovcheck, every time in it the commit's, so that the same
// binary always gives the same image.
func imageOf(bin, goos, goarch string, created time.Time, res *Result) (v1.Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, d := range []string{"usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: imagePath, Mode: 0o755, Size: int64(len(data)), ModTime: created, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb.Bytes())), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = goos, goarch, v1.Time{Time: created}
	cf.Config.Entrypoint = []string{"/" + imagePath}
	cf.Config.Env = []string{"PATH=/usr/local/bin"}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.source":   "https://" + Module,
		"org.opencontainers.image.revision": res.Commit,
		"org.opencontainers.image.version":  res.Version,
	}
	for i := range cf.History {
		cf.History[i].Created = v1.Time{Time: created}
	}
	return mutate.ConfigFile(img, cf)
}

// signImage stores a cosign signature of digest under repo's
// sha256-<hex>.sig tag: a simple signing payload naming repo and digest,
// signed with key, as 'cosign sign --key --tlog-upload=false' stores it.
func signImage(repo name.Repository, digest v1.Hash, key crypto.Signer, nopts []name.Option, ropts []remote.Option) error {
	payload := oci.SimpleSigningPayload(repo.Name(), digest.String())
	var sig []byte
	var err error
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		sig, err = key.Sign(rand.Reader, payload, crypto.Hash(0))
	} else {
		h := sha256.Sum256(payload)
		sig, err = key.Sign(rand.Reader, h[:], crypto.SHA256)
	}
	if err != nil {
		return fmt.Errorf("signing the image: %w", err)
	}
	img, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), mutate.Addendum{
		Layer:       static.NewLayer(payload, types.MediaType(vocab.MediaTypeSimpleSigning)),
		Annotations: map[string]string{oci.AnnotationSignature: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return err
	}
	tag, err := name.NewTag(repo.Name()+":"+digest.Algorithm+"-"+digest.Hex+".sig", nopts...)
	if err != nil {
		return err
	}
	if err := remote.Write(tag, img, ropts...); err != nil {
		return fmt.Errorf("pushing the signature %s: %w", tag, err)
	}
	return nil
}
