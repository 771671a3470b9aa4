package oci

import "time"

// Reason codes of image sources. Shared codes (DIGEST_MISMATCH,
// INPUT_TOO_LARGE, INPUT_MALFORMED, EVIDENCE_MISSING, SUBJECT_MISMATCH)
// come from package reason.
const (
	// ImageNotFound: the registry, layout or archive has no such image.
	ImageNotFound = "IMAGE_NOT_FOUND"
	// ImageAmbiguous: a layout or archive holds several images and the
	// argument does not say which one.
	ImageAmbiguous = "IMAGE_AMBIGUOUS"
	// ImageDigestUnknown: the archive does not record the image's manifest
	// (a docker save from before Docker 25), so its digest cannot be known.
	ImageDigestUnknown = "IMAGE_DIGEST_UNKNOWN"
	// MediaTypeUnknown: a manifest or evidence layer of a media type
	// sovcheck does not read.
	MediaTypeUnknown = "MEDIA_TYPE_UNKNOWN"
	// ManifestInvalid: a manifest or index that is not well formed.
	ManifestInvalid = "MANIFEST_INVALID"
	// PlatformNotFound: no manifest of the index (or the single image's
	// configuration) matches --platform.
	PlatformNotFound = "PLATFORM_NOT_FOUND"
	// ReferrerLoop: a referrer that refers to itself or to the image it
	// was listed for, or evidence nested deeper than sovcheck follows.
	ReferrerLoop = "REFERRER_LOOP"
	// SignatureMalformed: a cosign signature or attestation layer whose
	// annotations or payload cannot be read.
	SignatureMalformed = "SIGNATURE_MALFORMED"
	// RegistryUnavailable: the registry could not be reached or answered
	// with a server error after the retries.
	RegistryUnavailable = "REGISTRY_UNAVAILABLE"
	// RegistryTimeout: the registry did not answer within the time limit.
	RegistryTimeout = "REGISTRY_TIMEOUT"
	// RegistryAuth: the registry refused access (401 or 403).
	RegistryAuth = "REGISTRY_AUTH"
	// RegistryInsecure: the registry speaks plain HTTP and was not named
	// with --insecure-registry.
	RegistryInsecure = "REGISTRY_INSECURE"
	// RegistryOffline: a registry reference under --offline.
	RegistryOffline = "REGISTRY_OFFLINE"
)

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
