package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/report"
	"github.com/sovcheck/sovcheck/wasm"
)

func wasmCommand() *cli.Command {
	return &cli.Command{
		Name:               "wasm",
		Usage:              "read WebAssembly modules and components: the capabilities they import",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{Err: fmt.Errorf("unknown wasm command %q", c.Args().First()), Hint: "run 'sovcheck wasm caps --help'"}
			}
			return &usageError{Err: errors.New("no wasm command given"), Hint: "run 'sovcheck wasm caps plugin.wasm'"}
		},
		Subcommands: []*cli.Command{{
			Name:      "caps",
			Usage:     "list the capabilities a Wasm core module or component imports",
			ArgsUsage: "FILE.wasm...",
			Description: `Reads each file (a core module, validated by wazero, or a component) and maps its imports to
capabilities: filesystem, sockets, http, clocks, random, environment, process, io, and host (an
import outside WASI, whose authority the host decides) or unknown (a WASI name sovcheck does not
know). filesystem, sockets, http, host and unknown are ambient authority.
'sovcheck verify FILE.wasm --policy P' judges them against the policy's wasm.allowedCapabilities.`,
			CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
			},
			Action: runWasmCaps,
		}},
	}
}

func runWasmCaps(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return &usageError{Err: fmt.Errorf("unknown --format %q", format), Hint: "use text or json"}
	}
	if !c.Args().Present() {
		return &usageError{Err: errors.New("no module given"), Hint: "run 'sovcheck wasm caps plugin.wasm'"}
	}
	var mods []report.WasmCaps
	for _, path := range c.Args().Slice() {
		m, err := wasm.ReadFile(c.Context, path, wasm.WithLogger(newLogger(c)))
		if err != nil {
			return err
		}
		mods = append(mods, report.WasmCaps{File: path, Module: m})
	}
	if format == "json" {
		return report.WasmCapsJSON(c.App.Writer, mods)
	}
	return report.WasmCapsText(c.App.Writer, mods)
}
