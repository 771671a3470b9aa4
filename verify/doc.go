// Package verify orchestrates sovcheck's main job: it resolves each artifact
// (a file, or a sha256 digest), discovers its evidence, runs the checks of
// package attest, and hands the results to the verdict model of package
// policy, one verdict per artifact.
//
// Invariants:
//   - a problem with the run's configuration (trust root, key, usage) is an
//     error and no verdict is given; a problem with one artifact or its
//     evidence is a FAIL in that artifact's verdict, never a silent skip;
//   - what is required comes from Options, never from the evidence;
//   - artifacts are verified concurrently and verdicts come back in the
//     order the artifacts were given.
package verify
