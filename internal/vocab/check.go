package vocab

// Check ids of the verdict model. A check id names what was checked in a
// verify result; policies and reports match on them.
const (
	// Signatures and statements (package attest).
	CheckSignature     = "signature"
	CheckIdentity      = "identity"
	CheckSubject       = "subject"
	CheckPredicateType = "predicate-type"

	// SLSA provenance (package attest).
	CheckBuilderID    = "provenance.builder-id"
	CheckSourceURI    = "provenance.source-uri"
	CheckSourceTag    = "provenance.source-tag"
	CheckSourceBranch = "provenance.source-branch"
	// CheckProvenance: a verified SLSA provenance that cannot be read.
	CheckProvenance = "provenance"

	// Rebuilds.
	CheckRebuild         = "rebuild"
	CheckRebuildHermetic = "rebuild.hermetic"
	// CheckRebuildAttestation: a rebuild attestation made by another
	// rebuilder, verified with a key the policy pins.
	CheckRebuildAttestation = "rebuild.attestation"

	// SBOMs.
	CheckSBOM         = "sbom"          // an SBOM attached with cosign's .sbom tag
	CheckSBOMBound    = "sbom.bound"    // the SBOM names the artifact it is given for
	CheckSBOMLabels   = "sbom.labels"   // the SBOM's systemic-risk labels
	CheckSBOMAssessed = "sbom.assessed" // the SBOM the policy judges, read and assessed

	// Other evidence.
	CheckVSA              = "vsa"               // a Verification Summary Attestation from a certifier
	CheckLayout           = "layout"            // an in-toto layout and its links
	CheckEntry            = "entry"             // a directory entry verify does not verify
	CheckWasmCapabilities = "wasm.capabilities" // the capabilities a Wasm module imports

	// Reading the argument and its evidence files.
	CheckArtifact = "artifact" // the argument read and hashed
	CheckBundle   = "bundle"   // an evidence file read as Sigstore bundles

	// OCI images.
	CheckImage    = "image"    // the argument resolved and pinned to a digest
	CheckPlatform = "platform" // the platforms verified, and what covers each
	CheckBlobs    = "blobs"    // layout and archive blobs match their digests
	CheckEvidence = "evidence" // evidence that could not be read or was not found
	CheckPayload  = "payload"  // a cosign signature's claimed image digest
	CheckTlog     = "tlog"     // a transparency log check skipped on request

	CheckTrust     = "trust"     // the age of the trust material (--max-trust-age)
	CheckWitnesses = "witnesses" // witness cosignatures on a log entry's checkpoint

	// CheckPolicyPrefix starts the id of every check a policy rule yields:
	// policy:<rule id>.
	CheckPolicyPrefix = "policy:"
)
