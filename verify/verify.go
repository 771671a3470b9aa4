package verify

import (
	"context"
	"crypto"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

// ConfigError is a problem with the run's configuration: no verdict can be
// given. It carries a reason code and a hint for the user.
type ConfigError struct{ Reason *reason.Error }

func (e *ConfigError) Error() string { return e.Reason.Error() }
func (e *ConfigError) Unwrap() error { return e.Reason }

func configErr(err error, code, hint string) error {
	return &ConfigError{reason.As(err, code, hint)}
}

// IsConfigError reports whether err means no verdict could be given.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// Runner verifies artifacts under one configuration. Build it once with
// New; Verify may be called concurrently. Everything the configuration
// names is read by New; what only some artifacts need (the layout, the
// rebuilder, the registry client) is built on first use.
type Runner struct {
	opts     config
	logger   *slog.Logger
	verifier *attest.Verifier        // nil when only an in-toto layout is checked
	keyOnly  *attest.KeyOnlyVerifier // set with OCI.InsecureIgnoreTlog
	layout   layoutOutcome
	rebuild  rebuilder
	images   imageClient
	policy   *policyRun // nil without a policy
	trust    *trustRun  // the roots, rule, trust age and witnesses (trust.go); nil without a verifier
}

// New validates the options and loads the trust configuration: the
// trusted root, the key, the policy's certifier keys.
func New(opts ...Option) (*Runner, error) {
	var cfg config
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := applyPolicyTrust(&cfg); err != nil {
		return nil, err
	}
	r := &Runner{opts: cfg, logger: cfg.Logger}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.OCI.validate(cfg); err != nil {
		return nil, err
	}
	var err error
	if r.policy, err = newPolicyRun(cfg.Policy); err != nil {
		return nil, err
	}
	if cfg.Identity != nil && cfg.Key != "" {
		return nil, &ConfigError{reason.New(reason.InputMalformed,
			"--key and --certificate-identity select different modes; give one of them", "both a key and a keyless identity given")}
	}
	if cfg.Identity == nil && cfg.Key == "" {
		if cfg.Layout != nil {
			if cfg.Bundle != "" || cfg.PredicateType != "" || cfg.Provenance != (Provenance{}) {
				return nil, &ConfigError{reason.New(reason.EvidenceMissing,
					"bundles, --type and provenance flags need a signer: add --certificate-identity with --certificate-oidc-issuer, or --key FILE",
					"no signer to verify the bundle against")}
			}
			return r, nil
		}
		return nil, &ConfigError{reason.New(reason.EvidenceMissing,
			"give --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer for keyless signatures, or --key FILE for key-based ones",
			"no signer to verify against")}
	}
	if r.verifier, r.keyOnly, err = newVerifier(cfg, r.logger); err != nil {
		return nil, err
	}
	if r.trust, err = newTrustRun(r, cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// newVerifier builds the Sigstore verifier of the run's signer and, when
// signatures without a log are accepted, the key-only verifier.
func newVerifier(cfg config, logger *slog.Logger) (*attest.Verifier, *attest.KeyOnlyVerifier, error) {
	tm, err := loadTrustedMaterial(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	vopts := []attest.Option{attest.WithTrustedMaterial(tm), attest.WithLogger(logger)}
	var keyOnly *attest.KeyOnlyVerifier
	if id := cfg.Identity; id != nil {
		vopts = append(vopts, attest.WithIdentity(attest.Identity{Subject: id.Subject, SubjectRegexp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp}))
	} else {
		pub, err := readKey(cfg.Key)
		if err != nil {
			return nil, nil, configErr(err, reason.KeyInvalid, "")
		}
		vopts = append(vopts, attest.WithKey(pub))
		if cfg.OCI.InsecureIgnoreTlog {
			if keyOnly, err = attest.NewKeyOnlyVerifier(pub); err != nil {
				return nil, nil, configErr(err, reason.KeyInvalid, "")
			}
		}
	}
	v, err := attest.NewVerifier(vopts...)
	if err != nil {
		return nil, nil, configErr(err, reason.InputMalformed, "check the identity flags")
	}
	return v, keyOnly, nil
}

func readKey(path string) (crypto.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the --key path", "opening public key")
	}
	defer f.Close()
	return attest.ReadPublicKey(f)
}

func loadTrustedMaterial(cfg config, logger *slog.Logger) (root.TrustedMaterial, error) {
	if cfg.OCI.InsecureIgnoreTlog && cfg.Key != "" && cfg.TrustedRoot == "" {
		// Key-based signatures without a log and no trusted root: nothing
		// but the key is trusted, and no trust root is fetched.
		return root.TrustedMaterialCollection{}, nil
	}
	if cfg.TrustedRoot != "" {
		tr, _, err := readTrustedRoot(cfg)
		if err != nil {
			return nil, configErr(err, reason.TrustRootInvalid, "")
		}
		return tr, nil
	}
	if cfg.Offline {
		return nil, &ConfigError{reason.New(reason.TrustRootMissing,
			"--offline never touches the network: give --trusted-root FILE (Sigstore's trusted_root.json, copied from a connected machine)",
			"no trusted root given")}
	}
	cache := cfg.CacheDir
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, configErr(err, reason.TrustRootMissing, "set $XDG_CACHE_HOME or give --trusted-root FILE")
		}
		cache = filepath.Join(dir, "sovcheck")
	}
	logger.Info("fetching the public-good trusted root through TUF", "cache", cache)
	tr, err := attest.FetchTrustedRoot(cache)
	if err != nil {
		return nil, configErr(err, reason.TrustRootMissing, "")
	}
	return tr, nil
}

// Verify verifies each artifact and returns one verdict per artifact, in
// the order given. ctx cancels work not yet started.
func (r *Runner) Verify(ctx context.Context, artifacts []string) ([]policy.Verdict, error) {
	outcomes, err := r.VerifyOutcomes(ctx, artifacts)
	if err != nil {
		return nil, err
	}
	verdicts := make([]policy.Verdict, len(outcomes))
	for i, o := range outcomes {
		verdicts[i] = o.Verdict
	}
	return verdicts, nil
}

// VerifyOutcomes verifies each artifact as Verify does and returns, per
// artifact, the verdict with what it was decided on. The artifacts are
// verified concurrently, each by verifyArtifact.
func (r *Runner) VerifyOutcomes(ctx context.Context, artifacts []string) ([]Outcome, error) {
	if err := r.preflight(artifacts); err != nil {
		return nil, err
	}
	workers := r.opts.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	r.logger.Info("verifying", "artifacts", len(artifacts), "workers", min(workers, len(artifacts)))
	outcomes := make([]Outcome, len(artifacts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(artifacts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				outcomes[i] = r.verifyArtifact(ctx, artifacts[i])
				r.logger.Info("verified", "artifact", artifacts[i], "status", outcomes[i].Verdict.Status, "reason", outcomes[i].Verdict.Reason)
			}
		}()
	}
	var err error
feed:
	for i := range artifacts {
		// Before each job: select picks at random between a free worker
		// and a context already done.
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

// preflight makes unreadable input a run error (no verdict) before any
// work starts: a missing file is a mistake on the command line, not a
// property of the artifact.
func (r *Runner) preflight(artifacts []string) error {
	if len(artifacts) == 0 {
		return &ConfigError{reason.New(reason.InputMalformed, "name at least one artifact: a file, a directory, or sha256:<hex>", "no artifact given")}
	}
	bundle := r.opts.Bundle
	if bundle != "" && len(artifacts) > 1 {
		return &ConfigError{reason.New(reason.InputMalformed,
			"--bundle names the evidence of one artifact; for several, put ARTIFACT.sigstore.json beside each artifact and omit --bundle",
			"--bundle given with %d artifacts", len(artifacts))}
	}
	if bundle != "" {
		f, err := os.Open(bundle)
		if err != nil {
			return &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the --bundle path", "opening bundle")}
		}
		f.Close()
	}
	for _, a := range artifacts {
		if isDigestArg(a) {
			continue
		}
		if isImageArg(a) {
			if err := preflightImage(a); err != nil {
				return err
			}
			continue
		}
		f, err := os.Open(a)
		if err != nil {
			return &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the artifact path, or give its digest as sha256:<hex>", "opening artifact")}
		}
		f.Close()
	}
	if err := preflightOffline(r.opts.Offline, artifacts); err != nil {
		return err
	}
	return r.policy.preflight(artifacts)
}
