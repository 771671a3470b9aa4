package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/verify"
)

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:               "policy",
		Usage:              "write, check and show procurement policies",
		CustomHelpTemplate: cli.SubcommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{Err: err, Hint: "run 'sovcheck policy --help' for usage"}
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown policy command %q", c.Args().First()), Hint: "use one of: init, check, show-default"}
			}
			return &usageError{Err: errors.New("no policy command given"), Hint: "run 'sovcheck policy init > procurement.yaml' to start one"}
		},
		Subcommands: []*cli.Command{
			{
				Name:               "init",
				Usage:              "print a commented starting point for a policy",
				Description:        "Redirect it to a file, edit it, then run 'sovcheck policy check FILE'.",
				CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
				Action: func(c *cli.Context) error {
					return printFixed(c, "init", verify.PolicyTemplate())
				},
			},
			{
				Name:      "check",
				Usage:     "check a policy file and the data files it pins",
				ArgsUsage: "FILE",
				Description: `Every problem is reported with its line and column: unknown fields, wrong types,
unknown labels or predicate types, CEL rules that do not compile or do not return a bool,
an expired policy, and data files (paths relative to the policy) whose sha256 differs
from their pin. Exit 0 when the policy is valid, 2 otherwise.`,
				CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
				OnUsageError: func(_ *cli.Context, err error, _ bool) error {
					return &usageError{Err: err, Hint: "run 'sovcheck policy check FILE'"}
				},
				Action: runPolicyCheck,
			},
			{
				Name:               "show-default",
				Usage:              "print the embedded default policy, which --policy default applies",
				CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
				Action: func(c *cli.Context) error {
					return printFixed(c, "show-default", verify.DefaultPolicySource())
				},
			},
		},
	}
}

// printFixed prints a document that takes no arguments.
func printFixed(c *cli.Context, name string, doc []byte) error {
	if c.Args().Present() {
		return &usageError{Err: fmt.Errorf("policy %s takes no arguments", name), Hint: "run 'sovcheck policy " + name + "'"}
	}
	if _, err := c.App.Writer.Write(doc); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	return nil
}

func runPolicyCheck(c *cli.Context) error {
	if c.NArg() != 1 {
		return &usageError{Err: fmt.Errorf("policy check takes one FILE, got %d arguments", c.NArg()), Hint: "run 'sovcheck policy check procurement.yaml'"}
	}
	path := c.Args().First()
	p, _, err := verify.LoadPolicy(path, time.Now(), nil)
	if err != nil {
		return reportFileProblems(c.App.ErrWriter, err)
	}
	n := len(p.DataFiles())
	trust := ""
	if t := p.Trust(); t != nil && len(t.Roots)+len(t.Witnesses) > 0 {
		trust = fmt.Sprintf(", %d trusted roots and %d witness lists checked", len(t.Roots), len(t.Witnesses))
	}
	fmt.Fprintf(c.App.Writer, "%s: valid policy %q (sha256 %s): %d rules, %d waivers, %d data file%s checked%s\n",
		path, p.Name(), p.SHA256(), p.RuleCount(), p.WaiverCount(), n, map[bool]string{true: "", false: "s"}[n == 1], trust)
	return nil
}

// reportFileProblems prints every problem but the last and returns the
// last, so that each appears as one "error" line with its "hint" line.
func reportFileProblems(w io.Writer, err error) error {
	problems := verify.PolicyProblems(err)
	if len(problems) < 2 {
		return err
	}
	for _, pr := range problems[:len(problems)-1] {
		printError(w, pr.Msg, pr.Hint)
	}
	return problems[len(problems)-1]
}
