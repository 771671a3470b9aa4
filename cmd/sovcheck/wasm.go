package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/wasm"
)

func wasmCommand() *cli.Command {
	return &cli.Command{
		Name:               "wasm",
		Usage:              "read WebAssembly modules and components: the capabilities they import",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &usageError{err: fmt.Errorf("unknown wasm command %q", c.Args().First()), hint: "run 'sovcheck wasm caps --help'"}
			}
			return &usageError{err: errors.New("no wasm command given"), hint: "run 'sovcheck wasm caps plugin.wasm'"}
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
		return &usageError{err: fmt.Errorf("unknown --format %q", format), hint: "use text or json"}
	}
	if !c.Args().Present() {
		return &usageError{err: errors.New("no module given"), hint: "run 'sovcheck wasm caps plugin.wasm'"}
	}
	type entry struct {
		File string `json:"file"`
		*wasm.Module
	}
	var mods []entry
	for _, path := range c.Args().Slice() {
		m, err := wasm.ReadFile(c.Context, path, wasm.WithLogger(newLogger(c)))
		if err != nil {
			return err
		}
		mods = append(mods, entry{path, m})
	}
	w := c.App.Writer
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			MediaType string  `json:"mediaType"`
			Modules   []entry `json:"modules"`
		}{vocab.MediaTypeWasmCaps, mods})
	}
	for i, e := range mods {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeWasmText(w, e.File, e.Module)
	}
	return nil
}

func writeWasmText(w io.Writer, file string, m *wasm.Module) {
	wasi := "no WASI"
	if m.WASI != "" {
		wasi = "WASI " + m.WASI
	}
	fmt.Fprintf(w, "%s: %s, %s, %d bytes, sha256 %s\n", file, m.Kind, wasi, m.Size, m.SHA256)
	caps := make([]string, len(m.Capabilities))
	for i, c := range m.Capabilities {
		caps[i] = string(c)
	}
	fmt.Fprintf(w, "  capabilities: %s\n", orNoneList(caps))
	var amb []string
	for _, c := range m.AmbientCapabilities() {
		amb = append(amb, string(c))
	}
	fmt.Fprintf(w, "  ambient authority: %s\n", orNoneList(amb))
	if len(m.Imports) == 0 {
		return
	}
	fmt.Fprintf(w, "  imports:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, im := range m.Imports {
		name := im.Name
		if im.Module != "" {
			name = im.Module + "." + im.Name
		}
		fmt.Fprintf(tw, "    %s\t%s\n", name, im.Capability)
	}
	tw.Flush()
}

func orNoneList(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
