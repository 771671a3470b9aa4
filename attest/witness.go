package attest

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/formats/log"
	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits of a witness list and of a checkpoint note.
const (
	MaxWitnessListSize   = 1 << 20 // bytes of a witness list file
	MaxWitnessLineLength = 4096    // bytes of one line (an ML-DSA-44 key is about 1.8 KiB in base64)
	MaxWitnesses         = 256     // witnesses in one list
	MaxCheckpointSize    = 64 << 10
)

// Witness is a transparency-log witness a user trusts to cosign
// checkpoints: its C2SP note verifier key, and the operator and
// jurisdiction it answers to.
type Witness struct {
	Name         string
	KeyHash      uint32
	Key          string // the verifier key as given: name+hash+base64key
	Operator     string // the operator named in the list; the witness name when none is given
	Jurisdiction string // empty when the list names none
	verifier     note.Verifier
}

// WitnessList is a parsed witness list, in file order.
type WitnessList struct {
	Witnesses []Witness
}

// ParseWitnessList reads a witness list: one witness per line as a C2SP
// note verifier key (name+hash+base64key; Ed25519 keys of type 0x01 or
// 0x04, ML-DSA-44 keys of type 0x06, all verified as cosignature/v1),
// optionally followed by the operator and then the jurisdiction, separated
// by blanks. Blank lines and lines starting with # are ignored. A key whose
// hash does not match its name and key bytes, a witness listed twice, or a
// line over the limits fails the whole list with WITNESS_LIST_INVALID: a
// witness list is configuration, and half of it is not what the user meant.
func ParseWitnessList(r io.Reader) (*WitnessList, error) {
	const hint = "write one witness per line: NAME+HASH+BASE64KEY [OPERATOR [JURISDICTION]]"
	data, err := boundedio.ReadAll(r, MaxWitnessListSize)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "witness list exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxWitnessListSize), Hint: hint}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.WitnessListInvalid, hint, "reading witness list")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxWitnessLineLength)
	list := &WitnessList{}
	seen := map[string]int{}
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) > 3 {
			return nil, reason.New(reason.WitnessListInvalid, hint, "witness list line %d: got %d fields, want at most 3", lineNo, len(fields))
		}
		w, err := parseWitnessKey(fields[0])
		if err != nil {
			return nil, reason.Wrap(err, reason.WitnessListInvalid, hint, "witness list line %d", lineNo)
		}
		w.Operator = w.Name
		if len(fields) > 1 {
			w.Operator = fields[1]
		}
		if len(fields) > 2 {
			w.Jurisdiction = fields[2]
		}
		id := fmt.Sprintf("%s+%08x", w.Name, w.KeyHash)
		if first, dup := seen[id]; dup {
			return nil, reason.New(reason.WitnessListInvalid, "list each witness key once", "witness list line %d: witness %s already listed on line %d", lineNo, id, first)
		}
		seen[id] = lineNo
		if len(list.Witnesses) == MaxWitnesses {
			return nil, reason.New(reason.WitnessListInvalid, hint, "witness list names more than %d witnesses", MaxWitnesses)
		}
		list.Witnesses = append(list.Witnesses, w)
	}
	if err := sc.Err(); err != nil {
		return nil, reason.Wrap(err, reason.WitnessListInvalid, hint, "reading witness list (lines are limited to %d bytes)", MaxWitnessLineLength)
	}
	if len(list.Witnesses) == 0 {
		return nil, reason.New(reason.WitnessListInvalid, hint, "witness list names no witness")
	}
	return list, nil
}

// ReadWitnessListFile reads a witness list from path.
func ReadWitnessListFile(path string) (*WitnessList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.WitnessListInvalid, "check the --witnesses path", "opening witness list")
	}
	defer f.Close()
	return ParseWitnessList(f)
}

// parseWitnessKey turns a note verifier key into a cosignature/v1
// verifier, checking the key hash it states: the formats library derives
// the hash from name and key and does not compare it with the one given.
func parseWitnessKey(vkey string) (Witness, error) {
	name, rest, _ := strings.Cut(vkey, "+")
	hash16, key64, _ := strings.Cut(rest, "+")
	keyBytes, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(hash16) != 8 || len(keyBytes) < 2 {
		return Witness{}, fmt.Errorf("parsing verifier key %q: want NAME+HASH+BASE64KEY", vkey)
	}
	stated, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return Witness{}, fmt.Errorf("parsing key hash %q: %w", hash16, err)
	}
	cosigKey := vkey
	if keyBytes[0] == 0x01 { // a plain Ed25519 note key: its hash is checked while converting
		if cosigKey, err = tdnote.VKeyToCosignatureV1(vkey); err != nil {
			return Witness{}, fmt.Errorf("converting Ed25519 key of %s to cosignature/v1: %w", name, err)
		}
	}
	v, err := tdnote.NewVerifierForCosignatureV1(cosigKey)
	if err != nil {
		return Witness{}, fmt.Errorf("parsing cosignature/v1 key of %q: %w", name, err)
	}
	if keyBytes[0] != 0x01 && v.KeyHash() != uint32(stated) {
		return Witness{}, fmt.Errorf("key hash of %s: got %08x, want %08x", name, stated, v.KeyHash())
	}
	return Witness{Name: v.Name(), KeyHash: v.KeyHash(), Key: vkey, verifier: v}, nil
}

// Cosignature is what one signature line of a checkpoint counted for.
type Cosignature struct {
	Witness      string
	KeyHash      string // 8 hex digits
	Operator     string // empty for an unknown witness
	Jurisdiction string
	Time         time.Time // the cosignature's timestamp; zero when unknown
	Valid        bool
	Code         string // empty when valid; WITNESS_UNKNOWN or COSIGNATURE_INVALID
	Msg          string
}

// WitnessResult is the outcome of checking a checkpoint's cosignatures.
type WitnessResult struct {
	Origin       string
	Size         uint64
	RootHash     string // base64, as in the checkpoint
	Quorum       int
	Cosignatures []Cosignature // sorted by witness name, then key hash
	Operators    []string      // distinct operators with a valid cosignature, sorted
	Missing      []string      // listed witnesses that did not cosign, sorted
}

// Reached reports whether valid cosignatures from at least Quorum distinct
// operators were found.
func (r *WitnessResult) Reached() bool { return r.Quorum > 0 && len(r.Operators) >= r.Quorum }

// VerifyCheckpointWitnesses checks the C2SP signed note checkpoint against
// the log's note verifier and the witness list. The first signature must
// be a valid signature of the log: a checkpoint without one, or whose
// first signature is another's, fails with CHECKPOINT_INVALID. Every other
// signature is a cosignature: one by a witness the list does not name
// (WITNESS_UNKNOWN), or that does not verify over this checkpoint
// (COSIGNATURE_INVALID: forged, or made for another checkpoint), counts
// for nothing and is recorded in the result. The quorum is reached with
// valid cosignatures from at least quorum distinct operators; when it is
// not, the result is returned with a WITNESS_QUORUM_NOT_MET error that
// names the count and the witnesses.
func VerifyCheckpointWitnesses(checkpoint []byte, logVerifier note.Verifier, list *WitnessList, quorum int) (*WitnessResult, error) {
	if logVerifier == nil || list == nil || len(list.Witnesses) == 0 {
		return nil, errors.New("verifying checkpoint witnesses: log verifier and witness list are required")
	}
	if quorum < 1 {
		return nil, fmt.Errorf("verifying checkpoint witnesses: got quorum %d, want at least 1", quorum)
	}
	n, cp, err := openCheckpoint(checkpoint, logVerifier)
	if err != nil {
		return nil, err
	}
	res := &WitnessResult{Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash), Quorum: quorum}
	byID := map[string]*Witness{}
	for i := range list.Witnesses {
		w := &list.Witnesses[i]
		byID[fmt.Sprintf("%s+%08x", w.Name, w.KeyHash)] = w
	}
	signed := map[string]bool{}
	operators := map[string]bool{}
	for _, s := range n.UnverifiedSigs {
		c := checkCosignature(n.Text, s, byID)
		if c.Valid {
			signed[c.Witness+"+"+c.KeyHash] = true
			operators[c.Operator] = true
		}
		res.Cosignatures = append(res.Cosignatures, c)
	}
	sort.SliceStable(res.Cosignatures, func(i, j int) bool {
		a, b := res.Cosignatures[i], res.Cosignatures[j]
		return a.Witness < b.Witness || a.Witness == b.Witness && a.KeyHash < b.KeyHash
	})
	for id, w := range byID {
		if !signed[id] {
			res.Missing = append(res.Missing, w.Name)
		}
	}
	slices.Sort(res.Missing)
	for op := range operators {
		res.Operators = append(res.Operators, op)
	}
	slices.Sort(res.Operators)
	if !res.Reached() {
		return res, &reason.Error{Code: reason.WitnessQuorumNotMet,
			Msg:  fmt.Sprintf("checkpoint %s@%d is cosigned by %d distinct operator(s) (%s); not cosigned by %s", cp.Origin, cp.Size, len(res.Operators), orNone(res.Operators), orNone(res.Missing)),
			Got:  strconv.Itoa(len(res.Operators)),
			Want: fmt.Sprintf("at least %d", quorum),
			Hint: "fetch a checkpoint the witnesses have cosigned, or check the witness list and quorum"}
	}
	return res, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// openCheckpoint verifies the log's signature on the note and that it is
// the note's first signature, and parses the checkpoint body.
func openCheckpoint(checkpoint []byte, logVerifier note.Verifier) (*note.Note, *log.Checkpoint, error) {
	const hint = "the checkpoint must be signed by the log named in the trusted root, with the log's signature first"
	if len(checkpoint) > MaxCheckpointSize {
		return nil, nil, &reason.Error{Code: reason.InputTooLarge, Msg: "checkpoint exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxCheckpointSize), Hint: hint}
	}
	n, err := note.Open(checkpoint, note.VerifierList(logVerifier))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, nil, reason.New(reason.CheckpointInvalid, hint, "checkpoint carries no signature of log %s+%08x", logVerifier.Name(), logVerifier.KeyHash())
		}
		return nil, nil, reason.Wrap(err, reason.CheckpointInvalid, hint, "opening checkpoint note")
	}
	// note.Open splits text and signatures at the last blank line; the
	// signature block starts right after n.Text and its blank line.
	first, _, _ := strings.Cut(string(checkpoint[len(n.Text)+1:]), "\n")
	name, hash, err := signatureKey(first)
	if err != nil || name != logVerifier.Name() || hash != logVerifier.KeyHash() {
		return nil, nil, reason.New(reason.CheckpointInvalid, hint, "checkpoint's first signature is %s+%08x, not the log's %s+%08x", name, hash, logVerifier.Name(), logVerifier.KeyHash())
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
		return nil, nil, reason.Wrap(err, reason.CheckpointInvalid, "the log entry's checkpoint is not a C2SP checkpoint", "parsing checkpoint body")
	}
	return n, &cp, nil
}

// CheckpointWithoutCosignatures returns the checkpoint with the log's
// signature only, after checking it as VerifyCheckpointWitnesses does. A
// Rekor v1 checkpoint must be handed to sigstore-go in this form: Rekor
// v1's signed-note reader (used by sigstore-go v1.3.0 for v1 entries)
// requires every signature on the note to be the log's, so a cosigned v1
// checkpoint fails its log check. Rekor v2 entries need no stripping.
func CheckpointWithoutCosignatures(checkpoint []byte, logVerifier note.Verifier) ([]byte, error) {
	n, _, err := openCheckpoint(checkpoint, logVerifier)
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(checkpoint[len(n.Text)+1:]), "\n")
	return []byte(n.Text + "\n" + first + "\n"), nil
}

// signatureKey returns the name and key hash of a note signature line
// ("— NAME BASE64"), which note.Open has already checked for form.
func signatureKey(line string) (string, uint32, error) {
	name, b64, _ := strings.Cut(strings.TrimPrefix(line, "— "), " ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) < 4 {
		return name, 0, fmt.Errorf("malformed signature line %q", line)
	}
	return name, binary.BigEndian.Uint32(sig[:4]), nil
}

func checkCosignature(text string, s note.Signature, byID map[string]*Witness) Cosignature {
	c := Cosignature{Witness: s.Name, KeyHash: fmt.Sprintf("%08x", s.Hash)}
	w, ok := byID[c.Witness+"+"+c.KeyHash]
	if !ok {
		c.Code, c.Msg = reason.WitnessUnknown, "signed by a key the witness list does not name"
		return c
	}
	c.Operator, c.Jurisdiction = w.Operator, w.Jurisdiction
	sig, err := base64.StdEncoding.DecodeString(s.Base64)
	if err != nil || len(sig) < 4 || !w.verifier.Verify([]byte(text), sig[4:]) {
		c.Code, c.Msg = reason.CosignatureInvalid, "does not verify over this checkpoint (forged, or made for another checkpoint)"
		return c
	}
	if t, err := tdnote.CoSigV1Timestamp(s); err == nil {
		c.Time = t.UTC()
	}
	c.Valid = true
	return c
}

// LogCheckpointVerifier is the note verifier of a transparency log from a
// trusted root: signatures named by the host of the log's base URL, as
// Rekor v1 and v2 sign their checkpoints.
func LogCheckpointVerifier(tl *root.TransparencyLog) (note.Verifier, error) {
	u, err := url.Parse(tl.BaseURL)
	if err != nil || u.Hostname() == "" {
		return nil, reason.New(reason.TrustRootInvalid, "the trusted root must give each transparency log's baseUrl", "transparency log base URL %q has no host", tl.BaseURL)
	}
	hash := tl.SignatureHashFunc
	if hash == 0 {
		hash = crypto.SHA256
	}
	sv, err := signature.LoadVerifier(tl.PublicKey, hash)
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootInvalid, "check the transparency log's public key in the trusted root", "loading log key of %s", tl.BaseURL)
	}
	v, err := rekornote.NewNoteVerifier(u.Hostname(), sv)
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootInvalid, "check the transparency log's public key in the trusted root", "making note verifier for %s", tl.BaseURL)
	}
	return v, nil
}

// VerifyEntryWitnesses checks the witness cosignatures on the checkpoint
// of a bundle's transparency-log entry (Rekor v1 or v2): the checkpoint is
// the entry's inclusionProof.checkpoint.envelope, and its log is the one
// the trusted material names by the entry's log key id. An entry without
// a checkpoint (a v0.1 bundle's inclusion promise only) cannot be
// witnessed and fails with CHECKPOINT_INVALID.
func VerifyEntryWitnesses(entry *protorekor.TransparencyLogEntry, tm root.TrustedMaterial, list *WitnessList, quorum int) (*WitnessResult, error) {
	checkpoint, v, err := entryCheckpoint(entry, tm)
	if err != nil {
		return nil, err
	}
	return VerifyCheckpointWitnesses(checkpoint, v, list, quorum)
}

// entryCheckpoint returns the checkpoint of a log entry and the note
// verifier of its log in tm.
func entryCheckpoint(entry *protorekor.TransparencyLogEntry, tm root.TrustedMaterial) ([]byte, note.Verifier, error) {
	envelope := entry.GetInclusionProof().GetCheckpoint().GetEnvelope()
	if envelope == "" {
		return nil, nil, reason.New(reason.CheckpointInvalid, "witnessing needs a bundle whose log entry carries an inclusion proof with a checkpoint (bundle v0.2 or later)", "transparency log entry has no checkpoint")
	}
	keyID := hex.EncodeToString(entry.GetLogId().GetKeyId())
	tl, ok := tm.RekorLogs()[keyID]
	if !ok {
		return nil, nil, reason.New(reason.TlogInvalid, "give the trusted root of the log that made this entry", "no transparency log with key id %s in the trusted root", keyID)
	}
	v, err := LogCheckpointVerifier(tl)
	if err != nil {
		return nil, nil, err
	}
	return []byte(envelope), v, nil
}
