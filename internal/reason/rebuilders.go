package reason

// Independent rebuilders that must agree.
const (
	// RebuildDisagreement: a party attests a different digest for the
	// artifact's source and recipe than the artifact, or than another
	// party: a split view, an alarm whatever the quorum.
	RebuildDisagreement = "REBUILD_DISAGREEMENT"
	// RebuildQuorumNotMet: fewer independent parties (of distinct
	// operators and jurisdictions, when the policy asks) attest the
	// artifact's digest than the policy requires.
	RebuildQuorumNotMet = "REBUILD_QUORUM_NOT_MET"
	// RebuilderUnknown: a rebuild attestation signed by no key of a
	// rebuilder the policy names; it counts for nothing.
	RebuilderUnknown = "REBUILDER_UNKNOWN"
)
