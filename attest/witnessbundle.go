package attest

import (
	"fmt"

	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"google.golang.org/protobuf/encoding/protojson"
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
func WithLogSignatureOnly(pb *ParsedBundle) (*ParsedBundle, error) {
	cosigned := false
	for _, e := range pb.Bundle.GetVerificationMaterial().GetTlogEntries() {
		if _, ok := firstSignatureOnly(e.GetInclusionProof().GetCheckpoint().GetEnvelope()); ok {
			cosigned = true
		}
	}
	if !cosigned {
		return pb, nil
	}
	clone, _ := proto.Clone(pb.Bundle.Bundle).(*protobundle.Bundle)
	for _, e := range clone.GetVerificationMaterial().GetTlogEntries() {
		if cp := e.GetInclusionProof().GetCheckpoint(); cp != nil {
			if stripped, ok := firstSignatureOnly(cp.GetEnvelope()); ok {
				cp.Envelope = stripped
			}
		}
	}
	data, err := protojson.Marshal(clone)
	if err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "re-create the bundle", "encoding bundle without cosignatures")
	}
	b := &bundle.Bundle{}
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "re-create the bundle", "reading bundle without cosignatures")
	}
	return &ParsedBundle{Bundle: b, Version: pb.Version, Line: pb.Line}, nil
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
