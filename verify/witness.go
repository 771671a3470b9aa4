package verify

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// witnessed adds the witnesses finding of a verified bundle when
// witnesses are required: the checkpoint of every transparency-log entry
// must be cosigned by the quorum of the witness list for its log (by the
// checkpoint's origin; the list without a log covers every other log),
// checked against the log the validating root holds. A bundle whose
// checkpoints miss the quorum, or are of a log no list covers, is not
// verified.
func (t *trustRun) witnessed(pb *attest.ParsedBundle, root *trustRoot, res *attest.SignatureResult, findings []attest.Finding) (*attest.SignatureResult, []attest.Finding) {
	if len(t.witnessSets) == 0 {
		return res, findings
	}
	entries := pb.Bundle.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Err: reason.New(reason.CheckpointInvalid,
			"witnessing needs a bundle with a transparency-log entry", "bundle has no transparency-log entry to witness")})
	}
	var passed []string
	for _, e := range entries {
		origin := checkpointOrigin(e.GetInclusionProof().GetCheckpoint().GetEnvelope())
		set, ok := t.witnessSetFor(origin)
		if !ok {
			return nil, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Err: reason.New(reason.WitnessQuorumNotMet,
				"add a witness list for this log to the policy's trust.witnesses, or one without log: for every log",
				"no witness list covers the checkpoints of log %q", origin)})
		}
		wr, err := attest.VerifyVerifiedEntryWitnesses(e, root.verifier.TrustedMaterial(), set.list, set.quorum)
		if err != nil {
			re := reason.As(err, reason.CheckpointInvalid, "")
			if wr != nil {
				c := *re
				c.Msg = fmt.Sprintf("%s; %s", re.Msg, wr.Describe())
				re = &c
			}
			return nil, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Err: re})
		}
		passed = append(passed, fmt.Sprintf("checkpoint %s@%d cosigned by %d distinct operators (%s; quorum %d%s); %s",
			wr.Origin, wr.Size, len(wr.Operators), strings.Join(wr.Operators, ", "), wr.Quorum, setSource(set), wr.Describe()))
	}
	return res, append(findings, attest.Finding{Check: vocab.CheckWitnesses, Message: strings.Join(passed, "; ")})
}

// setSource names where a witness requirement of the policy comes from;
// "" for --witnesses, whose output stays as it was.
func setSource(s witnessSet) string {
	if s.source == "--witnesses" {
		return ""
	}
	return " from " + s.source
}
