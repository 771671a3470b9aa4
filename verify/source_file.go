package verify

import (
	"context"
	"fmt"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// fileSource is an artifact given as a file or as sha256:<hex>: its
// evidence is --bundle, or the files beside it (EvidenceSuffixes).
type fileSource struct {
	r   *Runner
	arg string
}

func (s *fileSource) close() {}

// evidence hashes the file (or reads the digest), reads a WebAssembly
// module's capabilities and checks the in-toto layout, then verifies every
// bundle of the evidence files against the artifact.
func (s *fileSource) evidence(ctx context.Context, g *gathered) ([]policy.Check, []coverage, bool) {
	r := s.r
	art, rerr := resolveArtifact(s.arg)
	if rerr != nil {
		return []policy.Check{failCheck(vocab.CheckArtifact, g.subject, rerr, s.arg)}, nil, false
	}
	g.subject.Digest = map[string]string{"sha256": subjectOf(art)}
	g.art = art
	subject := g.subject

	checks := r.wasmChecks(ctx, subject, art, g)
	if r.opts.Layout != nil {
		checks = append(checks, r.layoutCheck(ctx, subject, art))
	}
	if r.verifier == nil {
		return checks, nil, false
	}
	files := []string{r.opts.Bundle}
	if r.opts.Bundle == "" {
		files = discoverEvidence(art)
	}
	if len(files) == 0 {
		hint := "give --bundle FILE, or put the bundle beside the artifact as ARTIFACT.sigstore.json"
		if art.Path == "" {
			hint = "a digest has no neighbours to search: give --bundle FILE"
		}
		return append(checks, failCheck(vocab.CheckSignature, subject,
			reason.New(reason.EvidenceMissing, hint, "no signature evidence found for %s", s.arg), "")), nil, false
	}
	for _, file := range files {
		checks = append(checks, s.verifyFile(file, art, g)...)
	}
	return checks, []coverage{{subject, g.verified}}, true
}

// verifyFile verifies the bundles of one evidence file against art and
// records those that verified in g.
func (s *fileSource) verifyFile(file string, art attest.Artifact, g *gathered) []policy.Check {
	bundles, err := readBundleFile(file)
	if err != nil {
		return []policy.Check{failCheck(vocab.CheckBundle, g.subject, reason.As(err, reason.BundleMalformed, ""), file)}
	}
	var checks []policy.Check
	for i := range bundles {
		evidence := file
		if bundles[i].Line > 0 {
			evidence = fmt.Sprintf("%s:%d", file, bundles[i].Line)
		}
		res, findings, keyOnly := s.verifyBundle(&bundles[i], art, g.subject.Name)
		// In a JSON-lines file of several attestations, one about
		// other artifacts is not this artifact's evidence.
		if len(bundles) > 1 && len(findings) == 1 && findings[0].Check == vocab.CheckSubject && reason.CodeOf(findings[0].Err, "") == reason.SubjectMismatch {
			checks = append(checks, policy.Check{ID: vocab.CheckSubject, Subject: g.subject, Status: policy.StatusSkip,
				Reason: reason.SubjectMismatch, Message: "attestation is about other artifacts", Evidence: evidence})
			continue
		}
		for _, f := range findings {
			checks = append(checks, findingCheck(f, g.subject, evidence, true))
		}
		if res != nil {
			if keyOnly {
				checks = append(checks, tlogNotChecked(g.subject, evidence))
			}
			g.verified = append(g.verified, verifiedBundle{res, evidence})
		}
	}
	return checks
}

// verifyBundle verifies one bundle of a file or digest: with the key alone
// when the run accepts signatures without a log (--insecure-ignore-tlog)
// and the bundle has none, or no trusted root was given to check one; with
// the full verifier otherwise. keyOnly tells which.
func (s *fileSource) verifyBundle(pb *attest.ParsedBundle, art attest.Artifact, name string) (res *attest.SignatureResult, findings []attest.Finding, keyOnly bool) {
	r := s.r
	if r.keyOnly == nil || (pb.HasTlogEntry() && r.opts.TrustedRoot != "") {
		res, findings = r.verifyBundle(pb, art, name)
		return res, findings, false
	}
	var payload []byte
	if pb.Bundle.GetMessageSignature() != nil && art.Path != "" {
		// A message signature signs the artifact's bytes.
		data, err := readArtifactBytes(art)
		if err != nil {
			return nil, []attest.Finding{{Check: vocab.CheckSignature, Err: reason.As(err, reason.InputUnreadable, "")}}, true
		}
		payload = data
	}
	res, findings = r.keyOnly.Verify(pb, art, payload)
	return res, findings, true
}

// checks rebuilds the artifact when asked: a file's bytes, or a digest,
// are what a rebuild is compared with.
func (s *fileSource) checks(ctx context.Context, g *gathered) []policy.Check {
	if s.r.opts.Rebuild == nil {
		return nil
	}
	var rc []policy.Check
	rc, g.rebuild = s.r.rebuildChecks(ctx, g.subject, g.art, g.verified)
	return rc
}
