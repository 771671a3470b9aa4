package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Client opens images. Build it once per run; it is safe for concurrent
// use and shares registry connections and tokens between images.
type Client struct {
	opts     config
	logger   *slog.Logger
	registry *registryClient
}

// NewClient returns a Client configured by opts. Without options it is
// usable: TLS only, the docker config's credentials, default timeout and
// retries, registries allowed.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{timeout: DefaultTimeout, attempts: DefaultAttempts, retryDelay: DefaultRetryDelay, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Client{opts: cfg, logger: cfg.logger, registry: newRegistryClient(cfg)}, nil
}

// Timeout is the time limit for the work on one image; callers bound the
// context they pass for one image with it.
func (c *Client) Timeout() time.Duration { return c.opts.timeout }

// Image is an image resolved from its argument and pinned by digest.
type Image struct {
	Ref       Ref
	Digest    string // sha256:<hex> of the manifest or index the argument names
	MediaType string
	Tag       string // the tag the digest was resolved from, if any
	Where     string // the pinned image for reports
	top       *manifest
	store     store
}

// Open resolves ref: a tag once to a digest, everything after by digest.
func (c *Client) Open(ctx context.Context, ref Ref) (*Image, error) {
	var st store
	var m *manifest
	var tag string
	switch ref.Kind {
	case KindRegistry:
		if c.opts.offline {
			return nil, reason.New(reason.RegistryOffline, "--offline never touches the network: save the image with its signatures (`cosign save`) and verify oci-layout:DIR",
				"image %s is in a registry", ref.Arg)
		}
		rs, err := c.registry.open(ctx, ref.Name)
		if err != nil {
			return nil, err
		}
		st = rs
		m, err = rs.manifest(ctx, ref.Name.Identifier())
		if errors.Is(err, errNotFound) {
			return nil, reason.New(reason.ImageNotFound, "check the repository and the tag or digest", "the registry has no image %s", ref.Arg)
		}
		if err != nil {
			return nil, err
		}
		if t, ok := ref.Name.(name.Tag); ok {
			tag = t.TagStr()
		}
	case KindLayout, KindArchive:
		ls, err := openLayout(ref)
		if err != nil {
			return nil, err
		}
		st = ls
		m, tag, err = ls.selectImage(ctx, ref)
		if err != nil {
			ls.close()
			return nil, public(err)
		}
	default:
		return nil, fmt.Errorf("unknown image kind %q", ref.Kind)
	}
	img := &Image{Ref: ref, Digest: m.Digest, MediaType: string(m.MediaType), Tag: tag, top: m, store: st, Where: st.where(m.Digest)}
	c.logger.Info("resolved image", "image", ref.Arg, "digest", m.Digest, "mediaType", m.MediaType)
	return img, nil
}

// selectImage picks the image of a layout the reference names.
func (s *layoutStore) selectImage(ctx context.Context, ref Ref) (*manifest, string, error) {
	if ref.Select != "" {
		m, err := s.manifest(ctx, ref.Select)
		if errors.Is(err, errNotFound) {
			return nil, "", reason.New(reason.ImageNotFound, "list the layout's images and their names with `jq .manifests index.json`", "%s has no image %s", s.label, ref.Select)
		}
		tag := ref.Select
		if validDigest(tag) {
			tag = ""
		}
		return m, tag, err
	}
	images, err := s.images(ctx)
	if err != nil {
		return nil, "", err
	}
	switch len(images) {
	case 0:
		return nil, "", reason.New(reason.ImageNotFound, "the layout holds only signatures and attestations; give the layout of the image", "%s holds no image", ref.Arg)
	case 1:
		m, err := s.manifest(ctx, images[0].Digest.String())
		return m, images[0].Annotations[annotationRefName], err
	}
	var names []string
	for _, d := range images {
		n := d.Annotations[annotationRefName]
		if n == "" {
			n = d.Digest.String()
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, "", &reason.Error{Code: reason.ImageAmbiguous, Msg: fmt.Sprintf("%s holds %d images", ref.Arg, len(images)), Got: strings.Join(names, ", "),
		Want: "one image", Hint: "name one: " + ref.Arg + ":REF or " + ref.Arg + "@sha256:<hex>"}
}

// Close releases the image's source (an open archive).
func (img *Image) Close() error { return img.store.close() }

// IsIndex reports whether the argument names a multi-platform index.
func (img *Image) IsIndex() bool { return img.top.Index != nil }

// Target is one image manifest to verify: the image itself, or one
// platform of an index.
type Target struct {
	Digest    string
	MediaType string
	Platform  string // os/arch[/variant]; empty for a single image when no platform was asked for
	// Index is the digest of the index that lists this target, or empty.
	// Evidence on the index covers the target: the index pins its digest.
	Index string
}

// Targets returns the image manifests to verify: for an index, the
// platforms matching platform (all of them when it is empty); for a single
// image, the image, whose configuration must match platform when given.
// Attestation manifests that buildx lists as unknown/unknown are skipped.
func (img *Image) Targets(ctx context.Context, platform string) ([]Target, error) {
	var want *v1.Platform
	if platform != "" {
		p, err := ParsePlatform(platform)
		if err != nil {
			return nil, err
		}
		want = &p
	}
	if img.top.Image != nil {
		t := Target{Digest: img.Digest, MediaType: img.MediaType}
		if want != nil {
			have, err := img.configPlatform(ctx, img.top)
			if err != nil {
				return nil, err
			}
			if !platformMatches(&have, *want) {
				return nil, &reason.Error{Code: reason.PlatformNotFound, Msg: "the image is for another platform", Got: platformString(&have), Want: platform,
					Hint: "pull the image for " + platform + ", or drop --platform"}
			}
			t.Platform = platformString(&have)
		}
		return []Target{t}, nil
	}
	var all []Target
	if err := img.walkIndex(ctx, img.top, 1, map[string]bool{img.Digest: true}, &all); err != nil {
		return nil, public(err)
	}
	if len(all) == 0 {
		return nil, reason.New(reason.ManifestInvalid, "the index lists no image for any platform", "index %s lists no image", img.Digest)
	}
	if want == nil {
		return all, nil
	}
	var out []Target
	var have []string
	for _, t := range all {
		p, _ := ParsePlatform(t.Platform)
		if platformMatches(&p, *want) {
			out = append(out, t)
		}
		have = append(have, t.Platform)
	}
	if len(out) == 0 {
		return nil, &reason.Error{Code: reason.PlatformNotFound, Msg: "no image in the index matches --platform", Got: strings.Join(have, ", "), Want: platform,
			Hint: "pick one of the platforms the index lists"}
	}
	return out, nil
}

// walkIndex collects the image manifests of an index, following nested
// indexes to MaxIndexDepth; seen keeps a manifest listed twice from being
// verified twice.
func (img *Image) walkIndex(ctx context.Context, idx *manifest, depth int, seen map[string]bool, out *[]Target) error {
	for _, d := range idx.Index.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" || (d.Platform != nil && d.Platform.OS == "unknown") {
			continue
		}
		if seen[d.Digest.String()] {
			// Listed before (or the index itself): verified once.
			continue
		}
		seen[d.Digest.String()] = true
		m, err := img.manifestFor(ctx, d)
		if err != nil {
			return err
		}
		if m.Index != nil {
			if depth >= MaxIndexDepth {
				return &reason.Error{Code: reason.ManifestInvalid, Msg: "image indexes nested too deeply", Want: fmt.Sprintf("at most %d levels", MaxIndexDepth),
					Hint: "the index is not a plausible multi-platform image"}
			}
			if err := img.walkIndex(ctx, m, depth+1, seen, out); err != nil {
				return err
			}
			continue
		}
		p := platformString(d.Platform)
		if p == "" {
			have, err := img.configPlatform(ctx, m)
			if err != nil {
				return err
			}
			p = platformString(&have)
		}
		*out = append(*out, Target{Digest: m.Digest, MediaType: string(m.MediaType), Platform: p, Index: img.Digest})
	}
	sort.SliceStable(*out, func(i, j int) bool { return (*out)[i].Platform < (*out)[j].Platform })
	return nil
}

// manifestFor reads the manifest a descriptor names and checks that it
// matches the descriptor's size and media type.
func (img *Image) manifestFor(ctx context.Context, d v1.Descriptor) (*manifest, error) {
	m, err := img.store.manifest(ctx, d.Digest.String())
	if errors.Is(err, errNotFound) {
		return nil, reason.Wrap(err, reason.ImageNotFound, "the image is incomplete in its source; re-push or re-save it", "reading manifest %s", d.Digest)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(m.Body)) != d.Size {
		return nil, &reason.Error{Code: reason.DigestMismatch, Msg: "manifest size differs from its descriptor", Got: fmt.Sprintf("%d bytes", len(m.Body)),
			Want: fmt.Sprintf("%d bytes", d.Size), Hint: "the source is inconsistent; do not deploy from it"}
	}
	if d.MediaType != "" && d.MediaType != m.MediaType {
		return nil, &reason.Error{Code: reason.ManifestInvalid, Msg: "manifest media type differs from its descriptor", Got: string(m.MediaType), Want: string(d.MediaType),
			Hint: "the source is inconsistent; re-push the image"}
	}
	return m, nil
}

func (img *Image) configPlatform(ctx context.Context, m *manifest) (v1.Platform, error) {
	data, err := img.store.blob(ctx, m.Image.Config, MaxConfigSize)
	if errors.Is(err, errNotFound) {
		return v1.Platform{}, reason.Wrap(err, reason.ImageNotFound, "the image is incomplete in its source", "reading image configuration %s", m.Image.Config.Digest)
	}
	if err != nil {
		return v1.Platform{}, err
	}
	var cfg struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return v1.Platform{}, reason.Wrap(err, reason.ManifestInvalid, "the image configuration is not JSON", "reading image configuration %s", m.Image.Config.Digest)
	}
	return v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}, nil
}

// CheckBlobs reads the configuration and every layer of a target and
// checks each against its digest and size. It is meant for layouts and
// archives, whose blobs are what gets deployed; a registry checks digests
// on push and clients check them on pull.
func (img *Image) CheckBlobs(ctx context.Context, t Target) (int, error) {
	m, err := img.store.manifest(ctx, t.Digest)
	if err != nil {
		return 0, public(err)
	}
	if m.Image == nil {
		return 0, reason.New(reason.ManifestInvalid, "a target must be an image manifest", "%s is an index", t.Digest)
	}
	blobs := append([]v1.Descriptor{m.Image.Config}, m.Image.Layers...)
	for _, d := range blobs {
		if err := img.store.checkBlob(ctx, d); err != nil {
			if errors.Is(err, errNotFound) {
				return 0, reason.Wrap(err, reason.ImageNotFound, "the image is incomplete in its source; re-save it", "checking blob %s", d.Digest)
			}
			return 0, err
		}
	}
	return len(blobs), nil
}
