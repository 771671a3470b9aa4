package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// Check ids of container image verification, besides attest's.
const (
	CheckImage    = "image"    // the argument resolved and pinned to a digest
	CheckPlatform = "platform" // the platforms verified, and what covers each
	CheckBlobs    = "blobs"    // layout and archive blobs match their digests
	CheckEvidence = "evidence" // evidence that could not be read or was not found
	CheckPayload  = "payload"  // a cosign signature's claimed image digest
	CheckTlog     = "tlog"     // a transparency log check skipped on request
	CheckSBOM     = "sbom"     // an SBOM attached with cosign's .sbom tag
)

// OCIOptions configure the verification of container images: registry
// references (registry.example/repo:tag, ...@sha256:...), oci-layout:DIR,
// docker-archive:FILE and oci-archive:FILE.
type OCIOptions struct {
	// Platform selects the platforms of a multi-platform index to verify
	// (os/arch[/variant]); empty verifies every platform.
	Platform string
	// InsecureRegistries are hosts (HOST or HOST:PORT, as written in the
	// references) that may be reached over plain HTTP.
	InsecureRegistries []string
	// InsecureIgnoreTlog accepts key-based signatures that carry no
	// transparency log entry (cosign sign --key --tlog-upload=false, as
	// air-gapped organisations sign). It needs Key: keyless signatures
	// always need transparency evidence. Without TrustedRoot, log entries
	// that are present are not checked either; with it, they are. The
	// policy file will make this a policy choice; until then it is a flag.
	InsecureIgnoreTlog bool
	// Timeout bounds the registry work for one image; default
	// oci.DefaultTimeout.
	Timeout time.Duration
}

// validate checks the image options against the rest of the run.
func (o OCIOptions) validate(opts Options) error {
	if o.InsecureIgnoreTlog && opts.Key == "" {
		return &ConfigError{reason.New(reason.InputMalformed,
			"--insecure-ignore-tlog accepts key-based signatures without a log entry; keyless signatures always need transparency evidence, so give --key FILE",
			"--insecure-ignore-tlog without --key")}
	}
	if o.Platform != "" {
		if _, err := oci.ParsePlatform(o.Platform); err != nil {
			return configErr(err, reason.InputMalformed, "")
		}
	}
	if o.Timeout < 0 {
		return &ConfigError{reason.New(reason.InputMalformed, "give a positive --registry-timeout, e.g. 2m", "negative registry timeout %s", o.Timeout)}
	}
	if _, err := oci.NewClient(oci.WithInsecureRegistries(o.InsecureRegistries...)); err != nil {
		return configErr(err, reason.InputMalformed, "give --insecure-registry as HOST or HOST:PORT")
	}
	return nil
}

// keyOnlyTrust is the trusted material of a run that accepts key-based
// signatures without a log and was given no trusted root: nothing but the
// key is trusted, and no trust root is fetched.
func keyOnlyTrust(opts Options) (root.TrustedMaterial, bool) {
	if opts.OCI.InsecureIgnoreTlog && opts.Key != "" && opts.TrustedRoot == "" {
		return root.TrustedMaterialCollection{}, true
	}
	return nil, false
}

// isImageArg reports whether an artifact argument names a container image.
func isImageArg(arg string) bool { return oci.IsImageArg(arg) }

// preflightImage makes a malformed image argument, or a layout or archive
// that does not exist, a run error: it is a mistake on the command line.
func preflightImage(arg string) error {
	ref, err := oci.ParseRef(arg)
	if err != nil {
		return configErr(err, reason.InputMalformed, "")
	}
	if ref.Kind != oci.KindRegistry {
		if _, err := os.Stat(ref.Path); err != nil {
			return &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the path of the layout or archive", "opening %s", ref.Path)}
		}
	}
	return nil
}

// preflightOffline makes an image in a registry named under --offline a
// run error (no verdict, exit 2): verifying it would need the network that
// --offline forbids, which says nothing about the image.
func preflightOffline(offline bool, artifacts []string) error {
	if !offline {
		return nil
	}
	for _, a := range artifacts {
		if isDigestArg(a) || !isImageArg(a) {
			continue
		}
		if ref, err := oci.ParseRef(a); err == nil && ref.Kind == oci.KindRegistry {
			return &ConfigError{reason.New(reason.RegistryOffline,
				"--offline never touches the network: save the image with its signatures (`cosign save --dir DIR IMAGE`) and verify oci-layout:DIR, or verify without --offline",
				"image %s is in a registry, and --offline never touches the network", a)}
		}
	}
	return nil
}

// ociState is built on the first image of a run and shared by all.
type ociState struct {
	once   sync.Once
	client *oci.Client
	key    crypto.PublicKey // for signatures without a log entry
	keyID  string
	err    *reason.Error
}

func (r *Runner) ociSetup() (*ociState, *reason.Error) {
	s := &r.oci
	s.once.Do(func() {
		c, err := oci.NewClient(oci.WithInsecureRegistries(r.opts.OCI.InsecureRegistries...), oci.WithTimeout(r.opts.OCI.Timeout),
			oci.WithOffline(r.opts.Offline), oci.WithLogger(r.logger))
		if err != nil {
			s.err = reason.As(err, reason.InputMalformed, "")
			return
		}
		s.client = c
		if r.opts.OCI.InsecureIgnoreTlog {
			pub, err := readKey(r.opts.Key)
			if err != nil {
				s.err = reason.As(err, reason.KeyInvalid, "")
				return
			}
			if s.keyID, err = vocab.KeyID(pub); err != nil {
				s.err = reason.As(err, reason.KeyInvalid, "")
				return
			}
			s.key = pub
		}
	})
	return s, s.err
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

// verifyImage verifies a container image: the argument is resolved once to
// a digest, the platforms to verify are selected, the evidence of the
// index and of each platform is discovered and verified. At least one
// signature or attestation must verify for every platform, on the
// platform's manifest or on the index that pins it. Evidence that does not
// verify is reported; it fails the verdict only when nothing else vouches
// for what it would vouch for, since anyone with push access can attach
// signatures to an image.
func (r *Runner) verifyImage(ctx context.Context, arg string, g *gathered) policy.Verdict {
	subject := policy.Subject{Name: arg}
	fail := func(id string, err error, evidence string) policy.Verdict {
		return policy.Decide(subject, []policy.Check{failCheck(id, subject, reason.As(err, reason.RegistryUnavailable, ""), evidence)})
	}
	st, rerr := r.ociSetup()
	if rerr != nil {
		return fail(CheckImage, rerr, "")
	}
	ref, err := oci.ParseRef(arg)
	if err != nil {
		return fail(CheckImage, err, "")
	}
	if ref.Kind == oci.KindRegistry {
		// Registries can hang; local layouts and archives are read at disk
		// speed, however large the image.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.client.Timeout())
		defer cancel()
	}
	img, err := st.client.Open(ctx, ref)
	if err != nil {
		return fail(CheckImage, err, "")
	}
	defer img.Close()
	subject.Digest = map[string]string{"sha256": strings.TrimPrefix(img.Digest, "sha256:")}
	checks := []policy.Check{r.imageCheck(img, subject)}

	targets, err := img.Targets(ctx, r.opts.OCI.Platform)
	if err != nil {
		id := CheckImage
		if reason.CodeOf(err, "") == reason.PlatformNotFound {
			id = CheckPlatform
		}
		return policy.Decide(subject, append(checks, failCheck(id, subject, reason.As(err, reason.ManifestInvalid, ""), img.Where)))
	}
	targetSubject := func(t oci.Target) policy.Subject {
		if t.Digest == img.Digest {
			return subject
		}
		return policy.Subject{Name: arg + " " + t.Platform, Digest: map[string]string{"sha256": strings.TrimPrefix(t.Digest, "sha256:")}}
	}
	subjectOfDigest := map[string]policy.Subject{img.Digest: subject}
	digests := []string{img.Digest}
	for _, t := range targets {
		if _, ok := subjectOfDigest[t.Digest]; !ok {
			subjectOfDigest[t.Digest] = targetSubject(t)
			digests = append(digests, t.Digest)
		}
	}

	// Layouts and archives are what gets deployed: their blobs must match.
	if ref.Kind != oci.KindRegistry {
		for _, t := range targets {
			n, err := img.CheckBlobs(ctx, t)
			if err != nil {
				checks = append(checks, failCheck(CheckBlobs, targetSubject(t), reason.As(err, reason.DigestMismatch, ""), img.Where))
				continue
			}
			checks = append(checks, policy.Check{ID: CheckBlobs, Subject: targetSubject(t), Status: policy.StatusPass, Required: true,
				Message: fmt.Sprintf("%d blobs (configuration and layers) match their digests", n)})
		}
	}

	if r.verifier == nil && st.key == nil {
		return policy.Decide(subject, append(checks, failCheck(vocab.CheckSignature, subject, reason.New(reason.EvidenceMissing,
			"images are verified by their signatures: give --key FILE, or --certificate-identity with --certificate-oidc-issuer",
			"no signer to verify the image's signatures against"), "")))
	}

	run := &imageRun{img: img, targets: targets, subjects: subjectOfDigest, digests: digests,
		cands: map[string][]candidate{}, found: map[string]*oci.Discovery{}}
	checks = append(checks, r.discoverEvidence(ctx, st, run)...)
	checks = append(checks, run.coverageChecks(targetSubject)...)
	for _, t := range targets {
		if run.covered(t) {
			verified := run.verifiedFor(t)
			g.add(verified)
			checks = append(checks, r.attestationChecks(targetSubject(t), verified)...)
			checks = append(checks, sbomLabelChecks(targetSubject(t), verified)...)
		}
	}
	for _, d := range digests {
		if disc := run.found[d]; disc != nil {
			for _, s := range disc.SBOMs {
				checks = append(checks, r.sbomCheck(st, s, subjectOfDigest[d]))
			}
		}
	}
	return policy.Decide(subject, checks)
}

// imageRun is the evidence of one image argument: of the manifest it
// names and of every target platform.
type imageRun struct {
	img      *oci.Image
	targets  []oci.Target
	subjects map[string]policy.Subject // by digest
	digests  []string                  // the image's, then each target's
	cands    map[string][]candidate    // by the digest they are evidence for
	found    map[string]*oci.Discovery // nil where discovery failed
}

// discoverEvidence finds and verifies the evidence of every digest of the
// run, and of --bundle for the image. It returns the checks of discovery
// failures.
func (r *Runner) discoverEvidence(ctx context.Context, st *ociState, run *imageRun) []policy.Check {
	var checks []policy.Check
	for _, d := range run.digests {
		disc, err := run.img.Discover(ctx, d)
		if err != nil {
			checks = append(checks, failCheck(CheckEvidence, run.subjects[d], reason.As(err, reason.RegistryUnavailable, ""), ""))
			continue
		}
		run.found[d] = disc
		for _, e := range disc.Evidence {
			run.cands[d] = append(run.cands[d], r.verifyEvidence(st, e, run.subjects[d]))
		}
	}
	if r.opts.Bundle != "" {
		top := run.img.Digest
		run.cands[top] = append(run.cands[top], r.bundleFileCandidates(st, top, run.subjects[top])...)
	}
	return checks
}

func (run *imageRun) verified(digest string) bool {
	for _, c := range run.cands[digest] {
		if c.res != nil {
			return true
		}
	}
	return false
}

// covered reports whether a verified signature vouches for a target: on
// its own manifest, or on the index that pins it.
func (run *imageRun) covered(t oci.Target) bool {
	return run.verified(t.Digest) || (t.Index != "" && run.verified(t.Index))
}

// verifiedFor returns the verified evidence that covers a target.
func (run *imageRun) verifiedFor(t oci.Target) []verifiedBundle {
	var vbs []verifiedBundle
	for _, d := range []string{t.Index, t.Digest} {
		for _, c := range run.cands[d] {
			if d != "" && c.res != nil {
				vbs = append(vbs, verifiedBundle{c.res, c.evidence})
			}
		}
	}
	return vbs
}

// coverageChecks returns the checks of every piece of evidence, with the
// failures of evidence whose subject is vouched for by other evidence
// turned into SKIP, and per target the check that says what covers it or
// that nothing does.
func (run *imageRun) coverageChecks(targetSubject func(oci.Target) policy.Subject) []policy.Check {
	var checks []policy.Check
	allCovered := true
	for _, t := range run.targets {
		allCovered = allCovered && run.covered(t)
	}
	for _, d := range run.digests {
		// Failures of evidence on the index matter unless every platform is
		// vouched for; on a platform, unless that platform is.
		excused := allCovered
		if d != run.img.Digest || !run.img.IsIndex() {
			for _, t := range run.targets {
				if t.Digest == d {
					excused = run.covered(t)
				}
			}
		}
		for _, c := range run.cands[d] {
			for _, ch := range c.checks {
				if ch.Status == policy.StatusFail && excused && !c.required {
					ch.Status, ch.Required = policy.StatusSkip, false
					ch.Message = "not counted, another signature verified: " + ch.Message
				}
				checks = append(checks, ch)
			}
		}
	}
	for _, t := range run.targets {
		ts := targetSubject(t)
		switch {
		case !run.covered(t) && len(run.cands[t.Digest]) == 0 && run.found[t.Digest] != nil:
			var searched []string
			for _, d := range []string{t.Index, t.Digest} {
				if disc := run.found[d]; disc != nil {
					searched = append(searched, disc.Searched...)
				}
			}
			msg := fmt.Sprintf("no signature or attestation found for %s", t.Digest)
			if t.Index != "" && len(run.cands[t.Index]) > 0 {
				msg = fmt.Sprintf("no verified signature covers %s (%s): its manifest has none, and none on the index verified", t.Platform, t.Digest)
			}
			checks = append(checks, failCheck(vocab.CheckSignature, ts, reason.New(reason.EvidenceMissing,
				"sign the image with cosign (sign, or attest), or give --bundle FILE; a re-tagged or changed image has a new digest and needs its own signature",
				"%s", msg), strings.Join(searched, ", ")))
		case run.covered(t) && run.img.IsIndex():
			how := "by its own verified signature"
			if !run.verified(t.Digest) {
				how = "by a verified signature on the index " + t.Index + ", which pins it"
			}
			checks = append(checks, policy.Check{ID: CheckPlatform, Subject: ts, Status: policy.StatusPass, Required: true,
				Message: fmt.Sprintf("%s (%s) is covered %s", t.Platform, t.Digest, how)})
		}
	}
	return checks
}

func (r *Runner) imageCheck(img *oci.Image, subject policy.Subject) policy.Check {
	kind := "image manifest"
	if img.IsIndex() {
		kind = "multi-platform index"
	}
	msg := fmt.Sprintf("%s %s (%s)", kind, img.Digest, img.MediaType)
	if img.Tag != "" && !img.Ref.Pinned() {
		msg = fmt.Sprintf("tag %s resolved once to %s; everything after is pinned to the digest", img.Tag, msg)
	}
	return policy.Check{ID: CheckImage, Subject: subject, Status: policy.StatusPass, Required: true, Message: msg, Evidence: img.Where}
}

// verifyEvidence verifies one piece of discovered evidence for the
// manifest of subject.
func (r *Runner) verifyEvidence(st *ociState, e oci.Evidence, subject policy.Subject) candidate {
	c := candidate{subject: e.Subject, evidence: e.Source}
	if e.Err != nil {
		c.checks = []policy.Check{failCheck(CheckEvidence, subject, e.Err, e.Source)}
		return c
	}
	pb, err := attest.ParseBundle(e.Bundle)
	if err != nil {
		c.checks = []policy.Check{failCheck("bundle", subject, reason.As(err, reason.BundleMalformed, ""), e.Source)}
		return c
	}
	digest, err := vocab.ParseSHA256(strings.TrimPrefix(e.Subject, "sha256:"))
	if err != nil {
		c.checks = []policy.Check{failCheck("evidence", subject, reason.Wrap(err, reason.InputMalformed, "the evidence names a subject that is not a sha256 digest", "reading evidence subject"), e.Source)}
		return c
	}
	art := attest.Artifact{Name: subject.Name, SHA256: digest}
	if e.Kind == oci.EvidenceSignature {
		// A cosign signature signs a payload that names the image; the
		// signature is checked over the payload, the name against the image.
		ss, err := oci.ParseSimpleSigning(e.Payload)
		if err != nil {
			c.checks = []policy.Check{failCheck(CheckPayload, subject, reason.As(err, reason.SignatureMalformed, ""), e.Source)}
			return c
		}
		if ss.ManifestDigest != e.Subject {
			c.checks = []policy.Check{failCheck(CheckPayload, subject, &reason.Error{Code: reason.DigestMismatch,
				Msg: "the signed payload names another image", Got: ss.ManifestDigest, Want: e.Subject,
				Hint: "the signature was made for another image and copied here; the image itself is not signed"}, e.Source)}
			return c
		}
		c.checks = append(c.checks, policy.Check{ID: CheckPayload, Subject: subject, Status: policy.StatusPass, Required: true,
			Message: fmt.Sprintf("%s (%s): signed payload names %s", e.Kind, e.Label, ss.ManifestDigest), Evidence: e.Source})
		sum := sha256.Sum256(e.Payload)
		art = attest.Artifact{Name: e.Source, SHA256: sum[:]}
	}
	var res *attest.SignatureResult
	var findings []attest.Finding
	var skipped *policy.Check
	if st.key != nil && (!hasTlogEntry(pb) || r.opts.TrustedRoot == "") {
		var sk policy.Check
		res, findings, sk = verifyWithoutTlog(st, pb, art, e.Payload, subject, e.Source)
		if res != nil {
			skipped = &sk
		}
	} else {
		res, findings = r.verifier.Verify(pb, art)
	}
	for _, f := range findings {
		ch := findingCheck(f, subject, e.Source, true)
		if ch.Status == policy.StatusPass {
			ch.Message = fmt.Sprintf("%s (%s): %s", e.Kind, e.Label, ch.Message)
		}
		c.checks = append(c.checks, ch)
	}
	if skipped != nil {
		c.checks = append(c.checks, *skipped)
	}
	c.res = res
	return c
}

// bundleFileCandidates verifies the bundles of --bundle against the image
// digest. The user chose them, so each must verify.
func (r *Runner) bundleFileCandidates(st *ociState, digest string, subject policy.Subject) []candidate {
	bundles, err := readBundleFile(r.opts.Bundle)
	if err != nil {
		return []candidate{{subject: digest, evidence: r.opts.Bundle, required: true,
			checks: []policy.Check{failCheck("bundle", subject, reason.As(err, reason.BundleMalformed, ""), r.opts.Bundle)}}}
	}
	raw, err := vocab.ParseSHA256(strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		return []candidate{{subject: digest, evidence: r.opts.Bundle, required: true,
			checks: []policy.Check{failCheck("bundle", subject, reason.Wrap(err, reason.InputMalformed, "the image digest is not a sha256 digest", "reading image digest"), r.opts.Bundle)}}}
	}
	var out []candidate
	for i := range bundles {
		c := candidate{subject: digest, evidence: r.opts.Bundle, required: true}
		var findings []attest.Finding
		var skipped *policy.Check
		if st.key != nil && (!hasTlogEntry(&bundles[i]) || r.opts.TrustedRoot == "") {
			var sk policy.Check
			c.res, findings, sk = verifyWithoutTlog(st, &bundles[i], attest.Artifact{Name: subject.Name, SHA256: raw}, nil, subject, r.opts.Bundle)
			if c.res != nil {
				skipped = &sk
			}
		} else {
			c.res, findings = r.verifier.Verify(&bundles[i], attest.Artifact{Name: subject.Name, SHA256: raw})
		}
		for _, f := range findings {
			c.checks = append(c.checks, findingCheck(f, subject, r.opts.Bundle, true))
		}
		if skipped != nil {
			c.checks = append(c.checks, *skipped)
		}
		out = append(out, c)
	}
	return out
}

// sbomCheck reports an SBOM attached with cosign's .sbom tag. It is
// informational: the SBOM counts only with a verified signature, and the
// verdict does not depend on it.
func (r *Runner) sbomCheck(st *ociState, s oci.SBOM, subject policy.Subject) policy.Check {
	var last *policy.Check
	for _, e := range s.Signatures {
		c := r.verifyEvidence(st, e, policy.Subject{Name: subject.Name + " sbom", Digest: map[string]string{"sha256": strings.TrimPrefix(s.Digest, "sha256:")}})
		if c.res != nil {
			return policy.Check{ID: CheckSBOM, Subject: subject, Status: policy.StatusPass, Evidence: s.Source,
				Message: fmt.Sprintf("SBOM %s (%s) attached and signed by %s", s.Digest, s.MediaType, c.res.Signer())}
		}
		for i := range c.checks {
			if c.checks[i].Status == policy.StatusFail {
				last = &c.checks[i]
			}
		}
	}
	ch := policy.Check{ID: CheckSBOM, Subject: subject, Status: policy.StatusSkip, Reason: reason.EvidenceMissing, Evidence: s.Source,
		Message: fmt.Sprintf("SBOM %s (%s) attached without a signature; not used as evidence", s.Digest, s.MediaType),
		Hint:    "sign the SBOM attachment (cosign sign --attachment sbom), or attest it (cosign attest --type cyclonedx)"}
	if last != nil {
		ch.Reason, ch.Message = last.Reason, fmt.Sprintf("SBOM %s (%s) attached, its signature did not verify: %s", s.Digest, s.MediaType, last.Message)
	}
	return ch
}

func hasTlogEntry(pb *attest.ParsedBundle) bool {
	entries, err := pb.Bundle.TlogEntries()
	return err != nil || len(entries) > 0
}

// verifyWithoutTlog verifies a key-based signature that has no (or, without
// a trusted root, an unchecked) transparency log entry, when the run
// allows it with --insecure-ignore-tlog. The signature is checked with the
// given key alone; keyless evidence is refused. It returns the result, the
// findings, and the SKIP check that records what was not checked.
func verifyWithoutTlog(st *ociState, pb *attest.ParsedBundle, art attest.Artifact, payload []byte, subject policy.Subject, evidence string) (*attest.SignatureResult, []attest.Finding, policy.Check) {
	skipped := policy.Check{ID: CheckTlog, Subject: subject, Status: policy.StatusSkip, Reason: reason.TlogMissing, Evidence: evidence,
		Message: "transparency log not checked: --insecure-ignore-tlog accepts key-based signatures without a log entry",
		Hint:    "sign with upload to a transparency log where you can, and verify with a trusted root"}
	sigFail := func(e *reason.Error) (*attest.SignatureResult, []attest.Finding, policy.Check) {
		return nil, []attest.Finding{{Check: vocab.CheckSignature, Err: e}}, skipped
	}
	if vc, err := pb.Bundle.VerificationContent(); err != nil || vc.Certificate() != nil {
		return sigFail(reason.New(reason.TlogMissing, "keyless signatures always need transparency log evidence; --insecure-ignore-tlog applies to key-based signatures only",
			"keyless signature without verifiable transparency log evidence"))
	}
	res := &attest.SignatureResult{Bundle: pb, KeyID: st.keyID}
	var findings []attest.Finding
	var message, sig []byte
	if env := pb.Bundle.GetDsseEnvelope(); env != nil {
		stmt, err := attest.ParseStatement(env.GetPayloadType(), env.GetPayload())
		if err != nil {
			return nil, []attest.Finding{{Check: vocab.CheckSubject, Err: reason.As(err, reason.StatementMalformed, "")}}, skipped
		}
		hexDigest := hex.EncodeToString(art.SHA256)
		s, ok := stmt.MatchSubject(hexDigest)
		if !ok {
			return nil, []attest.Finding{{Check: vocab.CheckSubject, Err: &reason.Error{Code: reason.SubjectMismatch,
				Msg: "image is not a subject of the attestation", Got: stmt.SubjectSummary(), Want: "sha256:" + hexDigest,
				Hint: "the attestation is for another image; a re-tagged or changed image has a new digest"}}}, skipped
		}
		msg := fmt.Sprintf("image is subject %q of the in-toto statement", s.Name)
		if s.Name == "" {
			msg = "image is an unnamed subject of the in-toto statement"
		}
		findings = append(findings, attest.Finding{Check: vocab.CheckSubject, Message: msg})
		res.Statement = stmt
		sigs := env.GetSignatures()
		if len(sigs) != 1 {
			return sigFail(&reason.Error{Code: reason.BundleMalformed, Msg: "DSSE envelope must carry one signature", Got: fmt.Sprint(len(sigs)), Want: "1",
				Hint: "re-create the attestation"})
		}
		message, sig = dssePAE(env.GetPayloadType(), env.GetPayload()), sigs[0].GetSig()
	} else {
		ms := pb.Bundle.GetMessageSignature()
		if ms == nil || payload == nil {
			return sigFail(reason.New(reason.BundleMalformed, "re-create the signature", "signature has no signed payload to check"))
		}
		if !bytes.Equal(ms.GetMessageDigest().GetDigest(), art.SHA256) {
			return sigFail(reason.New(reason.DigestMismatch, "the signature was made over other bytes", "signed digest differs from the payload's digest"))
		}
		message, sig = payload, ms.GetSignature()
	}
	if !verifyKeySignature(st.key, message, sig) {
		return sigFail(reason.New(reason.SignatureInvalid,
			"the signature does not verify with --key: the image was signed with another key, or the signature or payload was changed",
			"verifying signature with the given key"))
	}
	findings = append([]attest.Finding{{Check: vocab.CheckSignature,
		Message: fmt.Sprintf("%s verified: signed by key sha256:%s; no transparency log entry checked", pb.Describe(), st.keyID)}}, findings...)
	return res, findings, skipped
}

// dssePAE is DSSE's pre-authentication encoding, what a DSSE signature signs.
func dssePAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// verifyKeySignature checks sig over message with pub the way cosign signs
// with a key: ECDSA over SHA-256 (or the curve's own hash), RSA PKCS #1
// v1.5 or PSS over SHA-256, Ed25519 over the message.
func verifyKeySignature(pub crypto.PublicKey, message, sig []byte) bool {
	digest := func(h func() hash.Hash) []byte {
		x := h()
		x.Write(message)
		return x.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, digest(sha256.New), sig) {
			return true
		}
		switch k.Curve {
		case elliptic.P384():
			return ecdsa.VerifyASN1(k, digest(sha512.New384), sig)
		case elliptic.P521():
			return ecdsa.VerifyASN1(k, digest(sha512.New), sig)
		}
	case *rsa.PublicKey:
		d := digest(sha256.New)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil || rsa.VerifyPSS(k, crypto.SHA256, d, sig, nil) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, message, sig)
	}
	return false
}
