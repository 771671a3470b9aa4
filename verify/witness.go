package verify

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// witnessed adds the witnesses finding of a verified bundle when a witness
// list is given: the checkpoint of every transparency-log entry must be
// cosigned by the quorum, checked against the log the validating root
// holds. A bundle whose checkpoints miss the quorum is not verified.
func (t *trustRun) witnessed(pb *attest.ParsedBundle, root *trustRoot, res *attest.SignatureResult, findings []attest.Finding) (*attest.SignatureResult, []attest.Finding) {
	if t.witnesses == nil {
		return res, findings
	}
	entries := pb.Bundle.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Err: reason.New(reason.CheckpointInvalid,
			"witnessing needs a bundle with a transparency-log entry", "bundle has no transparency-log entry to witness")})
	}
	var passed []string
	for _, e := range entries {
		wr, err := attest.VerifyVerifiedEntryWitnesses(e, root.verifier.TrustedMaterial(), t.witnesses, t.quorum)
		if err != nil {
			re := reason.As(err, reason.CheckpointInvalid, "")
			if wr != nil {
				c := *re
				c.Msg = fmt.Sprintf("%s; %s", re.Msg, wr.Describe())
				re = &c
			}
			return nil, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Err: re})
		}
		passed = append(passed, fmt.Sprintf("checkpoint %s@%d cosigned by %d distinct operators (%s; quorum %d); %s",
			wr.Origin, wr.Size, len(wr.Operators), strings.Join(wr.Operators, ", "), wr.Quorum, wr.Describe()))
	}
	return res, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Message: strings.Join(passed, "; ")})
}
