package oci

import "time"

// Limits on what is read from a registry, layout or archive. Manifests of
// real images are a few KiB; the OCI distribution specification asks
// registries to accept manifests of at least 4 MiB.
const (
	// MaxManifestSize is the largest manifest, index or referrers list read.
	MaxManifestSize = 4 << 20
	// MaxConfigSize is the largest image configuration read (for
	// --platform on a single-platform image).
	MaxConfigSize = 4 << 20
	// MaxEvidenceSize is the largest signature, attestation or bundle layer
	// read. It matches the bundle limit of package attest.
	MaxEvidenceSize = 4 << 20
	// MaxIndexEntries is the most manifests read from one index.
	MaxIndexEntries = 256
	// MaxIndexDepth is how deep nested indexes are followed.
	MaxIndexDepth = 3
	// MaxLayers is the most layers read from one image manifest.
	MaxLayers = 1024
	// MaxEvidencePerSubject is the most signatures, attestations and
	// bundles read for one manifest, over all discovery paths.
	MaxEvidencePerSubject = 64
	// MaxReferrers is the most referrers read for one manifest.
	MaxReferrers = 256
	// MaxArchiveEntries is the most entries read from an image archive.
	MaxArchiveEntries = 100_000
	// MaxLayoutIndexSize is the largest index.json of a layout read.
	MaxLayoutIndexSize = MaxManifestSize
)

// Registry defaults.
const (
	// DefaultTimeout bounds all registry work for one image.
	DefaultTimeout = 2 * time.Minute
	// DefaultAttempts is how often a request that failed with a transient
	// error (connection reset, 429, 5xx) is tried in all.
	DefaultAttempts = 3
	// DefaultRetryDelay is the wait before the first retry; it doubles for
	// each further one.
	DefaultRetryDelay = 250 * time.Millisecond
)
