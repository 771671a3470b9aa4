package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:               "policy",
		Usage:              "write, check and show procurement policies",
		CustomHelpTemplate: cli.SubcommandHelpTemplate + exitStatusHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &usageError{err: err, hint: "run 'sovcheck policy --help' for usage"}
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{err: fmt.Errorf("unknown policy command %q", c.Args().First()), hint: "use one of: init, check, show-default"}
			}
			return &usageError{err: errors.New("no policy command given"), hint: "run 'sovcheck policy init > procurement.yaml' to start one"}
		},
		Subcommands: []*cli.Command{
			{
				Name:               "init",
				Usage:              "print a commented starting point for a policy",
				Description:        "Redirect it to a file, edit it, then run 'sovcheck policy check FILE'.",
				CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
				Action: func(c *cli.Context) error {
					return printFixed(c, "init", policy.InitTemplate())
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
					return &usageError{err: err, hint: "run 'sovcheck policy check FILE'"}
				},
				Action: runPolicyCheck,
			},
			{
				Name:               "show-default",
				Usage:              "print the default policy that applies when no --policy is given",
				CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
				Action: func(c *cli.Context) error {
					return printFixed(c, "show-default", policy.DefaultSource())
				},
			},
		},
	}
}

// printFixed prints a document that takes no arguments.
func printFixed(c *cli.Context, name string, doc []byte) error {
	if c.Args().Present() {
		return &usageError{err: fmt.Errorf("policy %s takes no arguments", name), hint: "run 'sovcheck policy " + name + "'"}
	}
	if _, err := c.App.Writer.Write(doc); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	return nil
}

func runPolicyCheck(c *cli.Context) error {
	if c.NArg() != 1 {
		return &usageError{err: fmt.Errorf("policy check takes one FILE, got %d arguments", c.NArg()), hint: "run 'sovcheck policy check procurement.yaml'"}
	}
	path := c.Args().First()
	// One byte over the limit, so that Load reports an oversized policy.
	data, err := readUpTo(path, policy.MaxPolicyBytes+1)
	if err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check the policy path", "reading policy")
	}
	p, err := policy.Load(data, path, time.Now())
	if err == nil {
		err = checkDataFiles(p, path)
	}
	if err != nil {
		return reportFileProblems(c.App.ErrWriter, err)
	}
	n := len(p.DataFiles())
	fmt.Fprintf(c.App.Writer, "%s: valid policy %q (sha256 %s): %d rules, %d waivers, %d data file%s checked\n",
		path, p.Name(), p.SHA256(), p.RuleCount(), p.WaiverCount(), n, map[bool]string{true: "", false: "s"}[n == 1])
	return nil
}

// checkDataFiles reads every data file the policy at policyPath pins
// (paths relative to the policy's directory) and checks it against its
// sha256, and a certification list's contents as well.
func checkDataFiles(p *policy.Policy, policyPath string) error {
	for _, d := range p.DataFiles() {
		path := d.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(policyPath), path)
		}
		if d.Kind == policy.DataCertifications {
			data, err := readUpTo(path, policy.MaxDataListBytes+1)
			if err != nil {
				return dataFileError(policyPath, d, err)
			}
			if p, err = p.WithData(d.Name, data); err != nil {
				return err
			}
			continue
		}
		sum, err := hashFile(path)
		if err != nil {
			return dataFileError(policyPath, d, err)
		}
		if err := p.CheckDataDigest(d.Name, sum); err != nil {
			return err
		}
	}
	return nil
}

func dataFileError(policyPath string, d policy.DataFile, err error) error {
	return &policy.FileError{Name: policyPath, Problems: []policy.Problem{{Pos: d.Pos, Code: reason.InputUnreadable,
		Path: "data[" + d.Name + "]", Msg: fmt.Sprintf("reading data file %s: %v", d.Name, err),
		Hint: "put the file at its path, relative to the policy file, or fix the path in the policy"}}}
}

// reportFileProblems prints every problem but the last and returns the
// last, so that each appears as one "error" line with its "hint" line.
func reportFileProblems(w io.Writer, err error) error {
	var fe *policy.FileError
	if !errors.As(err, &fe) || len(fe.Problems) < 2 {
		return err
	}
	for _, pr := range fe.Problems[:len(fe.Problems)-1] {
		printError(w, fe.Format(pr), pr.Hint)
	}
	last := fe.Problems[len(fe.Problems)-1]
	return &reason.Error{Code: last.Code, Msg: fe.Format(last), Hint: last.Hint}
}

// readUpTo reads at most n bytes of a file; the parser that gets them
// enforces its own, smaller limit and so reports an oversized file.
func readUpTo(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(n)))
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
