// Package sigstoretest is a virtual Sigstore for sovcheck's tests and demo
// material. It is test support: it is imported by tests and by the demo
// generator, never by the sovcheck binary.
//
// An Authority holds fresh keys for every service of a Sigstore deployment:
// a Fulcio root and intermediate CA, a certificate transparency log, a Rekor
// v1 log, a Rekor v2 log and an RFC 3161 timestamping authority (root,
// intermediate, leaf). It writes real serialized artifacts: a
// trusted_root.json (TrustedRootJSON) and Sigstore bundles (SignBlob,
// SignDSSE) in every bundle version sovcheck accepts, so that verification
// code runs against the same bytes a real deployment would hand it, offline.
//
// Invariants:
//   - Real crypto and real formats only. Log entries are made by the same
//     server-side code Rekor v1 and Rekor v2 run (rekor's types package and
//     rekor-tiles' hashedrekord package), so a combination a real log refuses
//     is refused here too. Certificates carry an embedded SCT signed by the
//     CT log over the precertificate, as Fulcio does.
//   - Every bundle is checked against sigstore-go's bundle rules before it is
//     returned: v0.1 bundles carry an inclusion promise, v0.2 and later an
//     inclusion proof, v0.3 a single certificate instead of a chain.
//   - Time comes from the Authority's clock (WithNow) and the signing time
//     (SignOptions.SignedAt); time.Now is read only when no clock is given.
//     This is why the RFC 3161 token is encoded here: the usual library
//     stamps its CMS signing-time with the wall clock.
//   - Each log is an in-memory Merkle tree that grows with every entry, so
//     inclusion proofs and checkpoints are those of a real, non-trivial tree.
//     An Authority is safe for concurrent use.
package sigstoretest
