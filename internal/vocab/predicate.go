package vocab

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Predicate type URIs sovcheck knows by name.
const (
	PredicateSLSAProvenanceV02 = "https://slsa.dev/provenance/v0.2"
	PredicateSLSAProvenanceV1  = "https://slsa.dev/provenance/v1"
	PredicateCycloneDX         = "https://cyclonedx.org/bom"
	PredicateSPDX              = "https://spdx.dev/Document"
	PredicateVSA               = "https://slsa.dev/verification_summary/v1"
	PredicateLink              = "https://in-toto.io/Link/v1"
	PredicateOpenVEX           = "https://openvex.dev/ns"

	// PredicateRebuild is the predicate type of sovcheck's rebuild
	// attestation: an in-toto statement whose subject is the artifact,
	// saying how it was rebuilt and what came out.
	PredicateRebuild = "https://sovcheck.dev/rebuild/v1"
)

// The verificationResult of a Verification Summary Attestation, and the
// level a failed one lists.
const (
	VSAPassed = "PASSED"
	VSAFailed = "FAILED"
)

// Build types of the SLSA provenance sovcheck replays, and sovcheck's id
// as a rebuilder.
const (
	// BuildTypeGoBuilder is the SLSA GitHub generator's Go builder (SLSA
	// provenance v0.2).
	BuildTypeGoBuilder = "https://github.com/slsa-framework/slsa-github-generator/go@v1"
	// BuildTypeSovcheckGo is sovcheck's own replayable Go recipe (SLSA
	// provenance v1).
	BuildTypeSovcheckGo = "https://sovcheck.dev/rebuild/go@v1"
	// RebuilderID identifies sovcheck as the rebuilder in attestations.
	RebuilderID = "https://sovcheck.dev/rebuild"
	// RecipeBuilderID identifies 'sovcheck attest recipe' as the builder
	// of the recipes it writes.
	RecipeBuilderID = "https://sovcheck.dev/attest-recipe@v1"
)

// OSS Rebuild's attestations are SLSA provenance v1 statements told apart
// by their build type.
const (
	// BuildTypeOSSRebuild: a rebuild of a package's artifact; the subject
	// is the rebuilt artifact ("rebuild/NAME").
	BuildTypeOSSRebuild = "https://docs.oss-rebuild.dev/builds/Rebuild@v0.1"
	// BuildTypeOSSArtifactEquivalence: the published artifact (the
	// subject) compared with a rebuild, bit for bit or after stabilising
	// both.
	BuildTypeOSSArtifactEquivalence = "https://docs.oss-rebuild.dev/builds/ArtifactEquivalence@v0.1"
	// NormalisationOSSStabilize names OSS Rebuild's stabilisation of
	// archives (entry times, order, owners and modes, gzip framing), under
	// which an ArtifactEquivalence attestation may find two artifacts equal.
	NormalisationOSSStabilize = "oss-rebuild-stabilize"
)

// IsSLSAProvenance reports whether a predicate type is SLSA provenance of
// any version (v0.1, v0.2, v1).
func IsSLSAProvenance(predicateType string) bool {
	return strings.HasPrefix(predicateType, "https://slsa.dev/provenance/")
}

// predicateAliases follows cosign's --type names, so its users can move over.
var predicateAliases = map[string]string{
	"slsaprovenance":   PredicateSLSAProvenanceV02,
	"slsaprovenance02": PredicateSLSAProvenanceV02,
	"slsaprovenance1":  PredicateSLSAProvenanceV1,
	"cyclonedx":        PredicateCycloneDX,
	"spdx":             PredicateSPDX,
	"spdxjson":         PredicateSPDX,
	"vsa":              PredicateVSA,
	"link":             PredicateLink,
	"openvex":          PredicateOpenVEX,
}

// PredicateAliases returns the known --type names, sorted.
func PredicateAliases() []string {
	names := make([]string, 0, len(predicateAliases))
	for k := range predicateAliases {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ResolvePredicateType turns a --type value (an alias or an absolute URI)
// into a predicate type URI.
func ResolvePredicateType(s string) (string, error) {
	if uri, ok := predicateAliases[strings.ToLower(s)]; ok {
		return uri, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("unknown predicate type %q: want one of %s, or an absolute URI", s, strings.Join(PredicateAliases(), ", "))
	}
	return s, nil
}

// NormalizeSourceURI strips the git+ prefix, scheme, trailing slash and
// .git suffix, so that git+https://github.com/org/repo.git and
// github.com/org/repo compare equal.
func NormalizeSourceURI(uri string) string {
	uri = strings.TrimPrefix(uri, "git+")
	if i := strings.Index(uri, "://"); i >= 0 {
		uri = uri[i+3:]
	}
	uri = strings.TrimSuffix(strings.TrimSuffix(uri, "/"), ".git")
	return uri
}

// BuilderMatches compares builder ids as slsa-verifier does: a wanted id
// with "@" must be the builder's id exactly; one without matches any
// version of that builder.
func BuilderMatches(got, want string) bool {
	if strings.Contains(want, "@") {
		return got == want
	}
	base, _, _ := strings.Cut(got, "@")
	return base == want
}
