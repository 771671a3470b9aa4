package verify

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

const hintSBOMNotBound = "give the artifact's own SBOM: one generated from the artifact records its sha256 " +
	"(CycloneDX metadata.component.hashes, the SPDX checksum of the described package), or attest it " +
	"(cosign attest --type cyclonedx) so that its signed subject is the artifact"

// sbomBinding decides whether graph, read from source, describes the
// artifact whose sha256 is digest. An SBOM is bound when
//   - it came from a verified attestation whose subject is the artifact, or
//   - the product it describes records the artifact's sha256: a SHA-256 hash
//     of the CycloneDX metadata component or of the SPDX described package,
//     or a version or purl version "sha256:<digest>" (container images).
//
// A product whose name and version both appear in the artifact's file name
// is bound by name only: a PASS with a warning, since anyone can name a
// product. Anything else is a FAIL (SBOM_NOT_BOUND): the SBOM of another
// product must never be graded as this one's.
func sbomBinding(subject policy.Subject, artifactName string, graph *sbom.Graph, source string, attested *attest.Statement) policy.Check {
	digest := strings.ToLower(subject.Digest["sha256"])
	pass := func(msg string) policy.Check {
		return policy.Check{ID: vocab.CheckSBOMBound, Subject: subject, Status: policy.StatusPass, Evidence: source, Message: msg}
	}
	if attested != nil {
		if _, ok := attested.MatchSubject(digest); ok {
			return pass("the SBOM is the predicate of a verified attestation whose subject is the artifact")
		}
		return failCheck(vocab.CheckSBOMBound, subject, boundError("the SBOM attestation is about other artifacts",
			attested.SubjectSummary(), digest), source)
	}
	if graph.Root < 0 {
		return failCheck(vocab.CheckSBOMBound, subject, boundError("the SBOM names no product (no CycloneDX metadata.component, no single SPDX described package), so it cannot name the artifact",
			"no product", digest), source)
	}
	root := &graph.Components[graph.Root]
	var recorded []string
	for _, h := range root.Hashes {
		alg := strings.ToUpper(strings.ReplaceAll(h.Algorithm, "-", ""))
		if alg != "SHA256" {
			continue
		}
		v := strings.ToLower(strings.TrimSpace(h.Value))
		if v == digest {
			return pass(fmt.Sprintf("the SBOM's product %s records the artifact's sha256 at %s", productTitle(graph), root.Location))
		}
		recorded = append(recorded, "sha256:"+v)
	}
	for _, v := range []string{root.Version, purlVersion(root.PURL)} {
		if strings.EqualFold(strings.TrimSpace(v), "sha256:"+digest) {
			return pass(fmt.Sprintf("the SBOM's product %s is the artifact's digest (%s)", productTitle(graph), root.Location))
		}
	}
	if len(recorded) > 0 {
		return failCheck(vocab.CheckSBOMBound, subject, boundError("the SBOM describes other bytes: its product "+productTitle(graph)+" records another sha256",
			strings.Join(recorded, ", "), digest), source)
	}
	if nameMatches(graph, artifactName) {
		return pass(fmt.Sprintf("warning: the SBOM's product %s matches the artifact by name and version only; it records no digest, so nothing shows it describes these bytes",
			productTitle(graph)))
	}
	return failCheck(vocab.CheckSBOMBound, subject, boundError("the SBOM's product "+productTitle(graph)+" records no digest and its name and version do not match the artifact "+quoted(artifactName),
		productTitle(graph), digest), source)
}

func boundError(msg, got, digest string) *reason.Error {
	return &reason.Error{Code: reason.SBOMNotBound, Msg: msg, Got: got, Want: "sha256:" + digest, Hint: hintSBOMNotBound}
}

func productTitle(g *sbom.Graph) string {
	if g.Version != "" {
		return quoted(g.Name + "@" + g.Version)
	}
	return quoted(g.Name)
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }

// purlVersion returns the version of a purl, unescaped, or "".
func purlVersion(p string) string {
	_, v, ok := strings.Cut(p, "@")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, "?#"); i >= 0 {
		v = v[:i]
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// nameMatches reports whether the artifact's file name holds both the
// product's name (its last path segment) and its version.
func nameMatches(g *sbom.Graph, artifactName string) bool {
	base := strings.ToLower(filepath.Base(artifactName))
	name := strings.ToLower(g.Name)
	if i := strings.LastIndexAny(name, "/:"); i >= 0 {
		name = name[i+1:]
	}
	version := strings.ToLower(strings.TrimPrefix(g.Version, "v"))
	return name != "" && version != "" && strings.Contains(base, name) && strings.Contains(base, version)
}

// sbomProfileFacts checks the SBOM document read from source (the bytes
// it kept, not read again) against the conformance profile the policy
// requires and records the result in sum. An SBOM that the reader accepted but the
// profile check cannot read is a FAIL.
func sbomProfileFacts(subject policy.Subject, sum *policy.SBOM, profile, source string, doc *sbom.Document) *policy.Check {
	rep, err := doc.CheckProfile(profile)
	if err != nil {
		c := failCheck(vocab.CheckSBOMAssessed, subject, reason.As(err, reason.SBOMMalformed, "give the artifact's SBOM as CycloneDX or SPDX"), source)
		return &c
	}
	sum.Profile, sum.ProfileConformant, sum.ProfileGaps = profile, rep.Conformant, len(rep.Gaps)
	if len(rep.Gaps) > 0 {
		g := rep.Gaps[0]
		where := "the SBOM"
		if g.Component != "" {
			where = fmt.Sprintf("%q", g.Component)
		}
		sum.ProfileFirstGap = fmt.Sprintf("%s of %s at %s: %s", g.Field, where, g.Location, g.Detail)
	}
	return nil
}
