package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/verify"
)

// trustFlags are the flags of several named trusted roots, the age of
// trust snapshots and witnessed checkpoints.
func trustFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "trusted-root", Usage: "Sigstore trusted_root.json or trust snapshot `FILE` for offline verification; NAME=FILE names one of several roots (repeat), each checked on its own", EnvVars: []string{"SOVCHECK_TRUSTED_ROOT"}},
		&cli.StringSliceFlag{Name: "trusted-root-operator", Usage: "`NAME=OPERATOR`: the operator answering for a named root (default: its name; repeat)"},
		&cli.StringFlag{Name: "trusted-root-rule", Usage: "`RULE`: which named roots must validate each bundle: any, all, or a number K of distinct operators, optionally :NAME,NAME of the roots that count", DefaultText: "any"},
		&cli.DurationFlag{Name: "max-trust-age", Usage: "fail unless each trusted root is a trust snapshot pulled at most `DURATION` ago whose TUF metadata has not expired"},
		&cli.StringFlag{Name: "witnesses", Usage: "witness list `FILE`: one C2SP note verifier key per line, optionally with operator and jurisdiction"},
		&cli.IntFlag{Name: "witness-quorum", Usage: "with --witnesses: valid cosignatures from at least `K` distinct operators on every checkpoint", DefaultText: "1"},
	}
}

// trustOptions reads trustFlags. A single bare FILE is the run's one
// trusted root, as before; with named roots, a bare FILE is named default.
func trustOptions(c *cli.Context) ([]verify.Option, error) {
	var opts []verify.Option
	roots := c.StringSlice("trusted-root")
	operators := map[string]string{}
	for _, v := range c.StringSlice("trusted-root-operator") {
		name, op, ok := strings.Cut(v, "=")
		if !ok || name == "" || op == "" {
			return nil, &usageError{Err: fmt.Errorf("--trusted-root-operator %q is not NAME=OPERATOR", v), Hint: "name the root as in --trusted-root NAME=FILE"}
		}
		operators[name] = op
	}
	named := false
	for _, v := range roots {
		if _, _, ok := splitNamedRoot(v); ok {
			named = true
		}
	}
	if !named {
		if len(roots) > 1 {
			return nil, &usageError{Err: fmt.Errorf("%d unnamed trusted roots given", len(roots)), Hint: "name each of several roots: --trusted-root NAME=FILE"}
		}
		if len(operators) > 0 || c.String("trusted-root-rule") != "" {
			return nil, &usageError{Err: errors.New("--trusted-root-operator and --trusted-root-rule need named roots"), Hint: "give --trusted-root NAME=FILE"}
		}
		if len(roots) == 1 {
			opts = append(opts, verify.WithTrustedRoot(roots[0]))
		}
	}
	for _, v := range roots {
		if !named {
			break
		}
		name, file, ok := splitNamedRoot(v)
		if !ok {
			name, file = "default", v
		}
		opts = append(opts, verify.WithNamedTrustedRoot(verify.TrustRoot{Name: name, Path: file, Operator: operators[name]}))
		delete(operators, name)
	}
	for name := range operators {
		return nil, &usageError{Err: fmt.Errorf("--trusted-root-operator names root %q, which is not given", name), Hint: "give --trusted-root " + name + "=FILE"}
	}
	if s := c.String("trusted-root-rule"); s != "" {
		rule, err := verify.ParseTrustRule(s)
		if err != nil {
			return nil, err
		}
		opts = append(opts, verify.WithTrustRule(rule))
	}
	if c.IsSet("max-trust-age") {
		opts = append(opts, verify.WithMaxTrustAge(c.Duration("max-trust-age")))
	}
	quorum := c.Int("witness-quorum")
	switch {
	case c.String("witnesses") != "":
		if !c.IsSet("witness-quorum") {
			quorum = 1
		}
		opts = append(opts, verify.WithWitnesses(c.String("witnesses"), quorum))
	case c.IsSet("witness-quorum"):
		return nil, &usageError{Err: errors.New("--witness-quorum given without --witnesses"), Hint: "give the witness list with --witnesses FILE"}
	}
	return opts, nil
}

// splitNamedRoot reads NAME=FILE; a path whose text before '=' is not a
// root name is a bare FILE.
func splitNamedRoot(v string) (string, string, bool) {
	name, file, ok := strings.Cut(v, "=")
	if !ok || file == "" || strings.ContainsAny(name, `/\`) || name == "" || strings.HasPrefix(name, ".") {
		return "", "", false
	}
	return name, file, true
}
