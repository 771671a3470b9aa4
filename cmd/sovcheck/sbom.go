package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/sbom"
)

func sbomCommand() *cli.Command {
	return &cli.Command{
		Name:               "sbom",
		Usage:              "read SBOMs and lockfiles: systemic-risk labels, grades and a portfolio view",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck sbom labels --help' for usage"}
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown sbom command %q", c.Args().First()), Hint: "run 'sovcheck sbom labels --help'"}
			}
			return &usageError{Err: errors.New("no sbom command given"), Hint: "run 'sovcheck sbom labels SBOM', or 'sovcheck sbom labels --help'"}
		},
		Flags:       sbomLabelsFlags(),
		Subcommands: []*cli.Command{sbomLabelsCommand(), sbomCheckCommand()},
	}
}

func sbomLabelsCommand() *cli.Command {
	return &cli.Command{
		Name:      "labels",
		Usage:     "label each component with its systemic risks and grade the product A (best) to G",
		ArgsUsage: "SBOM | --portfolio SBOM|DIR...",
		Description: `An SBOM is a CycloneDX (JSON or XML, 1.2-1.7) or SPDX 2.2/2.3 JSON document, a go.mod
(with the go.sum beside it) or a package-lock.json (v2/v3). The format is read from the content.

One product: labels per component, worst first, with the rule that fired, the field it read and
what to do; the product grade is its worst component's grade, capped when the SBOM is too poor.
--portfolio: many products (files or directories); the upstreams they share, ranked by share x
fragility, and how concentrated their suppliers are.

Labels that need data say "unknown" without it, and the report says how much was not assessed:
--registry (stewards and suppliers), --vulns (OSV advisories, directory or zip), --kev (CISA KEV
JSON), --facts (verify/rebuild results), --mapping (upstream identities across ecosystems),
--vex (VEX statements: a justified not_affected suppresses a finding, and is listed).
Nothing is fetched from the network.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck sbom labels --help' for usage"}
		},
		Flags:  sbomLabelsFlags(),
		Action: runSBOMLabels,
	}
}

// sbomLabelsFlags returns the flags of 'sbom labels'. The parent 'sbom'
// command declares them too: the shared argument reordering (args.go) moves
// flags ahead of the first positional argument, which for 'sbom labels' is
// the word "labels", so they reach the parent's flag set. sbomFlags reads a
// flag from whichever level it was set on.
func sbomLabelsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "portfolio", Usage: "assess many SBOMs (files or directories) and what they share"},
		&cli.StringFlag{Name: "registry", Usage: "trust registry `FILE` (YAML: stewards and suppliers)"},
		&cli.StringFlag{Name: "mapping", Usage: "upstream mapping `FILE` (YAML) unifying projects across ecosystems"},
		&cli.StringFlag{Name: "vulns", Usage: "OSV advisories: a `DIR` of JSON files, a zip, or one advisory's JSON file"},
		&cli.StringFlag{Name: "kev", Usage: "CISA known exploited vulnerabilities JSON `FILE`"},
		&cli.StringSliceFlag{Name: "vex", Usage: "VEX `FILE` (OpenVEX, CycloneDX VEX or CSAF VEX; repeat), trusted: its justified not_affected statements suppress findings"},
		&cli.IntFlag{Name: "max-data-age", Usage: "advisory data older than `DAYS` (its newest modified date) answers no vulnerability question"},
		&cli.StringFlag{Name: "facts", Usage: "provenance facts `FILE` from sovcheck verify/rebuild"},
		&cli.StringFlag{Name: "data", Usage: "risk data snapshot `FILE` from sovcheck data pull (maintainers, releases, deprecations)"},
		dataKeyFlag,
		&cli.StringFlag{Name: "scoring", Usage: "YAML `FILE` overriding weights and cut-offs"},
		&cli.StringSliceFlag{Name: "allow-jurisdiction", Usage: "allowed jurisdiction `CODE` (ISO 3166-1 alpha-2 or EU; repeat) for foreign-single-source"},
		&cli.StringFlag{Name: "as-of", Usage: "judge abandonment and certificates on this `DATE` (YYYY-MM-DD; default today)"},
		&cli.StringFlag{Name: "min-grade", Usage: "exit 1 when a product's grade is worse than `GRADE` (A..G)"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json, html, markdown, sarif, junit", EnvVars: []string{"SOVCHECK_FORMAT"}},
		&cli.IntFlag{Name: "top", Value: 20, Usage: "`N` rows per text table, and shared upstreams and suppliers in portfolio JSON (0: all)"},
	}
}

// sbomFlags reads flags set on 'sbom labels' or on its parent 'sbom'.
type sbomFlags struct{ c *cli.Context }

func (f sbomFlags) ctx(name string) *cli.Context {
	for _, x := range f.c.Lineage() {
		if x != nil && slices.Contains(x.LocalFlagNames(), name) {
			return x
		}
	}
	return f.c
}

func (f sbomFlags) String(name string) string        { return f.ctx(name).String(name) }
func (f sbomFlags) Bool(name string) bool            { return f.ctx(name).Bool(name) }
func (f sbomFlags) Int(name string) int              { return f.ctx(name).Int(name) }
func (f sbomFlags) StringSlice(name string) []string { return f.ctx(name).StringSlice(name) }

func runSBOMLabels(c *cli.Context) error {
	fl := sbomFlags{c}
	format := fl.String("format")
	if format != "json" && !report.ValidDocumentFormat(format) {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: text, json, html, markdown, sarif, junit"}
	}
	if fl.Int("top") < 0 {
		return &usageError{Err: fmt.Errorf("--top %d is negative", fl.Int("top")), Hint: "give a row count, or 0 for all rows"}
	}
	var minGrade sbom.Grade
	if g := fl.String("min-grade"); g != "" {
		minGrade = sbom.Grade(strings.ToUpper(g))
		if minGrade.Rank() < 0 {
			return &usageError{Err: fmt.Errorf("unknown --min-grade %q", g), Hint: "use a grade from A (best) to G"}
		}
	}
	args := c.Args().Slice()
	portfolio := fl.Bool("portfolio")
	switch {
	case len(args) == 0:
		return &usageError{Err: errors.New("no SBOM given"), Hint: "run 'sovcheck sbom labels app.cdx.json', or --portfolio DIR for many"}
	case !portfolio && len(args) > 1:
		return &usageError{Err: fmt.Errorf("%d SBOMs given without --portfolio", len(args)), Hint: "add --portfolio to assess several products together"}
	case !portfolio:
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			return &usageError{Err: fmt.Errorf("%s is a directory", args[0]), Hint: "add --portfolio to assess every SBOM in a directory"}
		}
	}
	a, opts, err := sbomAssessor(c, fl, args)
	if err != nil {
		return err
	}
	text := report.SBOMTextOptions{Top: fl.Int("top"), Details: 5}
	if portfolio {
		return runPortfolio(c, a, args, format, text, minGrade)
	}
	g, err := sbom.ReadFile(args[0], opts...)
	if err != nil {
		return err
	}
	rep := a.Assess(g)
	switch format {
	case "json":
		err = sbom.WriteJSON(c.App.Writer, rep)
	case "text":
		err = report.WriteSBOMText(c.App.Writer, rep, text)
	default:
		err = renderSBOMReport(c, format, func(d *report.Documents) error { return d.AddLabels(args[0], rep) }, minGrade)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if minGrade != "" && rep.Product.Grade.Worse(minGrade) {
		return &verdictFailure{Msg: fmt.Sprintf("%s is graded %s, worse than --min-grade %s", args[0], rep.Product.Grade, minGrade), Failed: 1, Total: 1}
	}
	return nil
}

func runPortfolio(c *cli.Context, a *sbom.Assessor, args []string, format string, text report.SBOMTextOptions, minGrade sbom.Grade) error {
	files, skipped, err := sbom.CollectInputs(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		msg := "no SBOM files found"
		if len(skipped) > 0 {
			msg = fmt.Sprintf("%s; %d entr%s not read, first: %s [%s]", msg, len(skipped), map[bool]string{true: "y", false: "ies"}[len(skipped) == 1],
				skipped[0].Message, skipped[0].Code)
		}
		return &usageError{Err: errors.New(msg), Hint: "name SBOM files, or directories holding SBOMs, go.mod or package-lock.json files"}
	}
	var progress func(done, total int)
	if isTerminal(c.App.ErrWriter) {
		progress = func(done, total int) {
			fmt.Fprintf(c.App.ErrWriter, "\rsovcheck: %d/%d SBOMs", done, total)
			if done == total {
				fmt.Fprintln(c.App.ErrWriter)
			}
		}
	}
	p := a.NewPortfolio()
	p.AddSkipped(skipped)
	if err := p.AddFiles(c.Context, files, progress); err != nil {
		return err
	}
	rep := p.Report(text.Top)
	switch format {
	case "json":
		err = sbom.WriteJSON(c.App.Writer, rep)
	case "text":
		err = report.WritePortfolioText(c.App.Writer, rep, text)
	default:
		err = renderSBOMReport(c, format, func(d *report.Documents) error { return d.AddPortfolio("portfolio", rep) }, minGrade)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if n := len(rep.Failures); n > 0 {
		first := rep.Failures[0]
		return reason.New(first.Code, "the report lists every unreadable input; fix or remove them for a complete portfolio",
			"%d of %d SBOMs could not be read; first: %s", n, n+rep.Totals.Products, first.Message)
	}
	return portfolioGradeFailure(rep, minGrade)
}

// renderSBOMReport renders a labels or portfolio report in one of the
// formats of package report, from the typed result: the same page
// 'sovcheck report' makes from its JSON.
func renderSBOMReport(c *cli.Context, format string, add func(*report.Documents) error, minGrade sbom.Grade) error {
	docs := &report.Documents{}
	if err := add(docs); err != nil {
		return err
	}
	return report.RenderDocuments(c.App.Writer, format, docs, report.Options{MinGrade: string(minGrade)})
}

// sbomAssessor builds the assessor that the judging flags describe (clock,
// scoring, jurisdictions, data age, data files, and the Wasm modules beside
// the SBOMs named in args), for sbom labels and portfolio add alike.
func sbomAssessor(c *cli.Context, fl sbomFlags, args []string) (*sbom.Assessor, []sbom.Option, error) {
	now := time.Now
	if d := fl.String("as-of"); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return nil, nil, &usageError{Err: fmt.Errorf("--as-of %q is not a date", d), Hint: "write the date as YYYY-MM-DD"}
		}
		now = func() time.Time { return t }
	}
	opts := []sbom.Option{sbom.WithLogger(newLogger(c)), sbom.WithClock(now)}
	cfg := sbom.DefaultConfig()
	if path := fl.String("scoring"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, &usageError{Err: fmt.Errorf("opening --scoring: %w", err), Hint: "check the path of the scoring file"}
		}
		cfg, err = sbom.ParseConfig(f, path)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	cfg.AllowedJurisdictions = append(cfg.AllowedJurisdictions, fl.StringSlice("allow-jurisdiction")...)
	if days := fl.Int("max-data-age"); days != 0 {
		cfg.MaxAdvisoryAgeDays = days
	}
	if p := fl.String("data"); p != "" {
		if err := verifyRiskDataFlag(fl.String("data-key"), p); err != nil {
			return nil, nil, err
		}
	}
	data, err := sbom.LoadData(c.Context, sbom.DataFiles{
		Registry: fl.String("registry"), Mapping: fl.String("mapping"), Advisories: fl.String("vulns"), KEV: fl.String("kev"),
		Facts: fl.String("facts"), Risk: fl.String("data"), VEX: fl.StringSlice("vex"), VEXTrust: "given with --vex", WasmBeside: args,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	a, err := sbom.NewAssessor(slices.Concat(opts, []sbom.Option{sbom.WithScoring(cfg), sbom.WithData(data)})...)
	if err != nil {
		return nil, nil, err
	}
	return a, opts, nil
}

// portfolioGradeFailure is the exit 1 of --min-grade over a portfolio:
// nil when no product is graded worse than minGrade (or none is given).
func portfolioGradeFailure(rep *sbom.PortfolioReport, minGrade sbom.Grade) error {
	if minGrade == "" {
		return nil
	}
	failed := 0
	for _, prod := range rep.Products {
		if prod.Grade.Worse(minGrade) {
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return &verdictFailure{Msg: fmt.Sprintf("%d of %d products are graded worse than --min-grade %s", failed, len(rep.Products), minGrade), Failed: failed, Total: len(rep.Products)}
}
