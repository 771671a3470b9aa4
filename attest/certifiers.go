package attest

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Certifiers are the keys trusted to sign Verification Summary
// Attestations: every key id the caller trusts, and the public keys at
// hand for some of them. Build them with NewCertifiers, Trust and Add.
type Certifiers struct {
	keys map[string]crypto.PublicKey // the keys at hand, by id
	ids  map[string]bool             // every id trusted
	fps  map[string]string           // DSSE keyid (EnvelopeKeyID) of each key at hand -> id
}

// NewCertifiers returns an empty set: it trusts no key.
func NewCertifiers() *Certifiers {
	return &Certifiers{keys: map[string]crypto.PublicKey{}, ids: map[string]bool{}, fps: map[string]string{}}
}

// Trust trusts the key id (KeyID's hex sha256), whether or not its public
// key is at hand.
func (cs *Certifiers) Trust(id string) { cs.ids[id] = true }

// Trusts reports whether the key id is trusted.
func (cs *Certifiers) Trusts(id string) bool { return cs.ids[id] }

// Add puts the public key of a trusted id at hand.
func (cs *Certifiers) Add(id string, pub crypto.PublicKey) error {
	fp, err := EnvelopeKeyID(pub)
	if err != nil {
		return err
	}
	cs.keys[id], cs.fps[fp] = pub, id
	return nil
}

// CertifiedVSA is a VSA whose signature verified with a certifier key.
type CertifiedVSA struct {
	Form          string // what the file held, e.g. "DSSE envelope"
	KeyID         string // the certifier key that verified it
	Statement     *Statement
	VSA           *VSA
	PayloadSHA256 [sha256.Size]byte // of the signed statement
}

// NotCountedError is a VSA that is neither broken nor counted: signed
// keylessly, by a key that is not trusted, or by a trusted key whose
// public key is not at hand. Its Reason carries the code and the hint.
type NotCountedError struct{ Reason *reason.Error }

func (e *NotCountedError) Error() string { return e.Reason.Error() }
func (e *NotCountedError) Unwrap() error { return e.Reason }

// IsNotCounted reports whether err is a *NotCountedError.
func IsNotCounted(err error) bool {
	var nc *NotCountedError
	return errors.As(err, &nc)
}

func notCounted(code, msg, hint string) error {
	return &NotCountedError{&reason.Error{Code: code, Msg: msg, Hint: hint}}
}

// VerifyVSA reads a VSA (a DSSE envelope or a Sigstore bundle that carries
// one, at most MaxBundleSize bytes) and verifies its signature with the
// certifier keys: the keys its signatures and the bundle name first, then
// the others. A VSA that does not parse, or whose signature fails with the
// certifier key it names, is a *reason.Error: it was changed after
// signing. A VSA that cannot be counted is a *NotCountedError. Whether the
// VSA passed, and what it is about, is the caller's to judge.
func (cs *Certifiers) VerifyVSA(data []byte) (*CertifiedVSA, error) {
	env, err := ReadEnvelope(data)
	if err != nil {
		return nil, reason.As(err, reason.BundleMalformed, "give the VSA written by 'sovcheck attest vsa'")
	}
	if env.Certificate {
		return nil, notCounted(reason.KeyMismatch, "VSA signed keylessly; certifiers are keys the policy names",
			"ask the certifier for a VSA signed with its key")
	}
	keyID, named := cs.verifySignatures(env)
	if keyID == "" {
		return nil, cs.unverified(named)
	}
	st, err := ParseStatement(env.PayloadType, env.Payload)
	if err != nil {
		return nil, reason.As(err, reason.StatementMalformed, "")
	}
	vsa, err := ParseVSA(st)
	if err != nil {
		return nil, reason.As(err, reason.StatementMalformed, "")
	}
	return &CertifiedVSA{Form: env.Form, KeyID: keyID, Statement: st, VSA: vsa, PayloadSHA256: sha256.Sum256(env.Payload)}, nil
}

// verifySignatures returns the certifier key that verifies a signature of
// env ("" if none does) and the trusted ids the signatures and the bundle
// name.
func (cs *Certifiers) verifySignatures(env *Envelope) (string, []string) {
	var named []string
	if id := cs.keyID(env.KeyHint); cs.ids[id] {
		named = append(named, id)
	}
	pae := env.PAE()
	for _, sig := range env.Signatures {
		id := cs.keyID(sig.KeyID)
		if cs.ids[id] && !slices.Contains(named, id) {
			named = append(named, id)
		}
		if len(named) > 0 && !cs.ids[id] {
			id = named[0]
		}
		for _, kid := range cs.order(id) {
			if verifyKeySignature(cs.keys[kid], pae, sig.Sig) {
				return kid, named
			}
		}
	}
	return "", named
}

// unverified says why no certifier key verified a VSA that names the
// trusted ids named.
func (cs *Certifiers) unverified(named []string) error {
	for _, id := range named {
		if cs.keys[id] != nil {
			return &reason.Error{Code: reason.SignatureInvalid, Msg: "VSA signature does not verify with the certifier key it names",
				Want: "sha256:" + id, Hint: "the VSA was changed after it was signed; ask the certifier for the original"}
		}
	}
	const keyHint = "give the certifier's public key with --certifier-key FILE, or put the PEM key in certification.certifiers"
	if len(named) > 0 {
		return notCounted(reason.EvidenceMissing, fmt.Sprintf("VSA names certifier key sha256:%s, which the policy trusts by id; its public key is not at hand", named[0]), keyHint)
	}
	if missing := len(cs.ids) - len(cs.keys); missing > 0 {
		return notCounted(reason.EvidenceMissing, fmt.Sprintf("VSA not signed by a certifier key at hand; the public key of %d certifier%s the policy names by id is not at hand",
			missing, map[bool]string{true: "", false: "s"}[missing == 1]), keyHint)
	}
	return notCounted(reason.KeyMismatch, "VSA not signed by a certifier key the policy trusts; not counted",
		"ask for a VSA signed by a certifier the policy names in certification.certifiers")
}

// keyID maps a signature's keyid, a hint only, to a certifier key id: the
// DSSE fingerprint of a key at hand, or sha256:<hex> / <hex>.
func (cs *Certifiers) keyID(hint string) string {
	if id, ok := cs.fps[hint]; ok {
		return id
	}
	return strings.ToLower(strings.TrimPrefix(hint, "sha256:"))
}

// order lists the key ids to try for a signature: the one it names first,
// then the others, sorted.
func (cs *Certifiers) order(named string) []string {
	var ids []string
	if cs.keys[named] != nil {
		ids = append(ids, named)
	}
	var rest []string
	for id := range cs.keys {
		if id != named {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	return append(ids, rest...)
}
