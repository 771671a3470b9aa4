// Package verify orchestrates sovcheck's main job: it resolves each artifact
// (a file, or a sha256 digest), discovers its evidence, runs the checks of
// package attest, and hands the results to the verdict model of package
// policy, one verdict per artifact.
//
// With a procurement policy (PolicyOptions, LoadPolicy), the facts verify
// established (signers, attestations, provenance, rebuild, the assessed
// SBOM, certifiers' VSAs) are evaluated by package policy and its checks
// join the verdict (policy.go). The same facts make VSAs (NewVSA, vsa.go);
// Gate certifies the dependencies of a lockfile or SBOM (gate.go); and
// BuildRecipe records a local Go build as a replayable recipe (recipe.go).
//
// Invariants:
//   - a problem with the run's configuration (trust root, key, usage) is an
//     error and no verdict is given; a problem with one artifact or its
//     evidence is a FAIL in that artifact's verdict, never a silent skip;
//   - what is required comes from Options, never from the evidence;
//   - artifacts are verified concurrently and verdicts come back in the
//     order the artifacts were given;
//   - every entry of a directory argument is an artifact, the evidence of
//     one beside it, or a failed verdict of its own (entries.go): nothing
//     is skipped in silence, and links are never followed.
package verify
