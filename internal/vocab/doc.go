// Package vocab is sovcheck's leaf vocabulary: the names every package
// shares, each defined once. It holds sha256 digests, public keys and their
// ids, predicate types and their --type aliases, in-toto statement types,
// SLSA build types and VSA results, source-URI normalisation, check ids,
// grades, systemic-risk labels, severities, Wasm capability names, the
// media types of sovcheck's JSON documents and those of the Sigstore
// bundles and cosign evidence it reads.
//
// Invariants:
//   - vocab imports only the standard library, never a package of sovcheck;
//     its sibling leaf internal/reason holds the reason codes and their
//     error type.
//   - Every name here is part of sovcheck's public contract (policies, CI
//     gates and reports match on them): names are added, never renamed or
//     repurposed.
//   - Lists are in report order; callers that need another order sort a
//     copy.
package vocab
