package verify

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
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
				r := checkVSA(pr.certs, g.art.Path+s)
				r.beside = true
				out = append(out, r)
			}
		}
	}
	for _, f := range pr.opts.VSAs {
		out = append(out, checkVSA(pr.certs, f))
	}
	return out
}

// checkVSA reads a VSA file and verifies its signature with the certifier
// keys (attest.Certifiers.VerifyVSA). A VSA that does not parse, or whose
// signature fails with the certifier key it names, is a FAIL: it was
// changed after signing. A VSA that is not counted, or that certifies a
// FAILED verification, is a SKIP.
func checkVSA(certs *attest.Certifiers, file string) *vsaResult {
	r := &vsaResult{file: file}
	data, err := readUpTo(file, attest.MaxBundleSize+1)
	if err != nil {
		r.check = failCheck(vocab.CheckVSA, policy.Subject{}, reason.Wrap(err, reason.InputUnreadable, "check the VSA path", "reading VSA"), file)
		return r
	}
	cv, err := certs.VerifyVSA(data)
	var nc *attest.NotCountedError
	switch {
	case errors.As(err, &nc):
		r.check = policy.Check{ID: vocab.CheckVSA, Status: policy.StatusSkip, Reason: nc.Reason.Code, Message: nc.Reason.Msg, Hint: nc.Reason.Hint, Evidence: file}
		return r
	case err != nil:
		r.check = failCheck(vocab.CheckVSA, policy.Subject{}, reason.As(err, reason.BundleMalformed, ""), file)
		return r
	}
	vsa := cv.VSA
	r.keyID, r.statement, r.vsa, r.payload = cv.KeyID, cv.Statement, vsa, cv.PayloadSHA256
	msg := fmt.Sprintf("%s verified: signed by certifier key sha256:%s; %s under policy %s (sha256:%s), verified %s",
		cv.Form, r.keyID, vsa.VerificationResult, vsa.Policy.URI, orNone(vsa.Policy.Digest["sha256"]), vsa.TimeVerified)
	if vsa.VerificationResult != vocab.VSAPassed {
		r.check = policy.Check{ID: vocab.CheckVSA, Status: policy.StatusSkip, Reason: reason.PolicyUncertified, Message: msg,
			Hint: "the certifier verified the artifact and it failed: the VSA certifies nothing", Evidence: file}
		return r
	}
	r.check = policy.Check{ID: vocab.CheckVSA, Status: policy.StatusPass, Message: msg, Evidence: file}
	return r
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
		VerificationResult: vocab.VSAFailed,
		VerifiedLevels:     []string{vocab.VSAFailed},
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
		vsa.VerificationResult = vocab.VSAPassed
		vsa.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_0"}
		if len(o.Facts.Provenance) > 0 {
			vsa.VerifiedLevels = []string{"SLSA_BUILD_LEVEL_1"}
		}
	}
	return attest.NewVSAStatement([]attest.Subject{{Name: o.Name, Digest: map[string]string{"sha256": digest}}}, vsa)
}

// SignVSA signs a VSA statement made by NewVSA with the certifier's key,
// once, and returns it as a DSSE envelope and as a Sigstore bundle v0.3
// without transparency log entry, checked with the certifier's public key
// alone (attest.SignStatementWithKey).
func SignVSA(statement []byte, key crypto.Signer) (envelope, bundle []byte, err error) {
	return attest.SignStatementWithKey(statement, key)
}
