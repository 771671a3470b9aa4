package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/clicore"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/verify"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify the signatures and provenance of artifacts and print a verdict for each",
		ArgsUsage: "ARTIFACT...",
		Description: `An ARTIFACT is a file, a directory of release files, or sha256:<hex>.
Every entry of a directory is verified, or is evidence of an artifact beside it, or fails the
run with its reason: symbolic links (never followed), subdirectories (unless --recursive),
devices, FIFOs and sockets, and evidence files whose artifact is not there.
Without --bundle, each file's evidence is looked for beside it as ARTIFACT.sigstore.json,
ARTIFACT.sigstore, ARTIFACT.intoto.jsonl or ARTIFACT.bundle. Several artifacts are
verified concurrently, each with its own verdict.

Keyless:   --certificate-identity ID --certificate-oidc-issuer URL (or the -regexp forms,
           which must match the whole value)
Key-based: --key cosign.pub
Air-gapped: --trusted-root trust.json --offline, with trust.json written on a connected machine
           by 'sovcheck trust pull --out trust.json' (checked with 'sovcheck trust show')

Container images: registry.example/repo:tag or registry.example/repo@sha256:<hex> (a tag is
resolved once to a digest), docker://NAME for Docker Hub short names, oci-layout:DIR[:REF],
docker-archive:FILE[:REF] and oci-archive:FILE[:REF]. Signatures and attestations are found
where cosign puts them (sha256-<hex>.sig, .att, .sbom) and as OCI 1.1 referrers (Sigstore
bundles); registry credentials come from the docker config.

Procurement policy: --policy FILE ('sovcheck policy init' writes one; --policy default is the
embedded default) is evaluated on what was verified: the signers, attestation types and SLSA
provenance, the rebuild (--rebuild), the SBOM (ARTIFACT.cdx.json or ARTIFACT.spdx.json beside
the artifact, --sbom FILE, or a verified SBOM attestation) assessed with the data files the
policy pins, VSAs of certifiers the policy trusts (ARTIFACT.vsa.json, --vsa FILE), and the
rebuild attestations of the rebuilders it names (ARTIFACT.rebuild.json,
ARTIFACT.rebuild.intoto.jsonl, --rebuild-attestations DIR). Its
rules join each verdict as policy:<rule> checks; the JSON report carries the points and every
rule's evidence, and --explain prints why points were lost. Without --policy, only what the
flags ask is checked.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck verify --help' for usage"}
		},
		Flags: append(append(verifyFlags(verifyKeyFlag), policyFlags()...),
			&cli.BoolFlag{Name: "explain", Usage: "with --policy, text format: after the report, print why each artifact lost points or failed the policy"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: " + strings.Join(report.Formats, ", "), EnvVars: []string{"SOVCHECK_FORMAT"}},
			&cli.StringFlag{Name: "facts-out", Usage: "also write what was verified per artifact sha256 to `FILE`, for 'sovcheck sbom labels --facts'"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "verify the files in the subdirectories of a directory ARTIFACT too; without it a subdirectory fails the run (ENTRY_SUBDIRECTORY)"},
		),
		Action: runVerify,
	}
}

// verifyKeyFlag is verify's flag for the publisher's public key. attest vsa
// names it otherwise: its --key is the certifier's private key.
const verifyKeyFlag = "key"

// verifyFlags are the flags that say how artifacts are verified, shared by
// verify and attest vsa; keyFlag names the publisher's public key.
func verifyFlags(keyFlag string) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "bundle", Usage: "Sigstore bundle `FILE` (or JSON lines of bundles) for a single ARTIFACT"},
		&cli.StringFlag{Name: "certificate-identity", Usage: "keyless: the signer's exact certificate `IDENTITY` (SAN)"},
		&cli.StringFlag{Name: "certificate-identity-regexp", Usage: "keyless: a `REGEXP` the whole certificate identity must match"},
		&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "keyless: the exact OIDC issuer `URL` of the certificate"},
		&cli.StringFlag{Name: "certificate-oidc-issuer-regexp", Usage: "keyless: a `REGEXP` the whole OIDC issuer must match"},
		&cli.StringFlag{Name: keyFlag, Usage: "key-based: PEM public key `FILE` (ECDSA, Ed25519 or RSA)"},
		&cli.BoolFlag{Name: "offline", Usage: "never use the network (needs --trusted-root)", EnvVars: []string{"SOVCHECK_OFFLINE"}},
		&cli.StringFlag{Name: "type", Usage: "required predicate `TYPE` of an attestation: " + strings.Join(vocab.PredicateAliases(), ", ") + ", or a URI"},
		&cli.StringFlag{Name: "source-uri", Usage: "provenance: the source repository `URI`, e.g. github.com/acme/tool"},
		&cli.StringFlag{Name: "source-tag", Usage: "provenance: the git `TAG` the artifact was built from"},
		&cli.StringFlag{Name: "source-branch", Usage: "provenance: the git `BRANCH` the artifact was built from"},
		&cli.StringFlag{Name: "builder-id", Usage: "provenance: the trusted builder `ID` (with or without @ref)"},
		&cli.StringFlag{Name: "layout", Usage: "in-toto layout `FILE`; each artifact must be a final product of the verified supply chain"},
		&cli.StringSliceFlag{Name: "layout-key", Usage: "PEM public key `FILE` of a layout owner (repeat for several; each must have signed)"},
		&cli.StringFlag{Name: "links", Usage: "`DIR` holding the in-toto link metadata of the layout's steps"},
		&cli.BoolFlag{Name: "allow-inspections", Usage: "run the inspections of the layout: they execute programs named in the layout"},
		&cli.BoolFlag{Name: "rebuild", Usage: "rebuild each artifact from the recipe in its verified provenance, in a sandbox without network, and require the same bytes"},
		&cli.StringFlag{Name: "source", Usage: "with --rebuild: git checkout `DIR` or git URL holding the recipe's commit (default: the recipe's source URI)"},
		&cli.StringFlag{Name: "cache-dir", Usage: "with --rebuild: `DIR` for toolchains, modules, build caches and checkouts", EnvVars: []string{"SOVCHECK_CACHE_DIR"}},
		&cli.DurationFlag{Name: "rebuild-timeout", Value: verify.DefaultRebuildTimeout, Usage: "with --rebuild: give up each rebuild after `DURATION` (a failed check, REBUILD_TIMEOUT); 0 waits forever"},
		&cli.IntFlag{Name: "concurrency", Aliases: []string{"j"}, Usage: "`N` artifacts verified at once", DefaultText: "number of CPUs"},
	}, append(trustFlags(), ociFlags()...)...)
}

// policyFlags are the flags of a procurement policy run.
func policyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "policy", Usage: "procurement policy `FILE` to evaluate on each artifact ('" + verify.DefaultPolicy + "': the embedded default policy)", EnvVars: []string{"SOVCHECK_POLICY"}},
		&cli.StringFlag{Name: "sbom", Usage: "with --policy: the SBOM `FILE` of the one artifact (default: ARTIFACT.cdx.json or ARTIFACT.spdx.json beside it, or a verified SBOM attestation)"},
		&cli.StringSliceFlag{Name: "vsa", Usage: "with --policy: a VSA `FILE` (DSSE envelope or Sigstore bundle) of the artifact or of a dependency (repeat for several; ARTIFACT.vsa.json is found beside it)"},
		&cli.StringSliceFlag{Name: "certifier-key", Usage: "with --policy: PEM public key `FILE` of a certifier the policy names by key id (repeat for several)"},
		&cli.StringFlag{Name: "rebuild-attestations", Usage: "with --policy: a `DIR` of rebuild attestations by the rebuilders the policy names (*.json, *.jsonl; ARTIFACT.rebuild.json and ARTIFACT.rebuild.intoto.jsonl are found beside it)"},
		&cli.StringSliceFlag{Name: "rebuilder-key", Usage: "with --policy: PEM public key `FILE` of a rebuilder the policy names by key id (repeat for several)"},
	}
}

func runVerify(c *cli.Context) error {
	format := c.String("format")
	if !report.ValidFormat(format) {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: " + strings.Join(report.Formats, ", ")}
	}
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no artifact given"), Hint: "run 'sovcheck verify ARTIFACT [flags]'; an artifact is a file, a directory or sha256:<hex>"}
	}
	if c.Bool("explain") && c.String("policy") == "" {
		return &usageError{Err: errors.New("--explain needs --policy"), Hint: "add --policy FILE (or --policy " + verify.DefaultPolicy + ")"}
	}
	opts, err := verifyOptions(c, verifyKeyFlag)
	if err != nil {
		return err
	}
	po, err := policyOptions(c, false)
	if err != nil {
		return reportFileProblems(c.App.ErrWriter, err)
	}
	if po != nil {
		opts = append(opts, verify.WithPolicy(*po))
	}
	expansion, err := verify.Expand(c.Args().Slice(), c.Bool("recursive"))
	if err != nil {
		return &usageError{Err: err, Hint: "name files, directories holding artifacts, or sha256:<hex> digests"}
	}
	runner, err := verify.New(opts...)
	if err != nil {
		return err
	}
	verdicts, err := runner.VerifyExpansion(c.Context, expansion)
	if err != nil {
		return err
	}
	if err := report.Render(c.App.Writer, format, verdicts, report.Style{Color: format == "text" && useColor(c.App.Writer)}); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if c.Bool("explain") && format == "text" {
		for _, v := range verdicts {
			if v.Policy != nil {
				if _, err := io.WriteString(c.App.Writer, "\n"+report.ExplainText(v.Policy)); err != nil {
					return fmt.Errorf("writing report: %w", err)
				}
			}
		}
	}
	if path := c.String("facts-out"); path != "" {
		if err := writeFile(path, func(w io.Writer) error { return verify.WriteFacts(w, verdicts) }); err != nil {
			return err
		}
	}
	failed := 0
	for _, v := range verdicts {
		if !v.Passed() {
			failed++
		}
	}
	if failed > 0 || len(verdicts) == 0 {
		return &verdictFailure{Failed: failed, Total: len(verdicts)}
	}
	return nil
}

// policyOptions reads the policy flags; nil without --policy. The policy
// and its data files are loaded now, so that their problems are reported
// with line and column before any work starts. Gate requires a policy.
func policyOptions(c *cli.Context, required bool) (*verify.PolicyOptions, error) {
	path := c.String("policy")
	if path == "" {
		if required {
			return nil, &usageError{Err: errors.New("no --policy given"), Hint: "give --policy FILE; 'sovcheck policy init > procurement.yaml' writes a starting point"}
		}
		for _, f := range []string{"sbom", "vsa", "certifier-key", "rebuild-attestations", "rebuilder-key"} {
			if c.IsSet(f) {
				return nil, &usageError{Err: fmt.Errorf("--%s needs --policy", f), Hint: "add --policy FILE (or --policy " + verify.DefaultPolicy + ")"}
			}
		}
		return nil, nil
	}
	now := time.Now()
	p, data, err := verify.LoadPolicy(path, now, newLogger(c))
	if err != nil {
		return nil, err
	}
	return &verify.PolicyOptions{Policy: p, Data: data, SBOM: c.String("sbom"), VSAs: c.StringSlice("vsa"),
		CertifierKeys: c.StringSlice("certifier-key"), RebuilderKeys: c.StringSlice("rebuilder-key"),
		RebuildAttestations: c.String("rebuild-attestations"), Now: func() time.Time { return now }}, nil
}

// verifyOptions reads the flags of verifyFlags.
func verifyOptions(c *cli.Context, keyFlag string) ([]verify.Option, error) {
	opts := []verify.Option{
		verify.WithLogger(newLogger(c)),
		verify.WithConcurrency(max(c.Int("concurrency"), 0)),
		verify.WithProvenance(verify.Provenance{
			SourceURI:    c.String("source-uri"),
			SourceTag:    c.String("source-tag"),
			SourceBranch: c.String("source-branch"),
			BuilderID:    c.String("builder-id"),
		}),
	}
	for _, f := range []struct {
		flag string
		opt  func(string) verify.Option
	}{{"bundle", verify.WithBundle}, {keyFlag, verify.WithKey}} {
		if v := c.String(f.flag); v != "" {
			opts = append(opts, f.opt(v))
		}
	}
	if c.Bool("offline") {
		opts = append(opts, verify.WithOffline())
	}
	trust, err := trustOptions(c)
	if err != nil {
		return nil, err
	}
	opts = append(opts, trust...)
	layout, err := layoutFlags(c)
	if err != nil {
		return nil, err
	}
	if layout != nil {
		opts = append(opts, verify.WithLayout(*layout))
	}
	if c.Bool("rebuild") {
		if c.Duration("rebuild-timeout") < 0 {
			return nil, &usageError{Err: errors.New("--rebuild-timeout is negative"), Hint: "give a duration such as 30m, or 0 to wait forever"}
		}
		timeout := c.Duration("rebuild-timeout")
		if timeout == 0 {
			timeout = -1 // no bound
		}
		opts = append(opts, verify.WithRebuild(verify.RebuildOptions{Source: c.String("source"), CacheDir: c.String("cache-dir"), Timeout: timeout}))
	} else if c.String("source") != "" || clicore.FlagGiven(c, "cache-dir") || c.IsSet("rebuild-timeout") {
		return nil, &usageError{Err: errors.New("--source, --cache-dir and --rebuild-timeout need --rebuild"), Hint: "add --rebuild to rebuild the artifacts from their provenance"}
	}
	id, err := identityFlags(c, keyFlag)
	if err != nil {
		return nil, err
	}
	if id != nil {
		opts = append(opts, verify.WithIdentity(*id))
	}
	opts = append(opts, verify.WithImages(ociOptions(c)))
	if t := c.String("type"); t != "" {
		uri, err := vocab.ResolvePredicateType(t)
		if err != nil {
			return nil, &usageError{Err: err, Hint: "use a known --type name or the predicate type URI"}
		}
		opts = append(opts, verify.WithPredicateType(uri))
	}
	return opts, nil
}

// identityFlags returns the keyless identity, or nil when no keyless flag
// is set. Half an identity is a usage error: both the subject and the
// issuer must be pinned.
func identityFlags(c *cli.Context, keyFlag string) (*verify.Identity, error) {
	id := verify.Identity{
		Subject:       c.String("certificate-identity"),
		SubjectRegexp: c.String("certificate-identity-regexp"),
		Issuer:        c.String("certificate-oidc-issuer"),
		IssuerRegexp:  c.String("certificate-oidc-issuer-regexp"),
	}
	if id == (verify.Identity{}) {
		return nil, nil
	}
	switch {
	case id.Subject != "" && id.SubjectRegexp != "":
		return nil, &usageError{Err: errors.New("--certificate-identity and --certificate-identity-regexp given together"), Hint: "give one of them"}
	case id.Issuer != "" && id.IssuerRegexp != "":
		return nil, &usageError{Err: errors.New("--certificate-oidc-issuer and --certificate-oidc-issuer-regexp given together"), Hint: "give one of them"}
	case id.Subject == "" && id.SubjectRegexp == "":
		return nil, &usageError{Err: errors.New("keyless verification needs the signer's identity"), Hint: "add --certificate-identity (or --certificate-identity-regexp)"}
	case id.Issuer == "" && id.IssuerRegexp == "":
		return nil, &usageError{Err: errors.New("keyless verification needs the certificate's OIDC issuer"), Hint: "add --certificate-oidc-issuer, e.g. https://token.actions.githubusercontent.com"}
	}
	if c.String(keyFlag) != "" {
		return nil, &usageError{Err: fmt.Errorf("--%s and keyless identity flags given together", keyFlag),
			Hint: fmt.Sprintf("give either --%s FILE or --certificate-identity with --certificate-oidc-issuer", keyFlag)}
	}
	return &id, nil
}

// layoutFlags returns the in-toto layout, or nil without --layout.
func layoutFlags(c *cli.Context) (*verify.Layout, error) {
	path := c.String("layout")
	if path == "" {
		if len(c.StringSlice("layout-key")) > 0 || c.String("links") != "" || c.Bool("allow-inspections") {
			return nil, &usageError{Err: errors.New("--layout-key, --links and --allow-inspections need --layout"), Hint: "add --layout FILE"}
		}
		return nil, nil
	}
	keys := c.StringSlice("layout-key")
	if len(keys) == 0 {
		return nil, &usageError{Err: errors.New("--layout needs the layout owner's public key"), Hint: "add --layout-key FILE (repeat it for several owners)"}
	}
	links := c.String("links")
	if links == "" {
		return nil, &usageError{Err: errors.New("--layout needs the directory of link metadata"), Hint: "add --links DIR"}
	}
	return &verify.Layout{Path: path, KeyPaths: keys, LinkDir: links, AllowInspections: c.Bool("allow-inspections")}, nil
}

// ociFlags are the flags of container image arguments.
func ociFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "platform", Usage: "images: verify only this platform of a multi-platform index, `OS/ARCH[/VARIANT]` (default: every platform)"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "images: reach registry `HOST[:PORT]` over plain HTTP (repeat for several); a warning is printed"},
		&cli.BoolFlag{Name: "insecure-ignore-tlog", Usage: "with --key: accept key-based signatures without a transparency log entry (cosign sign --tlog-upload=false), of files and images; each such signature is listed with SKIP tlog [TLOG_MISSING]"},
		&cli.DurationFlag{Name: "registry-timeout", Value: 2 * time.Minute, Usage: "images: time limit (`DURATION`) for the registry work on one image"},
	}
}

// ociOptions reads the image flags and warns on stderr about each
// relaxation, whatever the output format.
func ociOptions(c *cli.Context) verify.OCIOptions {
	o := verify.OCIOptions{
		Platform:           c.String("platform"),
		InsecureRegistries: c.StringSlice("insecure-registry"),
		InsecureIgnoreTlog: c.Bool("insecure-ignore-tlog"),
		Timeout:            c.Duration("registry-timeout"),
	}
	for _, h := range o.InsecureRegistries {
		fmt.Fprintf(c.App.ErrWriter, "sovcheck: warning: --insecure-registry: %s is reached over plain HTTP; credentials and content travel unprotected (signatures are still verified)\n", h)
	}
	if o.InsecureIgnoreTlog {
		fmt.Fprintf(c.App.ErrWriter, "sovcheck: warning: --insecure-ignore-tlog: key-based signatures without a transparency log entry are accepted; nothing public records when they were made\n")
	}
	return o
}

// writeFile writes a file through write, and reports a failure to write
// or to close it.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
