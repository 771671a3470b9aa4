package verify

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

// VerifierID is the verifier.id of the VSAs sovcheck writes, unless the
// certifier names itself.
const VerifierID = "https://sovcheck.dev/verify"

// vsaResult is one VSA file, checked against the policy's certifier keys.
type vsaResult struct {
	file   string
	beside bool         // discovered beside the artifact, so it must be about it
	check  policy.Check // PASS, SKIP (not counted) or FAIL (corrupt); no subject yet
	// Set when the signature verified with a certifier key:
	statement *attest.Statement
	vsa       *attest.VSA
	keyID     string
	payload   [sha256.Size]byte // sha256 of the signed statement
}

// about reports whether the VSA is about a component: its sha256 is a
// subject of the VSA, or its purl is the VSA's resourceUri.
func (v *vsaResult) about(purl, sha string) bool {
	if v.vsa == nil {
		return false
	}
	if sha != "" {
		if _, ok := v.statement.MatchSubject(sha); ok {
			return true
		}
	}
	return purl != "" && v.vsa.ResourceURI == purl
}

func (v *vsaResult) fact() policy.VSA { return vsaFact(v.vsa, v.keyID, v.file) }

func (v *vsaResult) input() attest.ResourceDescriptor {
	return attest.ResourceDescriptor{URI: v.file, Digest: map[string]string{"sha256": hex.EncodeToString(v.payload[:])}}
}

func vsaFact(v *attest.VSA, keyID, evidence string) policy.VSA {
	return policy.VSA{CertifierKeyID: keyID, Result: v.VerificationResult, PolicyURI: v.Policy.URI,
		PolicyDigest: strings.ToLower(v.Policy.Digest["sha256"]), Evidence: evidence}
}

// vsas checks the VSAs of one artifact: those beside it, then those given.
func (pr *policyRun) vsas(g *gathered) []*vsaResult {
	var out []*vsaResult
	if g.art.Path != "" {
		for _, s := range VSASuffixes {
			if fi, err := os.Stat(g.art.Path + s); err == nil && fi.Mode().IsRegular() {
				r := pr.certifiers().check(g.art.Path + s)
				r.beside = true
				out = append(out, r)
			}
		}
	}
	for _, f := range pr.opts.VSAs {
		out = append(out, pr.certifiers().check(f))
	}
	return out
}

func (pr *policyRun) certifiers() certifiers { return pr.certs }

// certifiers are the keys a policy trusts to sign VSAs.
type certifiers struct {
	keys map[string]crypto.PublicKey // the keys at hand, by id
	ids  map[string]bool             // every id the policy trusts
	fps  map[string]string           // DSSE keyid (attest.EnvelopeKeyID) of each key at hand -> id
}

func (cs certifiers) add(id string, pub crypto.PublicKey) error {
	fp, err := attest.EnvelopeKeyID(pub)
	if err != nil {
		return configErr(err, reason.KeyInvalid, "")
	}
	cs.keys[id], cs.fps[fp] = pub, id
	return nil
}

// keyID maps a signature's keyid, a hint only, to a certifier key id: the
// DSSE fingerprint of a key at hand, or sha256:<hex> / <hex>.
func (cs certifiers) keyID(hint string) string {
	if id, ok := cs.fps[hint]; ok {
		return id
	}
	return strings.ToLower(strings.TrimPrefix(hint, "sha256:"))
}

// check reads a VSA file and verifies its signature with the certifier
// keys. A VSA that does not parse, or whose signature fails with the
// certifier key it names, is a FAIL: it was changed after signing. A VSA
// signed by a key the policy does not trust is a SKIP: not counted.
func (cs certifiers) check(file string) *vsaResult {
	r := &vsaResult{file: file}
	fail := func(e *reason.Error) *vsaResult {
		r.check = failCheck(CheckVSA, policy.Subject{}, e, file)
		return r
	}
	skip := func(code, msg, hint string) *vsaResult {
		r.check = policy.Check{ID: CheckVSA, Status: policy.StatusSkip, Reason: code, Message: msg, Hint: hint, Evidence: file}
		return r
	}
	data, err := readUpTo(file, attest.MaxBundleSize+1)
	if err != nil {
		return fail(reason.Wrap(err, reason.InputUnreadable, "check the VSA path", "reading VSA"))
	}
	env, err := attest.ReadEnvelope(data)
	if err != nil {
		return fail(reason.As(err, reason.BundleMalformed, "give the VSA written by 'sovcheck attest vsa'"))
	}
	if env.Certificate {
		return skip(reason.KeyMismatch, "VSA signed keylessly; certifiers are keys the policy names",
			"ask the certifier for a VSA signed with its key")
	}
	var named []string // certifier ids the signatures and the bundle name
	if id := cs.keyID(env.KeyHint); cs.ids[id] {
		named = append(named, id)
	}
	for _, sig := range env.Signatures {
		id := cs.keyID(sig.KeyID)
		if cs.ids[id] && !slices.Contains(named, id) {
			named = append(named, id)
		}
		if len(named) > 0 && !cs.ids[id] {
			id = named[0]
		}
		for _, kid := range cs.order(id) {
			if verifyKeySignature(cs.keys[kid], env.PAE(), sig.Sig) {
				r.keyID = kid
				break
			}
		}
		if r.keyID != "" {
			break
		}
	}
	if r.keyID == "" {
		for _, id := range named {
			if cs.keys[id] != nil {
				return fail(&reason.Error{Code: reason.SignatureInvalid, Msg: "VSA signature does not verify with the certifier key it names",
					Want: "sha256:" + id, Hint: "the VSA was changed after it was signed; ask the certifier for the original"})
			}
		}
		const keyHint = "give the certifier's public key with --certifier-key FILE, or put the PEM key in certification.certifiers"
		if len(named) > 0 {
			return skip(reason.EvidenceMissing, fmt.Sprintf("VSA names certifier key sha256:%s, which the policy trusts by id; its public key is not at hand", named[0]), keyHint)
		}
		if missing := len(cs.ids) - len(cs.keys); missing > 0 {
			return skip(reason.EvidenceMissing, fmt.Sprintf("VSA not signed by a certifier key at hand; the public key of %d certifier%s the policy names by id is not at hand",
				missing, map[bool]string{true: "", false: "s"}[missing == 1]), keyHint)
		}
		return skip(reason.KeyMismatch, "VSA not signed by a certifier key the policy trusts; not counted",
			"ask for a VSA signed by a certifier the policy names in certification.certifiers")
	}
	st, err := attest.ParseStatement(env.PayloadType, env.Payload)
	if err != nil {
		return fail(reason.As(err, reason.StatementMalformed, ""))
	}
	vsa, err := attest.ParseVSA(st)
	if err != nil {
		return fail(reason.As(err, reason.StatementMalformed, ""))
	}
	r.statement, r.vsa, r.payload = st, vsa, sha256.Sum256(env.Payload)
	msg := fmt.Sprintf("%s verified: signed by certifier key sha256:%s; %s under policy %s (sha256:%s), verified %s",
		env.Form, r.keyID, vsa.VerificationResult, vsa.Policy.URI, orNone(vsa.Policy.Digest["sha256"]), vsa.TimeVerified)
	if vsa.VerificationResult != attest.VSAPassed {
		return skip(reason.PolicyUncertified, msg, "the certifier verified the artifact and it failed: the VSA certifies nothing")
	}
	r.check = policy.Check{ID: CheckVSA, Status: policy.StatusPass, Message: msg, Evidence: file}
	return r
}

// order lists the key ids to try for a signature: the one it names first,
// then the others, sorted.
func (cs certifiers) order(named string) []string {
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

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// VSAOptions says who issues a VSA and what it names.
type VSAOptions struct {
	VerifierID  string // default VerifierID
	Version     string // the verifier's version, recorded as verifier.version.sovcheck
	ResourceURI string // default: the artifact's name
	PolicyURI   string // default: the policy file as named
	Time        time.Time
}

// NewVSA returns the unsigned in-toto statement of a SLSA Verification
// Summary Attestation for the outcome of one artifact verified under a
// policy: PASSED when the verdict passed, FAILED otherwise. The subject is
// the artifact's name and sha256; verifiedLevels says SLSA_BUILD_LEVEL_1
// when a signed SLSA provenance verified (sovcheck cannot tell whether
// the build platform was hosted, which higher levels need), level 0
// otherwise, and FAILED on a failed verdict.
func NewVSA(o Outcome, opts VSAOptions) ([]byte, error) {
	v := o.Verdict
	res := v.Policy
	if res == nil || o.Facts == nil {
		return nil, reason.New(reason.InputMalformed, "give --policy: a VSA records the policy it was verified under", "no policy was applied")
	}
	digest := v.Subject.Digest["sha256"]
	if digest == "" {
		return nil, reason.New(reason.InputMalformed, "give the artifact file or its sha256", "the artifact %s has no sha256 to certify", v.Subject.Name)
	}
	vsa := attest.VSA{
		Verifier:           attest.VSAVerifier{ID: opts.VerifierID, Version: map[string]string{}},
		TimeVerified:       opts.Time.UTC().Format(time.RFC3339),
		ResourceURI:        opts.ResourceURI,
		Policy:             attest.ResourceDescriptor{URI: opts.PolicyURI, Digest: map[string]string{"sha256": res.Policy.SHA256}},
		InputAttestations:  o.Inputs,
		VerificationResult: attest.VSAFailed,
		VerifiedLevels:     []string{attest.VSAFailed},
		SLSAVersion:        "1.0",
	}
	if vsa.Verifier.ID == "" {
		vsa.Verifier.ID = VerifierID
	}
	if opts.Version != "" {
		vsa.Verifier.Version["sovcheck"] = opts.Version
	}
	if vsa.ResourceURI == "" {
		vsa.ResourceURI = o.Name
	}
	if vsa.Policy.URI == "" {
		vsa.Policy.URI = filepath.ToSlash(res.Policy.File)
	}
	if v.Passed() {
		vsa.VerificationResult = attest.VSAPassed
		vsa.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_0"}
		if len(o.Facts.Provenance) > 0 {
			vsa.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_1"}
		}
	}
	return attest.NewVSAStatement([]attest.Subject{{Name: o.Name, Digest: map[string]string{"sha256": digest}}}, vsa)
}
