package attest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/transparency-dev/formats/log"
	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

type testWitness struct {
	name   string
	vkey   string // plain Ed25519 note key (type 0x01)
	signer note.Signer
}

func newTestWitness(t *testing.T, name string) testWitness {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tdnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	return testWitness{name: name, vkey: vkey, signer: s}
}

type testLog struct {
	signer   note.Signer
	verifier note.Verifier
}

func newTestLog(t *testing.T) testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "log.example")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return testLog{signer: s, verifier: v}
}

func checkpointText(size uint64) string {
	h := sha256.Sum256([]byte(fmt.Sprint(size)))
	return string(log.Checkpoint{Origin: "log.example/2026", Size: size, Hash: h[:]}.Marshal())
}

func signNote(t *testing.T, text string, signers ...note.Signer) []byte {
	t.Helper()
	out, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func witnessList(t *testing.T, lines ...string) *WitnessList {
	t.Helper()
	l, err := ParseWitnessList(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sigLines returns the signature lines of a signed note.
func sigLines(n []byte) []string {
	_, sigs, _ := strings.Cut(string(n), "\n\n")
	return strings.Split(strings.TrimSuffix(sigs, "\n"), "\n")
}

func TestVerifyCheckpointWitnesses(t *testing.T) {
	lg := newTestLog(t)
	a, b, c, d := newTestWitness(t, "witness-a"), newTestWitness(t, "witness-b"), newTestWitness(t, "witness-c"), newTestWitness(t, "witness-d")
	cosigA, err := tdnote.VKeyToCosignatureV1(a.vkey) // a type 0x04 key works as well
	if err != nil {
		t.Fatal(err)
	}
	list := witnessList(t,
		"# witnesses of the example log",
		cosigA+" op-a EU",
		b.vkey+" op-b CH",
		"",
		c.vkey+" op-c",
		d.vkey+" op-a EU", // same operator as witness-a
	)
	text := checkpointText(42)
	for _, tc := range []struct {
		name      string
		note      []byte
		quorum    int
		operators []string
		code      string
	}{
		{"one cosignature", signNote(t, text, lg.signer, a.signer), 1, []string{"op-a"}, ""},
		{"two cosignatures", signNote(t, text, lg.signer, a.signer, b.signer), 2, []string{"op-a", "op-b"}, ""},
		{"several cosignatures", signNote(t, text, lg.signer, a.signer, b.signer, c.signer, d.signer), 3, []string{"op-a", "op-b", "op-c"}, ""},
		{"k-1 witnesses", signNote(t, text, lg.signer, a.signer, b.signer), 3, []string{"op-a", "op-b"}, reason.WitnessQuorumNotMet},
		{"same operator twice", signNote(t, text, lg.signer, a.signer, d.signer), 2, []string{"op-a"}, reason.WitnessQuorumNotMet},
		{"no cosignature", signNote(t, text, lg.signer), 1, nil, reason.WitnessQuorumNotMet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyCheckpointWitnesses(tc.note, lg.verifier, list, tc.quorum)
			if tc.code == "" && err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				wantCode(t, err, tc.code)
				if !strings.Contains(err.Error(), "not cosigned by") || !strings.Contains(err.Error(), fmt.Sprintf("want \"at least %d\"", tc.quorum)) {
					t.Errorf("error %q does not give the count and names", err)
				}
			}
			if res == nil || fmt.Sprint(res.Operators) != fmt.Sprint(tc.operators) {
				t.Fatalf("got operators %v, want %v", res, tc.operators)
			}
			if res.Reached() != (tc.code == "") || res.Size != 42 || res.Origin != "log.example/2026" {
				t.Errorf("got %+v", res)
			}
			for _, c := range res.Cosignatures {
				if !c.Valid || c.Time.IsZero() || c.Operator == "" {
					t.Errorf("cosignature %+v", c)
				}
			}
		})
	}
}

func TestVerifyCheckpointWitnessesCountForNothing(t *testing.T) {
	lg := newTestLog(t)
	a, b := newTestWitness(t, "witness-a"), newTestWitness(t, "witness-b")
	stranger := newTestWitness(t, "witness-x")
	impostor := newTestWitness(t, "witness-b") // same name, other key
	list := witnessList(t, a.vkey+" op-a", b.vkey+" op-b")
	text := checkpointText(42)

	good := signNote(t, text, lg.signer, a.signer, b.signer)
	if _, err := VerifyCheckpointWitnesses(good, lg.verifier, list, 2); err != nil {
		t.Fatalf("the twin without tampering: %v", err)
	}

	// witness-b's cosignature with one signature byte changed: forged.
	lines := sigLines(good)
	name, b64, _ := strings.Cut(strings.TrimPrefix(lines[2], "— "), " ")
	sig, _ := base64.StdEncoding.DecodeString(b64)
	sig[len(sig)-1] ^= 1
	forged := text + "\n" + lines[0] + "\n" + lines[1] + "\n— " + name + " " + base64.StdEncoding.EncodeToString(sig) + "\n"

	// witness-b's cosignature of checkpoint 41, on checkpoint 42.
	other := sigLines(signNote(t, checkpointText(41), lg.signer, b.signer))[1]
	grafted := text + "\n" + lines[0] + "\n" + lines[1] + "\n" + other + "\n"

	for _, tc := range []struct {
		name, note, code, witness string
	}{
		{"forged cosignature", forged, reason.CosignatureInvalid, "witness-b"},
		{"cosignature of another checkpoint", grafted, reason.CosignatureInvalid, "witness-b"},
		{"unknown witness", string(signNote(t, text, lg.signer, a.signer, stranger.signer)), reason.WitnessUnknown, "witness-x"},
		{"impostor under a listed name", string(signNote(t, text, lg.signer, a.signer, impostor.signer)), reason.WitnessUnknown, "witness-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyCheckpointWitnesses([]byte(tc.note), lg.verifier, list, 2)
			wantCode(t, err, reason.WitnessQuorumNotMet)
			if res == nil || len(res.Operators) != 1 || len(res.Cosignatures) != 2 {
				t.Fatalf("got %+v, want one valid operator and two cosignatures shown", res)
			}
			bad := res.Cosignatures[1]
			if bad.Witness != tc.witness || bad.Valid || bad.Code != tc.code {
				t.Errorf("got %+v, want %s with %s", bad, tc.witness, tc.code)
			}
			if !strings.Contains(err.Error(), "not cosigned by witness-b") {
				t.Errorf("error %q does not name the witness that did not count", err)
			}
		})
	}
}

func TestVerifyCheckpointWitnessesLogSignature(t *testing.T) {
	lg, other := newTestLog(t), newTestLog(t)
	a, b := newTestWitness(t, "witness-a"), newTestWitness(t, "witness-b")
	list := witnessList(t, a.vkey, b.vkey)
	text := checkpointText(7)
	if _, err := VerifyCheckpointWitnesses(signNote(t, text, lg.signer, a.signer), lg.verifier, list, 1); err != nil {
		t.Fatalf("log signature first: %v", err)
	}
	logLine := sigLines(signNote(t, text, lg.signer))[0]
	forgedLog := []byte(text + "\n" + logLine[:len(logLine)-4] + "AAA=\n")
	for name, n := range map[string][]byte{
		"log signature missing":   signNote(t, text, a.signer, b.signer),
		"log signature not first": signNote(t, text, a.signer, lg.signer),
		"signed by another log":   signNote(t, text, other.signer, a.signer),
		"log signature invalid":   forgedLog,
		"not a note":              []byte(text),
		"body not a checkpoint":   signNote(t, "log.example/2026\n7\n", lg.signer, a.signer),
		"oversized":               append(bytes.Repeat([]byte("x"), MaxCheckpointSize), '\n'),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := VerifyCheckpointWitnesses(n, lg.verifier, list, 1)
			if res != nil {
				t.Errorf("got a result with the error")
			}
			if c := reason.CodeOf(err, ""); c != reason.CheckpointInvalid && c != reason.InputTooLarge {
				t.Fatalf("got %v, want %s", err, reason.CheckpointInvalid)
			}
			if out, err := CheckpointWithoutCosignatures(n, lg.verifier); out != nil || err == nil {
				t.Errorf("CheckpointWithoutCosignatures accepted it")
			}
		})
	}
	if _, err := VerifyCheckpointWitnesses(signNote(t, text, lg.signer, a.signer), lg.verifier, list, 0); err == nil {
		t.Error("quorum 0 accepted")
	}
}

func TestParseWitnessList(t *testing.T) {
	a, b := newTestWitness(t, "witness-a"), newTestWitness(t, "witness-b")
	l := witnessList(t, "  # comment", a.vkey, "", b.vkey+"\top-b\tDE  ")
	if len(l.Witnesses) != 2 || l.Witnesses[0].Operator != "witness-a" || l.Witnesses[1].Operator != "op-b" || l.Witnesses[1].Jurisdiction != "DE" {
		t.Fatalf("got %+v", l.Witnesses)
	}
	name, rest, _ := strings.Cut(a.vkey, "+")
	_, key, _ := strings.Cut(rest, "+")
	cosig, err := tdnote.VKeyToCosignatureV1(a.vkey)
	if err != nil {
		t.Fatal(err)
	}
	cname, crest, _ := strings.Cut(cosig, "+")
	_, ckey, _ := strings.Cut(crest, "+")
	for title, text := range map[string]string{
		"empty":                 "# nothing\n\n",
		"too many fields":       a.vkey + " op EU extra",
		"not a key":             "witness-a",
		"bad base64":            "witness-a+01234567+!!!",
		"wrong hash (ed25519)":  name + "+00000000+" + key,
		"wrong hash (cosig v1)": cname + "+00000000+" + ckey,
		"unknown algorithm":     "w+01234567+" + base64.StdEncoding.EncodeToString(append([]byte{0x09}, make([]byte, 32)...)),
		"listed twice":          a.vkey + " op-a\n" + a.vkey + " op-b",
		"line too long":         a.vkey + " " + strings.Repeat("o", MaxWitnessLineLength),
		"too many witnesses":    strings.Repeat(a.vkey+"\n", 1) + manyWitnesses(t, MaxWitnesses),
	} {
		t.Run(title, func(t *testing.T) {
			l, err := ParseWitnessList(strings.NewReader(text))
			if l != nil {
				t.Error("got a list with the error")
			}
			wantCode(t, err, reason.WitnessListInvalid)
		})
	}
	_, err = ParseWitnessList(strings.NewReader(strings.Repeat("#", MaxWitnessListSize+1)))
	wantCode(t, err, reason.InputTooLarge)
}

func manyWitnesses(t *testing.T, n int) string {
	var sb strings.Builder
	for i := range n {
		_, vkey, err := note.GenerateKey(rand.Reader, fmt.Sprintf("w%d", i))
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(vkey + "\n")
	}
	return sb.String()
}

// TestVerifyEntryWitnessesInterop runs the witness check on real Rekor v1
// checkpoints from public bundles, against the public-good trusted root:
// the log signature verifies (so the log's note verifier is derived as
// Rekor signs), and with no cosignature the quorum is not reached.
func TestVerifyEntryWitnessesInterop(t *testing.T) {
	dir := interopDir(t)
	tr, err := ReadTrustedRootFile(filepath.Join(dir, "public-good-trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	list := witnessList(t, newTestWitness(t, "witness-a").vkey)
	for _, name := range []string{"bcr-module.sigstore.json", "go-builder-v2.1.0-push-v14.sigstore.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := bundle.LoadJSONFromPath(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			entry := b.GetVerificationMaterial().GetTlogEntries()[0]
			res, err := VerifyEntryWitnesses(entry, tr, list, 1)
			wantCode(t, err, reason.WitnessQuorumNotMet)
			if res == nil || res.Origin != "rekor.sigstore.dev - 1193050959916656506" || len(res.Cosignatures) != 0 || res.Missing[0] != "witness-a" {
				t.Fatalf("got %+v", res)
			}
			// The twin: the same checkpoint with its tree size changed.
			cp := entry.GetInclusionProof().GetCheckpoint()
			cp.Envelope = strings.Replace(cp.Envelope, "\n", "\n1", 1)
			_, err = VerifyEntryWitnesses(entry, tr, list, 1)
			wantCode(t, err, reason.CheckpointInvalid)
			entry.InclusionProof = nil
			_, err = VerifyEntryWitnesses(entry, tr, list, 1)
			wantCode(t, err, reason.CheckpointInvalid)
		})
	}
}

func FuzzParseWitnessList(f *testing.F) {
	f.Add([]byte("# list\nwitness-a+12345678+AQ== op EU\n"))
	f.Add([]byte("witness+8b1a3c4e+BN0yGQ7ZmiItWaxn/dGhmn8SAvcbSTeHWJ+Uf7rjsK0P op-a CH\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseWitnessList(bytes.NewReader(data))
		if (l == nil) == (err == nil) {
			t.Fatalf("got list %v and error %v", l, err)
		}
		var re *reason.Error
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error without a reason: %v", err)
		}
	})
}

func FuzzVerifyCheckpointWitnesses(f *testing.F) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "log.example")
	if err != nil {
		f.Fatal(err)
	}
	ls, _ := note.NewSigner(skey)
	lv, _ := note.NewVerifier(vkey)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "witness-a")
	ws, _ := tdnote.NewSignerForCosignatureV1(wskey)
	list, err := ParseWitnessList(strings.NewReader(wvkey))
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := note.Sign(&note.Note{Text: checkpointText(3)}, ls, ws)
	f.Add(seed)
	f.Add([]byte(checkpointText(3)))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := VerifyCheckpointWitnesses(data, lv, list, 1)
		if err == nil && (res == nil || !res.Reached()) {
			t.Fatalf("no error and no quorum: %+v", res)
		}
	})
}

// BenchmarkVerifyCheckpointWitnesses measures a 3-of-5 quorum on one
// checkpoint, the witness share of a witnessed verify.
func BenchmarkVerifyCheckpointWitnesses(b *testing.B) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "log.example")
	if err != nil {
		b.Fatal(err)
	}
	ls, _ := note.NewSigner(skey)
	lv, _ := note.NewVerifier(vkey)
	signers := []note.Signer{ls}
	var lines []string
	for i := range 5 {
		wskey, wvkey, _ := note.GenerateKey(rand.Reader, fmt.Sprintf("witness-%d", i))
		ws, _ := tdnote.NewSignerForCosignatureV1(wskey)
		lines = append(lines, fmt.Sprintf("%s op-%d", wvkey, i))
		if i < 3 {
			signers = append(signers, ws)
		}
	}
	list, err := ParseWitnessList(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		b.Fatal(err)
	}
	cp, err := note.Sign(&note.Note{Text: checkpointText(1000)}, signers...)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := VerifyCheckpointWitnesses(cp, lv, list, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifyEntryWitnessesVirtualSigstore takes the checkpoint from the
// log entry of Rekor v1 and Rekor v2 bundles made by the same server-side
// code the logs run, has two witnesses cosign it, and checks the quorum
// through the trusted root, as verify does.
func TestVerifyEntryWitnessesVirtualSigstore(t *testing.T) {
	trJSON, auth := virtualTrustedRoot(t)
	tr, err := ReadTrustedRoot(bytes.NewReader(trJSON))
	if err != nil {
		t.Fatal(err)
	}
	a, b := newTestWitness(t, "witness-a"), newTestWitness(t, "witness-b")
	list := witnessList(t, a.vkey+" op-a EU", b.vkey+" op-b CH")
	for name, tlog := range map[string]sigstoretest.Tlog{"rekor v1": sigstoretest.TlogV1Proof, "rekor v2": sigstoretest.TlogV2} {
		t.Run(name, func(t *testing.T) {
			raw, err := auth.SignBlob(testArtifact, sigstoretest.SignOptions{Identity: testIdentity, Issuer: testIssuer, Tlog: tlog, TSA: sigstoretest.TSAWithCerts})
			if err != nil {
				t.Fatal(err)
			}
			var bdl bundle.Bundle
			if err := bdl.UnmarshalJSON(raw); err != nil {
				t.Fatal(err)
			}
			entry := bdl.GetVerificationMaterial().GetTlogEntries()[0]
			// Without cosignatures: the log signature verifies, no quorum.
			_, err = VerifyEntryWitnesses(entry, tr, list, 2)
			wantCode(t, err, reason.WitnessQuorumNotMet)

			cp := entry.GetInclusionProof().GetCheckpoint()
			logVerifier, err := LogCheckpointVerifier(tr.RekorLogs()[hex.EncodeToString(entry.GetLogId().GetKeyId())])
			if err != nil {
				t.Fatal(err)
			}
			n, err := note.Open([]byte(cp.Envelope), note.VerifierList(logVerifier))
			if err != nil {
				t.Fatal(err)
			}
			cosigned, err := note.Sign(n, a.signer, b.signer)
			if err != nil {
				t.Fatal(err)
			}
			cp.Envelope = string(cosigned)
			res, err := VerifyEntryWitnesses(entry, tr, list, 2)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(res.Operators) != "[op-a op-b]" || res.Cosignatures[0].Jurisdiction != "EU" {
				t.Errorf("got %+v", res)
			}
			// sigstore-go's log check: a cosigned Rekor v2 checkpoint passes
			// as it is; a Rekor v1 one only without its cosignatures.
			v, err := NewVerifier(WithTrustedMaterial(tr), WithIdentity(Identity{Subject: testIdentity, Issuer: testIssuer}))
			if err != nil {
				t.Fatal(err)
			}
			bundleErr := func() error {
				_, findings := v.Verify(&ParsedBundle{Bundle: &bdl, Version: "v0.3"}, testArtifactRef())
				for _, f := range findings {
					if f.Err != nil {
						return f.Err
					}
				}
				return nil
			}
			err = bundleErr()
			if tlog == sigstoretest.TlogV2 && err != nil {
				t.Errorf("cosigned Rekor v2 bundle: %v", err)
			}
			if tlog == sigstoretest.TlogV1Proof {
				if err == nil {
					t.Error("sigstore-go now accepts a cosigned Rekor v1 checkpoint: CheckpointWithoutCosignatures is no longer needed")
				}
				stripped, err := CheckpointWithoutCosignatures(cosigned, logVerifier)
				if err != nil {
					t.Fatal(err)
				}
				cp.Envelope = string(stripped)
				if err := bundleErr(); err != nil {
					t.Errorf("Rekor v1 bundle with the log signature only: %v", err)
				}
				if _, err := VerifyEntryWitnesses(entry, tr, list, 1); err == nil {
					t.Error("stripped checkpoint still reached a quorum")
				}
				cp.Envelope = string(cosigned)
			}
			// The twin: a quorum of three from a list of two operators.
			_, err = VerifyEntryWitnesses(entry, tr, list, 3)
			wantCode(t, err, reason.WitnessQuorumNotMet)
		})
	}
}
