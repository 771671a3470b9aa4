// Package ocitest builds container image fixtures at test time: random
// images and multi-platform indexes, an in-memory registry on loopback,
// OCI layouts and archives, and evidence attached the ways the ecosystem
// attaches it (cosign's .sig/.att tags with their annotations, Sigstore
// bundles as OCI 1.1 referrers), signed by a virtual Sigstore. It is for
// tests and benchmarks only; nothing here reaches the network.
package ocitest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry is go-containerregistry's in-memory registry on a loopback
// port, optionally behind a handler that misbehaves on purpose.
type Registry struct {
	Host   string // 127.0.0.1:PORT
	server *httptest.Server
}

// NewRegistry starts an in-memory registry. With referrers, it serves the
// OCI 1.1 referrers API; without, clients fall back to the tag schema.
// wrap, when not nil, wraps the registry's handler.
func NewRegistry(referrers bool, wrap func(http.Handler) http.Handler) *Registry {
	var h http.Handler = registry.New(registry.WithReferrersSupport(referrers), registry.Logger(discardLogger()))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	return &Registry{Host: strings.TrimPrefix(s.URL, "http://"), server: s}
}

// Close stops the registry.
func (r *Registry) Close() { r.server.Close() }

// RandomImage returns an image of random layers whose configuration names
// platform (os/arch[/variant]; empty for linux/amd64).
func RandomImage(platform string, layers int, layerSize int64) (v1.Image, error) {
	img, err := random.Image(layerSize, int64(layers))
	if err != nil {
		return nil, fmt.Errorf("making random image: %w", err)
	}
	p, err := parsePlatform(platform)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting platform: %w", err)
	}
	return mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1), nil
}

// RandomIndex returns an OCI index of one random image per platform.
func RandomIndex(platforms []string, layers int, layerSize int64) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, ps := range platforms {
		img, err := RandomImage(ps, layers, layerSize)
		if err != nil {
			return nil, err
		}
		p, err := parsePlatform(ps)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}

func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		s = "linux/amd64"
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// Place is where fixtures put images and evidence: a registry repository
// or an OCI image layout.
type Place interface {
	// PutImage stores an image or index under tag ("" for none) and
	// returns its digest.
	PutImage(tag string, img any) (string, error)
	// PutBlob stores a blob.
	PutBlob(data []byte, mt types.MediaType) (v1.Descriptor, error)
	// PutManifest stores a raw manifest under tag, or untagged for "".
	PutManifest(tag string, raw []byte, mt types.MediaType) (string, error)
	// Manifest reads a manifest by tag or digest; ok is false when absent.
	Manifest(ref string) (raw []byte, mt types.MediaType, ok bool, err error)
	// Name is the repository name written into signature payloads.
	Name() string
}

// RegistryPlace is a repository of a registry reached over plain HTTP.
type RegistryPlace struct {
	Repo name.Repository
	Auth authn.Authenticator // nil for anonymous
}

// NewRegistryPlace returns the place for host/repo.
func NewRegistryPlace(host, repo string) (*RegistryPlace, error) {
	r, err := name.NewRepository(host+"/"+repo, name.Insecure)
	if err != nil {
		return nil, fmt.Errorf("parsing repository: %w", err)
	}
	return &RegistryPlace{Repo: r, Auth: authn.Anonymous}, nil
}

func (p *RegistryPlace) opts() []remote.Option { return []remote.Option{remote.WithAuth(p.Auth)} }

func (p *RegistryPlace) Name() string { return p.Repo.Name() }

func (p *RegistryPlace) ref(tag string) name.Reference {
	if strings.HasPrefix(tag, "sha256:") {
		return p.Repo.Digest(tag)
	}
	return p.Repo.Tag(tag)
}

func (p *RegistryPlace) PutImage(tag string, img any) (string, error) {
	switch x := img.(type) {
	case v1.Image:
		d, err := x.Digest()
		if err != nil {
			return "", err
		}
		if tag == "" {
			tag = d.String()
		}
		return d.String(), remote.Write(p.ref(tag), x, p.opts()...)
	case v1.ImageIndex:
		d, err := x.Digest()
		if err != nil {
			return "", err
		}
		if tag == "" {
			tag = d.String()
		}
		return d.String(), remote.WriteIndex(p.ref(tag), x, p.opts()...)
	}
	return "", fmt.Errorf("unsupported image type %T", img)
}

func (p *RegistryPlace) PutBlob(data []byte, mt types.MediaType) (v1.Descriptor, error) {
	l := static.NewLayer(data, mt)
	if err := remote.WriteLayer(p.Repo, l, p.opts()...); err != nil {
		return v1.Descriptor{}, fmt.Errorf("writing blob: %w", err)
	}
	d, _ := l.Digest()
	return v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(data))}, nil
}

func (p *RegistryPlace) PutManifest(tag string, raw []byte, mt types.MediaType) (string, error) {
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	if tag == "" {
		tag = d.String()
	}
	if err := remote.Put(p.ref(tag), rawManifest{raw, mt}, p.opts()...); err != nil {
		return "", fmt.Errorf("writing manifest: %w", err)
	}
	return d.String(), nil
}

func (p *RegistryPlace) Manifest(ref string) ([]byte, types.MediaType, bool, error) {
	desc, err := remote.Get(p.ref(ref), p.opts()...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("reading manifest %s: %w", ref, err)
	}
	return desc.Manifest, desc.MediaType, true, nil
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// LayoutPlace is an OCI image layout directory.
type LayoutPlace struct {
	Path layout.Path
	name string
}

// NewLayoutPlace creates (or opens) the layout at dir. repoName is the name
// written into signature payloads.
func NewLayoutPlace(dir, repoName string) (*LayoutPlace, error) {
	if p, err := layout.FromPath(dir); err == nil {
		return &LayoutPlace{Path: p, name: repoName}, nil
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, fmt.Errorf("creating layout: %w", err)
	}
	return &LayoutPlace{Path: p, name: repoName}, nil
}

func (p *LayoutPlace) Name() string { return p.name }

func refAnnotations(tag string) layout.Option {
	if tag == "" {
		return layout.WithAnnotations(nil)
	}
	return layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})
}

func (p *LayoutPlace) untag(tag string) error {
	if tag == "" {
		return nil
	}
	return p.Path.RemoveDescriptors(match.Annotation("org.opencontainers.image.ref.name", tag))
}

func (p *LayoutPlace) PutImage(tag string, img any) (string, error) {
	if err := p.untag(tag); err != nil {
		return "", err
	}
	switch x := img.(type) {
	case v1.Image:
		d, err := x.Digest()
		if err != nil {
			return "", err
		}
		return d.String(), p.Path.AppendImage(x, refAnnotations(tag))
	case v1.ImageIndex:
		d, err := x.Digest()
		if err != nil {
			return "", err
		}
		return d.String(), p.Path.AppendIndex(x, refAnnotations(tag))
	}
	return "", fmt.Errorf("unsupported image type %T", img)
}

func (p *LayoutPlace) PutBlob(data []byte, mt types.MediaType) (v1.Descriptor, error) {
	h, n, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return v1.Descriptor{}, err
	}
	if err := p.Path.WriteBlob(h, io.NopCloser(bytes.NewReader(data))); err != nil {
		return v1.Descriptor{}, fmt.Errorf("writing blob: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Digest: h, Size: n}, nil
}

func (p *LayoutPlace) PutManifest(tag string, raw []byte, mt types.MediaType) (string, error) {
	d, err := p.PutBlob(raw, mt)
	if err != nil {
		return "", err
	}
	if err := p.untag(tag); err != nil {
		return "", err
	}
	if tag != "" {
		d.Annotations = map[string]string{"org.opencontainers.image.ref.name": tag}
	}
	return d.Digest.String(), p.Path.AppendDescriptor(d)
}

func (p *LayoutPlace) Manifest(ref string) ([]byte, types.MediaType, bool, error) {
	idx, err := p.Path.ImageIndex()
	if err != nil {
		return nil, "", false, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", false, err
	}
	for _, d := range im.Manifests {
		if d.Digest.String() == ref || d.Annotations["org.opencontainers.image.ref.name"] == ref {
			raw, err := os.ReadFile(filepath.Join(string(p.Path), "blobs", d.Digest.Algorithm, d.Digest.Hex))
			return raw, d.MediaType, err == nil, err
		}
	}
	if strings.HasPrefix(ref, "sha256:") {
		raw, err := os.ReadFile(filepath.Join(string(p.Path), "blobs", "sha256", strings.TrimPrefix(ref, "sha256:")))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", false, nil
		}
		var head struct {
			MediaType types.MediaType `json:"mediaType"`
		}
		if err == nil {
			err = json.Unmarshal(raw, &head)
		}
		return raw, head.MediaType, err == nil, err
	}
	return nil, "", false, nil
}

// Archive writes the layout at dir as an uncompressed tar at file, as an
// OCI archive (and as docker save does since Docker 25).
func Archive(dir, file string) error {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// SwapLayer stores, under tag, a copy of the image manifest digest whose
// first layer is replaced by random bytes of the same size, as whoever
// changes one layer of a signed image must push it, and returns the new
// manifest's digest.
func SwapLayer(p Place, digest, tag string) (string, error) {
	raw, mt, ok, err := p.Manifest(digest)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("swapping layer: no manifest %s", digest)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("parsing manifest: %w", err)
	}
	if len(m.Layers) == 0 {
		return "", fmt.Errorf("swapping layer: %s has no layers", digest)
	}
	other := make([]byte, m.Layers[0].Size)
	if _, err := rand.Read(other); err != nil {
		return "", err
	}
	d, err := p.PutBlob(other, m.Layers[0].MediaType)
	if err != nil {
		return "", err
	}
	m.Layers[0] = d
	body, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return p.PutManifest(tag, body, mt)
}
