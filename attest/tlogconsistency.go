package attest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	flog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// MaxCheckpointBytes is the largest checkpoint envelope read from a
// bundle's inclusion proof; a real one is a few hundred bytes.
const MaxCheckpointBytes = 16 << 10

const tlogInconsistentHint = "the bundle contradicts itself: it was edited or written by a broken signer; get the bundle again from the publisher"

// checkTlogConsistency refuses log entries whose inclusion proof
// contradicts its own checkpoint or entry in a field that repeats it. The
// verifier reads one side of each pair only (a Rekor v2 proof's root hash,
// tree size and log index are taken from the checkpoint and the entry; a
// Rekor v1 proof's tree size is never compared with the checkpoint), so
// the other side would otherwise pass unread. Entries without an
// inclusion proof have nothing to compare.
func checkTlogConsistency(pb *ParsedBundle) *reason.Error {
	for i, e := range pb.Bundle.GetVerificationMaterial().GetTlogEntries() {
		p := e.GetInclusionProof()
		if p == nil {
			continue
		}
		cp, err := parseCheckpoint(p.GetCheckpoint().GetEnvelope())
		if err != nil {
			return reason.Wrap(err, reason.TlogInvalid, "the bundle's log checkpoint is malformed; get the bundle again from the publisher", "log entry %d: reading checkpoint", i)
		}
		if err := compareProof(e, p, cp); err != nil {
			err.Msg = fmt.Sprintf("log entry %d: %s", i, err.Msg)
			return err
		}
	}
	return nil
}

func compareProof(e *protorekor.TransparencyLogEntry, p *protorekor.InclusionProof, cp *flog.Checkpoint) *reason.Error {
	if !bytes.Equal(p.GetRootHash(), cp.Hash) {
		return reason.Mismatch(reason.TlogInconsistent, tlogInconsistentHint, "the inclusion proof's root hash is not the checkpoint's",
			fmt.Sprintf("%x", p.GetRootHash()), fmt.Sprintf("%x", cp.Hash))
	}
	if p.GetTreeSize() < 0 || uint64(p.GetTreeSize()) != cp.Size {
		return reason.Mismatch(reason.TlogInconsistent, tlogInconsistentHint, "the inclusion proof's tree size is not the checkpoint's",
			strconv.FormatInt(p.GetTreeSize(), 10), strconv.FormatUint(cp.Size, 10))
	}
	// A Rekor v1 log is sharded: the proof's index is within the shard,
	// the entry's is global, and they differ by the shard's offset. In a
	// Rekor v2 log they are one index.
	if !isRekorV1Origin(cp.Origin) && p.GetLogIndex() != e.GetLogIndex() {
		return reason.Mismatch(reason.TlogInconsistent, tlogInconsistentHint, "the inclusion proof's log index is not the entry's",
			strconv.FormatInt(p.GetLogIndex(), 10), strconv.FormatInt(e.GetLogIndex(), 10))
	}
	return nil
}

// parseCheckpoint reads the body of a signed checkpoint (a C2SP
// signed note) without verifying its signatures: the verifier does that;
// here only the values it carries are compared.
func parseCheckpoint(envelope string) (*flog.Checkpoint, error) {
	if len(envelope) > MaxCheckpointBytes {
		return nil, fmt.Errorf("checkpoint too large: got %d bytes, want at most %d", len(envelope), MaxCheckpointBytes)
	}
	_, err := note.Open([]byte(envelope), note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		if err == nil {
			err = errors.New("no signature")
		}
		return nil, fmt.Errorf("parsing signed note: %w", err)
	}
	cp := &flog.Checkpoint{}
	if _, err := cp.Unmarshal([]byte(unverified.Note.Text)); err != nil {
		return nil, fmt.Errorf("parsing checkpoint: %w", err)
	}
	return cp, nil
}

// isRekorV1Origin reports whether a checkpoint origin is a Rekor v1
// shard's: the log's name, " - " and the numeric tree id.
func isRekorV1Origin(origin string) bool {
	i := strings.LastIndex(origin, " - ")
	if i < 0 || i+3 == len(origin) {
		return false
	}
	_, err := strconv.ParseUint(origin[i+3:], 10, 64)
	return err == nil
}
