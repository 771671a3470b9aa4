package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sovcheck/sovcheck/internal/atomicfile"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/data"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// importKinds are data import's file flags, in the order they are read.
var importKinds = []string{data.ImportScorecard, data.ImportCriticality, data.ImportKEV, data.ImportOSV}

func dataImportCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "add files brought from a connected machine (Scorecard, criticality_score, KEV, OSV) to a risk data snapshot",
		ArgsUsage: " ",
		Description: `Reads each file in its publisher's format and adds its facts to the snapshot --into (made
when it does not exist): OpenSSF Scorecard results (JSON format v2: one result, a list, or
one per line), OpenSSF criticality_score output (CSV or JSON; repo.url and default_score,
or url and criticality_score), CISA's KEV catalogue (known_exploited_vulnerabilities.json)
and OSV zips (osv.dev's all.zip; only advisories naming the snapshot's packages are kept
when it has packages). Every fact names its file as source: file name, sha256, the time it
was imported and the date the file states. A fact replaces what an earlier import said of
the same repository, CVE or advisory. A file that is malformed or over a limit fails the
import and leaves the snapshot unchanged. The flags repeat.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "into", Usage: "the snapshot `FILE` to add to (made when missing)", Required: true},
			&cli.StringSliceFlag{Name: data.ImportScorecard, Usage: "OpenSSF Scorecard results `FILE` (JSON)"},
			&cli.StringSliceFlag{Name: data.ImportCriticality, Usage: "OpenSSF criticality_score output `FILE` (CSV or JSON)"},
			&cli.StringSliceFlag{Name: data.ImportKEV, Usage: "CISA KEV catalogue `FILE` (JSON)"},
			&cli.StringSliceFlag{Name: data.ImportOSV, Usage: "OSV advisories zip `FILE`"},
			dataSignFlag,
		},
		Action: runDataImport,
	}
}

func runDataImport(c *cli.Context) error {
	if c.Args().Present() {
		return &usageError{Err: fmt.Errorf("unexpected argument %q", c.Args().First()), Hint: "name the files with --scorecard, --criticality, --kev or --osv"}
	}
	n := 0
	for _, k := range importKinds {
		n += len(c.StringSlice(k))
	}
	if n == 0 {
		return &usageError{Err: errors.New("no file to import given"), Hint: "name the files with --scorecard, --criticality, --kev or --osv"}
	}
	into := c.String("into")
	rd, err := sbom.LoadRiskData(into)
	if errors.Is(err, os.ErrNotExist) {
		rd, err = &sbom.RiskData{MediaType: vocab.MediaTypeRiskData, AsOf: time.Now().UTC().Format(time.RFC3339),
			Sources: []sbom.RiskDataSource{}, Packages: []sbom.PackageFacts{}}, nil
	}
	if err != nil {
		return err
	}
	opts := []data.Option{data.WithLogger(newLogger(c))}
	for _, k := range importKinds {
		for _, p := range c.StringSlice(k) {
			st, err := data.Import(rd, k, p, opts...)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s %s: %d records read, %d facts kept\n", k, p, st.Records, st.Stored)
		}
	}
	if err := writeSnapshot(into, rd); err != nil {
		return err
	}
	if err := signSnapshot(c, into); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s: %d sources, %d packages, %d repositories, %d exploited, %d advisories\n",
		into, len(rd.Sources), len(rd.Packages), len(rd.Repositories), len(rd.Exploited), len(rd.Advisories))
	return nil
}

// writeSnapshot writes the snapshot whole or not at all.
func writeSnapshot(path string, rd *sbom.RiskData) error {
	b, err := json.MarshalIndent(rd, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the snapshot: %w", err)
	}
	fail := func(err error) error {
		return reason.Wrap(err, reason.InputUnreadable, "check that the snapshot's directory exists and is writable", "writing %s", path)
	}
	if err := atomicfile.Write(path, append(b, '\n'), time.Time{}); err != nil {
		return fail(err)
	}
	return nil
}
