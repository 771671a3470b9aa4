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
	"github.com/sovcheck/sovcheck/internal/clicore"
	"github.com/sovcheck/sovcheck/internal/startheap"
)

// Exit codes and the help text that names them: internal/clicore's.
const (
	exitPass       = clicore.ExitPass
	exitFail       = clicore.ExitFail
	exitNoVerdict  = clicore.ExitNoVerdict
	exitStatusHelp = clicore.ExitStatusHelp
)

func main() {
	startCollector()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the collector's setting for every command
// (clicore.GCPercent).
const gcPercent = clicore.GCPercent

// startCollector turns the collector on with gcPercent: it was off while
// the packages initialised (internal/startheap).
func startCollector() { startheap.Done(gcPercent) }

// usageError and verdictFailure are the errors that become exit 2 and
// exit 1 (internal/clicore).
type (
	usageError     = clicore.UsageError
	verdictFailure = clicore.VerdictFailure
)

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
			return &usageError{Err: err, Hint: "run 'sovcheck --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log progress to stderr"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown command %q", c.Args().First()), Hint: "run 'sovcheck --help' for the list of commands"}
			}
			return &usageError{Err: errors.New("no command given"), Hint: "run 'sovcheck verify ARTIFACT --help', or 'sovcheck --help' for all commands"}
		},
		Commands: commands(),
	}
	for _, c := range app.Commands {
		clicore.HardenUsage(c, "sovcheck "+c.Name)
	}
	return app
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
	return clicore.Run(newApp(stdout, stderr), args, stderr)
}

// printError writes an error and its hint as every command does.
func printError(w io.Writer, msg, hint string) { clicore.PrintError(w, msg, hint) }

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
				return &usageError{Err: fmt.Errorf("version takes no arguments"), Hint: "run 'sovcheck version'"}
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
func newLogger(c *cli.Context) *slog.Logger { return clicore.NewLogger(c) }

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
