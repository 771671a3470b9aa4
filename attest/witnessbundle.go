package attest

import (
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/proto"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// WithLogSignatureOnly returns pb itself when no checkpoint of its
// transparency-log entries carries more than one signature, and otherwise
// a copy whose checkpoints keep only their first signature, which must be
// the log's. sigstore-go v1.3.0 reads a Rekor v1 checkpoint with Rekor
// v1's signed-note reader, which requires every signature on the note to
// be the log's, so a cosigned checkpoint has to reach it in this form. The
// log's signature is still verified there (a checkpoint whose first
// signature is a witness's fails), and the cosignatures are checked on the
// original by VerifyEntryWitnesses.
func WithLogSignatureOnly(pb *ParsedBundle) *ParsedBundle {
	cosigned := false
	for _, e := range pb.Bundle.GetVerificationMaterial().GetTlogEntries() {
		if _, ok := firstSignatureOnly(e.GetInclusionProof().GetCheckpoint().GetEnvelope()); ok {
			cosigned = true
		}
	}
	if !cosigned {
		return pb
	}
	// A shallow copy: only the cosigned checkpoints differ, and the
	// bundle is not parsed again.
	old := pb.Bundle.Bundle
	vm := old.GetVerificationMaterial()
	entries := make([]*protorekor.TransparencyLogEntry, len(vm.GetTlogEntries()))
	for i, e := range vm.GetTlogEntries() {
		entries[i] = e
		if stripped, ok := firstSignatureOnly(e.GetInclusionProof().GetCheckpoint().GetEnvelope()); ok {
			c, _ := proto.Clone(e).(*protorekor.TransparencyLogEntry)
			c.InclusionProof.Checkpoint.Envelope = stripped
			entries[i] = c
		}
	}
	nb := &protobundle.Bundle{MediaType: old.GetMediaType(), Content: old.Content, VerificationMaterial: &protobundle.VerificationMaterial{
		Content: vm.Content, TlogEntries: entries, TimestampVerificationData: vm.GetTimestampVerificationData()}}
	b := *pb.Bundle // keeps what the bundle's media type allows
	b.Bundle = nb
	return &ParsedBundle{Bundle: &b, Version: pb.Version, Line: pb.Line}
}

// firstSignatureOnly returns a signed note cut after its first signature
// line, and whether it had more than one.
func firstSignatureOnly(envelope string) (string, bool) {
	i := strings.LastIndex(envelope, "\n\n")
	if i < 0 {
		return envelope, false
	}
	sigs := envelope[i+2:]
	first, rest, _ := strings.Cut(sigs, "\n")
	if strings.TrimSpace(rest) == "" {
		return envelope, false
	}
	return envelope[:i+2] + first + "\n", true
}

// TrustedMaterial is the trust root the verifier checks bundles against:
// the transparency logs whose checkpoints witnesses cosign are looked up
// in it.
func (v *Verifier) TrustedMaterial() root.TrustedMaterial { return v.cfg.trusted }

// Describe lists the cosignatures of a witness result for messages:
// each witness with its operator and whether it counted, sorted.
func (r *WitnessResult) Describe() string {
	if len(r.Cosignatures) == 0 {
		return "no cosignatures"
	}
	parts := make([]string, 0, len(r.Cosignatures))
	for _, c := range r.Cosignatures {
		switch {
		case c.Valid:
			parts = append(parts, fmt.Sprintf("%s (%s) valid", c.Witness, c.Operator))
		case c.Code == reason.WitnessUnknown:
			parts = append(parts, fmt.Sprintf("%s+%s unknown [%s]", c.Witness, c.KeyHash, c.Code))
		default:
			parts = append(parts, fmt.Sprintf("%s (%s) invalid [%s]", c.Witness, c.Operator, c.Code))
		}
	}
	return "cosignatures: " + strings.Join(parts, ", ")
}

// VerifyVerifiedEntryWitnesses is VerifyEntryWitnesses for the entry of a
// bundle whose log evidence Verify has already accepted in the form
// WithLogSignatureOnly gives it: the checkpoint's first signature line,
// the one the log signature check verified over the same text, is then
// only required to name the log's key, and the cosignatures are verified.
// It must not be called for a bundle that did not verify.
func VerifyVerifiedEntryWitnesses(entry *protorekor.TransparencyLogEntry, tm root.TrustedMaterial, list *WitnessList, quorum int) (*WitnessResult, error) {
	checkpoint, v, err := entryCheckpoint(entry, tm)
	if err != nil {
		return nil, err
	}
	return VerifyCheckpointWitnesses(checkpoint, verifiedLog{v}, list, quorum)
}

// verifiedLog is a log's note verifier whose signature was verified
// elsewhere over the same note text.
type verifiedLog struct{ note.Verifier }

func (verifiedLog) Verify([]byte, []byte) bool { return true }
