package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/sbom"
)

func sbomCheckCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check SBOMs against a conformance profile and list every missing field",
		ArgsUsage: "--profile PROFILE SBOM...",
		Description: `Checks each SBOM against a conformance profile, field by field and component by component,
and lists every gap: the field, the section of the guideline that requires it, the component
and where it sits in the document.

Profiles:
  bsi-tr-03183-2   BSI TR-03183-2 v2.1.0 (EU Cyber Resilience Act, Germany): CycloneDX 1.6+
                   or SPDX 3.0.1+; the SBOM's creator (e-mail or URL), timestamp and URI; per
                   component its creator, name, version, file name, dependencies, distribution
                   licence, SHA-512 hash of the deployable form, executable/archive/structured
                   properties (bsi:component:* in CycloneDX) and purl, CPE or SWID; no
                   vulnerabilities in the SBOM.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + `
EXIT STATUS:
   0   every SBOM conforms to the profile
   1   an SBOM has gaps (stdout lists each one)
   2   no verdict: usage error, or an SBOM that cannot be read
`,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck sbom check --help' for usage"}
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Usage: "conformance `PROFILE`: " + strings.Join(sbom.Profiles, ", ")},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		Action: runSBOMCheck,
	}
}

// profileResults is the JSON output of 'sbom check'.
type profileResults struct {
	MediaType  string                `json:"mediaType"`
	Profile    string                `json:"profile"`
	Reports    []*sbom.ProfileReport `json:"reports"`
	Unreadable []sbom.Failure        `json:"unreadable,omitempty"`
}

func runSBOMCheck(c *cli.Context) error {
	profile := c.String("profile")
	switch {
	case profile == "":
		return &usageError{Err: errors.New("no --profile given"), Hint: "run 'sovcheck sbom check --profile " + sbom.ProfileBSITR031832 + " SBOM...'"}
	case !slices.Contains(sbom.Profiles, profile):
		return &usageError{Err: fmt.Errorf("unknown --profile %q", profile), Hint: "use one of: " + strings.Join(sbom.Profiles, ", ")}
	case c.NArg() == 0:
		return &usageError{Err: errors.New("no SBOM given"), Hint: "name one or more SBOM files"}
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use text or json"}
	}
	res := profileResults{MediaType: vocab.MediaTypeSBOMProfile, Profile: profile, Reports: []*sbom.ProfileReport{}}
	opts := []sbom.Option{sbom.WithLogger(newLogger(c))}
	for _, f := range c.Args().Slice() {
		rep, err := sbom.CheckProfileFile(f, profile, opts...)
		if err != nil {
			re := reason.As(err, reason.InputUnreadable, "check the file")
			res.Unreadable = append(res.Unreadable, sbom.Failure{Source: f, Code: re.Code, Message: re.Error(), Hint: re.Hint})
			continue
		}
		res.Reports = append(res.Reports, rep)
	}
	var err error
	if format == "json" {
		err = sbom.WriteJSON(c.App.Writer, res)
	} else {
		err = report.WriteProfileText(c.App.Writer, res.Profile, res.Reports, res.Unreadable)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if n := len(res.Unreadable); n > 0 {
		u := res.Unreadable[0]
		return &reason.Error{Code: u.Code, Msg: fmt.Sprintf("%d of %d SBOMs could not be read; first: %s", n, c.NArg(), u.Message), Hint: u.Hint}
	}
	failed := 0
	for _, r := range res.Reports {
		if !r.Conformant {
			failed++
		}
	}
	if failed > 0 {
		return &verdictFailure{Msg: fmt.Sprintf("%d of %d SBOMs do not conform to %s", failed, len(res.Reports), profile), Failed: failed, Total: len(res.Reports),
			Hint: fmt.Sprintf("stdout lists every gap: the field, the section that requires it, the component and where it sits [%s]", reason.SBOMProfileGaps)}
	}
	return nil
}
