package attest

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// MaxRebuildEnvelopes is the most signed statements read from one rebuild
// attestation file (JSON Lines, or JSON values one after the other).
const MaxRebuildEnvelopes = 64

// RebuilderKeys are the public keys of the rebuilders a policy names:
// every key id trusted, and the keys at hand. Build them with
// NewRebuilderKeys, Trust and Add.
type RebuilderKeys struct{ cs *Certifiers }

// NewRebuilderKeys returns an empty set: it trusts no rebuilder.
func NewRebuilderKeys() *RebuilderKeys { return &RebuilderKeys{cs: NewCertifiers()} }

// Trust trusts the key id (KeyID's hex sha256), whether or not its public
// key is at hand.
func (rk *RebuilderKeys) Trust(id string) { rk.cs.Trust(id) }

// Trusts reports whether the key id is trusted.
func (rk *RebuilderKeys) Trusts(id string) bool { return rk.cs.Trusts(id) }

// Add puts the public key of a trusted id at hand.
func (rk *RebuilderKeys) Add(id string, pub crypto.PublicKey) error { return rk.cs.Add(id, pub) }

// VerifiedRebuild is a rebuild claim whose signature verified with a
// rebuilder key.
type VerifiedRebuild struct {
	KeyID string // the rebuilder key that verified it
	Form  string // what the file held, e.g. "DSSE envelope"
	Claim *RebuildClaim
}

// VerifyRebuildFile reads a rebuild attestation file (at most
// MaxBundleSize bytes): DSSE envelopes or Sigstore bundles, one JSON value
// after the other, as `sovcheck rebuild --attest` and OSS Rebuild write
// them. Each signature is verified with the rebuilder keys alone (no
// transparency log; the trust is in the pinned key), and OSS Rebuild's
// Rebuild@v0.1 and ArtifactEquivalence@v0.1 of one signer are paired. It
// returns the verified claims and, for each statement that counts for
// nothing, why: a *reason.Error when it was changed after signing or does
// not parse, a *NotCountedError when no rebuilder key signed it or it is
// not a rebuild attestation. A file that cannot be read as JSON values is
// one *reason.Error and no claim.
func (rk *RebuilderKeys) VerifyRebuildFile(data []byte) ([]VerifiedRebuild, []error) {
	raws, err := splitJSONValues(data)
	if err != nil {
		return nil, []error{err}
	}
	var out []VerifiedRebuild
	var errs []error
	for i, raw := range raws {
		v, err := rk.verifyOne(raw)
		if err != nil {
			if len(raws) > 1 {
				err = withStatementIndex(err, i+1)
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, *v)
	}
	return pairOSS(out), errs
}

func (rk *RebuilderKeys) verifyOne(raw []byte) (*VerifiedRebuild, error) {
	env, err := ReadEnvelope(raw)
	if err != nil {
		return nil, reason.As(err, reason.BundleMalformed, "give the rebuilder's DSSE envelopes or Sigstore bundles")
	}
	if env.Certificate {
		return nil, notCounted(reason.KeyMismatch, "rebuild attestation signed keylessly; rebuilders are keys the policy pins",
			"ask the rebuilder for attestations signed with its key")
	}
	keyID, named := rk.cs.verifySignatures(env)
	if keyID == "" {
		return nil, rk.unverified(named)
	}
	st, err := ParseStatement(env.PayloadType, env.Payload)
	if err != nil {
		return nil, reason.As(err, reason.StatementMalformed, "")
	}
	claim, err := ParseRebuildClaim(st)
	if err != nil {
		return nil, err
	}
	return &VerifiedRebuild{KeyID: keyID, Form: env.Form, Claim: claim}, nil
}

// unverified says why no rebuilder key verified a statement that names
// the trusted ids named.
func (rk *RebuilderKeys) unverified(named []string) error {
	for _, id := range named {
		if rk.cs.keys[id] != nil {
			return &reason.Error{Code: reason.SignatureInvalid, Msg: "rebuild attestation signature does not verify with the rebuilder key it names",
				Want: "sha256:" + id, Hint: "the attestation was changed after it was signed, or forged; ask the rebuilder for the original"}
		}
	}
	if len(named) > 0 {
		return notCounted(reason.EvidenceMissing, fmt.Sprintf("rebuild attestation names rebuilder key sha256:%s, which the policy pins by id; its public key is not at hand", named[0]),
			"give the rebuilder's public key with --rebuilder-key FILE, or put the PEM key in the policy")
	}
	return notCounted(reason.RebuilderUnknown, "rebuild attestation not signed by a rebuilder the policy names; not counted",
		"add the rebuilder, its operator, jurisdiction and key, to the artifact's rebuild.rebuilders in the policy, if you trust it")
}

// withStatementIndex says which statement of a file an error is about.
func withStatementIndex(err error, n int) error {
	var nc *NotCountedError
	if errors.As(err, &nc) {
		e := *nc.Reason
		e.Msg = fmt.Sprintf("statement %d: %s", n, e.Msg)
		return &NotCountedError{&e}
	}
	e := reason.As(err, reason.BundleMalformed, "")
	c := *e
	c.Msg = fmt.Sprintf("statement %d: %s", n, c.Msg)
	return &c
}

// splitJSONValues splits a file into its top-level JSON values (JSON Lines,
// or values one after the other), at most MaxRebuildEnvelopes of them.
func splitJSONValues(data []byte) ([][]byte, error) {
	const hint = "give DSSE envelopes or Sigstore bundles, one JSON value per line"
	if len(data) > MaxBundleSize {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "rebuild attestation file exceeds the size limit",
			Got: fmt.Sprintf("%d bytes", len(data)), Want: fmt.Sprintf("at most %d bytes", MaxBundleSize), Hint: "check that the right file was given"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.BundleMalformed, hint, "reading rebuild attestation file")
		}
		if len(out) == MaxRebuildEnvelopes {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "rebuild attestation file holds too many statements",
				Want: fmt.Sprintf("at most %d", MaxRebuildEnvelopes), Hint: "split the file"}
		}
		out = append(out, raw)
	}
	if len(out) == 0 {
		return nil, reason.New(reason.BundleMalformed, hint, "rebuild attestation file is empty")
	}
	return out, nil
}
