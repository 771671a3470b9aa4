package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/verify"
)

// vsaPublisherKeyFlag is attest vsa's flag for the publisher's public key
// (verify's --key): there, --key is the certifier's private key.
const vsaPublisherKeyFlag = "publisher-key"

func attestCommand() *cli.Command {
	return &cli.Command{
		Name:               "attest",
		Usage:              "write sovcheck's own attestations: verification summaries (VSA) and build recipes",
		CustomHelpTemplate: cli.SubcommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck attest --help' for usage"}
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown attest command %q", c.Args().First()), Hint: "use one of: vsa, recipe"}
			}
			return &usageError{Err: errors.New("no attest command given"), Hint: "run 'sovcheck attest vsa --help' or 'sovcheck attest recipe --help'"}
		},
		Subcommands: []*cli.Command{attestVSACommand(), attestRecipeCommand()},
	}
}

func attestVSACommand() *cli.Command {
	return &cli.Command{
		Name:      "vsa",
		Usage:     "verify an artifact under a policy and write a signed SLSA Verification Summary Attestation",
		ArgsUsage: "ARTIFACT",
		Description: `Verifies the artifact as 'sovcheck verify --policy' does (the publisher's public key is
--publisher-key here; the keyless and provenance flags are verify's) and writes to stdout a
SLSA VSA v1 (https://slsa.dev/verification_summary/v1) signed with the certifier's --key as a
DSSE envelope: the artifact's sha256 as subject, the policy's uri and sha256, the verified
attestations as inputAttestations, PASSED or FAILED, and the SLSA build level verified.
--bundle-out also writes it as a Sigstore bundle v0.3 with the key's id as hint: made
offline, it has no transparency log entry and no timestamp, and is checked with the
certifier's public key alone.

Put the VSA beside the artifact as ARTIFACT.vsa.json: 'sovcheck verify' and 'sovcheck gate'
count it as certification when their policy lists the certifier's key under
certification.certifiers. A failed verification still writes its FAILED VSA, and exits 1.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck attest vsa --help' for usage"}
		},
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "the certifier's PEM private key `FILE` (ECDSA or Ed25519) that signs the VSA"},
			&cli.StringFlag{Name: "bundle-out", Usage: "also write the VSA as a Sigstore bundle v0.3 to `FILE`"},
			&cli.StringFlag{Name: "resource-uri", Usage: "the VSA's resourceUri, e.g. the artifact's purl or download `URI` (default: the artifact's name)"},
			&cli.StringFlag{Name: "verifier-id", Value: verify.VerifierID, Usage: "the VSA's verifier.id: a `URI` naming the certifier"},
		}, policyFlags()...), verifyFlags(vsaPublisherKeyFlag)...),
		Action: runAttestVSA,
	}
}

func runAttestVSA(c *cli.Context) error {
	if c.String("key") == "" {
		return &usageError{Err: errors.New("no --key given"), Hint: "give the certifier's private key: --key certifier.key"}
	}
	if c.NArg() != 1 {
		return &usageError{Err: fmt.Errorf("attest vsa takes one ARTIFACT, got %d arguments", c.NArg()),
			Hint: "run 'sovcheck attest vsa --key certifier.key --policy procurement.yaml ARTIFACT' once per artifact"}
	}
	if st, err := os.Stat(c.Args().First()); err == nil && st.IsDir() {
		return &usageError{Err: fmt.Errorf("%s is a directory", c.Args().First()), Hint: "a VSA certifies one artifact: name the file"}
	}
	key, err := readSigningKey(c.String("key"))
	if err != nil {
		return err
	}
	opts, err := verifyOptions(c, vsaPublisherKeyFlag)
	if err != nil {
		return err
	}
	po, err := policyOptions(c, true)
	if err != nil {
		return reportFileProblems(c.App.ErrWriter, err)
	}
	runner, err := verify.New(append(opts, verify.WithPolicy(*po))...)
	if err != nil {
		return err
	}
	outcomes, err := runner.VerifyOutcomes(c.Context, c.Args().Slice())
	if err != nil {
		return err
	}
	o := outcomes[0]
	statement, err := verify.NewVSA(o, verify.VSAOptions{VerifierID: c.String("verifier-id"), Version: version(),
		ResourceURI: c.String("resource-uri"), PolicyURI: c.String("policy"), Time: po.Now()})
	if err != nil {
		return err
	}
	envelope, bundle, err := verify.SignVSA(statement, key)
	if err != nil {
		return err
	}
	if path := c.String("bundle-out"); path != "" {
		if err := os.WriteFile(path, bundle, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if _, err := c.App.Writer.Write(envelope); err != nil {
		return fmt.Errorf("writing VSA: %w", err)
	}
	if !o.Verdict.Passed() {
		msg := fmt.Sprintf("%s failed verification under policy %s (%s); the VSA says FAILED", o.Verdict.Subject.Name, po.Policy.Name(), o.Verdict.Reason)
		return &verdictFailure{Msg: msg, Failed: 1, Total: 1,
			Hint: "run 'sovcheck verify ARTIFACT --policy FILE --explain' with the same evidence flags (--key for --publisher-key) to see each failed check and what to do"}
	}
	return nil
}

func attestRecipeCommand() *cli.Command {
	return &cli.Command{
		Name:      "recipe",
		Usage:     "run a local Go build and write sovcheck's replayable recipe for it",
		ArgsUsage: "-- go build [flags] [packages]",
		Description: `Runs the go build given after -- in the git checkout --source (at a commit with no
uncommitted changes to tracked files) and writes to stdout sovcheck's recipe: an in-toto
statement with SLSA provenance v1 whose buildType is https://sovcheck.dev/rebuild/go@v1,
naming the source URI and commit, the Go toolchain read from the binary, the command, its
working directory, the environment given with --env, and --output (the artifact, relative to
--source) as subject. With --key it is signed as a DSSE envelope, and --bundle-out FILE
also writes it as a Sigstore bundle v0.3 with the key's id as hint (no transparency log entry:
verify it with --key and --insecure-ignore-tlog), which 'sovcheck verify' finds beside the
artifact as ARTIFACT.sigstore.json.

The build runs as a replay will: GOTOOLCHAIN=local, GOENV=off, TZ=UTC, LC_ALL=C, and of the
caller's environment only PATH, HOME, TMPDIR, the Go caches and the module proxy settings; what
changes the bytes (GOFLAGS, CGO_ENABLED, GOOS, GOARCH, ...) must be given with --env, so that
it is recorded. Build output goes to stderr.

Anyone can then replay it: sovcheck rebuild --provenance recipe.json --source DIR ARTIFACT`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck attest recipe --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "source", Usage: "the git checkout `DIR` to build in"},
			&cli.StringFlag{Name: "output", Usage: "the built artifact's `PATH` relative to --source, as go build -o names it"},
			&cli.StringFlag{Name: "workdir", Usage: "where the command runs, `DIR` relative to --source (default: the checkout root)"},
			&cli.StringSliceFlag{Name: "env", Usage: "`KEY=VALUE` to build with and record (repeat; from the rebuild sandbox's allowlist, e.g. CGO_ENABLED=0)"},
			&cli.StringFlag{Name: "source-uri", Usage: "the repository `URI` to record (default: the checkout's origin remote)"},
			&cli.StringFlag{Name: "key", Usage: "PEM private key `FILE` (ECDSA or Ed25519) that signs the recipe"},
			&cli.StringFlag{Name: "bundle-out", Usage: "with --key: also write the signed recipe as a Sigstore bundle v0.3 to `FILE`"},
		},
		Action: runAttestRecipe,
	}
}

func runAttestRecipe(c *cli.Context) error {
	switch {
	case c.String("source") == "":
		return &usageError{Err: errors.New("no --source given"), Hint: "give the git checkout to build in: --source DIR"}
	case c.String("output") == "":
		return &usageError{Err: errors.New("no --output given"), Hint: "give the artifact the build writes, relative to --source, e.g. --output tool"}
	case !c.Args().Present():
		return &usageError{Err: errors.New("no build command given"), Hint: "give it after --: sovcheck attest recipe --source DIR --output tool -- go build -trimpath -o tool ."}
	}
	if c.String("bundle-out") != "" && c.String("key") == "" {
		return &usageError{Err: errors.New("--bundle-out without --key"), Hint: "give the PEM private key that signs the bundle: --key FILE"}
	}
	key, err := readSigningKey(c.String("key"))
	if err != nil {
		return err
	}
	statement, err := verify.BuildRecipe(c.Context, verify.RecipeBuild{Source: c.String("source"), SourceURI: c.String("source-uri"),
		WorkDir: c.String("workdir"), Output: c.String("output"), Command: c.Args().Slice(), Env: c.StringSlice("env"), Log: c.App.ErrWriter})
	if err != nil {
		return err
	}
	if path := c.String("bundle-out"); path != "" {
		bundle, err := verify.SignRecipeBundle(statement, key)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, bundle, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if key != nil {
		if statement, err = rebuild.SignStatement(c.Context, statement, key); err != nil {
			return err
		}
	}
	if _, err := c.App.Writer.Write(statement); err != nil {
		return fmt.Errorf("writing recipe: %w", err)
	}
	return nil
}
