package oci

import (
	"context"
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// errNotFound says a manifest, tag or blob does not exist. Sources return
// it (wrapped) so that "no signature tag" is told apart from a failure.
var errNotFound = errors.New("not found")

// public gives errNotFound its reason code where it leaves the package.
func public(err error) error {
	if errors.Is(err, errNotFound) {
		var re *reason.Error
		if !errors.As(err, &re) {
			return reason.Wrap(err, reason.ImageNotFound, "the image is incomplete in its source; re-push or re-save it with its signatures", "reading image")
		}
	}
	return err
}

// store is where an image's manifests and blobs come from: a registry
// repository, or an OCI layout (a directory or an archive). Every method
// checks what it reads against digests and limits.
type store interface {
	// manifest reads a manifest by tag or by digest (sha256:<hex>); by
	// digest, the body must hash to it. A missing one is errNotFound.
	manifest(ctx context.Context, ref string) (*manifest, error)
	// blob reads a whole blob of at most limit bytes, checked against d.
	blob(ctx context.Context, d v1.Descriptor, limit int64) ([]byte, error)
	// checkBlob reads a blob to its end and checks its size and digest
	// without keeping it.
	checkBlob(ctx context.Context, d v1.Descriptor) error
	// referrers lists the manifests whose subject is digest.
	referrers(ctx context.Context, digest string) ([]v1.Descriptor, error)
	// where names a tag or digest of this source for reports.
	where(ref string) string
	close() error
}

// tagFor returns the name of cosign's tag for evidence of digest:
// sha256-<hex>.sig, .att or .sbom, or sha256-<hex> (the OCI referrers tag
// schema) for an empty suffix.
func tagFor(digest, suffix string) string {
	t := "sha256-" + digest[len("sha256:"):]
	if suffix != "" {
		t += "." + suffix
	}
	return t
}
