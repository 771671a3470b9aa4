package oci

import (
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Kind says where an image is read from.
type Kind string

const (
	KindRegistry Kind = "registry"
	KindLayout   Kind = "oci-layout"
	KindArchive  Kind = "archive"
)

// Argument prefixes. A registry reference needs no prefix when its first
// component names a registry host (registry.example.eu/team/app:1.4,
// 127.0.0.1:5000/app@sha256:...); docker:// also accepts Docker Hub short
// names (docker://alpine:3.20).
const (
	PrefixLayout        = "oci-layout:"
	PrefixDockerArchive = "docker-archive:"
	PrefixOCIArchive    = "oci-archive:"
	PrefixRegistry      = "docker://"
)

// Ref is a parsed image argument.
type Ref struct {
	Arg  string // as the user gave it
	Kind Kind
	// Registry: the reference (a tag or a digest).
	Name name.Reference
	// Layout and archive: the directory or file, and which image in it: a
	// reference name ("1.4", "docker.io/library/app:1.4"), a digest, or
	// empty for the only image.
	Path   string
	Select string
}

// Pinned reports whether the argument names a digest rather than a tag.
func (r Ref) Pinned() bool {
	if r.Kind == KindRegistry {
		_, ok := r.Name.(name.Digest)
		return ok
	}
	return strings.HasPrefix(r.Select, "sha256:")
}

// IsImageArg reports whether an artifact argument names an image rather
// than a file: it has one of the prefixes, or it is not an existing path and
// its first component is a registry host (it contains a dot or a colon, or
// is localhost) followed by a repository.
func IsImageArg(arg string) bool {
	for _, p := range []string{PrefixLayout, PrefixDockerArchive, PrefixOCIArchive, PrefixRegistry} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	if strings.HasPrefix(arg, ".") || strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, "sha256:") {
		return false
	}
	if _, err := os.Lstat(arg); err == nil {
		return false
	}
	host, repo, ok := strings.Cut(arg, "/")
	if !ok || repo == "" || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return false
	}
	_, err := name.ParseReference(arg)
	return err == nil
}

// ParseRef parses an image argument (see IsImageArg).
func ParseRef(arg string) (Ref, error) {
	malformed := func(format string, args ...any) error {
		return reason.New(reason.InputMalformed,
			"name an image as registry.example/repo:tag, registry.example/repo@sha256:<hex>, oci-layout:DIR[:REF], docker-archive:FILE[:REF] or oci-archive:FILE[:REF]",
			format, args...)
	}
	switch {
	case strings.HasPrefix(arg, PrefixLayout):
		return parseLocal(arg, strings.TrimPrefix(arg, PrefixLayout), KindLayout, malformed)
	case strings.HasPrefix(arg, PrefixDockerArchive):
		return parseLocal(arg, strings.TrimPrefix(arg, PrefixDockerArchive), KindArchive, malformed)
	case strings.HasPrefix(arg, PrefixOCIArchive):
		return parseLocal(arg, strings.TrimPrefix(arg, PrefixOCIArchive), KindArchive, malformed)
	}
	s := arg
	if strings.HasPrefix(arg, PrefixRegistry) {
		s = strings.TrimPrefix(arg, PrefixRegistry)
	} else if !IsImageArg(arg) {
		return Ref{}, malformed("parsing image reference %q: not an image reference", arg)
	}
	n, err := name.ParseReference(s)
	if err != nil {
		return Ref{}, malformed("parsing image reference %q: %v", arg, err)
	}
	return Ref{Arg: arg, Kind: KindRegistry, Name: n}, nil
}

// parseLocal splits PATH[:REF] or PATH@sha256:HEX. An existing PATH wins
// over a split, so a directory whose name holds a colon still works.
func parseLocal(arg, rest string, kind Kind, malformed func(string, ...any) error) (Ref, error) {
	ref := Ref{Arg: arg, Kind: kind, Path: rest}
	if i := strings.LastIndex(rest, "@sha256:"); i >= 0 {
		ref.Path, ref.Select = rest[:i], rest[i+1:]
		if !validDigest(ref.Select) {
			return Ref{}, malformed("parsing %q: got digest %q, want sha256: followed by 64 lowercase hex digits", arg, ref.Select)
		}
	} else if _, err := os.Stat(rest); err != nil {
		if i := strings.LastIndex(rest, ":"); i > 0 && !strings.Contains(rest[i+1:], "/") {
			ref.Path, ref.Select = rest[:i], rest[i+1:]
		}
	}
	if ref.Path == "" {
		return Ref{}, malformed("parsing %q: no path", arg)
	}
	if strings.HasSuffix(arg, ":") {
		return Ref{}, malformed("parsing %q: empty reference name after the colon", arg)
	}
	return ref, nil
}

// validDigest reports whether d is sha256: and 64 lowercase hex digits.
func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
