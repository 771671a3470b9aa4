package main

import (
	"errors"
	"fmt"
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
	err = writeAnswer(c, func(out io.Writer) error {
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
	if err != nil || !c.Bool("fail-on-affected") || (ans.Products == 0 && ans.Undetermined == 0) {
		return err
	}
	// A gate fails closed: a version that could not be matched may be
	// affected.
	return &verdictFailure{failed: ans.Affecting, total: ans.Advisories,
		msg: fmt.Sprintf("%d of %d advisories affect %d products; %d products hold a version that could not be matched",
			ans.Affecting, ans.Advisories, ans.Products, ans.Undetermined),
		hint: "update the affected components, or record why a product is not affected in a VEX statement and judge it with 'sovcheck verify'"}
}
