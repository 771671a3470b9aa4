package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

// Outcome is one artifact's verdict and, when a policy was applied, the
// facts it was evaluated on.
type Outcome struct {
	Verdict policy.Verdict
	Facts   *policy.Facts // nil without a policy
	// Name names the artifact in a statement about it: a file's base name,
	// or the image reference.
	Name string
	// Inputs are the verified attestations the verdict rests on, for a
	// VSA's inputAttestations; each digest is the sha256 of the signed
	// statement (or, for a message signature, of the signature).
	Inputs []attest.ResourceDescriptor
}

// source is where the evidence of one artifact comes from: a file or a
// digest (fileSource), or a container image (imageSource). Both resolve
// the argument, find and verify the artifact's bundles, and say which
// subjects the verified evidence covers; the pipeline does the rest.
type source interface {
	// evidence resolves the artifact into g and verifies its bundles. It
	// returns the checks so far and the subjects whose verified evidence
	// the attestation checks judge; ok is false when nothing more can be
	// checked (the checks then hold the failure).
	evidence(ctx context.Context, g *gathered) (checks []policy.Check, covered []coverage, ok bool)
	// checks are the source's own checks after the attestation checks: a
	// rebuild of a file, the SBOMs attached to an image.
	checks(ctx context.Context, g *gathered) []policy.Check
	close()
}

// coverage is a subject (an artifact, or a platform of an image) and the
// verified evidence about it.
type coverage struct {
	subject  policy.Subject
	verified []verifiedBundle
}

// gathered is what verifying one artifact established beyond its checks.
type gathered struct {
	subject  policy.Subject
	art      attest.Artifact // Path empty for digests and images
	verified []verifiedBundle
	rebuild  *rebuild.Result
	wasm     policy.Wasm // what a WebAssembly artifact imports (wasm.go)
	sboms    sbomCache   // each SBOM read and assessed once (sbom.go)
}

// add records verified bundles once each: an image index's evidence
// covers every platform it pins.
func (g *gathered) add(vbs []verifiedBundle) {
	for _, vb := range vbs {
		if !slices.ContainsFunc(g.verified, func(x verifiedBundle) bool { return x.res == vb.res }) {
			g.verified = append(g.verified, vb)
		}
	}
}

// verifiedBundle is a bundle whose signature verified, with the evidence
// file (and line) it came from.
type verifiedBundle struct {
	res      *attest.SignatureResult
	evidence string
}

// verifyArtifact is the pipeline of one artifact: resolve it to an
// evidence source, verify its bundles, apply the attestation checks to
// what they cover, run the source's checks, gather the facts, and decide
// the verdict once, with the policy's checks when a policy is given.
func (r *Runner) verifyArtifact(ctx context.Context, arg string) Outcome {
	g := &gathered{subject: policy.Subject{Name: arg}}
	var src source = &fileSource{r: r, arg: arg}
	if isImageArg(arg) {
		src = &imageSource{r: r, arg: arg}
	}
	defer src.close()
	checks, covered, ok := src.evidence(ctx, g)
	checks = append(r.trust.checks(g.subject), checks...)
	if ok {
		for _, c := range covered {
			checks = append(checks, r.attestationChecks(c.subject, c.verified)...)
			checks = append(checks, r.sbomLabelChecks(g, c.subject, c.verified)...)
		}
		checks = append(checks, src.checks(ctx, g)...)
	}
	o := Outcome{Name: arg, Inputs: inputsOf(g.verified)}
	if g.art.Path != "" {
		o.Name = filepath.Base(g.art.Path)
	}
	if r.policy == nil {
		o.Verdict = policy.Decide(g.subject, checks)
		return o
	}
	return r.policy.evaluate(r, o, g, checks)
}

// attestationChecks applies --type and the provenance flags to the verified
// bundles of one subject.
func (r *Runner) attestationChecks(subject policy.Subject, verified []verifiedBundle) []policy.Check {
	var checks []policy.Check
	candidates := verified
	if want := r.opts.PredicateType; want != "" {
		var matching []verifiedBundle
		var last attest.Finding
		for _, vb := range verified {
			if f := attest.CheckPredicate(vb.res.Statement, want); f.Err == nil {
				matching = append(matching, vb)
			} else {
				last = f
			}
		}
		if len(matching) == 0 {
			if last.Err == nil {
				last = attest.Finding{Check: vocab.CheckPredicateType, Err: reason.New(reason.PredicateTypeMismatch,
					"no attestation verified, so none can have the requested type", "no verified attestation of type %s", want)}
			}
			return append(checks, findingCheck(last, subject, "", true))
		}
		checks = append(checks, findingCheck(attest.CheckPredicate(matching[0].res.Statement, want), subject, matching[0].evidence, true))
		candidates = matching
	}
	want := r.opts.Provenance
	if want == (Provenance{}) {
		return checks
	}
	var provenances []verifiedBundle
	for _, vb := range candidates {
		if st := vb.res.Statement; st != nil && (st.PredicateType == vocab.PredicateSLSAProvenanceV02 || st.PredicateType == vocab.PredicateSLSAProvenanceV1) {
			provenances = append(provenances, vb)
		}
	}
	if len(provenances) == 0 {
		return append(checks, failCheck(vocab.CheckProvenance, subject, reason.New(reason.EvidenceMissing,
			"provenance flags need a verified SLSA provenance attestation of the artifact; give its bundle (often ARTIFACT.intoto.jsonl)",
			"no verified SLSA provenance"), ""))
	}
	req := attest.ProvenanceRequirements{SourceURI: want.SourceURI, SourceTag: want.SourceTag, SourceBranch: want.SourceBranch, BuilderID: want.BuilderID}
	for _, vb := range provenances {
		for _, f := range attest.CheckProvenance(vb.res.Statement, vb.res.Certificate, req) {
			checks = append(checks, findingCheck(f, subject, vb.evidence, true))
		}
	}
	return checks
}

func readBundleFile(path string) ([]attest.ParsedBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the bundle path", "opening bundle")
	}
	defer f.Close()
	return attest.ReadBundles(f)
}

func findingCheck(f attest.Finding, subject policy.Subject, evidence string, required bool) policy.Check {
	if f.Err != nil {
		c := failCheck(f.Check, subject, f.Err, evidence)
		c.Required = required
		return c
	}
	return policy.Check{ID: f.Check, Subject: subject, Status: policy.StatusPass, Required: required, Message: f.Message, Evidence: evidence}
}

func failCheck(id string, subject policy.Subject, e *reason.Error, evidence string) policy.Check {
	msg := e.Msg
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return policy.Check{ID: id, Subject: subject, Status: policy.StatusFail, Required: true, Reason: e.Code,
		Message: msg, Hint: e.Hint, Got: e.Got, Want: e.Want, Evidence: evidence}
}
