package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// DefaultPolicy is the policy name that selects the embedded default
// policy (`sovcheck policy show-default`) instead of a file.
const DefaultPolicy = "default"

// SBOMSuffixes are the names, appended to an artifact's path, under which
// its SBOM is discovered when a policy is applied, in the order tried.
var SBOMSuffixes = []string{".cdx.json", ".spdx.json"}

// VSASuffixes are the names, appended to an artifact's path, under which
// its VSAs are discovered when a policy is applied: the DSSE envelope and
// the Sigstore bundle `sovcheck attest vsa` writes.
var VSASuffixes = []string{".vsa.json", ".vsa.sigstore.json"}

// PolicyOptions applies a procurement policy to every verdict: the facts
// verify established are evaluated, and the policy's checks join the
// verdict.
type PolicyOptions struct {
	Policy *policy.Policy
	// Data is what the policy's data files hold (LoadPolicy reads them):
	// the SBOM is assessed with it.
	Data sbom.Data
	// SBOM is the SBOM file of the one artifact verified; empty means
	// discover ARTIFACT.cdx.json or ARTIFACT.spdx.json, or else take a
	// verified SBOM attestation.
	SBOM string
	// VSAs are VSA files (DSSE envelope or Sigstore bundle) given for the
	// artifacts, besides those discovered (VSASuffixes).
	VSAs []string
	// CertifierKeys are PEM public key files of certifiers that the policy
	// names by key id only; each must be one of the policy's certifiers.
	CertifierKeys []string
	// RebuilderKeys are PEM public key files of rebuilders the policy
	// pins by key id only; RebuildAttestations is a directory of rebuild
	// attestation files (rebuilders.go).
	RebuilderKeys       []string
	RebuildAttestations string
	// Now is the evaluation time; default time.Now.
	Now func() time.Time
}

// policyRun is the policy state of a Runner.
type policyRun struct {
	opts PolicyOptions
	// certs are the certifier keys at hand (those the policy gives in full
	// and those of CertifierKeys) and the ids of all the policy trusts.
	certs *attest.Certifiers
	// rebuilders are the keys of the rebuilders the policy names; nil
	// when it names none.
	rebuilders *rebuilderSet
}

func newPolicyRun(o *PolicyOptions) (*policyRun, error) {
	if o == nil {
		return nil, nil
	}
	if o.Policy == nil {
		return nil, &ConfigError{reason.New(reason.InputMalformed, "load the policy with LoadPolicy", "policy options without a policy")}
	}
	pr := &policyRun{opts: *o, certs: attest.NewCertifiers()}
	if pr.opts.Now == nil {
		pr.opts.Now = time.Now
	}
	for _, c := range o.Policy.Certifiers() {
		pr.certs.Trust(c.KeyID)
		if c.Key != nil {
			if err := pr.certs.Add(c.KeyID, c.Key); err != nil {
				return nil, configErr(err, reason.KeyInvalid, "")
			}
		}
	}
	for _, path := range o.CertifierKeys {
		pub, err := readKey(path)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "give the certifier's PEM public key with --certifier-key")
		}
		id, err := vocab.KeyID(pub)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
		if !pr.certs.Trusts(id) {
			return nil, &ConfigError{reason.New(reason.KeyMismatch,
				"add the key's sha256 to certification.certifiers in the policy, or give the key of a certifier the policy names",
				"certifier key %s (sha256:%s) is not one of the certifiers of policy %s", path, id, o.Policy.Name())}
		}
		if err := pr.certs.Add(id, pub); err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
	}
	rs, err := newRebuilderSet(o.Policy, o.RebuilderKeys, o.RebuildAttestations)
	if err != nil {
		return nil, err
	}
	pr.rebuilders = rs
	for _, f := range append(slices.Clone(o.VSAs), o.SBOM) {
		if f == "" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return nil, &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the path of the VSA or SBOM file", "opening %s", f)}
		}
		if !fi.Mode().IsRegular() {
			return nil, &ConfigError{reason.New(reason.InputUnreadable, "give a file", "%s is not a regular file", f)}
		}
	}
	return pr, nil
}

// preflight refuses what cannot be judged before any work starts.
func (pr *policyRun) preflight(artifacts []string) error {
	if pr == nil || pr.opts.SBOM == "" || len(artifacts) == 1 {
		return nil
	}
	return &ConfigError{reason.New(reason.InputMalformed,
		"--sbom names the SBOM of one artifact; for several, put ARTIFACT.cdx.json or ARTIFACT.spdx.json beside each artifact and omit --sbom",
		"--sbom given with %d artifacts", len(artifacts))}
}

// evaluate gathers the facts of one artifact from its checks and from
// what verifying it established, evaluates the policy on them, and
// decides the verdict once: the checks, those the facts added (the SBOM
// the policy judges, VSAs, unreadable provenance) and the policy's rules.
// The facts see the checks settled, as the verdict reads them (a required
// check skipped is a failure).
func (pr *policyRun) evaluate(r *Runner, o Outcome, g *gathered, checks []policy.Check) Outcome {
	subject := g.subject
	f := &policy.Facts{Artifact: subject}
	extra := signerFacts(f, g)
	f.Rebuild = rebuildFact(g, checks)
	f.Wasm = g.wasm

	sbomCheck, vulns, sum := pr.sbomFacts(r, subject, g)
	if sbomCheck != nil {
		extra = append(extra, *sbomCheck)
		f.SBOM, f.Vulnerabilities = sum, vulns
	}
	for _, res := range pr.vsas(g) {
		ch := res.check
		ch.Subject = subject
		if res.vsa != nil {
			matched := false
			if _, ok := res.statement.MatchSubject(subject.Digest["sha256"]); ok {
				f.VSAs = append(f.VSAs, res.fact())
				o.Inputs = append(o.Inputs, res.input())
				matched = true
			}
			for i := range f.SBOM.Components {
				if c := &f.SBOM.Components[i]; res.about(c.PURL, c.SHA256) {
					c.VSAs = append(c.VSAs, res.fact())
					matched = true
				}
			}
			switch {
			case !matched && res.beside:
				ch = failCheck(vocab.CheckVSA, subject, &reason.Error{Code: reason.SubjectMismatch, Msg: "the VSA beside the artifact is about other artifacts",
					Got: res.statement.SubjectSummary(), Want: "sha256:" + subject.Digest["sha256"],
					Hint: "the VSA certifies other bytes; check that the artifact and the VSA belong together"}, res.file)
			case !matched:
				ch = policy.Check{ID: vocab.CheckVSA, Subject: subject, Status: policy.StatusSkip, Reason: reason.SubjectMismatch, Evidence: res.file,
					Message: "VSA about neither the artifact nor a component of its SBOM: " + res.statement.SubjectSummary()}
			}
		}
		extra = append(extra, ch)
	}
	extra = append(extra, pr.rebuilders.rebuildAttestations(f, g)...)

	checks = append(checks, extra...)
	f.Checks = policy.Settle(checks)
	res := policy.Evaluate(pr.opts.Policy, f, pr.opts.Now())
	o.Verdict, o.Facts = res.Verdict(checks), f
	return o
}

// signerFacts records the signers of the verified bundles, their
// predicate types, their SLSA provenance and the VSAs signed by the
// publisher's key. It returns the check of a provenance that cannot be
// read.
func signerFacts(f *policy.Facts, g *gathered) []policy.Check {
	var extra []policy.Check
	seen := map[policy.Signer]bool{}
	types := map[string]bool{}
	for _, vb := range g.verified {
		sg := policy.Signer{KeyID: vb.res.KeyID}
		if c := vb.res.Certificate; c != nil {
			sg = policy.Signer{Issuer: c.Issuer, Subject: c.SubjectAlternativeName}
		}
		if !seen[sg] {
			seen[sg] = true
			sg.Evidence = vb.evidence
			f.Signers = append(f.Signers, sg)
		}
		st := vb.res.Statement
		if st == nil {
			continue
		}
		types[st.PredicateType] = true
		switch st.PredicateType {
		case vocab.PredicateSLSAProvenanceV02, vocab.PredicateSLSAProvenanceV1:
			pv, err := attest.ParseProvenance(st)
			if err != nil {
				extra = append(extra, failCheck(vocab.CheckProvenance, g.subject, reason.As(err, reason.ProvenanceMalformed, "ask the publisher for valid provenance"), vb.evidence))
				continue
			}
			f.Provenance = append(f.Provenance, policy.Provenance{PredicateType: pv.PredicateType, BuilderID: pv.BuilderID, BuildType: pv.BuildType,
				SourceURI: pv.SourceURI, SourceRef: pv.SourceRef, SourceDigest: pv.SourceDigest, Evidence: vb.evidence})
		case vocab.PredicateVSA:
			// A VSA signed by the publisher's key counts when that key is a
			// certifier the policy trusts; policy.Certify decides.
			if vb.res.KeyID == "" {
				continue
			}
			if vsa, err := attest.ParseVSA(st); err == nil {
				f.VSAs = append(f.VSAs, vsaFact(vsa, vb.res.KeyID, vb.evidence))
			}
		}
	}
	for t := range types {
		f.PredicateTypes = append(f.PredicateTypes, t)
	}
	sort.Strings(f.PredicateTypes)
	return extra
}

// rebuildFact is the rebuild outcome as the policy reads it. A rebuild
// that was asked for and could not start is a SKIP with the reason of its
// failing check.
func rebuildFact(g *gathered, checks []policy.Check) policy.Rebuild {
	if res := g.rebuild; res != nil {
		rb := policy.Rebuild{Status: string(res.Status), Causes: []string{}, Rebuilt: res.RebuiltSHA256}
		if res.Reason != nil {
			rb.Reason = res.Reason.Code
		}
		for _, c := range res.Causes {
			rb.Causes = append(rb.Causes, c.Code)
		}
		for _, c := range checks {
			if c.ID == CheckRebuild {
				rb.Evidence = c.Evidence
			}
		}
		return rb
	}
	for _, c := range checks {
		if c.ID == CheckRebuild && c.Status == policy.StatusFail {
			return policy.Rebuild{Status: policy.RebuildSkip, Reason: c.Reason, Causes: []string{}, Evidence: c.Evidence}
		}
	}
	return policy.Rebuild{}
}

// inputsOf describes the verified attestations for a VSA.
func inputsOf(verified []verifiedBundle) []attest.ResourceDescriptor {
	var out []attest.ResourceDescriptor
	for _, vb := range verified {
		var sum [sha256.Size]byte
		if env := vb.res.Bundle.Bundle.GetDsseEnvelope(); env != nil {
			sum = sha256.Sum256(env.GetPayload())
		} else {
			sum = sha256.Sum256(vb.res.Bundle.Bundle.GetMessageSignature().GetSignature())
		}
		out = append(out, attest.ResourceDescriptor{URI: vb.evidence, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	return out
}
