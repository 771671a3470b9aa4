package main

import (
	"errors"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/sbom"
)

// runPortfolioWhereAffected answers 'portfolio where --vulns PATH': which
// products the advisories at PATH affect.
func runPortfolioWhereAffected(c *cli.Context, format string) error {
	if c.Args().Present() || c.String("upstream") != "" || c.String("versions") != "" || c.IsSet("provider") {
		return &usageError{err: errors.New("--vulns is asked alone"), hint: "drop the purl, name, --upstream, --versions and --provider, or --vulns"}
	}
	db, err := sbom.LoadAdvisories(c.String("vulns"), sbom.WithLogger(newLogger(c)))
	if err != nil {
		return err
	}
	st, err := openStore(c, portfolio.ForReading())
	if err != nil {
		return err
	}
	defer st.Close()
	ans, err := st.WhereAffected(c.Context, db, c.Bool("history"))
	if err != nil {
		return err
	}
	return writeAnswer(c, func(out io.Writer) error {
		switch format {
		case "json":
			return sbom.WriteJSON(out, ans)
		case "html":
			return report.WriteAffectedHTML(out, ans)
		case "sarif":
			return report.WriteAffectedSARIF(out, ans)
		}
		return report.WriteAffectedText(out, ans)
	})
}
