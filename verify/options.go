package verify

import (
	"log/slog"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/rebuild"
)

// DefaultRebuildTimeout bounds each rebuild unless RebuildOptions.Timeout
// says otherwise.
const DefaultRebuildTimeout = rebuild.DefaultTimeout

// Option configures a Runner; New validates every option and then the
// combination.
type Option func(*config) error

// config is what verify requires of every artifact. Requirements come
// from here only, never from the evidence.
type config struct {
	// Bundle is the evidence file for the artifacts; empty means discover
	// it beside each artifact (see EvidenceSuffixes).
	Bundle string
	// TrustedRoot is a Sigstore trusted_root.json. Without it, the
	// public-good root is fetched through TUF unless Offline is set.
	TrustedRoot string
	Offline     bool
	CacheDir    string // for the TUF cache; default os.UserCacheDir()/sovcheck
	// Exactly one of Identity (keyless) and Key (a PEM public key file),
	// unless only an in-toto layout is verified.
	Identity *Identity
	Key      string
	// PredicateType, when set (a URI), must be the predicate type of a
	// verified attestation of each artifact.
	PredicateType string
	Provenance    Provenance
	// Rebuild, when set, rebuilds each artifact from the recipe in its
	// verified provenance and requires the digests to match.
	Rebuild *RebuildOptions
	// Layout, when set, verifies an in-toto supply chain whose final
	// products must include each artifact. With a layout, a Sigstore
	// signer is optional: the layout's keys are the trust.
	Layout *Layout
	// OCI configures container image arguments (image.go).
	OCI OCIOptions
	// Policy, when set, evaluates a procurement policy on what was
	// verified about each artifact (policyrun.go).
	Policy      *PolicyOptions
	Concurrency int // default GOMAXPROCS
	Logger      *slog.Logger
}

// Identity is the keyless signer an artifact's signatures must come from:
// the certificate's subject (SAN) and OIDC issuer, each exact or a regexp
// that must match the whole value.
type Identity struct {
	Subject, SubjectRegexp string
	Issuer, IssuerRegexp   string
}

// Provenance are the constraints on each artifact's verified SLSA
// provenance; empty fields are not checked.
type Provenance struct {
	SourceURI    string // e.g. github.com/acme/tool
	SourceTag    string // e.g. v1.2.0
	SourceBranch string // e.g. main
	BuilderID    string // with or without an @ref suffix
}

// Layout is an in-toto supply chain each artifact must be a final product
// of.
type Layout struct {
	Path             string   // the layout file
	KeyPaths         []string // PEM public keys of the layout owners; every one must have signed
	LinkDir          string   // the link metadata of the layout's steps
	AllowInspections bool     // inspections execute programs named in the layout
}

func configUsage(hint, format string, args ...any) error {
	return &ConfigError{reason.New(reason.InputMalformed, hint, format, args...)}
}

// WithBundle names the evidence file of the one artifact verified, instead
// of discovering it beside the artifact.
func WithBundle(path string) Option {
	return func(c *config) error { c.Bundle = path; return nil }
}

// WithTrustedRoot verifies against a Sigstore trusted_root.json file.
func WithTrustedRoot(path string) Option {
	return func(c *config) error { c.TrustedRoot = path; return nil }
}

// WithOffline never touches the network: it needs WithTrustedRoot.
func WithOffline() Option {
	return func(c *config) error { c.Offline = true; return nil }
}

// WithCacheDir sets the directory of the TUF cache.
func WithCacheDir(dir string) Option {
	return func(c *config) error { c.CacheDir = dir; return nil }
}

// WithIdentity requires keyless signatures by id.
func WithIdentity(id Identity) Option {
	return func(c *config) error {
		if (id.Subject == "") == (id.SubjectRegexp == "") || (id.Issuer == "") == (id.IssuerRegexp == "") {
			return configUsage("give the subject and the issuer, each exact or as a regexp", "incomplete keyless identity %+v", id)
		}
		c.Identity = &id
		return nil
	}
}

// WithKey requires key-based signatures by the PEM public key in path.
func WithKey(path string) Option {
	return func(c *config) error { c.Key = path; return nil }
}

// WithPredicateType requires a verified attestation of this predicate type
// URI for each artifact.
func WithPredicateType(uri string) Option {
	return func(c *config) error { c.PredicateType = uri; return nil }
}

// WithProvenance requires a verified SLSA provenance meeting p.
func WithProvenance(p Provenance) Option {
	return func(c *config) error { c.Provenance = p; return nil }
}

// WithRebuild rebuilds each artifact from its verified provenance.
func WithRebuild(o RebuildOptions) Option {
	return func(c *config) error { c.Rebuild = &o; return nil }
}

// WithLayout requires each artifact to be a final product of the in-toto
// supply chain l.
func WithLayout(l Layout) Option {
	return func(c *config) error {
		if l.Path == "" || len(l.KeyPaths) == 0 || l.LinkDir == "" {
			return configUsage("give the layout, its owners' keys and the link directory", "incomplete in-toto layout options")
		}
		c.Layout = &l
		return nil
	}
}

// WithImages configures container image arguments.
func WithImages(o OCIOptions) Option {
	return func(c *config) error { c.OCI = o; return nil }
}

// WithPolicy evaluates a procurement policy (LoadPolicy) on each artifact.
func WithPolicy(o PolicyOptions) Option {
	return func(c *config) error {
		if o.Policy == nil {
			return configUsage("load the policy with LoadPolicy", "policy options without a policy")
		}
		c.Policy = &o
		return nil
	}
}

// WithConcurrency verifies at most n artifacts at once; 0 means GOMAXPROCS.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return configUsage("give a concurrency of 1 or more, or 0 for the number of CPUs", "negative concurrency %d", n)
		}
		c.Concurrency = n
		return nil
	}
}

// WithLogger logs progress to l; default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.Logger = l; return nil }
}
