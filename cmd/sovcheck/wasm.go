package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/wasm"
)

// wasmCapsMediaType identifies the JSON of 'sovcheck wasm caps'.
const wasmCapsMediaType = "application/vnd.sovcheck.wasm-caps.v1+json"

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
				&cli.StringFlag{Name: "format", Value: "text", Usage: "output format: text or json"},
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
		}{wasmCapsMediaType, mods})
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

// maxWasmBeside bounds the .wasm files read beside SBOMs.
const maxWasmBeside = 10_000

// wasmBeside reads the .wasm files beside the SBOMs (in the directory of
// each SBOM file, or under each directory given), indexed by SHA-256, so
// that a component whose digest matches is labelled by its capabilities.
// A .wasm file that does not read stops the run: its component would
// otherwise be judged without it.
func wasmBeside(c *cli.Context, args []string) (map[string]*wasm.Module, error) {
	seen := map[string]bool{}
	var files []string
	for _, a := range args {
		root := a
		if st, err := os.Stat(a); err != nil || !st.IsDir() {
			root = filepath.Dir(a)
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != root && root == filepath.Dir(a) {
				return filepath.SkipDir // beside a file: its own directory only
			}
			if !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(p), ".wasm") || seen[p] {
				return nil
			}
			if len(files) == maxWasmBeside {
				return fmt.Errorf("more than %d .wasm files beside the SBOMs", maxWasmBeside)
			}
			seen[p] = true
			files = append(files, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("looking for .wasm files beside %s: %w", a, err)
		}
	}
	sort.Strings(files)
	out := make(map[string]*wasm.Module, len(files))
	for _, p := range files {
		m, err := wasm.ReadFile(c.Context, p, wasm.WithLogger(newLogger(c)))
		if err != nil {
			return nil, err
		}
		out[m.SHA256] = m
	}
	return out, nil
}
