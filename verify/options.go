package verify

import (
	"log/slog"
	"time"

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

	// Several named trusted roots, the rule they must meet, the age of
	// trust snapshots and witnessed checkpoints (trust.go, witness.go).
	TrustedRoots  []TrustRoot
	TrustRule     *TrustRule
	MaxTrustAge   time.Duration
	Witnesses     string
	WitnessQuorum int
	TrustNow      func() time.Time
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

// TrustRoot is a trusted root named on the command line or in a policy: a
// Sigstore trusted_root.json or a trust snapshot, and the operator that
// answers for it (the root's name when none is given).
type TrustRoot struct {
	Name         string
	Path         string
	Operator     string
	Jurisdiction string // "" when not given; the policy's trust.roots give it
	content      []byte // the bytes a policy pinned; nil: read Path
}

// WithNamedTrustedRoot adds a named trusted root. Each bundle is verified
// against every named root on its own, never against their union, and the
// TrustRule decides which of them must validate it. The first named root
// is also the run's trusted root for everything that needs one root.
func WithNamedTrustedRoot(tr TrustRoot) Option {
	return func(c *config) error {
		if !validTrustName(tr.Name) || tr.Path == "" {
			return configUsage("name each root with letters, digits, '.', '_' or '-', as NAME=FILE", "invalid trusted root %q=%q", tr.Name, tr.Path)
		}
		for _, o := range c.TrustedRoots {
			if o.Name == tr.Name {
				return configUsage("give each trusted root its own name", "trusted root %q named twice", tr.Name)
			}
		}
		if tr.Operator == "" {
			tr.Operator = tr.Name
		}
		c.TrustedRoots = append(c.TrustedRoots, tr)
		c.TrustedRoot = c.TrustedRoots[0].Path
		return nil
	}
}

// WithTrustRule sets the rule the named trusted roots must meet
// (ParseTrustRule); default: any of them.
func WithTrustRule(rule TrustRule) Option {
	return func(c *config) error { c.TrustRule = &rule; return nil }
}

// WithMaxTrustAge requires the trust material to be a trust snapshot
// pulled at most d before verification, whose TUF metadata has not
// expired; a check of every verdict says whether it is.
func WithMaxTrustAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return configUsage("give a positive duration such as 168h", "maximum trust age %s is not positive", d)
		}
		c.MaxTrustAge = d
		return nil
	}
}

// WithWitnesses requires the checkpoint of every transparency-log entry to
// be cosigned by witnesses of at least quorum distinct operators from the
// witness list in path.
func WithWitnesses(path string, quorum int) Option {
	return func(c *config) error {
		if path == "" || quorum < 1 {
			return configUsage("give --witnesses FILE with --witness-quorum K of 1 or more", "witness list %q with quorum %d", path, quorum)
		}
		c.Witnesses, c.WitnessQuorum = path, quorum
		return nil
	}
}

// WithTrustClock sets the clock trust snapshots are judged by (default
// time.Now).
func WithTrustClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return configUsage("give a clock", "trust clock is nil")
		}
		c.TrustNow = now
		return nil
	}
}
