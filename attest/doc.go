// Package attest verifies signed evidence about artifacts: Sigstore bundles
// (message signatures and DSSE envelopes, keyless and key-based), the
// in-toto statements inside them, SLSA provenance v0.2 and v1; in-toto
// layouts with their links are verified by the subpackage layout. Key-based
// signatures without a transparency log are checked by KeyOnlyVerifier, and
// VSAs against the certifier keys a caller trusts by Certifiers.
//
// Invariants:
//   - nothing is trusted because the evidence says so: identities, keys,
//     predicate types and provenance constraints come from the caller;
//   - every failure is a *reason.Error with a stable code and a hint;
//   - every reader enforces a named size limit before parsing;
//   - the package never prints; it logs to the *slog.Logger it is given.
package attest
