package reason

// Reason codes of image sources (package internal/oci). Shared codes (DIGEST_MISMATCH,
// INPUT_TOO_LARGE, INPUT_MALFORMED, EVIDENCE_MISSING, SUBJECT_MISMATCH)
// are in codes.go.
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
