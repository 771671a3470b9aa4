// Package verify orchestrates sovcheck's main job, one pipeline per
// artifact (pipeline.go):
//
//	resolve -> evidence source -> verify bundles -> checks -> facts -> policy
//
// An argument resolves to an evidence source: a file or sha256:<hex>
// (fileSource: --bundle, or the evidence beside the file) or a container
// image (imageSource: signatures, attestations and referrers found where
// cosign and OCI 1.1 put them). The source verifies the bundles with
// package attest and says which subjects the verified evidence covers; the
// attestation checks (--type, provenance flags) and the SBOM label checks
// judge them; the source's own checks follow (a rebuild of a file, the
// SBOMs attached to an image; a WebAssembly file's capabilities and the
// in-toto layout are read first). With a procurement policy (WithPolicy,
// LoadPolicy) the facts verify established (signers, attestations,
// provenance, rebuild, the SBOM assessed with the policy's data,
// certifiers' VSAs) are evaluated by package policy (policyrun.go), and
// the verdict is decided once, at the end.
//
// The same outcomes make VSAs (NewVSA, vsa.go); Gate certifies the
// dependencies of a lockfile or SBOM (gate.go); and BuildRecipe records a
// local Go build as a replayable recipe (recipe.go).
//
// Invariants:
//   - New takes validated functional options; a problem with the run's
//     configuration (trust root, key, usage) is a *ConfigError and no
//     verdict is given; a problem with one artifact or its evidence is a
//     FAIL in that artifact's verdict, never a silent skip;
//   - what is required comes from the options, never from the evidence;
//   - each artifact's verdict is decided once, at the end of its
//     pipeline (policy.Decide, or policy.Result.Verdict under a policy);
//   - each SBOM of an artifact is read once and assessed once: under a
//     policy with the policy's scoring and data, which the sbom.labels
//     check of an attested SBOM then reports too;
//   - artifacts are verified concurrently and verdicts come back in the
//     order the artifacts were given;
//   - every entry of a directory argument is an artifact, the evidence of
//     one beside it, or a failed verdict of its own (entries.go): nothing
//     is skipped in silence, and links are never followed.
package verify
