// Command sovcheck answers a procurement question about software artifacts:
// may we buy, deploy or depend on this? It verifies the evidence published
// with an artifact (Sigstore signatures and attestations, SLSA provenance,
// in-toto layouts), fully offline when given a trusted root, and prints a
// verdict per artifact with reasons and hints.
//
// Usage:
//
//	sovcheck verify ARTIFACT... [flags]        a verdict per artifact
//	sovcheck rebuild ARTIFACT... [flags]       hermetic rebuild from provenance
//	sovcheck sbom labels SBOM... [flags]       systemic-risk labels and grades
//	sovcheck policy init|check|show-default    procurement policies
//	sovcheck gate --policy FILE DEPENDENCIES   CI gate on uncertified dependencies
//	sovcheck attest vsa|recipe [flags]         sovcheck's own attestations
//	sovcheck report RESULT.json... [flags]     HTML, Markdown, SARIF, JUnit reports
//	sovcheck wasm caps FILE.wasm...            capabilities a Wasm module or component imports
//	sovcheck data pull --out FILE SBOM...      gather a risk data snapshot (network)
//	sovcheck version
//
// An ARTIFACT is a file, a directory of release files, sha256:<hex>, or a
// container image (registry reference, oci-layout:DIR, docker-archive:FILE).
// Without --bundle, the evidence of a file is looked for beside it as
// ARTIFACT.sigstore.json, ARTIFACT.sigstore, ARTIFACT.intoto.jsonl or
// ARTIFACT.bundle.
//
// Exit status: 0 every verdict passed; 1 a verdict failed; 2 no verdict
// could be given (usage error, unreadable configuration, no trust root).
//
// Only the report is written to stdout; errors go to stderr as
// "sovcheck: error: ..." followed by "sovcheck: hint: ..." lines.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/startheap"
)

// Exit codes, the same for every command and output format.
const (
	exitPass      = 0
	exitFail      = 1
	exitNoVerdict = 2
)

const exitStatusHelp = `
EXIT STATUS:
   0   every verdict passed
   1   a verdict failed (the report on stdout says which check and why)
   2   no verdict: usage error, unreadable configuration or input, no trust root
`

func main() {
	startCollector()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the collector's setting for every command. Verification
// allocates many short-lived parse trees (bundles, certificates, log
// entries) while the live heap stays small: a lazier collector saves a
// fifth of the CPU of a large run and keeps peak memory far below the 200
// MiB budget. GOGC, when set, still wins.
const gcPercent = 400

// startCollector turns the collector on with gcPercent: it was off while
// the packages initialised (internal/startheap).
func startCollector() { startheap.Done(gcPercent) }

// usageError is a command-line mistake: exit 2 with a hint.
type usageError struct {
	err  error
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }

// verdictFailure says that at least one verdict, dependency, grade or
// rebuild failed: exit 1, the one exit wrapper of every command. msg, when
// set, replaces the count of failed artifacts; hint, when set, replaces
// the hint that points at the report.
type verdictFailure struct {
	failed, total int
	msg, hint     string
}

func (e *verdictFailure) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("%d of %d artifact%s failed verification", e.failed, e.total, map[bool]string{true: "", false: "s"}[e.total == 1])
}

func init() {
	// -v is --verbose; the version is `sovcheck version` or --version.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version"}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:                  "sovcheck",
		Usage:                 "verify signatures, provenance and rebuilds of software artifacts for procurement and CI",
		Version:               buildinfo.String(),
		Writer:                stdout,
		ErrWriter:             stderr,
		HideHelpCommand:       true,
		CustomAppHelpTemplate: cli.AppHelpTemplate + exitStatusHelp,
		ExitErrHandler:        func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{err: err, hint: "run 'sovcheck --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log progress to stderr"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{err: fmt.Errorf("unknown command %q", c.Args().First()), hint: "run 'sovcheck --help' for the list of commands"}
			}
			return &usageError{err: errors.New("no command given"), hint: "run 'sovcheck verify ARTIFACT --help', or 'sovcheck --help' for all commands"}
		},
		Commands: commands(),
	}
	for _, c := range app.Commands {
		hardenUsage(c, "sovcheck "+c.Name)
	}
	return app
}

// hardenUsage gives every command and subcommand sovcheck's usage-error
// handling: by default urfave/cli prints "Incorrect Usage" and the help to
// stdout, which must carry only reports.
func hardenUsage(c *cli.Command, path string) {
	if c.OnUsageError == nil {
		hint := "run '" + path + " --help' for usage"
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return &usageError{err: err, hint: hint}
		}
	}
	for _, sub := range c.Subcommands {
		hardenUsage(sub, path+" "+sub.Name)
	}
}

// commands lists the subcommands; each lives in its own file.
func commands() []*cli.Command {
	return []*cli.Command{
		verifyCommand(),
		rebuildCommand(),
		sbomCommand(),
		portfolioCommand(),
		policyCommand(),
		attestCommand(),
		gateCommand(),
		reportCommand(),
		wasmCommand(),
		dataCommand(),
		trustCommand(),
		versionCommand(),
		completionCommand(),
	}
}

// run is main without os.Exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	unsetEmptyEnv(app.Commands)
	cl, err := interspersed(app, args)
	if err == nil {
		app.Metadata = map[string]any{commandLineKey: cl}
		err = app.Run(append([]string{"sovcheck"}, cl.args...))
	}
	code := exitCode(stderr, err)
	if env := cl.fromEnvironment(); code == exitNoVerdict && len(env) > 0 {
		fmt.Fprintf(stderr, "sovcheck: hint: taken from the environment: %s\n", strings.Join(env, ", "))
	}
	return code
}

// exitCode is the one place where errors become exit codes and stderr text.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitPass
	}
	var vf *verdictFailure
	if errors.As(err, &vf) {
		hint := vf.hint
		if hint == "" {
			hint = "the report on stdout names each failed check, its reason and what to do"
		}
		printError(stderr, err.Error(), hint)
		return exitFail
	}
	code := exitNoVerdict
	var ue *usageError
	var re *reason.Error
	switch {
	case errors.As(err, &ue):
		printError(stderr, ue.err.Error(), ue.hint)
	case errors.As(err, &re):
		printError(stderr, re.Error(), re.Hint)
	default:
		printError(stderr, err.Error(), "")
	}
	return code
}

func printError(w io.Writer, msg, hint string) {
	fmt.Fprintf(w, "sovcheck: error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "sovcheck: hint: %s\n", hint)
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "name this build: module version, commit, clean or dirty tree, Go toolchain",
		Description: "Prints one line, the same that HTML and SARIF reports name the build by:\n" +
			"   sovcheck VERSION (commit REVISION, clean|dirty, GOVERSION)\n" +
			"'make build' stamps the commit (-buildvcs=true); 'go install MODULE@VERSION' names the\n" +
			"module version and its sum; a build without either says 'commit unknown'.",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{err: fmt.Errorf("version takes no arguments"), hint: "run 'sovcheck version'"}
			}
			fmt.Fprintf(c.App.Writer, "sovcheck %s\n", buildinfo.String())
			return nil
		},
	}
}

// version is the module version alone ("(devel)" when unknown), as
// sovcheck's own attestations and SARIF runs record it.
func version() string { return buildinfo.Read().Version }

// newLogger logs to stderr with -v, and nowhere otherwise.
func newLogger(c *cli.Context) *slog.Logger {
	if c.Bool("verbose") {
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// useColor reports whether w is a terminal and NO_COLOR is unset or empty.
func useColor(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
