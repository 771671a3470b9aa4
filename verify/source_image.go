package verify

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// imageSource is a container image: the argument is resolved once to a
// digest, the platforms to verify are selected, and the evidence of the
// index and of each platform is discovered and verified. At least one
// signature or attestation must verify for every platform, on the
// platform's manifest or on the index that pins it. Evidence that does not
// verify is reported; it fails the verdict only when nothing else vouches
// for what it would vouch for, since anyone with push access can attach
// signatures to an image.
type imageSource struct {
	r      *Runner
	arg    string
	cancel context.CancelFunc // of the registry timeout
	img    *oci.Image         // nil until opened
	run    *imageRun          // nil until evidence was discovered
}

func (s *imageSource) close() {
	if s.img != nil {
		s.img.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
}

// evidence opens the image, checks the blobs of a layout or archive, and
// discovers and verifies the evidence of every digest.
func (s *imageSource) evidence(ctx context.Context, g *gathered) ([]policy.Check, []coverage, bool) {
	r := s.r
	fail := func(id string, err error, evidence string) ([]policy.Check, []coverage, bool) {
		return []policy.Check{failCheck(id, g.subject, reason.As(err, reason.RegistryUnavailable, ""), evidence)}, nil, false
	}
	client, rerr := r.imageClient()
	if rerr != nil {
		return fail(vocab.CheckImage, rerr, "")
	}
	ref, err := oci.ParseRef(s.arg)
	if err != nil {
		return fail(vocab.CheckImage, err, "")
	}
	if ref.Kind == oci.KindRegistry {
		// Registries can hang; local layouts and archives are read at disk
		// speed, however large the image.
		ctx, s.cancel = context.WithTimeout(ctx, client.Timeout())
	}
	img, err := client.Open(ctx, ref)
	if err != nil {
		return fail(vocab.CheckImage, err, "")
	}
	s.img = img
	subject := policy.Subject{Name: s.arg, Digest: map[string]string{"sha256": strings.TrimPrefix(img.Digest, "sha256:")}}
	g.subject = subject
	checks := []policy.Check{imageCheck(img, subject)}

	targets, err := img.Targets(ctx, r.opts.OCI.Platform)
	if err != nil {
		id := vocab.CheckImage
		if reason.CodeOf(err, "") == reason.PlatformNotFound {
			id = vocab.CheckPlatform
		}
		return append(checks, failCheck(id, subject, reason.As(err, reason.ManifestInvalid, ""), img.Where)), nil, false
	}
	run := &imageRun{img: img, arg: s.arg, subject: subject, targets: targets, subjects: map[string]policy.Subject{img.Digest: subject},
		digests: []string{img.Digest}, cands: map[string][]candidate{}, found: map[string]*oci.Discovery{}}
	for _, t := range targets {
		if _, ok := run.subjects[t.Digest]; !ok {
			run.subjects[t.Digest] = run.targetSubject(t)
			run.digests = append(run.digests, t.Digest)
		}
	}
	// Layouts and archives are what gets deployed: their blobs must match.
	if ref.Kind != oci.KindRegistry {
		for _, t := range targets {
			n, err := img.CheckBlobs(ctx, t)
			if err != nil {
				checks = append(checks, failCheck(vocab.CheckBlobs, run.targetSubject(t), reason.As(err, reason.DigestMismatch, ""), img.Where))
				continue
			}
			checks = append(checks, policy.Check{ID: vocab.CheckBlobs, Subject: run.targetSubject(t), Status: policy.StatusPass, Required: true,
				Message: fmt.Sprintf("%d blobs (configuration and layers) match their digests", n)})
		}
	}
	if r.verifier == nil && r.keyOnly == nil {
		return append(checks, failCheck(vocab.CheckSignature, subject, reason.New(reason.EvidenceMissing,
			"images are verified by their signatures: give --key FILE, or --certificate-identity with --certificate-oidc-issuer",
			"no signer to verify the image's signatures against"), "")), nil, false
	}
	s.run = run
	checks = append(checks, s.discover(ctx)...)
	checks = append(checks, run.coverageChecks()...)
	var covered []coverage
	for _, t := range targets {
		if run.covered(t) {
			verified := run.verifiedFor(t)
			g.add(verified)
			covered = append(covered, coverage{run.targetSubject(t), verified})
		}
	}
	return checks, covered, true
}

// checks reports the SBOMs attached to the image and its platforms.
func (s *imageSource) checks(_ context.Context, _ *gathered) []policy.Check {
	var checks []policy.Check
	for _, d := range s.run.digests {
		if disc := s.run.found[d]; disc != nil {
			for _, sb := range disc.SBOMs {
				checks = append(checks, s.sbomCheck(sb, s.run.subjects[d]))
			}
		}
	}
	return checks
}

// discover finds and verifies the evidence of every digest of the image,
// and of --bundle for the image. It returns the checks of discovery
// failures.
func (s *imageSource) discover(ctx context.Context) []policy.Check {
	run := s.run
	var checks []policy.Check
	for _, d := range run.digests {
		disc, err := run.img.Discover(ctx, d)
		if err != nil {
			checks = append(checks, failCheck(vocab.CheckEvidence, run.subjects[d], reason.As(err, reason.RegistryUnavailable, ""), ""))
			continue
		}
		run.found[d] = disc
		for _, e := range disc.Evidence {
			run.cands[d] = append(run.cands[d], s.verifyEvidence(e, run.subjects[d]))
		}
	}
	if bundle := s.r.opts.Bundle; bundle != "" {
		top := run.img.Digest
		run.cands[top] = append(run.cands[top], s.bundleFileCandidates(bundle, top, run.subjects[top])...)
	}
	return checks
}

func imageCheck(img *oci.Image, subject policy.Subject) policy.Check {
	kind := "image manifest"
	if img.IsIndex() {
		kind = "multi-platform index"
	}
	msg := fmt.Sprintf("%s %s (%s)", kind, img.Digest, img.MediaType)
	if img.Tag != "" && !img.Ref.Pinned() {
		msg = fmt.Sprintf("tag %s resolved once to %s; everything after is pinned to the digest", img.Tag, msg)
	}
	return policy.Check{ID: vocab.CheckImage, Subject: subject, Status: policy.StatusPass, Required: true, Message: msg, Evidence: img.Where}
}

// candidate is one signature, attestation or bundle and what its
// verification found.
type candidate struct {
	subject  string // the digest it is evidence for
	evidence string // where it came from
	required bool   // given by the user: it must verify
	checks   []policy.Check
	res      *attest.SignatureResult // nil unless it verified
}

// verifyEvidence verifies one piece of discovered evidence for the
// manifest of subject.
func (s *imageSource) verifyEvidence(e oci.Evidence, subject policy.Subject) candidate {
	c := candidate{subject: e.Subject, evidence: e.Source}
	if e.Err != nil {
		c.checks = []policy.Check{failCheck(vocab.CheckEvidence, subject, e.Err, e.Source)}
		return c
	}
	pb, err := attest.ParseBundle(e.Bundle)
	if err != nil {
		c.checks = []policy.Check{failCheck(vocab.CheckBundle, subject, reason.As(err, reason.BundleMalformed, ""), e.Source)}
		return c
	}
	digest, err := vocab.ParseSHA256(strings.TrimPrefix(e.Subject, "sha256:"))
	if err != nil {
		c.checks = []policy.Check{failCheck(vocab.CheckEvidence, subject, reason.Wrap(err, reason.InputMalformed, "the evidence names a subject that is not a sha256 digest", "reading evidence subject"), e.Source)}
		return c
	}
	art := attest.Artifact{Name: subject.Name, SHA256: digest}
	if e.Kind == oci.EvidenceSignature {
		// A cosign signature signs a payload that names the image; the
		// signature is checked over the payload, the name against the image.
		ss, err := oci.ParseSimpleSigning(e.Payload)
		if err != nil {
			c.checks = []policy.Check{failCheck(vocab.CheckPayload, subject, reason.As(err, reason.SignatureMalformed, ""), e.Source)}
			return c
		}
		if ss.ManifestDigest != e.Subject {
			c.checks = []policy.Check{failCheck(vocab.CheckPayload, subject, &reason.Error{Code: reason.DigestMismatch,
				Msg: "the signed payload names another image", Got: ss.ManifestDigest, Want: e.Subject,
				Hint: "the signature was made for another image and copied here; the image itself is not signed"}, e.Source)}
			return c
		}
		c.checks = append(c.checks, policy.Check{ID: vocab.CheckPayload, Subject: subject, Status: policy.StatusPass, Required: true,
			Message: fmt.Sprintf("%s (%s): signed payload names %s", e.Kind, e.Label, ss.ManifestDigest), Evidence: e.Source})
		sum := sha256.Sum256(e.Payload)
		art = attest.Artifact{Name: e.Source, SHA256: sum[:]}
	}
	var checks []policy.Check
	c.res, checks = s.verifyBundle(pb, art, e.Payload, subject, e.Source)
	for _, ch := range checks {
		if ch.Status == policy.StatusPass {
			ch.Message = fmt.Sprintf("%s (%s): %s", e.Kind, e.Label, ch.Message)
		}
		c.checks = append(c.checks, ch)
	}
	return c
}

// bundleFileCandidates verifies the bundles of --bundle against the image
// digest. The user chose them, so each must verify.
func (s *imageSource) bundleFileCandidates(file, digest string, subject policy.Subject) []candidate {
	bundles, err := readBundleFile(file)
	if err != nil {
		return []candidate{{subject: digest, evidence: file, required: true,
			checks: []policy.Check{failCheck(vocab.CheckBundle, subject, reason.As(err, reason.BundleMalformed, ""), file)}}}
	}
	raw, err := vocab.ParseSHA256(strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		return []candidate{{subject: digest, evidence: file, required: true,
			checks: []policy.Check{failCheck(vocab.CheckBundle, subject, reason.Wrap(err, reason.InputMalformed, "the image digest is not a sha256 digest", "reading image digest"), file)}}}
	}
	var out []candidate
	for i := range bundles {
		c := candidate{subject: digest, evidence: file, required: true}
		c.res, c.checks = s.verifyBundle(&bundles[i], attest.Artifact{Name: subject.Name, SHA256: raw}, nil, subject, file)
		out = append(out, c)
	}
	return out
}

// verifyBundle verifies one bundle of the image: with the key alone when
// the run accepts signatures without a log and the bundle has none (or no
// trusted root was given to check it), with the full verifier otherwise.
// Without a log, the check that records what was not checked follows the
// findings of a signature that verified.
func (s *imageSource) verifyBundle(pb *attest.ParsedBundle, art attest.Artifact, payload []byte, subject policy.Subject, evidence string) (*attest.SignatureResult, []policy.Check) {
	r := s.r
	var res *attest.SignatureResult
	var findings []attest.Finding
	keyOnly := r.keyOnly != nil && (!pb.HasTlogEntry() || r.opts.TrustedRoot == "")
	if keyOnly {
		res, findings = r.keyOnly.Verify(pb, art, payload)
	} else {
		res, findings = r.verifyBundle(pb, art, subject.Name)
	}
	var checks []policy.Check
	for _, f := range findings {
		checks = append(checks, findingCheck(f, subject, evidence, true))
	}
	if keyOnly && res != nil {
		checks = append(checks, tlogNotChecked(subject, evidence))
	}
	return res, checks
}

// tlogNotChecked records, beside a signature verified with the key alone,
// what was not checked.
func tlogNotChecked(subject policy.Subject, evidence string) policy.Check {
	return policy.Check{ID: vocab.CheckTlog, Subject: subject, Status: policy.StatusSkip, Reason: reason.TlogMissing, Evidence: evidence,
		Message: "transparency log not checked: --insecure-ignore-tlog accepts key-based signatures without a log entry",
		Hint:    "sign with upload to a transparency log where you can, and verify with a trusted root"}
}

// sbomCheck reports an SBOM attached with cosign's .sbom tag. It is
// informational: the SBOM counts only with a verified signature, and the
// verdict does not depend on it.
func (s *imageSource) sbomCheck(sb oci.SBOM, subject policy.Subject) policy.Check {
	var last *policy.Check
	for _, e := range sb.Signatures {
		c := s.verifyEvidence(e, policy.Subject{Name: subject.Name + " sbom", Digest: map[string]string{"sha256": strings.TrimPrefix(sb.Digest, "sha256:")}})
		if c.res != nil {
			return policy.Check{ID: vocab.CheckSBOM, Subject: subject, Status: policy.StatusPass, Evidence: sb.Source,
				Message: fmt.Sprintf("SBOM %s (%s) attached and signed by %s", sb.Digest, sb.MediaType, c.res.Signer())}
		}
		for i := range c.checks {
			if c.checks[i].Status == policy.StatusFail {
				last = &c.checks[i]
			}
		}
	}
	ch := policy.Check{ID: vocab.CheckSBOM, Subject: subject, Status: policy.StatusSkip, Reason: reason.EvidenceMissing, Evidence: sb.Source,
		Message: fmt.Sprintf("SBOM %s (%s) attached without a signature; not used as evidence", sb.Digest, sb.MediaType),
		Hint:    "sign the SBOM attachment (cosign sign --attachment sbom), or attest it (cosign attest --type cyclonedx)"}
	if last != nil {
		ch.Reason, ch.Message = last.Reason, fmt.Sprintf("SBOM %s (%s) attached, its signature did not verify: %s", sb.Digest, sb.MediaType, last.Message)
	}
	return ch
}
