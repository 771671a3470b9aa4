package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Annotations of layouts: the OCI reference name, containerd's image
// name (docker save since Docker 25), and the kinds cosign save writes.
const (
	annotationRefName        = "org.opencontainers.image.ref.name"
	annotationContainerdName = "io.containerd.image.name"
	annotationCosignKind     = "kind"
	cosignKindImage          = "dev.cosignproject.cosign/image"
	cosignKindImageIndex     = "dev.cosignproject.cosign/imageIndex"
	cosignKindSigs           = "dev.cosignproject.cosign/sigs"
	cosignKindAtts           = "dev.cosignproject.cosign/atts"
)

// layoutStore is an OCI image layout in a directory or in a tar archive.
type layoutStore struct {
	fsys   fs.FS
	closer io.Closer
	label  string // the argument without its image selector
	index  *v1.IndexManifest

	subjectsOnce sync.Once
	subjects     map[string][]v1.Descriptor
	subjectsErr  error
}

func openLayout(ref Ref) (*layoutStore, error) {
	prefix := PrefixLayout
	if ref.Kind == KindArchive {
		prefix = ref.Arg[:strings.Index(ref.Arg, ":")+1]
	}
	s := &layoutStore{label: prefix + ref.Path}
	fi, err := os.Stat(ref.Path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the path of the layout or archive", "opening %s", s.label)
	}
	if ref.Kind == KindLayout {
		if !fi.IsDir() {
			return nil, reason.New(reason.InputMalformed, "oci-layout: names a directory; for a tar file use docker-archive: or oci-archive:", "opening %s: not a directory", s.label)
		}
		s.fsys = os.DirFS(ref.Path)
	} else {
		t, err := openTar(ref.Path)
		if err != nil {
			return nil, at(err, "opening "+s.label)
		}
		s.fsys, s.closer = t, t
	}
	if err := s.readIndex(); err != nil {
		s.close()
		return nil, at(err, "opening "+s.label)
	}
	return s, nil
}

func (s *layoutStore) readIndex() error {
	layoutFile, err := readFileLimit(s.fsys, "oci-layout", 4<<10)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := fs.Stat(s.fsys, "manifest.json"); err == nil {
			return reason.New(reason.ImageDigestUnknown,
				"this is a docker save archive without an OCI index (Docker before 25), which does not record the image's manifest; save it with Docker 25 or later, copy it with `skopeo copy docker://REF oci-archive:FILE`, or verify the image in its registry",
				"the archive does not record the image digest")
		}
		return reason.New(reason.ManifestInvalid, "give an OCI image layout (a directory with oci-layout, index.json and blobs/), or a tar of one", "not an OCI image layout: no oci-layout file")
	}
	if err != nil {
		return err
	}
	var lf struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(layoutFile, &lf); err != nil || lf.Version != "1.0.0" {
		return &reason.Error{Code: reason.ManifestInvalid, Msg: "unsupported OCI layout version", Got: orNone(lf.Version), Want: "1.0.0",
			Hint: "give an OCI image layout version 1.0.0"}
	}
	body, err := readFileLimit(s.fsys, "index.json", MaxLayoutIndexSize)
	if err != nil {
		return err
	}
	m, err := parseManifest(body, "")
	if err != nil {
		return at(err, "reading index.json")
	}
	if m.Index == nil {
		return reason.New(reason.ManifestInvalid, "index.json of an OCI layout must be an image index", "reading index.json: not an index")
	}
	s.index = m.Index
	return nil
}

func readFileLimit(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the layout is readable", "opening %s", name)
	}
	defer f.Close()
	data, err := boundedio.ReadAll(f, limit)
	switch {
	case reason.CodeOf(err, "") == reason.InputTooLarge:
		return nil, tooLarge(name, limit+1, limit, "reading "+name)
	case err != nil:
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the layout is readable", "reading %s", name)
	}
	return data, nil
}

func (s *layoutStore) where(ref string) string {
	if validDigest(ref) {
		return s.label + "@" + ref
	}
	return s.label + ":" + ref
}

// entry finds the index.json entry for a reference name: the OCI
// reference name, containerd's image name, or, for cosign's tags of an
// image in a cosign save layout, the entry of the matching kind.
func (s *layoutStore) entry(ref string) (*v1.Descriptor, error) {
	var found []v1.Descriptor
	for _, d := range s.index.Manifests {
		if d.Annotations[annotationRefName] == ref || d.Annotations[annotationContainerdName] == ref {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		if kind := cosignKindFor(ref); kind != "" && s.cosignImage() == "sha256:"+strings.TrimSuffix(strings.TrimPrefix(ref, "sha256-"), path.Ext(ref)) {
			for _, d := range s.index.Manifests {
				if d.Annotations[annotationCosignKind] == kind {
					found = append(found, d)
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: %s", errNotFound, s.where(ref))
	case 1:
		return &found[0], nil
	}
	return nil, reason.New(reason.ManifestInvalid, "the layout names several manifests alike; select one by digest (oci-layout:DIR@sha256:...)",
		"%s names %d manifests", s.where(ref), len(found))
}

// cosignImage is the digest of the image a cosign save layout holds, or "".
func (s *layoutStore) cosignImage() string {
	for _, d := range s.index.Manifests {
		if k := d.Annotations[annotationCosignKind]; k == cosignKindImage || k == cosignKindImageIndex {
			return d.Digest.String()
		}
	}
	return ""
}

func cosignKindFor(tag string) string {
	switch path.Ext(tag) {
	case ".sig":
		return cosignKindSigs
	case ".att":
		return cosignKindAtts
	}
	return ""
}

func (s *layoutStore) descriptorOf(digest string) v1.Descriptor {
	for _, d := range s.index.Manifests {
		if d.Digest.String() == digest {
			return d
		}
	}
	return v1.Descriptor{}
}

func (s *layoutStore) manifest(_ context.Context, ref string) (*manifest, error) {
	what := "reading manifest " + s.where(ref)
	d := s.descriptorOf(ref)
	if !validDigest(ref) {
		e, err := s.entry(ref)
		if err != nil {
			return nil, err
		}
		d = *e
	}
	if d.Digest.Algorithm == "" {
		h, err := v1.NewHash(ref)
		if err != nil {
			return nil, reason.Wrap(err, reason.InputMalformed, "give the digest as sha256:<hex>", "%s", what)
		}
		d = v1.Descriptor{Digest: h, Size: -1}
	}
	if err := checkDescriptor(v1.Descriptor{Digest: d.Digest}, "manifest"); err != nil {
		return nil, at(err, what)
	}
	f, err := s.fsys.Open("blobs/sha256/" + d.Digest.Hex)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", errNotFound, what)
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the layout is readable", "%s", what)
	}
	defer f.Close()
	var body []byte
	if d.Size >= 0 {
		body, err = readVerified(f, d, MaxManifestSize, "manifest")
	} else {
		body, err = boundedio.ReadAll(f, MaxManifestSize)
		if reason.CodeOf(err, "") == reason.InputTooLarge {
			err = tooLarge("manifest", MaxManifestSize+1, MaxManifestSize, what)
		}
		if err == nil && digestOf(body) != ref {
			err = &reason.Error{Code: reason.DigestMismatch, Msg: "manifest does not match its digest", Got: digestOf(body), Want: ref,
				Hint: "the layout was changed after it was written; do not deploy from it"}
		}
	}
	if err != nil {
		return nil, at(err, what)
	}
	m, err := parseManifest(body, string(d.MediaType))
	if err != nil {
		return nil, at(err, what)
	}
	return m, nil
}

func (s *layoutStore) openBlob(d v1.Descriptor, what string) (fs.File, error) {
	f, err := s.fsys.Open("blobs/sha256/" + d.Digest.Hex)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", errNotFound, what)
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the layout is readable", "%s", what)
	}
	return f, nil
}

func (s *layoutStore) blob(_ context.Context, d v1.Descriptor, limit int64) ([]byte, error) {
	what := "reading blob " + s.where(d.Digest.String())
	if err := checkDescriptor(d, "blob"); err != nil {
		return nil, at(err, what)
	}
	if d.Size > limit {
		return nil, tooLarge("blob", d.Size, limit, what)
	}
	f, err := s.openBlob(d, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readVerified(f, d, limit, "blob")
	return data, at(err, what)
}

func (s *layoutStore) checkBlob(ctx context.Context, d v1.Descriptor) error {
	what := "checking blob " + s.where(d.Digest.String())
	f, err := s.openBlob(d, what)
	if err != nil {
		return err
	}
	defer f.Close()
	return at(streamCheck(ctxReader{ctx, f}, d), what)
}

// ctxReader stops a long local read when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// referrers lists the manifests of index.json whose subject is digest.
func (s *layoutStore) referrers(ctx context.Context, digest string) ([]v1.Descriptor, error) {
	s.subjectsOnce.Do(func() {
		s.subjects = map[string][]v1.Descriptor{}
		for _, d := range s.index.Manifests {
			m, err := s.manifest(ctx, d.Digest.String())
			if err != nil {
				s.subjectsErr = err
				return
			}
			if sub := m.Subject(); sub != nil {
				d.ArtifactType = m.ArtifactType()
				s.subjects[sub.Digest.String()] = append(s.subjects[sub.Digest.String()], d)
			}
		}
	})
	return s.subjects[digest], s.subjectsErr
}

// images lists the index.json entries that are images rather than
// evidence: not cosign's tags or kinds, and not referrers.
func (s *layoutStore) images(ctx context.Context) ([]v1.Descriptor, error) {
	if _, err := s.referrers(ctx, ""); err != nil {
		return nil, err
	}
	isReferrer := map[string]bool{}
	for _, ds := range s.subjects {
		for _, d := range ds {
			isReferrer[d.Digest.String()] = true
		}
	}
	var out []v1.Descriptor
	for _, d := range s.index.Manifests {
		k := d.Annotations[annotationCosignKind]
		if k == cosignKindSigs || k == cosignKindAtts || isReferrer[d.Digest.String()] || isEvidenceTag(d.Annotations[annotationRefName]) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// isEvidenceTag reports whether a tag is one of cosign's evidence tags or
// an OCI referrers tag: sha256-<hex>[.sig|.att|.sbom].
func isEvidenceTag(tag string) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(tag, ".sig"), ".att"), ".sbom")
	h, ok := strings.CutPrefix(base, "sha256-")
	return ok && validDigest("sha256:"+h)
}

func (s *layoutStore) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// tarFS is an fs.FS over the regular files of an uncompressed tar archive,
// read in place.
type tarFS struct {
	f     *os.File
	files map[string]tarEntry
}

type tarEntry struct{ off, size int64 }

func openTar(name string) (*tarFS, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the archive path", "opening archive")
	}
	t, err := indexTar(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

func indexTar(f *os.File) (*tarFS, error) {
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	switch {
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return nil, reason.New(reason.InputMalformed, "decompress the archive first (gunzip), then verify the .tar", "archive is gzip-compressed")
	case n == 4 && bytes.Equal(magic[:], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, reason.New(reason.InputMalformed, "decompress the archive first (zstd -d), then verify the .tar", "archive is zstd-compressed")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "give a regular file", "reading archive")
	}
	t := &tarFS{f: f, files: map[string]tarEntry{}}
	tr := tar.NewReader(f)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.ManifestInvalid, "give an uncompressed tar of an OCI image layout", "reading archive")
		}
		if i >= MaxArchiveEntries {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "archive has too many entries", Want: fmt.Sprintf("at most %d", MaxArchiveEntries),
				Hint: "an image archive holds a few files per layer"}
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, reason.New(reason.ManifestInvalid, "image archives do not hold sparse files", "archive entry %q is sparse", hdr.Name)
			}
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, reason.Wrap(err, reason.InputUnreadable, "give a regular file", "reading archive")
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if _, dup := t.files[name]; dup {
			return nil, reason.New(reason.ManifestInvalid, "an archive that holds a file twice is ambiguous; re-create it", "archive holds %q twice", name)
		}
		t.files[name] = tarEntry{off: off, size: hdr.Size}
	}
	return t, nil
}

func (t *tarFS) Open(name string) (fs.File, error) {
	e, ok := t.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &tarFile{SectionReader: io.NewSectionReader(t.f, e.off, e.size), info: tarInfo{name: path.Base(name), size: e.size}}, nil
}

func (t *tarFS) Close() error { return t.f.Close() }

type tarFile struct {
	*io.SectionReader
	info tarInfo
}

func (f *tarFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *tarFile) Close() error               { return nil }

type tarInfo struct {
	name string
	size int64
}

func (i tarInfo) Name() string       { return i.name }
func (i tarInfo) Size() int64        { return i.size }
func (i tarInfo) Mode() fs.FileMode  { return 0o444 }
func (i tarInfo) ModTime() time.Time { return time.Time{} }
func (i tarInfo) IsDir() bool        { return false }
func (i tarInfo) Sys() any           { return nil }
