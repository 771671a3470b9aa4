package attest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

// TestWithLogSignatureOnly cosigns the checkpoint of a Rekor v1 bundle
// with the virtual Sigstore's witnesses: sigstore-go refuses the bundle
// as given and accepts the copy with the log's signature only, while the
// original keeps its cosignatures for the witness check.
func TestWithLogSignatureOnly(t *testing.T) {
	trJSON, auth := virtualTrustedRoot(t)
	tr, err := ReadTrustedRoot(bytes.NewReader(trJSON))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := auth.SignBlob(testArtifact, sigstoretest.SignOptions{Identity: testIdentity, Issuer: testIssuer})
	if err != nil {
		t.Fatal(err)
	}
	plain := parsed(t, raw)
	if WithLogSignatureOnly(plain) != plain {
		t.Error("a bundle without cosignatures was copied")
	}
	w1, err := sigstoretest.NewWitness("w1")
	if err != nil {
		t.Fatal(err)
	}
	w2, err := sigstoretest.NewWitness("w2")
	if err != nil {
		t.Fatal(err)
	}
	cosignedJSON, err := sigstoretest.Cosign(raw, w1.Signer(), w2.Signer())
	if err != nil {
		t.Fatal(err)
	}
	cosigned := parsed(t, cosignedJSON)
	logOnly := WithLogSignatureOnly(cosigned)
	envelope := func(pb *ParsedBundle) string {
		return pb.Bundle.GetVerificationMaterial().GetTlogEntries()[0].GetInclusionProof().GetCheckpoint().GetEnvelope()
	}
	if got := strings.Count(envelope(cosigned), "\n— "); got != 3 {
		t.Errorf("cosigned checkpoint has %d signatures, want 3", got)
	}
	if got := strings.Count(envelope(logOnly), "\n— "); got != 1 {
		t.Errorf("copy has %d signatures, want 1", got)
	}
	v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(Identity{Subject: testIdentity, Issuer: testIssuer}))
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := v.Verify(cosigned, testArtifactRef()); res != nil {
		t.Error("sigstore-go now accepts a cosigned Rekor v1 checkpoint: WithLogSignatureOnly is no longer needed")
	}
	if res, findings := v.Verify(logOnly, testArtifactRef()); res == nil {
		t.Fatalf("copy with the log signature only: %+v", findings)
	}
	list := witnessList(t, w1.VerifierKey+" op-1", w2.VerifierKey+" op-2")
	entry := cosigned.Bundle.GetVerificationMaterial().GetTlogEntries()[0]
	res, err := VerifyVerifiedEntryWitnesses(entry, tr, list, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Describe(); got != "cosignatures: w1 (op-1) valid, w2 (op-2) valid" {
		t.Errorf("got %q", got)
	}
	// Its twin: a forged cosignature counts for nothing.
	forgedJSON, err := sigstoretest.Cosign(raw, w1.Signer(), w2.ForgedSigner())
	if err != nil {
		t.Fatal(err)
	}
	entry = parsed(t, forgedJSON).Bundle.GetVerificationMaterial().GetTlogEntries()[0]
	res, err = VerifyVerifiedEntryWitnesses(entry, tr, list, 2)
	wantCode(t, err, reason.WitnessQuorumNotMet)
	if res == nil || !strings.Contains(res.Describe(), "w2 (op-2) invalid [COSIGNATURE_INVALID]") {
		t.Errorf("got %+v", res)
	}
}

// TestVerifyVerifiedEntryWitnessesFirstSignature: trusting that the log's
// signature was verified still requires the first signature to name the
// log's key; a witness's signature first is refused.
func TestVerifyVerifiedEntryWitnessesFirstSignature(t *testing.T) {
	trJSON, auth := virtualTrustedRoot(t)
	tr, err := ReadTrustedRoot(bytes.NewReader(trJSON))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := auth.SignBlob(testArtifact, sigstoretest.SignOptions{Identity: testIdentity, Issuer: testIssuer})
	if err != nil {
		t.Fatal(err)
	}
	w, err := sigstoretest.NewWitness("w1")
	if err != nil {
		t.Fatal(err)
	}
	entry := parsed(t, raw).Bundle.GetVerificationMaterial().GetTlogEntries()[0]
	cp := entry.GetInclusionProof().GetCheckpoint()
	text := cp.Envelope[:strings.LastIndex(cp.Envelope, "\n\n")+1]
	witnessOnly, err := note.Sign(&note.Note{Text: text}, w.Signer())
	if err != nil {
		t.Fatal(err)
	}
	cp.Envelope = string(witnessOnly)
	_, err = VerifyVerifiedEntryWitnesses(entry, tr, witnessList(t, w.VerifierKey), 1)
	wantCode(t, err, reason.CheckpointInvalid)
}

func parsed(t *testing.T, raw []byte) *ParsedBundle {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	return &ParsedBundle{Bundle: &b, Version: "v0.3"}
}

func FuzzFirstSignatureOnly(f *testing.F) {
	f.Add("log.example\n1\nAAAA\n\n— log.example AAAAAA==\n— w1 BBBBBB==\n")
	f.Add("no blank line")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, envelope string) {
		out, cut := firstSignatureOnly(envelope)
		if !strings.HasPrefix(envelope, strings.TrimSuffix(out, "\n")) || cut == (out == envelope) && cut {
			t.Fatalf("got %q (cut %v) from %q", out, cut, envelope)
		}
	})
}
