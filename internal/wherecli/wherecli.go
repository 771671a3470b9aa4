// Package wherecli is the where question on the command line: 'sovcheck
// portfolio where' and sovcheck-where, the same command in a binary that
// links neither the verifier nor policy, so that a script asking many
// questions does not pay their start (docs/startup.md). Both binaries run
// this code: the same flags, answers, errors and exit codes.
package wherecli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/internal/clicore"
	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/report/where"
	"github.com/sovcheck/sovcheck/sbom"
)

// Main runs sovcheck-where: args, without the program's name, are what
// 'sovcheck portfolio where' takes, and the answer, the errors and the
// exit code are that command's. It returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	// Only the flag: "version" alone is a component name to ask about.
	if len(args) == 1 && args[0] == "--version" {
		fmt.Fprintf(stdout, "sovcheck-where %s\n", buildinfo.String())
		return clicore.ExitPass
	}
	where := Command()
	app := &cli.App{
		Name:            "sovcheck",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		HideVersion:     true,
		ExitErrHandler:  func(*cli.Context, error) {},
		Flags:           []cli.Flag{&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log progress to stderr"}},
		Commands: []*cli.Command{{Name: "portfolio", HideHelpCommand: true,
			Subcommands: []*cli.Command{where}}},
	}
	// Its help and hints name it as it is run.
	where.HelpName = "sovcheck-where"
	clicore.HardenUsage(where, "sovcheck-where")
	// -v anywhere is lifted ahead of the command, as sovcheck reads it.
	return clicore.Run(app, append([]string{"portfolio", "where"}, args...), stderr)
}

// StoreFlag is --store, of every portfolio command.
func StoreFlag() cli.Flag {
	return &cli.StringFlag{Name: "store", EnvVars: []string{"SOVCHECK_STORE"},
		Usage: "the store: an SQLite `PATH` or a postgres:// URL (default: the user's data directory)"}
}

// OpenStore opens the store named by --store, or the default file.
func OpenStore(c *cli.Context, opts ...portfolio.Option) (*portfolio.Store, error) {
	loc := c.String("store")
	if loc == "" {
		dir := os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil || home == "" {
				return nil, &clicore.UsageError{Err: errors.New("no --store given and no home directory for the default store"), Hint: "give --store PATH or --store postgres://..."}
			}
			dir = filepath.Join(home, ".local", "share")
		}
		loc = filepath.Join(dir, "sovcheck", "portfolio.db")
	}
	return portfolio.Open(c.Context, loc, append([]portfolio.Option{portfolio.WithLogger(clicore.NewLogger(c))}, opts...)...)
}

// Command is the where command, as 'sovcheck portfolio' and sovcheck-where
// run it.
func Command() *cli.Command {
	return &cli.Command{
		Name:      "where",
		Usage:     "which products contain a package, a component or an upstream, in which versions, and how",
		ArgsUsage: "[PURL|NAME]",
		Description: `PURL is a package URL without version (pkg:deb/debian/xz-utils) or with one (an exact
version); NAME is a component name. --upstream asks across ecosystems (src:xz is Debian xz-utils,
Alpine xz-libs and RPM xz-libs alike). --versions restricts versions in the ecosystem's own order
(Debian, RPM, Alpine, SemVer for npm, Go, Cargo...); a version that cannot be compared is listed
as undetermined, never dropped. Each answer names the product, its grade, the SBOM and a shortest
path through the dependency graph. Each product's latest SBOM is asked; --history asks all.

--provider asks instead which products run a hosted service (CycloneDX services) on a provider,
named as the SBOMs name it (case and spacing do not matter): each answer names the service, its
endpoints, whether it crosses a trust boundary, its trust zone and its hosting labels.

--vulns asks, for each package an OSV advisory names (the advisory as osv.dev publishes it, or a
directory or zip of them), which products hold a version it affects: the package is found by its
purl under its ecosystem's name rules, by its source package for Debian, Ubuntu and Alpine, by name
for RPM distributions, and each version is matched as 'sbom labels --vulns' matches it. A component
that cannot be matched is listed as undetermined, with its reason; packages of ecosystems no SBOM
component is read as are listed as not asked.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + clicore.ExitStatusHelp,
		Flags: []cli.Flag{StoreFlag(),
			&cli.StringFlag{Name: "upstream", Usage: "upstream `ID` (src:NAME, a versionless purl, a repository URL)"},
			&cli.StringFlag{Name: "versions", Usage: "version `RANGE`, e.g. '>=5.6.0, <5.6.2'"},
			&cli.StringFlag{Name: "provider", Usage: "which products run a hosted service on `PROVIDER` (asked alone)"},
			&cli.StringFlag{Name: "vulns", Usage: "which products the OSV advisories at `PATH` affect: one advisory's JSON file, a directory or a zip (asked alone)"},
			&cli.BoolFlag{Name: "fail-on-affected", Usage: "with --vulns: exit 1 when a product holds an affected version, or one that could not be matched"},
			&cli.BoolFlag{Name: "history", Usage: "ask every snapshot ever stored, not only each product's latest"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json, html, sarif"},
		},
		Action: run,
	}
}

func run(c *cli.Context) error {
	format := c.String("format")
	switch format {
	case "text", "json", "html", "sarif":
	default:
		return &clicore.UsageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: text, json, html, sarif"}
	}
	if c.NArg() > 1 {
		return &clicore.UsageError{Err: fmt.Errorf("%d subjects given, want one", c.NArg()), Hint: "ask one purl or name at a time"}
	}
	if c.IsSet("vulns") {
		return runAffected(c, format)
	}
	if c.Bool("fail-on-affected") {
		return &clicore.UsageError{Err: errors.New("--fail-on-affected needs --vulns"), Hint: "give the advisories with --vulns PATH"}
	}
	var q portfolio.Query
	var err error
	if c.IsSet("provider") {
		if c.Args().Present() || c.String("upstream") != "" || c.String("versions") != "" {
			return &clicore.UsageError{Err: errors.New("--provider is asked alone"), Hint: "drop the purl, name, --upstream and --versions, or --provider"}
		}
		q, err = portfolio.NewHostingQuery(c.String("provider"), c.Bool("history"))
	} else {
		q, err = portfolio.NewQuery(c.Args().First(), c.String("upstream"), c.String("versions"), c.Bool("history"))
	}
	if err != nil {
		return err
	}
	st, err := OpenStore(c, portfolio.ForReading())
	if err != nil {
		return err
	}
	defer st.Close()
	// The matches are made as they are written (HTML and SARIF make the
	// list at once).
	res, err := st.WhereStream(c.Context, q)
	if err != nil {
		return err
	}
	return writeAnswer(c, func(out io.Writer) error {
		switch format {
		case "json":
			return res.WriteJSON(out)
		case "html":
			return where.WriteHTML(out, res)
		case "sarif":
			return where.WriteSARIF(out, res)
		}
		return where.WriteText(out, res)
	})
}

// runAffected answers 'portfolio where --vulns PATH': which
// products the advisories at PATH affect.
func runAffected(c *cli.Context, format string) error {
	if c.Args().Present() || c.String("upstream") != "" || c.String("versions") != "" || c.IsSet("provider") {
		return &clicore.UsageError{Err: errors.New("--vulns is asked alone"), Hint: "drop the purl, name, --upstream, --versions and --provider, or --vulns"}
	}
	db, err := sbom.LoadAdvisories(c.String("vulns"), sbom.WithLogger(clicore.NewLogger(c)))
	if err != nil {
		return err
	}
	st, err := OpenStore(c, portfolio.ForReading())
	if err != nil {
		return err
	}
	defer st.Close()
	ans, err := st.WhereAffected(c.Context, db, c.Bool("history"))
	if err != nil {
		return err
	}
	err = writeAnswer(c, func(out io.Writer) error {
		switch format {
		case "json":
			return sbom.WriteJSON(out, ans)
		case "html":
			return where.WriteAffectedHTML(out, ans)
		case "sarif":
			return where.WriteAffectedSARIF(out, ans)
		}
		return where.WriteAffectedText(out, ans)
	})
	if err != nil || !c.Bool("fail-on-affected") || (ans.Products == 0 && ans.Undetermined == 0) {
		return err
	}
	// A gate fails closed: a version that could not be matched may be
	// affected.
	return &clicore.VerdictFailure{
		Msg: fmt.Sprintf("%d of %d advisories affect %d products; %d products hold a version that could not be matched",
			ans.Affecting, ans.Advisories, ans.Products, ans.Undetermined),
		Hint: "update the affected components, or record why a product is not affected in a VEX statement and judge it with 'sovcheck verify'"}
}

// writeAnswer writes an answer to stdout as write writes it. An answer
// runs to hundreds of thousands of matches: written in large pieces, not
// one write per line.
func writeAnswer(c *cli.Context, write func(io.Writer) error) error {
	out := bufio.NewWriterSize(c.App.Writer, 256<<10)
	err := write(out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("writing answer: %w", err)
	}
	return nil
}
