package policy

// The policy file, as written. Field names are the YAML keys; the meaning
// of each field is documented for users in init.yaml (`sovcheck policy
// init`). Absent sections take their secure default: signatures and
// provenance are required, known-exploited vulnerabilities knock out.

// APIVersion and Kind identify a procurement policy file.
const (
	APIVersion            = "sovcheck.dev/v1alpha1"
	KindProcurementPolicy = "ProcurementPolicy"
	KindCertificationList = "CertificationList"
)

type document struct {
	APIVersion      string                `yaml:"apiVersion"`
	Kind            string                `yaml:"kind"`
	Metadata        metadata              `yaml:"metadata"`
	Artifacts       []artifactSection     `yaml:"artifacts"`
	SBOM            *sbomSection          `yaml:"sbom"`
	Licences        *licenceSection       `yaml:"licences"`
	Vulnerabilities *vulnerabilitySection `yaml:"vulnerabilities"`
	Certification   *certificationSection `yaml:"certification"`
	Data            []dataFileSpec        `yaml:"data"`
	Waivers         []waiverSpec          `yaml:"waivers"`
	Points          *pointsSection        `yaml:"points"`
	Rules           []ruleSpec            `yaml:"rules"`
	Wasm            *wasmSection          `yaml:"wasm"`
	Hosting         *hostingSection       `yaml:"hosting"`
	Trust           *trustSection         `yaml:"trust"` // trust.go
}

type metadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Owner       string `yaml:"owner"`
	Expires     string `yaml:"expires,date"`
}

// artifactSection holds the requirements on artifacts whose name matches
// one of its patterns. The first matching section applies.
type artifactSection struct {
	Match        []string        `yaml:"match"`
	Signature    *signatureSpec  `yaml:"signature"`
	Attestations []string        `yaml:"attestations"`
	Provenance   *provenanceSpec `yaml:"provenance"`
	Rebuild      *rebuildSpec    `yaml:"rebuild"`
	Trust        *artifactTrust  `yaml:"trust"` // trust.go
}

type signatureSpec struct {
	Required   *bool          `yaml:"required"`
	Keys       []string       `yaml:"keys"`
	Identities []identitySpec `yaml:"identities"`
}

type identitySpec struct {
	Issuer        string `yaml:"issuer"`
	IssuerRegexp  string `yaml:"issuerRegexp"`
	Subject       string `yaml:"subject"`
	SubjectRegexp string `yaml:"subjectRegexp"`
}

type provenanceSpec struct {
	Required    *bool    `yaml:"required"`
	BuilderIDs  []string `yaml:"builderIds"`
	SourceRepos []string `yaml:"sourceRepos"`
	Tags        []string `yaml:"tags"`
	Branches    []string `yaml:"branches"`
}

type rebuildSpec struct {
	Required       string   `yaml:"required"`
	Normalisations []string `yaml:"normalisations"`
	// Independent rebuilders that must agree: rebuilders.go.
	Independent           int             `yaml:"independent"`
	DistinctOperators     bool            `yaml:"distinctOperators"`
	DistinctJurisdictions bool            `yaml:"distinctJurisdictions"`
	Self                  *partySpec      `yaml:"self"`
	Rebuilders            []rebuilderSpec `yaml:"rebuilders"`
}

type sbomSection struct {
	Required          *bool             `yaml:"required"`
	MinQuality        *float64          `yaml:"minQuality"`
	MaxProductGrade   string            `yaml:"maxProductGrade"`
	MaxComponentGrade string            `yaml:"maxComponentGrade"`
	ForbiddenLabels   []string          `yaml:"forbiddenLabels"`
	Jurisdictions     *jurisdictionSpec `yaml:"jurisdictions"`
	Profile           string            `yaml:"profile"`
}

type jurisdictionSpec struct {
	Allowed      []string `yaml:"allowed"`
	AllowUnknown bool     `yaml:"allowUnknown"`
}

type licenceSection struct {
	Allow        []string `yaml:"allow"`
	Deny         []string `yaml:"deny"`
	AllowUnknown bool     `yaml:"allowUnknown"`
}

type vulnerabilitySection struct {
	KnownExploited string         `yaml:"knownExploited"`
	Maximum        map[string]int `yaml:"maximum"`
	// UnknownSeverity, MaxDataAge and StaleData: see vulndata.go.
	UnknownSeverity string `yaml:"unknownSeverity"`
	MaxDataAge      string `yaml:"maxDataAge"`
	StaleData       string `yaml:"staleData"`
}

type certificationSection struct {
	List              string   `yaml:"list"`
	Certifiers        []string `yaml:"certifiers"`
	Policies          []string `yaml:"policies"`
	RequireArtifact   bool     `yaml:"requireArtifact"`
	RequireComponents bool     `yaml:"requireComponents"`
}

type dataFileSpec struct {
	Name   string `yaml:"name"`
	Kind   string `yaml:"kind"`
	Path   string `yaml:"path"`
	SHA256 string `yaml:"sha256,text"`
	// MaxAgeDays: a risk-data snapshot older than this is stale (0: no
	// limit).
	MaxAgeDays int `yaml:"maxAgeDays"`
	// Key: a risk-data snapshot must be signed by this PEM public key
	// (path relative to the policy; the bundle beside the snapshot).
	Key string `yaml:"key"`

	pos, sumPos Pos // where the entry and its sha256 are written
}

type waiverSpec struct {
	Rule      string `yaml:"rule"`
	Component string `yaml:"component"`
	Reason    string `yaml:"reason"`
	Owner     string `yaml:"owner"`
	Expires   string `yaml:"expires,date"`
}

type pointsSection struct {
	Maximum   int            `yaml:"maximum"`
	Pass      int            `yaml:"pass"`
	Grades    map[string]int `yaml:"grades"`
	Penalties []penaltySpec  `yaml:"penalties"`
}

type penaltySpec struct {
	ID          string   `yaml:"id"`
	Labels      []string `yaml:"labels"`
	Uncertified bool     `yaml:"uncertified"`
	Points      int      `yaml:"points"`
	Max         int      `yaml:"max"`
}

type ruleSpec struct {
	ID       string `yaml:"id"`
	Action   string `yaml:"action"`
	Expr     string `yaml:"expr"`
	Points   int    `yaml:"points"`
	Severity string `yaml:"severity"`
	Message  string `yaml:"message"`
}
