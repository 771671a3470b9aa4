package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/verify"
)

func gateCommand() *cli.Command {
	return &cli.Command{
		Name:      "gate",
		Usage:     "CI gate: list every dependency that is not certified under the policy",
		ArgsUsage: "go.sum | package-lock.json | go.mod | SBOM",
		Description: `Reads the dependencies of a go.sum, a package-lock.json (v2/v3), a go.mod (with the go.sum
beside it) or a CycloneDX or SPDX SBOM, and certifies each under the policy's certification
section: a PASSED VSA signed by a certifier key the policy trusts (--vsa; it counts for the
dependencies whose sha256 it names as subject, or whose purl is its resourceUri), or an
unexpired entry of the policy's certification list (a pinned data file) by purl or sha256.

Prints one line per dependency that is not certified, with the fix, one line per VSA that
does not verify (REJECTED) or does not count (UNUSED), then a summary; --format json, sarif
(code scanning, each finding at its line of the input), junit or markdown (a pull-request
comment) for CI. Certifiers the policy names by key id need their public key: --certifier-key
FILE. A policy without a certification section certifies nothing and is refused (exit 2).

To adopt the gate on an existing project, keep the JSON of one run as a baseline
(--format json > gate-baseline.json) and pass --baseline gate-baseline.json: the dependencies
it lists are counted as accepted, and only a dependency it does not list (a new one, or a new
version) fails the gate.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + `
EXIT STATUS:
   0   every dependency is certified
   1   a dependency is not certified, or a VSA given does not verify
   2   no verdict: usage error, unreadable policy, data file, input or VSA
`,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck gate --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "procurement policy `FILE` with a certification section", EnvVars: []string{"SOVCHECK_POLICY"}},
			&cli.StringSliceFlag{Name: "vsa", Usage: "a VSA `FILE` (DSSE envelope or Sigstore bundle) of a dependency (repeat for several)"},
			&cli.StringSliceFlag{Name: "certifier-key", Usage: "PEM public key `FILE` of a certifier the policy names by key id (repeat for several)"},
			&cli.StringFlag{Name: "baseline", Usage: "accept the dependencies an earlier run's JSON `FILE` (--format json) lists as uncertified: fail only on new ones"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: " + strings.Join(report.GateFormats, ", "), EnvVars: []string{"SOVCHECK_FORMAT"}},
		},
		Action: runGate,
	}
}

func runGate(c *cli.Context) error {
	if c.NArg() != 1 {
		return &usageError{Err: fmt.Errorf("gate takes one dependency list, got %d arguments", c.NArg()),
			Hint: "run 'sovcheck gate --policy ci.yaml go.sum'"}
	}
	format := c.String("format")
	if !slices.Contains(report.GateFormats, format) {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use one of: " + strings.Join(report.GateFormats, ", ")}
	}
	if c.String("policy") == "" {
		return &usageError{Err: errors.New("no --policy given"), Hint: "give --policy FILE with a certification section; 'sovcheck policy init' writes a starting point"}
	}
	po, err := policyOptions(c, true)
	if err != nil {
		return reportFileProblems(c.App.ErrWriter, err)
	}
	var baseline map[string]bool
	if f := c.String("baseline"); f != "" {
		if baseline, err = report.ReadGateBaseline(f); err != nil {
			return err
		}
	}
	res, err := verify.Gate(c.Args().First(), verify.GateOptions{Policy: po.Policy, VSAs: po.VSAs, CertifierKeys: po.CertifierKeys,
		Baseline: baseline, BaselineFile: c.String("baseline"), Now: po.Now, Logger: newLogger(c)})
	if err != nil {
		return err
	}
	if err := report.RenderGate(c.App.Writer, format, res); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if !res.Passed() {
		n := len(res.Uncertified)
		msg := fmt.Sprintf("%d of %d dependencies of %s are not certified under policy %s", n, res.Dependencies, res.Input, res.Policy)
		if len(res.Rejected) > 0 {
			msg += fmt.Sprintf(", and %d VSA%s did not verify", len(res.Rejected), map[bool]string{true: "", false: "s"}[len(res.Rejected) == 1])
		}
		return &verdictFailure{Msg: msg, Failed: n + len(res.Rejected), Total: res.Dependencies,
			Hint: "each line on stdout names a dependency and its fix"}
	}
	return nil
}
