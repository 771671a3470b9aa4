package verify

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/attest/layout"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

// Options says what verify requires of every artifact. Requirements come
// from here only, never from the evidence.
type Options struct {
	// Bundle is the evidence file for the artifacts; empty means discover
	// it beside each artifact (see EvidenceSuffixes).
	Bundle string

	// TrustedRoot is a Sigstore trusted_root.json. Without it, the
	// public-good root is fetched through TUF unless Offline is set.
	TrustedRoot string
	Offline     bool
	CacheDir    string // for the TUF cache; default os.UserCacheDir()/sovcheck

	// Exactly one of Identity (keyless) and Key (a PEM public key file).
	Identity *attest.Identity
	Key      string

	// PredicateType, when set (a URI), must be the predicate type of a
	// verified attestation of each artifact.
	PredicateType string
	Provenance    attest.ProvenanceRequirements

	// Rebuild, when set, rebuilds each artifact from the recipe in its
	// verified provenance and requires the digests to match.
	Rebuild *RebuildOptions

	// Layout, when set, verifies an in-toto supply chain whose final
	// products must include each artifact. With a layout, a Sigstore
	// signer is optional: the layout's keys are the trust.
	Layout *layout.Options

	// OCI configures container image arguments (see oci.go).
	OCI OCIOptions

	// Policy, when set, evaluates a procurement policy on what was
	// verified about each artifact (see policy.go).
	Policy *PolicyOptions

	Concurrency int // default GOMAXPROCS
	Logger      *slog.Logger
}

// ConfigError is a problem with the run's configuration: no verdict can be
// given. It carries a reason code and a hint for the user.
type ConfigError struct{ Reason *reason.Error }

func (e *ConfigError) Error() string { return e.Reason.Error() }
func (e *ConfigError) Unwrap() error { return e.Reason }

func configErr(err error, code, hint string) error {
	return &ConfigError{reason.As(err, code, hint)}
}

// Runner verifies artifacts under one configuration. Build it once with
// New; Verify may be called concurrently.
type Runner struct {
	opts     Options
	verifier *attest.Verifier // nil when only an in-toto layout is checked
	logger   *slog.Logger
	layout   layoutOutcome
	rebuild  rebuilder
	oci      ociState
	policy   *policyRun // nil without a policy
}

// New validates opts and loads the trust configuration.
func New(opts Options) (*Runner, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.OCI.validate(opts); err != nil {
		return nil, err
	}
	pol, err := newPolicyRun(opts.Policy)
	if err != nil {
		return nil, err
	}
	if opts.Identity != nil && opts.Key != "" {
		return nil, &ConfigError{reason.New(reason.InputMalformed,
			"--key and --certificate-identity select different modes; give one of them", "both a key and a keyless identity given")}
	}
	if opts.Identity == nil && opts.Key == "" {
		if opts.Layout != nil {
			if opts.Bundle != "" || opts.PredicateType != "" || opts.Provenance.Any() {
				return nil, &ConfigError{reason.New(reason.EvidenceMissing,
					"bundles, --type and provenance flags need a signer: add --certificate-identity with --certificate-oidc-issuer, or --key FILE",
					"no signer to verify the bundle against")}
			}
			return &Runner{opts: opts, logger: logger, policy: pol}, nil
		}
		return nil, &ConfigError{reason.New(reason.EvidenceMissing,
			"give --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer for keyless signatures, or --key FILE for key-based ones",
			"no signer to verify against")}
	}
	tm, err := loadTrustedMaterial(opts, logger)
	if err != nil {
		return nil, err
	}
	vopts := []attest.Option{attest.WithTrustedMaterial(tm), attest.WithLogger(logger)}
	if opts.Identity != nil {
		vopts = append(vopts, attest.WithIdentity(*opts.Identity))
	} else {
		pub, err := readKey(opts.Key)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
		vopts = append(vopts, attest.WithKey(pub))
	}
	v, err := attest.NewVerifier(vopts...)
	if err != nil {
		return nil, configErr(err, reason.InputMalformed, "check the identity flags")
	}
	return &Runner{opts: opts, verifier: v, logger: logger, policy: pol}, nil
}

func readKey(path string) (crypto.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the --key path", "opening public key")
	}
	defer f.Close()
	return attest.ReadPublicKey(f)
}

func loadTrustedMaterial(opts Options, logger *slog.Logger) (root.TrustedMaterial, error) {
	if tm, ok := keyOnlyTrust(opts); ok {
		return tm, nil
	}
	if opts.TrustedRoot != "" {
		tr, err := attest.ReadTrustedRootFile(opts.TrustedRoot)
		if err != nil {
			return nil, configErr(err, reason.TrustRootInvalid, "")
		}
		return tr, nil
	}
	if opts.Offline {
		return nil, &ConfigError{reason.New(reason.TrustRootMissing,
			"--offline never touches the network: give --trusted-root FILE (Sigstore's trusted_root.json, copied from a connected machine)",
			"no trusted root given")}
	}
	cache := opts.CacheDir
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
	outcomes, err := r.run(ctx, artifacts)
	if err != nil {
		return nil, err
	}
	verdicts := make([]policy.Verdict, len(outcomes))
	for i, o := range outcomes {
		verdicts[i] = o.Verdict
	}
	return verdicts, nil
}

// run verifies the artifacts concurrently, each with verifyArtifact.
func (r *Runner) run(ctx context.Context, artifacts []string) ([]Outcome, error) {
	if len(artifacts) == 0 {
		return nil, &ConfigError{reason.New(reason.InputMalformed, "name at least one artifact: a file, a directory, or sha256:<hex>", "no artifact given")}
	}
	if r.opts.Bundle != "" && len(artifacts) > 1 {
		return nil, &ConfigError{reason.New(reason.InputMalformed,
			"--bundle names the evidence of one artifact; for several, put ARTIFACT.sigstore.json beside each artifact and omit --bundle",
			"--bundle given with %d artifacts", len(artifacts))}
	}
	if err := preflight(r.opts.Bundle, artifacts); err != nil {
		return nil, err
	}
	if err := preflightOffline(r.opts.Offline, artifacts); err != nil {
		return nil, err
	}
	if err := r.policy.preflight(artifacts); err != nil {
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

// verifyOne gathers every check for one artifact, and into g what the
// checks established; it never returns early without a failing check.
func (r *Runner) verifyOne(ctx context.Context, arg string, g *gathered) policy.Verdict {
	if isImageArg(arg) {
		return r.verifyImage(ctx, arg, g)
	}
	art, rerr := resolveArtifact(arg)
	subject := policy.Subject{Name: arg}
	if rerr != nil {
		return policy.Decide(subject, []policy.Check{failCheck("artifact", subject, rerr, arg)})
	}
	subject.Digest = map[string]string{"sha256": subjectOf(art)}
	g.art = art

	checks := r.wasmChecks(ctx, subject, art, g)
	if r.opts.Layout != nil {
		checks = append(checks, r.layoutCheck(ctx, subject, art))
	}
	if r.verifier == nil {
		return policy.Decide(subject, checks)
	}
	add := func(f attest.Finding, evidence string, required bool) {
		checks = append(checks, findingCheck(f, subject, evidence, required))
	}

	files := []string{r.opts.Bundle}
	if r.opts.Bundle == "" {
		files = discoverEvidence(art)
	}
	if len(files) == 0 {
		hint := "give --bundle FILE, or put the bundle beside the artifact as ARTIFACT.sigstore.json"
		if art.Path == "" {
			hint = "a digest has no neighbours to search: give --bundle FILE"
		}
		checks = append(checks, failCheck(attest.CheckSignature, subject,
			reason.New(reason.EvidenceMissing, hint, "no signature evidence found for %s", arg), ""))
		return policy.Decide(subject, checks)
	}

	var verified []verifiedBundle
	for _, file := range files {
		bundles, err := readBundleFile(file)
		if err != nil {
			checks = append(checks, failCheck("bundle", subject, reason.As(err, reason.BundleMalformed, ""), file))
			continue
		}
		for i := range bundles {
			evidence := file
			if bundles[i].Line > 0 {
				evidence = fmt.Sprintf("%s:%d", file, bundles[i].Line)
			}
			res, findings := r.verifier.Verify(&bundles[i], art)
			// In a JSON-lines file of several attestations, one about
			// other artifacts is not this artifact's evidence.
			if len(bundles) > 1 && len(findings) == 1 && findings[0].Check == attest.CheckSubject && reason.CodeOf(findings[0].Err, "") == reason.SubjectMismatch {
				checks = append(checks, policy.Check{ID: attest.CheckSubject, Subject: subject, Status: policy.StatusSkip,
					Reason: reason.SubjectMismatch, Message: "attestation is about other artifacts", Evidence: evidence})
				continue
			}
			for _, f := range findings {
				add(f, evidence, true)
			}
			if res != nil {
				verified = append(verified, verifiedBundle{res, evidence})
			}
		}
	}
	g.verified = verified
	checks = append(checks, r.attestationChecks(subject, verified)...)
	checks = append(checks, sbomLabelChecks(subject, verified)...)
	if r.opts.Rebuild != nil {
		var rc []policy.Check
		rc, g.rebuild = r.rebuildChecks(ctx, subject, art, verified)
		checks = append(checks, rc...)
	}
	return policy.Decide(subject, checks)
}

// attestationChecks applies --type and the provenance flags to the verified
// bundles of one artifact.
func (r *Runner) attestationChecks(subject policy.Subject, verified []verifiedBundle) []policy.Check {
	var checks []policy.Check
	candidates := verified
	if want := r.opts.PredicateType; want != "" {
		var matching []verifiedBundle
		var last attest.Finding
		for _, vb := range verified {
			if f := attest.CheckPredicate(vb.res.Statement, want); f.Err == nil {
				matching = append(matching, vb)
			} else {
				last = f
			}
		}
		if len(matching) == 0 {
			if last.Err == nil {
				last = attest.Finding{Check: attest.CheckPredicateType, Err: reason.New(reason.PredicateTypeMismatch,
					"no attestation verified, so none can have the requested type", "no verified attestation of type %s", want)}
			}
			return append(checks, findingCheck(last, subject, "", true))
		}
		checks = append(checks, findingCheck(attest.CheckPredicate(matching[0].res.Statement, want), subject, matching[0].evidence, true))
		candidates = matching
	}
	if !r.opts.Provenance.Any() {
		return checks
	}
	var provenances []verifiedBundle
	for _, vb := range candidates {
		if st := vb.res.Statement; st != nil && (st.PredicateType == attest.PredicateSLSAProvenanceV02 || st.PredicateType == attest.PredicateSLSAProvenanceV1) {
			provenances = append(provenances, vb)
		}
	}
	if len(provenances) == 0 {
		return append(checks, failCheck("provenance", subject, reason.New(reason.EvidenceMissing,
			"provenance flags need a verified SLSA provenance attestation of the artifact; give its bundle (often ARTIFACT.intoto.jsonl)",
			"no verified SLSA provenance"), ""))
	}
	for _, vb := range provenances {
		for _, f := range attest.CheckProvenance(vb.res.Statement, vb.res.Certificate, r.opts.Provenance) {
			checks = append(checks, findingCheck(f, subject, vb.evidence, true))
		}
	}
	return checks
}

// verifiedBundle is a bundle whose signature verified, with the evidence
// file (and line) it came from.
type verifiedBundle struct {
	res      *attest.SignatureResult
	evidence string
}

func readBundleFile(path string) ([]attest.ParsedBundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the bundle path", "opening bundle")
	}
	defer f.Close()
	return attest.ReadBundles(f)
}

func findingCheck(f attest.Finding, subject policy.Subject, evidence string, required bool) policy.Check {
	if f.Err != nil {
		c := failCheck(f.Check, subject, f.Err, evidence)
		c.Required = required
		return c
	}
	return policy.Check{ID: f.Check, Subject: subject, Status: policy.StatusPass, Required: required, Message: f.Message, Evidence: evidence}
}

func failCheck(id string, subject policy.Subject, e *reason.Error, evidence string) policy.Check {
	msg := e.Msg
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return policy.Check{ID: id, Subject: subject, Status: policy.StatusFail, Required: true, Reason: e.Code,
		Message: msg, Hint: e.Hint, Got: e.Got, Want: e.Want, Evidence: evidence}
}

// IsConfigError reports whether err means no verdict could be given.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// preflight makes unreadable input a run error (no verdict) before any
// work starts: a missing file is a mistake on the command line, not a
// property of the artifact.
func preflight(bundle string, artifacts []string) error {
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
	return nil
}
