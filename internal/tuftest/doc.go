// Package tuftest is a real TUF repository for sovcheck's tests: fresh
// Ed25519 keys for the four top-level roles, metadata made and signed with
// go-tuf v2's metadata API, served over HTTP (consistent snapshots, targets
// prefixed with their sha256) so that a TUF client fetches it exactly as it
// fetches Sigstore's public-good repository. It is test support, never
// imported by the sovcheck binary.
//
// Besides publishing, a Repo can do what an attacker or a careless operator
// does: rotate the root key, let timestamp or snapshot metadata expire,
// change a target's bytes behind its metadata, and serve an older timestamp
// again (a rollback).
package tuftest
