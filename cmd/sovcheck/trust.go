package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sovcheck/sovcheck/internal/atomicfile"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/verify"
)

func trustCommand() *cli.Command {
	return &cli.Command{
		Name:               "trust",
		Usage:              "trust snapshots for offline verification: pull one through TUF, show what it holds",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown trust command %q", c.Args().First()), Hint: "run 'sovcheck trust pull --help' or 'sovcheck trust show --help'"}
			}
			return &usageError{Err: errors.New("no trust command given"), Hint: "run 'sovcheck trust pull --out trust.json', then 'sovcheck trust show trust.json'"}
		},
		Subcommands: []*cli.Command{trustPullCommand(), trustShowCommand()},
	}
}

func trustPullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "fetch Sigstore trust material through TUF (network) and write a trust snapshot",
		ArgsUsage: " ",
		Description: `Refreshes a TUF repository with sigstore-go's TUF client (by default Sigstore's public-good
repository, trusting the TUF root embedded in sovcheck) and writes one JSON file: the trusted root,
the signing config if the repository has one, the time of the pull, and the version and expiry of
each TUF role (root, targets, snapshot, timestamp). The snapshot expires with its earliest TUF
metadata; 'sovcheck trust show' says when.

The TUF metadata is kept under --tuf-cache, so that a later pull refuses a repository that serves
older metadata than it has already seen (a rollback). Expired metadata, a bad signature, a target
whose bytes differ from its signed digest, or a rollback is an error with its reason code.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the snapshot to `FILE`", Required: true},
			&cli.StringFlag{Name: "tuf-url", Usage: "TUF repository `URL` (default Sigstore's public-good repository); needs --tuf-root"},
			&cli.StringFlag{Name: "tuf-root", Usage: "the repository's trusted TUF root.json `FILE`; needs --tuf-url"},
			&cli.StringFlag{Name: "tuf-cache", Usage: "keep TUF metadata in `DIR` (default the user cache directory, sovcheck/tuf)"},
		},
		Action: runTrustPull,
	}
}

func trustShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print what a trust snapshot holds and when it expires",
		ArgsUsage: "FILE",
		Description: `Reads a snapshot written by 'sovcheck trust pull' and prints its repository, as-of time,
expiry (the earliest of its TUF metadata expiries), the TUF role versions and expiries, its targets
with their sha256, and what the trusted root names. Exit status 1 when the snapshot has expired at
--as-of (default now) or, with --max-age, is older than that.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
			&cli.StringFlag{Name: "as-of", Usage: "judge expiry at `TIME` (RFC 3339, or YYYY-MM-DD; default now)"},
			&cli.DurationFlag{Name: "max-age", Usage: "fail a snapshot pulled longer than `DURATION` ago (e.g. 720h)"},
		},
		Action: runTrustShow,
	}
}

func runTrustPull(c *cli.Context) error {
	if c.Args().Present() {
		return &usageError{Err: fmt.Errorf("trust pull takes no arguments, got %q", c.Args().First()), Hint: "run 'sovcheck trust pull --out trust.json'"}
	}
	url, rootPath := c.String("tuf-url"), c.String("tuf-root")
	if (url == "") != (rootPath == "") {
		return &usageError{Err: errors.New("--tuf-url and --tuf-root go together"),
			Hint: "a TUF repository is trusted only from its root.json: give both, or neither for Sigstore's public-good repository"}
	}
	cache := c.String("tuf-cache")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return &usageError{Err: fmt.Errorf("finding the user cache directory: %w", err), Hint: "give --tuf-cache DIR"}
		}
		cache = filepath.Join(dir, "sovcheck", "tuf")
	}
	opts := []verify.TrustPullOption{verify.WithTrustPullLogger(newLogger(c))}
	if url != "" {
		rootJSON, err := os.ReadFile(rootPath)
		if err != nil {
			return &usageError{Err: fmt.Errorf("reading --tuf-root: %w", err), Hint: "give the TUF root.json the repository's operator published"}
		}
		opts = append(opts, verify.WithTUFRepository(url, rootJSON))
	}
	s, err := verify.PullTrustSnapshot(cache, opts...)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding trust snapshot: %w", err)
	}
	out := c.String("out")
	if err := atomicfile.Write(out, append(data, '\n'), time.Time{}); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	expires, role := s.Expires()
	fmt.Fprintf(c.App.Writer, "%s: %d targets from %s as of %s; expires %s (TUF %s metadata)\n",
		out, len(s.Targets), s.Repository, s.AsOf.Format(time.RFC3339), expires.Format(time.RFC3339), role)
	return nil
}

// trustFailure is a snapshot that failed its check: exit 1 with the check's
// message and hint.
type trustFailure struct {
	re *reason.Error
	vf *verdictFailure
}

func (e *trustFailure) Error() string { return fmt.Sprintf("%s [%s]", e.re.Error(), e.re.Code) }
func (e *trustFailure) Unwrap() error { return e.vf }

func runTrustShow(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use text or json"}
	}
	if c.NArg() != 1 {
		return &usageError{Err: fmt.Errorf("trust show takes one FILE, got %d arguments", c.NArg()), Hint: "run 'sovcheck trust show trust.json'"}
	}
	if c.Duration("max-age") < 0 {
		return &usageError{Err: fmt.Errorf("--max-age %s is negative", c.Duration("max-age")), Hint: "give a positive duration, e.g. 720h"}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if v := c.String("as-of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return &usageError{Err: fmt.Errorf("--as-of %q is not a time", v), Hint: "write it as 2026-12-01T12:00:00Z or 2026-12-01"}
			}
		}
		now = t.UTC()
	}
	doc, re, err := verify.ShowTrustSnapshot(c.Args().First(), now, c.Duration("max-age"))
	if err != nil {
		return err
	}
	write := report.TrustShowText
	if format == "json" {
		write = report.TrustShowJSON
	}
	if err := write(c.App.Writer, doc); err != nil {
		return fmt.Errorf("writing trust snapshot summary: %w", err)
	}
	if re != nil {
		return &trustFailure{re: re, vf: &verdictFailure{Failed: 1, Total: 1, Hint: re.Hint}}
	}
	return nil
}
