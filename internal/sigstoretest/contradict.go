package sigstoretest

import (
	"fmt"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
)

// Contradiction makes a bundle whose inclusion proof contradicts, in one
// of its redundant fields, what the signed checkpoint or the entry says.
// The signatures and the proof itself stay valid: a verifier that reads
// only the checkpoint and the entry accepts such a bundle.
type Contradiction int

const (
	// ContradictNone is the zero value: a consistent bundle.
	ContradictNone Contradiction = iota
	// ContradictRootHash flips a bit of inclusionProof.rootHash.
	ContradictRootHash
	// ContradictTreeSize adds one to inclusionProof.treeSize.
	ContradictTreeSize
	// ContradictLogIndex adds one to inclusionProof.logIndex (Rekor v2,
	// where it is the entry's logIndex).
	ContradictLogIndex
)

// contradict applies c to the entry's inclusion proof.
func contradict(entry *protorekor.TransparencyLogEntry, c Contradiction) error {
	if c == ContradictNone {
		return nil
	}
	p := entry.GetInclusionProof()
	if p == nil {
		return fmt.Errorf("%w: a contradiction needs an inclusion proof", ErrInvalidOptions)
	}
	switch c {
	case ContradictRootHash:
		p.RootHash = append([]byte(nil), p.RootHash...)
		p.RootHash[0] ^= 1
	case ContradictTreeSize:
		p.TreeSize++
	case ContradictLogIndex:
		p.LogIndex++
	default:
		return fmt.Errorf("%w: unknown contradiction %d", ErrInvalidOptions, c)
	}
	return nil
}
