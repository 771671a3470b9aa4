package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/data"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

func dataCommand() *cli.Command {
	return &cli.Command{
		Name:               "data",
		Usage:              "gather risk data once (network), for offline labelling",
		CustomHelpTemplate: cli.SubcommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown data command %q", c.Args().First()), Hint: "run 'sovcheck data pull --help'"}
			}
			return &usageError{Err: errors.New("no data command given"), Hint: "run 'sovcheck data pull --out risk-data.json SBOM...'"}
		},
		Subcommands: []*cli.Command{{
			Name:      "pull",
			Usage:     "look up the packages of SBOMs in registries and indices; write a risk data snapshot",
			ArgsUsage: "SBOM|DIR...",
			Description: `The fetch phase: reads the SBOMs (files or directories), asks each package's registry and
writes one snapshot with every source's URL, time and sha256. 'sovcheck sbom labels --data FILE'
then labels offline: single-maintainer, anonymous-maintainer, abandoned, deprecated, retracted.
Sources: the Go module proxy (--goproxy, default the first entry of $GOPROXY, else
https://proxy.golang.org) for pkg:golang; Debian Packages or Sources indices (--debian-index,
plain, .gz, .xz or .lz4, as in /var/lib/apt/lists) for pkg:deb/debian. A lookup that fails is
recorded and counted; its package stays unknown.` + dataPullMoreHelp,
			CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "out", Usage: "write the snapshot to `FILE`", Required: true},
				&cli.StringFlag{Name: "goproxy", Usage: "Go module proxy `URL` (http(s):// or file://)"},
				&cli.StringSliceFlag{Name: "debian-index", Usage: "Debian Packages or Sources index `FILE` (repeat)"},
				&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: 8, Usage: "`N` lookups at once"},
				&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "time limit (`DURATION`) per lookup"},
			}, dataPullFlags()...),
			Action: runDataPull,
		}, dataImportCommand(), dataSignCommand()},
	}
}

func goProxyURL(flag string) string {
	if flag != "" {
		return flag
	}
	for _, p := range strings.FieldsFunc(os.Getenv("GOPROXY"), func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			return p
		}
	}
	return "https://proxy.golang.org"
}

func runDataPull(c *cli.Context) error {
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no SBOM given"), Hint: "run 'sovcheck data pull --out risk-data.json sboms/'"}
	}
	if c.Int("jobs") <= 0 {
		return &usageError{Err: fmt.Errorf("--jobs %d is not positive", c.Int("jobs")), Hint: "give the number of lookups at once, e.g. -j 8"}
	}
	logger := newLogger(c)
	opts := []data.Option{data.WithLogger(logger), data.WithConcurrency(c.Int("jobs")), data.WithTimeout(c.Duration("timeout"))}
	opts, cache, err := withDataCache(c, opts)
	if err != nil {
		return err
	}
	files, skipped, err := sbom.CollectInputs(c.Args().Slice())
	if err != nil {
		return err
	}
	for _, s := range skipped {
		// What is not read is not pulled: its components stay "unknown".
		fmt.Fprintf(c.App.ErrWriter, "sovcheck: warning: %s not read [%s]: %s\n", s.Source, s.Code, s.Message)
	}
	if len(files) == 0 {
		return &usageError{Err: errors.New("no SBOM files found"), Hint: "name SBOM files, or directories holding them"}
	}
	var keys []string
	for _, f := range files {
		g, err := sbom.ReadFile(f, sbom.WithLogger(logger))
		if err != nil {
			return err
		}
		for _, comp := range g.Components {
			if k := sbom.PackageKey(comp.PURL); k != "" {
				keys = append(keys, k)
			}
		}
	}
	var sources []data.Source
	for _, p := range c.StringSlice("debian-index") {
		idx, err := data.NewDebianIndex(p, opts...)
		if err != nil {
			return err
		}
		sources = append(sources, idx)
	}
	gp, err := data.NewGoProxy(goProxyURL(c.String("goproxy")), &http.Client{Timeout: c.Duration("timeout")}, opts...)
	if err != nil {
		return err
	}
	sources = append(sources, gp)
	more, err := moreDataSources(c, opts)
	if err != nil {
		return err
	}
	sources = append(sources, more...)
	if isTerminal(c.App.ErrWriter) {
		opts = append(opts, data.WithProgress(func(done, total int) {
			fmt.Fprintf(c.App.ErrWriter, "\rlooked up %d of %d packages", done, total)
			if done == total {
				fmt.Fprintln(c.App.ErrWriter)
			}
		}))
	}
	rd, err := data.Pull(c.Context, keys, sources, opts...)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rd, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the snapshot: %w", err)
	}
	if err := os.WriteFile(c.String("out"), append(b, '\n'), 0o644); err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check that the --out directory exists and is writable", "writing %s", c.String("out"))
	}
	if err := signSnapshot(c, c.String("out")); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s: %d packages, %d with facts, %d unknown (%d lookups failed), %d sources\n",
		c.String("out"), rd.Counts.Packages, rd.Counts.Found, rd.Counts.Unknown, len(rd.Failures), len(rd.Sources))
	printFailures(c, rd)
	printUnsourced(c, keys, sources)
	printCacheStats(c, cache)
	return nil
}
