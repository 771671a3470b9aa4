package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/wherecli"
	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/sbom"
)

func portfolioCommand() *cli.Command {
	return &cli.Command{
		Name:  "portfolio",
		Usage: "the auditor's store of every SBOM: add, where (which products contain X), report, diff",
		Description: `The store keeps every SBOM of every product, judged once: by default an SQLite file under the
user's data directory ($XDG_DATA_HOME/sovcheck/portfolio.db, or ~/.local/share/...), another file
with --store PATH, or a PostgreSQL database shared by a team with --store postgres://...
(also $SOVCHECK_STORE).

  add     read, judge and store SBOMs (files or directories); an SBOM already in the store
          (same sha256) is skipped; --shard i/n takes every n-th file, for many workers
  where   which products contain a purl, a component name or an upstream, in which versions,
          and through which dependencies
  report  the portfolio of today (each product's latest SBOM), as 'sbom labels --portfolio'
  diff    what entered and left since a date, and the grades that moved`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown portfolio command %q", c.Args().First()), Hint: "run 'sovcheck portfolio --help'"}
			}
			return &usageError{Err: errors.New("no portfolio command given"), Hint: "run 'sovcheck portfolio add DIR', or 'sovcheck portfolio --help'"}
		},
		Subcommands: []*cli.Command{portfolioAddCommand(), wherecli.Command(), portfolioReportCommand(), portfolioDiffCommand()},
	}
}

// storeFlag and openStore are the where command's (internal/wherecli),
// shared by every portfolio command.
func storeFlag() cli.Flag { return wherecli.StoreFlag() }

func openStore(c *cli.Context, opts ...portfolio.Option) (*portfolio.Store, error) {
	return wherecli.OpenStore(c, opts...)
}

func portfolioAddCommand() *cli.Command {
	flags := append([]cli.Flag{storeFlag(),
		&cli.StringFlag{Name: "shard", Usage: "take only shard `I/N` of the files (0 <= I < N), for N workers on one store"},
		&cli.StringFlag{Name: "product-by", Value: "name", Usage: "identify products by the `KEY` name the SBOM states, or by source (the file name as given)"},
	}, sbomDataFlags()...)
	flags = append(flags, &cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json"})
	return &cli.Command{
		Name:      "add",
		Usage:     "read, judge and store SBOMs; an SBOM already in the store is skipped",
		ArgsUsage: "SBOM|DIR...",
		Description: `Each SBOM is judged as 'sovcheck sbom labels' judges it (the same data flags) and stored in its
own transaction, with the configuration and data it was judged with. Directories are walked for
*.json, *.xml and go.mod. Memory holds a few SBOMs at a time, whatever the size of the portfolio.
An interrupted add leaves each SBOM stored whole or not at all; run it again to resume.

A product is known by the name its SBOM states (its file name when it states none); its newer
SBOMs are its history. --product-by source keys products by file name instead, for SBOMs that
name different products alike.

--shard I/N keeps the files whose position in the sorted list is I modulo N, so N workers
(for example a Kubernetes Indexed Job, I from JOB_COMPLETION_INDEX) share the work on one
PostgreSQL store; together they store what one add would.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags:              flags,
		Action:             runPortfolioAdd,
	}
}

// sbomDataFlags are the judging flags of 'sbom labels' that add accepts.
func sbomDataFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range sbomLabelsFlags() {
		switch f.Names()[0] {
		case "registry", "mapping", "vulns", "kev", "vex", "max-data-age", "data", "facts", "scoring", "allow-jurisdiction", "as-of":
			out = append(out, f)
		}
	}
	return out
}

// parseShard reads I/N.
func parseShard(s string) (int, int, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || cnt < 1 || idx < 0 || idx >= cnt {
		return 0, 0, &usageError{Err: fmt.Errorf("--shard %q is not I/N with 0 <= I < N", s), Hint: "write the shard as 0/4, 1/4, 2/4, 3/4"}
	}
	return idx, cnt, nil
}

func runPortfolioAdd(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: text, json"}
	}
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no SBOM given"), Hint: "run 'sovcheck portfolio add sboms/'"}
	}
	if by := c.String("product-by"); by != "name" && by != "source" {
		return &usageError{Err: fmt.Errorf("unknown --product-by %q", by), Hint: "use name (the product the SBOM states) or source (its file name)"}
	}
	shard, shards := 0, 1
	if s := c.String("shard"); s != "" {
		var err error
		if shard, shards, err = parseShard(s); err != nil {
			return err
		}
	}
	a, opts, err := sbomAssessor(c, sbomFlags{c}, c.Args().Slice())
	if err != nil {
		return err
	}
	files, skipped, err := sbom.CollectInputs(c.Args().Slice())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return &usageError{Err: errors.New("no SBOM files found"), Hint: "name SBOM files, or directories holding *.json, *.xml or go.mod files"}
	}
	mine := portfolio.Shard(files, shard, shards)
	// The live heap of an add is a few SBOMs in flight whatever the
	// portfolio size, so collecting at 5x instead of 2x of it costs some
	// tens of MiB and saves about a tenth of the CPU; GOGC still rules.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	in := portfolio.Ingest{Assessor: a, ReadOptions: opts, BySource: c.String("product-by") == "source"}
	if isTerminal(c.App.ErrWriter) {
		in.Progress = func(done, total int) {
			fmt.Fprintf(c.App.ErrWriter, "\rsovcheck: %d/%d SBOMs", done, total)
			if done == total {
				fmt.Fprintln(c.App.ErrWriter)
			}
		}
	}
	sum, err := st.AddFiles(c.Context, in, mine)
	if err != nil {
		return err
	}
	// Entries of a folder that were not opened (pipes, hidden files) are
	// reported like unreadable SBOMs, never dropped in silence.
	sum.Failures = append(sum.Failures, skipped...)
	slices.SortFunc(sum.Failures, func(x, y sbom.Failure) int { return cmp.Compare(x.Source, y.Source) })
	if format == "json" {
		err = sbom.WriteJSON(c.App.Writer, sum)
	} else {
		_, err = fmt.Fprintf(c.App.Writer, "Added %d SBOMs, skipped %d already in the store, %d not read (store %s)\n",
			sum.Added, sum.Skipped, len(sum.Failures), st.Location())
		for _, f := range sum.Failures {
			if err == nil {
				_, err = fmt.Fprintf(c.App.Writer, "  %s: %s\n", f.Source, f.Message)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	if n := len(sum.Failures); n > 0 {
		first := sum.Failures[0]
		return reason.New(first.Code, "the summary lists every unreadable input; the others were stored",
			"%d of %d SBOMs could not be read; first: %s", n, len(mine), first.Message)
	}
	return nil
}

func portfolioReportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "the portfolio of today from the store: shared upstreams, grades, suppliers",
		Description: `Each product's latest SBOM, scored together with the configuration it was judged with; the
same report as 'sovcheck sbom labels --portfolio' gives on the same SBOMs, without reading them.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags: []cli.Flag{storeFlag(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json, html, markdown, sarif, junit"},
			&cli.IntFlag{Name: "top", Value: 20, Usage: "`N` rows per text table, and shared upstreams and suppliers in JSON (0: all)"},
			&cli.StringFlag{Name: "min-grade", Usage: "exit 1 when a product's grade is worse than `GRADE` (A..G)"},
		},
		Action: runPortfolioReport,
	}
}

func runPortfolioReport(c *cli.Context) error {
	format := c.String("format")
	if format != "json" && !report.ValidDocumentFormat(format) {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: text, json, html, markdown, sarif, junit"}
	}
	if c.Int("top") < 0 {
		return &usageError{Err: fmt.Errorf("--top %d is negative", c.Int("top")), Hint: "give a row count, or 0 for all rows"}
	}
	var minGrade sbom.Grade
	if g := c.String("min-grade"); g != "" {
		minGrade = sbom.Grade(strings.ToUpper(g))
		if minGrade.Rank() < 0 {
			return &usageError{Err: fmt.Errorf("unknown --min-grade %q", g), Hint: "use a grade from A (best) to G"}
		}
	}
	st, err := openStore(c, portfolio.ForReading())
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Report(c.Context, c.Int("top"))
	if err != nil {
		return err
	}
	switch format {
	case "json":
		err = sbom.WriteJSON(c.App.Writer, rep)
	case "text":
		err = report.WritePortfolioText(c.App.Writer, rep, report.SBOMTextOptions{Top: c.Int("top"), Details: 5})
	default:
		err = renderSBOMReport(c, format, func(d *report.Documents) error { return d.AddPortfolio("portfolio", rep) }, minGrade)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return portfolioGradeFailure(rep, minGrade)
}

func portfolioDiffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "what entered and left the portfolio since a date, and the grades that moved",
		Description: `Compares each product's latest SBOM dated before --since with its latest today: products that
entered, products with a newer SBOM (grade before and after, upstreams gained and lost), and the
upstreams the portfolio as a whole gained and lost. Dates are the --as-of of 'portfolio add'.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags: []cli.Flag{storeFlag(),
			&cli.StringFlag{Name: "since", Required: true, Usage: "compare with the portfolio before `DATE` (YYYY-MM-DD)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json"},
		},
		Action: runPortfolioDiff,
	}
}

func runPortfolioDiff(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: text, json"}
	}
	st, err := openStore(c, portfolio.ForReading())
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.Diff(c.Context, c.String("since"))
	if err != nil {
		return err
	}
	if format == "json" {
		err = sbom.WriteJSON(c.App.Writer, d)
	} else {
		err = report.WriteDiffText(c.App.Writer, d)
	}
	if err != nil {
		return fmt.Errorf("writing diff: %w", err)
	}
	return nil
}
