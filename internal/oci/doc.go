// Package oci reads container images and the evidence attached to them:
// from registries (the distribution API), from OCI image layouts on disk,
// and from image archives (an OCI layout in a tar file, as `docker save`
// since Docker 25 and `skopeo copy ... oci-archive:` write them). It is
// sovcheck's one user of go-containerregistry.
//
// What it finds, it does not judge: signatures and attestations come back
// as Sigstore bundle documents (cosign's legacy layer annotations are
// converted into one) for package attest to verify.
//
// Invariants:
//   - a tag is resolved once; everything after that is addressed by digest,
//     and every manifest and blob read is checked against its digest and
//     size as it is read;
//   - every read from a registry or archive has a named size limit, every
//     list a named count limit, and every registry call a deadline; a
//     registry that errors or hangs yields an error, never a hang;
//   - plain HTTP is used only for hosts the caller names as insecure;
//   - what a run learns about a repository (its token, its tag list, that
//     it has no referrers API) is learnt once and shared by all images of
//     the run; a tag list that cannot be trusted to be complete is not used,
//     and a missing tag can only hide evidence, never create it;
//   - unknown media types are errors, never guessed past;
//   - errors are *reason.Error with a stable code (shared codes from package
//     reason, image codes from this package) and a hint;
//   - the package never prints; it logs to the *slog.Logger it is given.
package oci
