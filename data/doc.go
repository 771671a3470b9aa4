// Package data is sovcheck's fetch phase for risk data: it asks public
// registries and reads index files about the packages of given SBOMs, and
// writes one risk data snapshot (sbom.RiskData) that labelling then reads
// offline.
//
// Each source sits behind the Source interface: the Go module proxy
// protocol (GoProxy: version list, release time, Deprecated comments and
// retractions in go.mod) and Debian's Packages and Sources index files as
// apt stores them, plain or compressed with gzip, xz or lz4 (DebianIndex:
// Maintainer and Uploaders, teams told apart from people, source package,
// homepage). The npm registry API (NPMRegistry: maintainers, the latest
// version's publish time and deprecation, repository) is a third.
//
// Import reads files a user brings from a connected machine into a
// snapshot, each in its publisher's format: OpenSSF Scorecard results,
// OpenSSF criticality_score output, CISA's KEV catalogue, OSV zips. Cache
// keeps registry responses on disk so that a pull run again reuses them
// and an interrupted one resumes.
//
// # Invariants
//
//   - Every fact in a snapshot names the source it was read from, and
//     every source its URL, the time it was read and the SHA-256 of the
//     bytes read.
//   - A lookup that fails leaves its package unknown, with the failure
//     and its reason code recorded and counted; it never stops the pull.
//   - Lookups run concurrently within a bound, each within a timeout; the
//     snapshot is sorted and does not depend on the order they finish.
//   - Every read is bounded (Limits); the package never prints and logs
//     through the *slog.Logger it is given.
package data
