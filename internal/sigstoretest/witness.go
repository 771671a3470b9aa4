package sigstoretest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
)

// Witness is a transparency-log witness with a fresh Ed25519 key that
// cosigns checkpoints in the C2SP cosignature/v1 format.
type Witness struct {
	Name string
	// VerifierKey is the witness's note verifier key (NAME+HASH+BASE64KEY),
	// as a witness list names it.
	VerifierKey string
	signer      note.Signer
}

// NewWitness makes a witness with a fresh key.
func NewWitness(name string) (*Witness, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, fmt.Errorf("generating key of witness %s: %w", name, err)
	}
	s, err := tdnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("making cosigner of witness %s: %w", name, err)
	}
	return &Witness{Name: name, VerifierKey: vkey, signer: s}, nil
}

// Signer cosigns checkpoints as the witness.
func (w *Witness) Signer() note.Signer { return w.signer }

// ForgedSigner writes cosignatures under the witness's name and key hash
// that do not verify: one byte of each signature is changed.
func (w *Witness) ForgedSigner() note.Signer { return forgedSigner{w.signer} }

type forgedSigner struct{ note.Signer }

func (f forgedSigner) Sign(msg []byte) ([]byte, error) {
	sig, err := f.Signer.Sign(msg)
	if err != nil {
		return nil, err
	}
	sig[len(sig)-1] ^= 0x01
	return sig, nil
}

// Cosign returns the bundle with the checkpoint of every transparency-log
// entry cosigned by signers, after the signatures it already carries (the
// log's first), as a witness returns a cosigned checkpoint. A bundle
// without a checkpoint (an inclusion promise only) is refused.
func Cosign(bundleJSON []byte, signers ...note.Signer) ([]byte, error) {
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(bundleJSON, &pb); err != nil {
		return nil, fmt.Errorf("cosigning: parsing bundle: %w", err)
	}
	entries := pb.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: cosigning needs a transparency-log entry", ErrInvalidOptions)
	}
	for _, e := range entries {
		cp := e.GetInclusionProof().GetCheckpoint()
		if cp.GetEnvelope() == "" {
			return nil, fmt.Errorf("%w: cosigning needs a checkpoint, got an entry without an inclusion proof", ErrInvalidOptions)
		}
		n, err := splitNote(cp.GetEnvelope())
		if err != nil {
			return nil, err
		}
		cosigned, err := note.Sign(n, signers...)
		if err != nil {
			return nil, fmt.Errorf("cosigning checkpoint: %w", err)
		}
		cp.Envelope = string(cosigned)
	}
	out, err := protojson.Marshal(&pb)
	if err != nil {
		return nil, fmt.Errorf("cosigning: encoding bundle: %w", err)
	}
	return out, nil
}

// splitNote reads a signed note's text and signature lines without
// verifying them, so that new signatures are added after them.
func splitNote(envelope string) (*note.Note, error) {
	i := strings.LastIndex(envelope, "\n\n")
	if i < 0 {
		return nil, fmt.Errorf("cosigning: checkpoint is not a signed note")
	}
	n := &note.Note{Text: envelope[:i+1]}
	for _, line := range strings.Split(strings.TrimSuffix(envelope[i+2:], "\n"), "\n") {
		name, b64, ok := strings.Cut(strings.TrimPrefix(line, "— "), " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(raw) < 4 {
			return nil, fmt.Errorf("cosigning: malformed signature line %q", line)
		}
		n.Sigs = append(n.Sigs, note.Signature{Name: name, Hash: binary.BigEndian.Uint32(raw), Base64: b64})
	}
	return n, nil
}
