package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/rebuild"
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
			return &usageError{err: err, hint: "run 'sovcheck rebuild --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "provenance", Usage: "provenance `FILE` holding the build recipe (statement, DSSE envelope, Sigstore bundle or .intoto.jsonl)"},
			&cli.StringFlag{Name: "source", Usage: "git checkout `DIR` or git URL holding the recipe's commit (default: the recipe's source URI)"},
			&cli.BoolFlag{Name: "offline", Usage: "fetch nothing: use only cached toolchains and modules and a local --source"},
			&cli.StringFlag{Name: "cache-dir", Usage: "`DIR` for toolchains, modules, build caches and checkouts (default: sovcheck/rebuild in the user cache dir)"},
			&cli.BoolFlag{Name: "allow-unsandboxed", Usage: "when namespaces are unavailable, rebuild without the sandbox: the build runs on this machine, with its network; results say NOT HERMETIC"},
			&cli.DurationFlag{Name: "timeout", Value: rebuild.DefaultTimeout, Usage: "give up each rebuild (fetch and build) after `DURATION`: SKIP REBUILD_TIMEOUT; 0 waits forever"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output format: text, json"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 1, Usage: "rebuilds run at once"},
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
		return &usageError{err: fmt.Errorf("unknown --format %q", format), hint: "use text or json"}
	}
	if c.Int("jobs") < 1 {
		return &usageError{err: fmt.Errorf("--jobs %d: want at least 1", c.Int("jobs")), hint: "give -j 1 or more"}
	}
	if (c.String("attest") == "") != (c.String("key") == "") {
		return &usageError{err: errors.New("--attest and --key go together"), hint: "give --attest FILE --key KEY to write a signed rebuild attestation"}
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
			return &usageError{err: fmt.Errorf("--%s needs --module", f), hint: "add --module PATH@VERSION"}
		}
	}
	if !c.Args().Present() {
		return &usageError{err: errors.New("no artifact given"), hint: "run 'sovcheck rebuild --provenance FILE --source DIR ARTIFACT'"}
	}
	key, err := readSigningKey(c.String("key"))
	if err != nil {
		return err
	}

	// Each artifact is on its own: one whose provenance cannot be read
	// gets no verdict (exit 2, after the others' results), one whose
	// recipe sovcheck will not replay is a SKIP, and neither stops the
	// rebuilds of the others.
	var reqs []rebuild.Request
	var firstErr error
	provenances := map[string][]byte{}
	for _, art := range c.Args().Slice() {
		req, err := rebuildRequest(c, art, provenances)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		reqs = append(reqs, req)
	}

	ctx := c.Context
	results, errs := rb.RebuildAll(ctx, reqs, c.Int("jobs"))
	var done []*rebuild.Result
	for i, r := range results {
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = inContext(errs[i], "rebuilding %s", reqs[i].Name)
			}
			continue
		}
		done = append(done, r)
	}
	if format == "json" {
		err = rebuild.WriteJSON(c.App.Writer, done)
	} else {
		err = rebuild.WriteText(c.App.Writer, done)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if key != nil {
		if err := writeAttestations(ctx, c, done, key, provenances); err != nil {
			return err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	failed := 0
	for _, r := range done {
		if r.Status != rebuild.StatusMatch {
			failed++
		}
	}
	if failed > 0 {
		return &verdictFailure{failed: failed, total: len(done)}
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
		return nil, &usageError{err: err, hint: "check --cache-dir, --timeout, GOPROXY and GOSUMDB"}
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

// inContext prefixes an error's message with what was being done. A
// *reason.Error keeps its code and hint, since exitCode prints those.
func inContext(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var re *reason.Error
	if errors.As(err, &re) {
		c := *re
		c.Msg = what + ": " + re.Msg
		return &c
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rebuildRequest reads the recipes of one artifact's provenance; data read
// is kept in provenances, by file name.
func rebuildRequest(c *cli.Context, art string, provenances map[string][]byte) (rebuild.Request, error) {
	prov := c.String("provenance")
	if prov == "" {
		if prov = findProvenance(art); prov == "" {
			return rebuild.Request{}, reason.New(reason.EvidenceMissing, "give --provenance FILE, or put ARTIFACT.intoto.jsonl beside the artifact",
				"no provenance found for %s", art)
		}
	}
	data, ok := provenances[prov]
	if !ok {
		var err error
		if data, err = readLimited(prov, rebuild.MaxProvenanceBytes); err != nil {
			return rebuild.Request{}, err
		}
		provenances[prov] = data
	}
	recipes, err := rebuild.ReadRecipes(bytes.NewReader(data))
	if err != nil {
		return rebuild.Request{}, inContext(err, "reading provenance %s", prov)
	}
	req := rebuild.Request{Artifact: art, Name: art, Recipes: recipes, Source: c.String("source")}
	// sha256:<hex> that is not a path: the published artifact by its
	// digest alone.
	if hexDigest, ok := strings.CutPrefix(art, "sha256:"); ok {
		if _, err := os.Stat(art); err != nil {
			req.Artifact, req.SHA256 = "", strings.ToLower(hexDigest)
		}
	}
	return req, nil
}

// findProvenance looks for an artifact's provenance beside it.
func findProvenance(artifact string) string {
	for _, ext := range []string{".intoto.jsonl", ".sigstore.json", ".sigstore", ".bundle"} {
		if fi, err := os.Stat(artifact + ext); err == nil && fi.Mode().IsRegular() {
			return artifact + ext
		}
	}
	return ""
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the file's path and permissions", "reading %s", path)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the file's path and permissions", "reading %s", path)
	}
	if int64(len(data)) > limit {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "file too large: " + path, Want: fmt.Sprintf("at most %d bytes", limit), Hint: "give the right file"}
	}
	return data, nil
}

func readSigningKey(path string) (crypto.Signer, error) {
	if path == "" {
		return nil, nil
	}
	data, err := readLimited(path, rebuild.MaxKeyBytes)
	if err != nil {
		return nil, err
	}
	return rebuild.ParseSigningKey(data)
}

// writeAttestations signs one rebuild attestation per artifact that was
// rebuilt to a comparison, and writes them as JSON lines.
func writeAttestations(ctx context.Context, c *cli.Context, results []*rebuild.Result, key crypto.Signer, provenances map[string][]byte) error {
	provName := c.String("provenance")
	var out bytes.Buffer
	for _, r := range results {
		if r.RebuiltSHA256 == "" {
			continue
		}
		in := rebuild.AttestationInput{RebuilderVersion: version()}
		name := provName
		if name == "" {
			name = findProvenance(r.Artifact)
		}
		if data, ok := provenances[name]; ok {
			in.ProvenanceName = filepath.Base(name)
			sum := sha256.Sum256(data)
			in.ProvenanceSHA256 = hex.EncodeToString(sum[:])
		}
		stmt, err := rebuild.NewRebuildStatement(r, in)
		if err != nil {
			return err
		}
		env, err := rebuild.SignStatement(ctx, stmt, key)
		if err != nil {
			return fmt.Errorf("signing rebuild attestation for %s: %w", r.Artifact, err)
		}
		out.Write(env)
	}
	if out.Len() == 0 {
		return reason.New(reason.EvidenceMissing, "only a rebuild that produced the artifact can be attested; fix the SKIP reasons above",
			"no rebuild to attest")
	}
	if err := os.WriteFile(c.String("attest"), out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing attestation: %w", err)
	}
	return nil
}

func runModuleCheck(c *cli.Context, rb *rebuild.Rebuilder, format string) error {
	if c.Args().Present() {
		return &usageError{err: errors.New("--module takes no ARTIFACT"), hint: "run 'sovcheck rebuild --module PATH@VERSION --source DIR --go-sum go.sum'"}
	}
	if c.String("attest") != "" || c.String("provenance") != "" {
		return &usageError{err: errors.New("--attest and --provenance do not apply to --module"), hint: "check a module zip with --module, --source and --go-sum or --h1"}
	}
	mod, ver, ok := strings.Cut(c.String("module"), "@")
	if !ok || mod == "" || ver == "" {
		return &usageError{err: fmt.Errorf("--module %q is not PATH@VERSION", c.String("module")), hint: "e.g. --module golang.org/x/mod@v0.20.0"}
	}
	if c.String("source") == "" {
		return &usageError{err: errors.New("--module needs --source"), hint: "give the module's git checkout or URL with --source"}
	}
	want := c.String("h1")
	switch {
	case want != "" && c.String("go-sum") != "":
		return &usageError{err: errors.New("--h1 and --go-sum given together"), hint: "give one of them"}
	case c.String("go-sum") != "":
		data, err := readLimited(c.String("go-sum"), rebuild.MaxGoSumBytes)
		if err != nil {
			return err
		}
		want, _, err = rebuild.GoSumHashes(bytes.NewReader(data), mod, ver)
		if err != nil {
			return err
		}
		if want == "" {
			return reason.New(reason.EvidenceMissing, "give a go.sum with the module's zip line (not only /go.mod), or --h1",
				"go.sum has only the go.mod hash of %s %s", mod, ver)
		}
	case want == "":
		return &usageError{err: errors.New("--module needs --go-sum or --h1"), hint: "give the go.sum that lists the module, or its h1: hash"}
	}
	res, err := rb.CheckModuleZip(c.Context, rebuild.ModuleZipRequest{
		Source: c.String("source"), Module: mod, Version: ver, Dir: c.String("module-dir"), WantH1: want, Published: c.String("published"),
	})
	if err != nil {
		return err
	}
	results := []*rebuild.ModuleZipResult{res}
	if format == "json" {
		err = rebuild.WriteModuleJSON(c.App.Writer, results)
	} else {
		err = rebuild.WriteModuleText(c.App.Writer, results)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if res.Status != rebuild.StatusMatch {
		return &verdictFailure{failed: 1, total: 1}
	}
	return nil
}
