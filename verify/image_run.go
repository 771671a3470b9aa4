package verify

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// imageRun is the evidence of one image argument: of the manifest it
// names and of every target platform.
type imageRun struct {
	img      *oci.Image
	arg      string         // the image as named
	subject  policy.Subject // the image's
	targets  []oci.Target
	subjects map[string]policy.Subject // by digest
	digests  []string                  // the image's, then each target's
	cands    map[string][]candidate    // by the digest they are evidence for
	found    map[string]*oci.Discovery // nil where discovery failed
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
func (run *imageRun) coverageChecks() []policy.Check {
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
		ts := run.targetSubject(t)
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
			checks = append(checks, policy.Check{ID: vocab.CheckPlatform, Subject: ts, Status: policy.StatusPass, Required: true,
				Message: fmt.Sprintf("%s (%s) is covered %s", t.Platform, t.Digest, how)})
		}
	}
	return checks
}

// targetSubject is the subject of a target: the image itself, or one of
// the platforms of its index.
func (run *imageRun) targetSubject(t oci.Target) policy.Subject {
	if t.Digest == run.img.Digest {
		return run.subject
	}
	return policy.Subject{Name: run.arg + " " + t.Platform, Digest: map[string]string{"sha256": strings.TrimPrefix(t.Digest, "sha256:")}}
}
