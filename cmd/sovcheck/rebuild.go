package main

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/report"
)

func rebuildCommand() *cli.Command {
	return &cli.Command{
		Name:      "rebuild",
		Usage:     "rebuild artifacts from their provenance in a sandbox and compare the bytes",
		ArgsUsage: "ARTIFACT...",
		Description: `Reads the build recipe from each artifact's provenance (an in-toto statement,
a DSSE envelope or a Sigstore bundle; signatures are checked by 'sovcheck verify'),
rebuilds the artifact from the exact source commit with the recorded Go toolchain in
a sandbox without network (Linux user, mount, net, pid, ipc and uts namespaces),
and compares the sha256 with the attested one: MATCH, MISMATCH with the cause
(GO_VERSION_MISMATCH, VCS_STAMP_MISMATCH, LDFLAGS_MISMATCH, BUILD_SETTING_MISMATCH,
MODULE_MISMATCH, ...), or SKIP with why it could not try (TOOLCHAIN_UNAVAILABLE, ...).

Recipes: the SLSA GitHub generator's Go builder (SLSA v0.2) and sovcheck's own
recipe (https://sovcheck.dev/rebuild/go@v1, written by 'sovcheck attest recipe').
Without --provenance, each artifact's provenance is looked for beside it as
ARTIFACT.intoto.jsonl, ARTIFACT.sigstore.json, ARTIFACT.sigstore or ARTIFACT.bundle.

An ARTIFACT is a file, or sha256:<hex> for a published artifact known by its
digest (with --provenance; a mismatch is then not explained).

Go module zips: --module PATH@VERSION recreates the module zip from the git
checkout at the version's tag and compares its h1: hash with --go-sum or --h1.

Fetching (source URL, toolchain from the Go module proxy, modules) honours GOPROXY
and GOSUMDB; toolchains, modules, build caches and checkouts are kept under
--cache-dir, so a second rebuild of the same commit neither clones a local source
nor downloads modules again (a URL source's refs are listed every time).`,
		CustomHelpTemplate: cli.CommandHelpTemplate + `
EXIT STATUS:
   0   every artifact was rebuilt bit for bit (MATCH)
   1   a rebuild did not match (MISMATCH) or could not be tried (SKIP)
   2   no verdict: usage error, unreadable artifact or provenance
`,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck rebuild --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "provenance", Usage: "provenance `FILE` holding the build recipe (statement, DSSE envelope, Sigstore bundle or .intoto.jsonl)"},
			&cli.StringFlag{Name: "source", Usage: "git checkout `DIR` or git URL holding the recipe's commit (default: the recipe's source URI)"},
			&cli.BoolFlag{Name: "offline", Usage: "fetch nothing: use only cached toolchains and modules and a local --source"},
			&cli.StringFlag{Name: "cache-dir", Usage: "`DIR` for toolchains, modules, build caches and checkouts (default: sovcheck/rebuild in the user cache dir)", EnvVars: []string{"SOVCHECK_CACHE_DIR"}},
			&cli.BoolFlag{Name: "allow-unsandboxed", Usage: "when namespaces are unavailable, rebuild without the sandbox: the build runs on this machine, with its network; results say NOT HERMETIC"},
			&cli.DurationFlag{Name: "timeout", Value: rebuild.DefaultTimeout, Usage: "give up each rebuild (fetch and build) after `DURATION`: SKIP REBUILD_TIMEOUT; 0 waits forever"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 1, Usage: "`N` rebuilds run at once"},
			&cli.StringFlag{Name: "attest", Usage: "write a signed rebuild attestation per artifact to `FILE` (DSSE envelopes, one per line)"},
			&cli.StringFlag{Name: "key", Usage: "PEM private key `FILE` (ECDSA or Ed25519) that signs --attest"},
			&cli.StringFlag{Name: "module", Usage: "Go module zip check: `PATH@VERSION` to recreate from --source"},
			&cli.StringFlag{Name: "module-dir", Usage: "module zip check: the module's `DIR` inside the repository (tags are DIR/vX.Y.Z)"},
			&cli.StringFlag{Name: "go-sum", Usage: "module zip check: go.sum `FILE` holding the module's h1: hash"},
			&cli.StringFlag{Name: "h1", Usage: "module zip check: the expected `HASH` (h1:...), e.g. from the checksum database"},
			&cli.StringFlag{Name: "published", Usage: "module zip check: the published module zip `FILE`, to list differing entries"},
		},
		Action: runRebuild,
	}
}

func runRebuild(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use text or json"}
	}
	if c.Int("jobs") < 1 {
		return &usageError{Err: fmt.Errorf("--jobs %d: want at least 1", c.Int("jobs")), Hint: "give -j 1 or more"}
	}
	if (c.String("attest") == "") != (c.String("key") == "") {
		return &usageError{Err: errors.New("--attest and --key go together"), Hint: "give --attest FILE --key KEY to write a signed rebuild attestation"}
	}
	rb, err := newRebuilder(c)
	if err != nil {
		return err
	}
	if c.String("module") != "" {
		return runModuleCheck(c, rb, format)
	}
	for _, f := range []string{"module-dir", "go-sum", "h1", "published"} {
		if c.String(f) != "" {
			return &usageError{Err: fmt.Errorf("--%s needs --module", f), Hint: "add --module PATH@VERSION"}
		}
	}
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no artifact given"), Hint: "run 'sovcheck rebuild --provenance FILE --source DIR ARTIFACT'"}
	}
	key, err := readSigningKey(c.String("key"))
	if err != nil {
		return err
	}
	batch := rb.RebuildArtifacts(c.Context, c.Args().Slice(), c.String("provenance"), c.String("source"), c.Int("jobs"))
	done := batch.Results
	if format == "json" {
		err = report.RebuildJSON(c.App.Writer, done)
	} else {
		err = report.RebuildText(c.App.Writer, done)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if key != nil {
		envelopes, err := batch.Attest(c.Context, key, version())
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.String("attest"), envelopes, 0o644); err != nil {
			return fmt.Errorf("writing attestation: %w", err)
		}
	}
	if batch.Err != nil {
		return batch.Err
	}
	failed := 0
	for _, r := range done {
		if r.Status != rebuild.StatusMatch {
			failed++
		}
	}
	if failed > 0 {
		return &verdictFailure{Failed: failed, Total: len(done)}
	}
	return nil
}

func newRebuilder(c *cli.Context) (*rebuild.Rebuilder, error) {
	opts := []rebuild.Option{rebuild.WithLogger(newLogger(c))}
	if dir := c.String("cache-dir"); dir != "" {
		opts = append(opts, rebuild.WithCacheDir(dir))
	}
	if c.Bool("offline") {
		opts = append(opts, rebuild.WithOffline())
	}
	if p := os.Getenv("GOPROXY"); p != "" {
		opts = append(opts, rebuild.WithGoProxy(p))
	}
	if db := os.Getenv("GOSUMDB"); db != "" {
		opts = append(opts, rebuild.WithChecksumDB(db))
	}
	if c.Bool("allow-unsandboxed") {
		opts = append(opts, rebuild.WithUnsandboxedFallbackUnsafe())
	}
	opts = append(opts, rebuild.WithTimeout(c.Duration("timeout")))
	if c.Bool("verbose") || isTerminal(c.App.ErrWriter) {
		opts = append(opts, rebuild.WithProgress(progressPrinter(c.App.ErrWriter)))
	}
	rb, err := rebuild.New(opts...)
	if err != nil {
		return nil, &usageError{Err: err, Hint: "check --cache-dir, --timeout, GOPROXY and GOSUMDB"}
	}
	return rb, nil
}

// progressPrinter reports the long phases of each rebuild on stderr.
func progressPrinter(w io.Writer) func(rebuild.Progress) {
	var mu sync.Mutex
	return func(p rebuild.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done {
			d := p.Elapsed.Round(100 * time.Millisecond)
			if p.Elapsed < time.Second {
				d = p.Elapsed.Round(time.Millisecond)
			}
			fmt.Fprintf(w, "sovcheck: rebuild %s: %s done (%s)\n", p.Artifact, p.Phase, d)
			return
		}
		fmt.Fprintf(w, "sovcheck: rebuild %s: %s...\n", p.Artifact, p.Phase)
	}
}

// readSigningKey reads the PEM key that signs rebuild attestations and
// recipes; none if path is "".
func readSigningKey(path string) (crypto.Signer, error) {
	if path == "" {
		return nil, nil
	}
	return rebuild.ReadSigningKey(path)
}

func runModuleCheck(c *cli.Context, rb *rebuild.Rebuilder, format string) error {
	if c.Args().Present() {
		return &usageError{Err: errors.New("--module takes no ARTIFACT"), Hint: "run 'sovcheck rebuild --module PATH@VERSION --source DIR --go-sum go.sum'"}
	}
	if c.String("attest") != "" || c.String("provenance") != "" {
		return &usageError{Err: errors.New("--attest and --provenance do not apply to --module"), Hint: "check a module zip with --module, --source and --go-sum or --h1"}
	}
	mod, ver, ok := strings.Cut(c.String("module"), "@")
	if !ok || mod == "" || ver == "" {
		return &usageError{Err: fmt.Errorf("--module %q is not PATH@VERSION", c.String("module")), Hint: "e.g. --module golang.org/x/mod@v0.20.0"}
	}
	if c.String("source") == "" {
		return &usageError{Err: errors.New("--module needs --source"), Hint: "give the module's git checkout or URL with --source"}
	}
	want := c.String("h1")
	switch {
	case want != "" && c.String("go-sum") != "":
		return &usageError{Err: errors.New("--h1 and --go-sum given together"), Hint: "give one of them"}
	case c.String("go-sum") != "":
		var err error
		if want, err = rebuild.ReadGoSumFile(c.String("go-sum"), mod, ver); err != nil {
			return err
		}
	case want == "":
		return &usageError{Err: errors.New("--module needs --go-sum or --h1"), Hint: "give the go.sum that lists the module, or its h1: hash"}
	}
	res, err := rb.CheckModuleZip(c.Context, rebuild.ModuleZipRequest{
		Source: c.String("source"), Module: mod, Version: ver, Dir: c.String("module-dir"), WantH1: want, Published: c.String("published"),
	})
	if err != nil {
		return err
	}
	results := []*rebuild.ModuleZipResult{res}
	if format == "json" {
		err = report.ModuleZipJSON(c.App.Writer, results)
	} else {
		err = report.ModuleZipText(c.App.Writer, results)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if res.Status != rebuild.StatusMatch {
		return &verdictFailure{Failed: 1, Total: 1}
	}
	return nil
}
