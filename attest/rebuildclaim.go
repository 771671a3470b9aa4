package attest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Rebuild attestation formats, as RebuildClaim.Format names them.
const (
	FormatSovcheckRebuild = "sovcheck rebuild/v1"
	FormatOSSRebuild      = "OSS Rebuild Rebuild@v0.1"
	FormatOSSEquivalence  = "OSS Rebuild ArtifactEquivalence@v0.1"
	FormatOSSPair         = "OSS Rebuild Rebuild@v0.1 + ArtifactEquivalence@v0.1"
)

// ossRebuildPrefix is the prefix OSS Rebuild gives the name of a rebuilt
// artifact (the subject of Rebuild@v0.1, the candidate of
// ArtifactEquivalence@v0.1).
const ossRebuildPrefix = "rebuild/"

// RebuildClaim is what a rebuild attestation says about one artifact:
// which source and recipe were rebuilt, what came out, and how it compares
// with the published artifact. Digests are lowercase hex sha256.
type RebuildClaim struct {
	Format   string `json:"format"`
	Artifact string `json:"artifact"` // the artifact's file name as the attestation gives it
	// Source is what was rebuilt: repository@commit (sovcheck) or
	// ecosystem/package@version (OSS Rebuild); empty when not named.
	Source string `json:"source,omitempty"`
	// Recipe is the build type, and for sovcheck the output path.
	Recipe string `json:"recipe"`
	// Upstream is the published artifact the rebuild was compared with;
	// empty when the attestation compares nothing (Rebuild@v0.1 alone).
	Upstream string `json:"upstream,omitempty"`
	Rebuilt  string `json:"rebuilt"`
	// Equal: the rebuilder states that Rebuilt and Upstream are equal,
	// bit for bit, or after Normalisation when it is set.
	Equal         bool   `json:"equal"`
	Normalisation string `json:"normalisation,omitempty"`
}

// ParseRebuildClaim reads the claim of a rebuild attestation: sovcheck's
// own predicate, or OSS Rebuild's Rebuild@v0.1 and ArtifactEquivalence@v0.1
// (SLSA provenance v1 told apart by build type). A statement of another
// kind is a *NotCountedError; a rebuild attestation missing what it must
// say is a *reason.Error (STATEMENT_MALFORMED).
func ParseRebuildClaim(st *Statement) (*RebuildClaim, error) {
	switch st.PredicateType {
	case vocab.PredicateRebuild:
		return parseSovcheckRebuild(st)
	case vocab.PredicateSLSAProvenanceV1:
		var p ossPredicate
		if err := json.Unmarshal(st.Predicate, &p); err != nil {
			return nil, malformedClaim("reading SLSA provenance predicate: %v", err)
		}
		switch p.BuildDefinition.BuildType {
		case vocab.BuildTypeOSSRebuild:
			return parseOSSRebuild(st, &p)
		case vocab.BuildTypeOSSArtifactEquivalence:
			return parseOSSEquivalence(st, &p)
		}
		return nil, notCounted(reason.PredicateTypeMismatch, fmt.Sprintf("SLSA provenance of build type %q is not a rebuild attestation", clipped(p.BuildDefinition.BuildType)),
			"give the rebuilder's rebuild attestations: sovcheck's, or OSS Rebuild's Rebuild@v0.1 and ArtifactEquivalence@v0.1")
	}
	return nil, notCounted(reason.PredicateTypeMismatch, fmt.Sprintf("predicate type %q is not a rebuild attestation", clipped(st.PredicateType)),
		"give the rebuilder's rebuild attestations: sovcheck's, or OSS Rebuild's Rebuild@v0.1 and ArtifactEquivalence@v0.1")
}

func malformedClaim(format string, args ...any) error {
	return reason.New(reason.StatementMalformed, "ask the rebuilder for a complete rebuild attestation", "rebuild attestation: "+format, args...)
}

func clipped(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// sha256Of returns the lowercase sha256 of a digest set, checked for form.
func sha256Of(d map[string]string, what string) (string, error) {
	h := strings.ToLower(strings.TrimPrefix(d["sha256"], "sha256:"))
	if _, err := vocab.ParseSHA256(h); err != nil {
		return "", malformedClaim("%s: %v", what, err)
	}
	return h, nil
}

// onlySubject returns the statement's one subject: a rebuild attestation
// is about one artifact.
func onlySubject(st *Statement) (Subject, error) {
	if len(st.Subject) != 1 {
		return Subject{}, malformedClaim("%d subjects, want 1", len(st.Subject))
	}
	return st.Subject[0], nil
}

// sovcheckPredicate is the part of sovcheck's rebuild predicate
// (rebuild.RebuildPredicate) a claim reads.
type sovcheckPredicate struct {
	Recipe struct {
		BuildType string `json:"buildType"`
		Source    struct {
			URI    string `json:"uri"`
			Commit string `json:"commit"`
		} `json:"source"`
		Output string `json:"output"`
	} `json:"recipe"`
	AttestedDigest map[string]string `json:"attestedDigest"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest"`
	Result         string            `json:"result"`
}

func parseSovcheckRebuild(st *Statement) (*RebuildClaim, error) {
	var p sovcheckPredicate
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return nil, malformedClaim("reading predicate: %v", err)
	}
	sub, err := onlySubject(st)
	if err != nil {
		return nil, err
	}
	up, err := sha256Of(sub.Digest, "subject digest")
	if err != nil {
		return nil, err
	}
	attested, err := sha256Of(p.AttestedDigest, "attestedDigest")
	if err != nil {
		return nil, err
	}
	if attested != up {
		return nil, malformedClaim("attestedDigest sha256:%s is not the subject's sha256:%s", attested, up)
	}
	rebuilt, err := sha256Of(p.RebuiltDigest, "rebuiltDigest")
	if err != nil {
		return nil, err
	}
	if p.Recipe.BuildType == "" || p.Recipe.Source.URI == "" || p.Recipe.Source.Commit == "" {
		return nil, malformedClaim("the recipe names no build type, source or commit")
	}
	switch p.Result {
	case "MATCH", "MISMATCH":
	default:
		return nil, malformedClaim("result %q, want MATCH or MISMATCH", clipped(p.Result))
	}
	equal := p.Result == "MATCH"
	if equal != (rebuilt == up) {
		return nil, malformedClaim("result %s contradicts the digests (rebuilt sha256:%s, attested sha256:%s)", p.Result, rebuilt, up)
	}
	return &RebuildClaim{Format: FormatSovcheckRebuild, Artifact: sub.Name,
		Source:   vocab.NormalizeSourceURI(p.Recipe.Source.URI) + "@" + strings.ToLower(p.Recipe.Source.Commit),
		Recipe:   p.Recipe.BuildType + " -> " + p.Recipe.Output,
		Upstream: up, Rebuilt: rebuilt, Equal: equal}, nil
}

// ossPredicate is the part of a SLSA provenance v1 predicate that OSS
// Rebuild's attestations fill and a claim reads.
type ossPredicate struct {
	BuildDefinition struct {
		BuildType          string `json:"buildType"`
		ExternalParameters struct {
			Ecosystem string `json:"ecosystem"`
			Package   string `json:"package"`
			Version   string `json:"version"`
			Artifact  string `json:"artifact"`
			Candidate string `json:"candidate"`
			Target    string `json:"target"`
		} `json:"externalParameters"`
		ResolvedDependencies []ossResource `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
}

// ossResource is a SLSA v1 resource descriptor as OSS Rebuild fills it.
type ossResource struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

func parseOSSRebuild(st *Statement, p *ossPredicate) (*RebuildClaim, error) {
	ep := p.BuildDefinition.ExternalParameters
	if ep.Ecosystem == "" || ep.Package == "" || ep.Version == "" || ep.Artifact == "" {
		return nil, malformedClaim("Rebuild@v0.1 externalParameters must name ecosystem, package, version and artifact")
	}
	sub, err := onlySubject(st)
	if err != nil {
		return nil, err
	}
	if sub.Name != ossRebuildPrefix+ep.Artifact {
		return nil, malformedClaim("Rebuild@v0.1 subject %q is not %q", clipped(sub.Name), ossRebuildPrefix+ep.Artifact)
	}
	rebuilt, err := sha256Of(sub.Digest, "subject digest")
	if err != nil {
		return nil, err
	}
	return &RebuildClaim{Format: FormatOSSRebuild, Artifact: ep.Artifact,
		Source: ep.Ecosystem + "/" + ep.Package + "@" + ep.Version, Recipe: vocab.BuildTypeOSSRebuild, Rebuilt: rebuilt}, nil
}

func parseOSSEquivalence(st *Statement, p *ossPredicate) (*RebuildClaim, error) {
	ep := p.BuildDefinition.ExternalParameters
	if ep.Candidate == "" || ep.Target == "" {
		return nil, malformedClaim("ArtifactEquivalence@v0.1 externalParameters must name candidate and target")
	}
	sub, err := onlySubject(st)
	if err != nil {
		return nil, err
	}
	up, err := sha256Of(sub.Digest, "subject digest")
	if err != nil {
		return nil, err
	}
	var rebuilt, target string
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		switch d.Name {
		case ep.Candidate:
			if rebuilt, err = sha256Of(d.Digest, "candidate digest"); err != nil {
				return nil, err
			}
		case ep.Target:
			if target, err = sha256Of(d.Digest, "target digest"); err != nil {
				return nil, err
			}
		}
	}
	if rebuilt == "" || target == "" {
		return nil, malformedClaim("ArtifactEquivalence@v0.1 resolvedDependencies must give the digests of candidate and target")
	}
	if target != up {
		return nil, malformedClaim("ArtifactEquivalence@v0.1 target sha256:%s is not the subject's sha256:%s", target, up)
	}
	c := &RebuildClaim{Format: FormatOSSEquivalence, Artifact: strings.TrimPrefix(ep.Candidate, ossRebuildPrefix),
		Recipe: vocab.BuildTypeOSSRebuild, Upstream: up, Rebuilt: rebuilt, Equal: true}
	if rebuilt != up {
		c.Normalisation = vocab.NormalisationOSSStabilize
	}
	return c, nil
}

// pairOSS joins each ArtifactEquivalence@v0.1 claim with the Rebuild@v0.1
// claim of the same signer whose rebuilt artifact it compared: the pair
// says which package was rebuilt and how it compares. The claims that do
// not pair are kept as they are.
func pairOSS(vs []VerifiedRebuild) []VerifiedRebuild {
	used := make([]bool, len(vs))
	var out []VerifiedRebuild
	for i, eq := range vs {
		if eq.Claim.Format != FormatOSSEquivalence {
			continue
		}
		for j, rb := range vs {
			if used[j] || rb.Claim.Format != FormatOSSRebuild || rb.KeyID != eq.KeyID ||
				rb.Claim.Artifact != eq.Claim.Artifact || rb.Claim.Rebuilt != eq.Claim.Rebuilt {
				continue
			}
			used[i], used[j] = true, true
			c := *eq.Claim
			c.Format, c.Source = FormatOSSPair, rb.Claim.Source
			out = append(out, VerifiedRebuild{KeyID: eq.KeyID, Form: eq.Form, Claim: &c})
			break
		}
	}
	for i, v := range vs {
		if !used[i] {
			out = append(out, v)
		}
	}
	return out
}
