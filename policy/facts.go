package policy

import "slices"

// Facts is the evidence about one artifact that a policy is evaluated on.
// verify fills it from its checks and the verified attestations; rebuild
// and sbom results are added where present. A zero field means "not
// established", never "fine": rules that need it fail.
//
// CEL rules see the same facts as variables named by the JSON names:
// artifact, checks, signers, predicateTypes, provenance, rebuild,
// rebuilds, sbom, vulnerabilities, vsas and wasm, plus now (a timestamp).
type Facts struct {
	Artifact Subject `json:"artifact"`
	// Checks are the checks of the verdict, as verify produced them.
	Checks []Check `json:"checks"`
	// Signers are the signers whose signatures over the artifact (or an
	// attestation about it) verified.
	Signers []Signer `json:"signers"`
	// PredicateTypes are the predicate type URIs of the verified
	// attestations about the artifact.
	PredicateTypes []string `json:"predicateTypes"`
	// Provenance lists the verified SLSA provenance statements.
	Provenance []Provenance `json:"provenance"`
	// Rebuild is the rebuild outcome; the zero value means not attempted.
	Rebuild Rebuild `json:"rebuild"`
	// Rebuilds are the rebuild attestations of other rebuilders whose
	// signature verified with a key the policy pins (rebuilders.go).
	Rebuilds []RebuildAttestation `json:"rebuilds,omitempty"`
	// SBOM summarises the assessed SBOM; Present is false without one.
	SBOM SBOM `json:"sbom"`
	// Vulnerabilities are the known vulnerabilities of the SBOM's components.
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	// VSAs are verified Verification Summary Attestations about the artifact.
	VSAs []VSA `json:"vsas"`
	// Wasm is what was read from a WebAssembly artifact (wasm.go).
	Wasm Wasm `json:"wasm"`
}

// Signer is one verified signer. Key-based signers have KeyID; keyless
// signers have Issuer and Subject from the Fulcio certificate.
type Signer struct {
	KeyID    string `json:"keyId"`   // hex sha256 of the key's PKIX DER encoding
	Issuer   string `json:"issuer"`  // OIDC issuer
	Subject  string `json:"subject"` // certificate subject alternative name
	Evidence string `json:"evidence"`
}

// Provenance is one verified SLSA provenance, normalised across versions.
type Provenance struct {
	PredicateType string            `json:"predicateType"`
	BuilderID     string            `json:"builderId"`
	BuildType     string            `json:"buildType"`
	SourceURI     string            `json:"sourceUri"` // host/path, no scheme, no ref
	SourceRef     string            `json:"sourceRef"` // e.g. refs/tags/v1.2.0
	SourceDigest  map[string]string `json:"sourceDigest"`
	Evidence      string            `json:"evidence"`
}

// Rebuild outcomes, as package rebuild reports them.
const (
	RebuildMatch    = "MATCH"
	RebuildMismatch = "MISMATCH"
	RebuildSkip     = "SKIP"
)

// Rebuild is the outcome of rebuilding the artifact.
type Rebuild struct {
	Status string   `json:"status"` // MATCH, MISMATCH, SKIP, or empty when not attempted
	Reason string   `json:"reason"` // reason code for MISMATCH and SKIP
	Causes []string `json:"causes"` // cause codes of the differences found on MISMATCH
	// Rebuilt is the sha256 of what the rebuild produced, when it ran.
	Rebuilt string `json:"rebuilt,omitempty"`
	// Evidence names the rebuild log or attestation the outcome came from.
	Evidence string `json:"evidence"`
}

// SBOM summarises an assessed SBOM.
type SBOM struct {
	Present bool `json:"present"`
	// Source names the SBOM file, as the user gave it.
	Source string `json:"source"`
	// Quality is the share (0 to 1) of the product that could be assessed.
	Quality float64 `json:"quality"`
	// ProductGrade is the product's grade, A (best) to G, empty if ungraded.
	ProductGrade string      `json:"productGrade"`
	Components   []Component `json:"components"`
	// Profile is the conformance profile the SBOM was checked against
	// (when the policy requires one), with the verdict, the number of gaps
	// and the first of them.
	Profile           string `json:"profile,omitempty"`
	ProfileConformant bool   `json:"profileConformant,omitempty"`
	ProfileGaps       int    `json:"profileGaps,omitempty"`
	ProfileFirstGap   string `json:"profileFirstGap,omitempty"`
	// Services are the hosted services the SBOM lists (hosting.go).
	Services []Service `json:"services"`
	// Advisories says what the vulnerability facts rest on.
	Advisories Advisories `json:"advisories"`
}

// Advisories describes the advisory data an SBOM was matched against.
type Advisories struct {
	// AsOf is the newest "modified" time of the advisories (RFC 3339),
	// empty when no data was given or none states it.
	AsOf string `json:"asOf"`
	// Assessed and Total count the components whose vulnerability
	// questions could be answered, and all components.
	Assessed int `json:"assessed"`
	Total    int `json:"total"`
	// Suppressed counts findings a trusted VEX statement removed.
	Suppressed int `json:"suppressed"`
}

// Component is one component of the SBOM with its assessment.
type Component struct {
	Ref          string   `json:"ref"` // the SBOM's own reference (bom-ref, SPDXID)
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	PURL         string   `json:"purl"`
	SHA256       string   `json:"sha256"`
	Upstream     string   `json:"upstream"`
	Supplier     string   `json:"supplier"`
	Jurisdiction string   `json:"jurisdiction"` // the supplier's, ISO 3166 or EU; empty if unknown
	Licence      string   `json:"licence"`      // SPDX expression; empty if unknown
	Grade        string   `json:"grade"`        // A to G, empty if ungraded
	Labels       []string `json:"labels"`       // systemic-risk labels that fired
	// Pointer is the JSON pointer of the component in the SBOM.
	Pointer string `json:"pointer"`
	// VSAs are verified VSAs about this component.
	VSAs []VSA `json:"vsas"`
}

// HasLabel reports whether the label fired on the component.
func (c *Component) HasLabel(label string) bool { return slices.Contains(c.Labels, label) }

// Vulnerability is one known vulnerability of a component.
type Vulnerability struct {
	ID             string `json:"id"`
	Component      string `json:"component"` // the component's ref
	Severity       string `json:"severity"`  // critical, high, medium, low, or unknown
	KnownExploited bool   `json:"knownExploited"`
	// Record names the advisory or catalogue entry (file#pointer).
	Record string `json:"record"`
}

// VSA is a Verification Summary Attestation whose signature verified.
type VSA struct {
	CertifierKeyID string `json:"certifierKeyId"` // hex sha256 of the signing key's PKIX DER
	Result         string `json:"result"`         // PASSED or FAILED
	PolicyURI      string `json:"policyUri"`
	PolicyDigest   string `json:"policyDigest"` // hex sha256 of the policy the certifier verified under
	Evidence       string `json:"evidence"`
}

// NewFacts starts the facts of a verdict: its subject and checks. The
// caller adds what the checks do not carry (signers, attestations,
// provenance, rebuild, SBOM).
func NewFacts(v Verdict) *Facts {
	return &Facts{Artifact: v.Subject, Checks: slices.Clone(v.Checks)}
}
