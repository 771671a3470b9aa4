package oci

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// acceptManifests is the Accept header of manifest requests: the media
// types parseManifest reads.
var acceptManifests = strings.Join([]string{
	string(types.OCIImageIndex), string(types.OCIManifestSchema1),
	string(types.DockerManifestList), string(types.DockerManifestSchema2),
}, ", ")

// manifest is one image manifest or index, read and checked.
type manifest struct {
	Digest    string // sha256:<hex> of Body
	MediaType types.MediaType
	Body      []byte
	Image     *v1.Manifest      // for image manifests
	Index     *v1.IndexManifest // for indexes
}

// Subject returns the manifest's subject descriptor, if any.
func (m *manifest) Subject() *v1.Descriptor {
	if m.Image != nil {
		return m.Image.Subject
	}
	return m.Index.Subject
}

// ArtifactType is the manifest's artifactType, or for an image manifest
// without one its config media type (the OCI 1.1 rule).
func (m *manifest) ArtifactType() string {
	if m.Image != nil {
		if m.Image.ArtifactType != "" {
			return m.Image.ArtifactType
		}
		return string(m.Image.Config.MediaType)
	}
	return m.Index.ArtifactType
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return vocab.FormatSHA256(sum[:])
}

// manifestTooLarge is the failure of a manifest of n bytes.
func manifestTooLarge(n int64) error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: "manifest exceeds the size limit",
		Got: fmt.Sprintf("%d bytes", n), Want: fmt.Sprintf("at most %d bytes", MaxManifestSize),
		Hint: "image manifests are a few KiB; the registry or archive serves something else"}
}

// parseManifest reads a manifest or index. contentType is what the source
// said it is (a registry's Content-Type, a descriptor's media type), or
// empty. The media type inside the document, when present, must agree.
func parseManifest(body []byte, contentType string) (*manifest, error) {
	if len(body) > MaxManifestSize {
		return nil, manifestTooLarge(int64(len(body)))
	}
	var head struct {
		SchemaVersion *int64          `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, reason.Wrap(err, reason.ManifestInvalid, "the registry or archive serves something that is not a manifest", "parsing manifest")
	}
	header := types.MediaType(baseMediaType(contentType))
	inner := types.MediaType(head.MediaType)
	mt := inner
	switch {
	case inner != "" && isManifestType(header) && header != inner:
		return nil, &reason.Error{Code: reason.ManifestInvalid, Msg: "manifest media type differs from the type it was served as",
			Got: string(inner), Want: string(header), Hint: "the registry or archive is inconsistent; re-push the image"}
	case inner == "" && isManifestType(header):
		mt = header
	case inner == "" && head.Manifests != nil:
		mt = types.OCIImageIndex
	case inner == "" && head.Config != nil:
		mt = types.OCIManifestSchema1
	}
	switch mt {
	case types.OCIImageIndex, types.DockerManifestList, types.OCIManifestSchema1, types.DockerManifestSchema2:
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return nil, &reason.Error{Code: reason.MediaTypeUnknown, Msg: "docker schema 1 manifests are not supported", Got: string(mt),
			Want: "an OCI or docker schema 2 manifest or index", Hint: "schema 1 is deprecated and cannot carry signatures; re-push the image with a current client"}
	default:
		if mt == "" {
			mt = header
		}
		return nil, &reason.Error{Code: reason.MediaTypeUnknown, Msg: "unknown manifest media type", Got: orNone(string(mt)),
			Want: "an OCI or docker schema 2 manifest or index", Hint: "sovcheck reads OCI image manifests and indexes and docker schema 2 manifests and lists"}
	}
	if head.SchemaVersion == nil || *head.SchemaVersion != 2 {
		got := "none"
		if head.SchemaVersion != nil {
			got = fmt.Sprint(*head.SchemaVersion)
		}
		return nil, &reason.Error{Code: reason.ManifestInvalid, Msg: "unsupported manifest schema version", Got: got, Want: "2",
			Hint: "re-push the image with a current client"}
	}
	m := &manifest{Digest: digestOf(body), MediaType: mt, Body: body}
	if mt.IsIndex() {
		var idx v1.IndexManifest
		if err := json.Unmarshal(body, &idx); err != nil {
			return nil, reason.Wrap(err, reason.ManifestInvalid, "the index is not well formed; re-push the image", "parsing image index")
		}
		if len(idx.Manifests) > MaxIndexEntries {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "image index lists too many manifests",
				Got: fmt.Sprint(len(idx.Manifests)), Want: fmt.Sprintf("at most %d", MaxIndexEntries), Hint: "the index is not a plausible multi-platform image"}
		}
		for _, d := range idx.Manifests {
			if err := checkDescriptor(d, "index entry"); err != nil {
				return nil, err
			}
		}
		m.Index = &idx
	} else {
		var im v1.Manifest
		if err := json.Unmarshal(body, &im); err != nil {
			return nil, reason.Wrap(err, reason.ManifestInvalid, "the manifest is not well formed; re-push the image", "parsing image manifest")
		}
		if len(im.Layers) > MaxLayers {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "image manifest lists too many layers",
				Got: fmt.Sprint(len(im.Layers)), Want: fmt.Sprintf("at most %d", MaxLayers), Hint: "the manifest is not a plausible image"}
		}
		if err := checkDescriptor(im.Config, "config"); err != nil {
			return nil, err
		}
		for _, d := range im.Layers {
			if err := checkDescriptor(d, "layer"); err != nil {
				return nil, err
			}
		}
		m.Image = &im
	}
	if s := m.Subject(); s != nil {
		if err := checkDescriptor(*s, "subject"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkDescriptor accepts sha256 digests and non-negative sizes only.
func checkDescriptor(d v1.Descriptor, what string) error {
	if d.Digest.Algorithm != "sha256" {
		return &reason.Error{Code: reason.ManifestInvalid, Msg: what + " digest is not sha256", Got: orNone(d.Digest.String()), Want: "sha256:<hex>",
			Hint: "sovcheck pins images by sha256 digests"}
	}
	if d.Size < 0 {
		return &reason.Error{Code: reason.ManifestInvalid, Msg: what + " has a negative size", Got: fmt.Sprint(d.Size), Want: ">= 0",
			Hint: "the manifest is corrupt"}
	}
	return nil
}

func isManifestType(mt types.MediaType) bool {
	switch mt {
	case types.OCIImageIndex, types.DockerManifestList, types.OCIManifestSchema1, types.DockerManifestSchema2,
		types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return true
	}
	return false
}

// baseMediaType drops parameters such as charset from a Content-Type.
func baseMediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.TrimSpace(ct)
	}
	return mt
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// readVerified reads a blob described by d, at most limit bytes, and checks
// its size and digest as it reads.
func readVerified(r io.Reader, d v1.Descriptor, limit int64, what string) ([]byte, error) {
	if d.Size > limit {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: what + " exceeds the size limit",
			Got: fmt.Sprintf("%d bytes", d.Size), Want: fmt.Sprintf("at most %d bytes", limit),
			Hint: "signatures and attestations are a few KiB; the image carries something else under their name"}
	}
	return io.ReadAll(boundedio.Verify(r, boundedio.Want{Size: d.Size, Digest: d.Digest.String(), What: what,
		Hint: "the registry or archive serves other bytes than the manifest names"}))
}

// ParsePlatform parses os/arch[/variant].
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return v1.Platform{}, reason.New(reason.InputMalformed, "give --platform as os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7",
			"parsing platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// platformMatches reports whether have satisfies want; a variant not asked
// for matches any.
func platformMatches(have *v1.Platform, want v1.Platform) bool {
	return have != nil && have.OS == want.OS && have.Architecture == want.Architecture &&
		(want.Variant == "" || have.Variant == want.Variant)
}
