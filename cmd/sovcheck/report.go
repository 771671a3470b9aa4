package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/report"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "render the JSON results of verify, sbom labels and rebuild for auditors and CI",
		ArgsUsage: "RESULT.json...",
		Description: `Reads one or many JSON results (- reads standard input) and renders them as one report:
the results of 'sovcheck verify --format json' (verdicts, with points when a policy
was applied), 'sovcheck sbom labels --format json' (one product or a portfolio) and
'sovcheck rebuild --format json'. Each result is recognised by its mediaType.

Formats:
  text       for terminals and CI logs
  html       one self-contained page for auditors: the verdict and points up front,
             then per artifact its checks and rebuild, the energy-label grade A-G of
             each SBOM with its worst components and why, a portfolio's shared
             upstreams and supplier concentration, charts as inline SVG; it loads
             nothing, runs nothing and prints on A4
  markdown   a pull-request comment: summary first, details collapsed, at most
             65,000 characters (a note says what was left out)
  sarif      SARIF 2.1.0 for code scanning; rule ids are the reason codes
  junit      JUnit XML for CI test reports, one test case per check

Grades are shown, not judged, unless --min-grade is given.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + `
EXIT STATUS:
   0   every verdict and rebuild in the results passed (and, with --min-grade, every
       grade); also when the results hold grades only and no --min-grade is given
   1   a verdict, a rebuild or (with --min-grade) a grade failed; the report says which
   2   no verdict: usage error, unreadable or malformed result
`,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck report --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: " + strings.Join(report.DocumentFormats, ", ")},
			&cli.StringFlag{Name: "min-grade", Usage: "fail products graded worse than `GRADE` (A best .. G)"},
			&cli.StringFlag{Name: "title", Usage: "`TITLE` of HTML and Markdown reports (default: sovcheck report)"},
		},
		Action: runReport,
	}
}

func runReport(c *cli.Context) error {
	format := c.String("format")
	if !report.ValidDocumentFormat(format) {
		hint := "use one of: " + strings.Join(report.DocumentFormats, ", ")
		if format == "json" {
			hint = "each result already is JSON; render it with one of: " + strings.Join(report.DocumentFormats, ", ")
		}
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: hint}
	}
	minGrade := strings.ToUpper(c.String("min-grade"))
	if minGrade != "" && !vocab.Grade(minGrade).Valid() {
		return &usageError{Err: fmt.Errorf("--min-grade %q is not a grade", c.String("min-grade")), Hint: "give a grade from A (best) to G"}
	}
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no result given"),
			Hint: "run 'sovcheck verify ARTIFACT --format json > result.json', then 'sovcheck report result.json --format html > report.html'"}
	}
	docs := &report.Documents{}
	for _, name := range c.Args().Slice() {
		if err := readResult(c, name, docs); err != nil {
			return err
		}
	}
	opts := report.Options{Title: c.String("title"), MinGrade: minGrade, Style: report.Style{Color: format == "text" && useColor(c.App.Writer)}}
	if err := report.RenderDocuments(c.App.Writer, format, docs, opts); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	d := docs.Decide(minGrade)
	if d.Failed > 0 {
		return &verdictFailure{Msg: fmt.Sprintf("%d of %d verdicts, rebuilds and grades in the results failed", d.Failed, d.Decided), Failed: d.Failed, Total: d.Decided}
	}
	return nil
}

func readResult(c *cli.Context, name string, docs *report.Documents) error {
	if name == "-" {
		return report.Read("stdin", c.App.Reader, docs)
	}
	f, err := os.Open(name)
	if err != nil {
		return &usageError{Err: fmt.Errorf("opening result: %w", err), Hint: "name the JSON files written by sovcheck verify, sbom labels or rebuild with --format json"}
	}
	defer f.Close()
	return report.Read(name, f, docs)
}
