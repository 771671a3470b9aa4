package sbom

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/wasm"
)

// maxWasmBeside bounds the .wasm files read beside SBOMs.
const maxWasmBeside = 10_000

// DataFiles names the offline data files of an assessment, as the user
// gave them. An empty name is not read; its labels say "unknown".
type DataFiles struct {
	Registry   string // trust registry (YAML)
	Mapping    string // upstream mapping (YAML)
	Advisories string // OSV advisories: a directory or a zip
	KEV        string // CISA known exploited vulnerabilities (JSON)
	Facts      string // verify/rebuild facts (JSON)
	Risk       string // risk data snapshot of sovcheck data pull
	// VEX documents are trusted for the reason VEXTrust gives: their
	// justified not_affected statements suppress findings.
	VEX      []string
	VEXTrust string
	// WasmBeside are SBOM files and directories: the .wasm modules in the
	// directory of each file, or under each directory, are read.
	WasmBeside []string
}

// LoadData reads the data files f names, each bounded by the Limits of
// opts, in a fixed order (registry, mapping, advisories, KEV, facts, VEX,
// risk data, Wasm modules); the first that does not read stops it.
func LoadData(ctx context.Context, f DataFiles, opts ...Option) (Data, error) {
	o, err := newOptions(opts)
	if err != nil {
		return Data{}, err
	}
	var d Data
	if p := f.Registry; p != "" {
		if d.Registry, err = LoadRegistry(p, opts...); err != nil {
			return d, err
		}
	}
	if p := f.Mapping; p != "" {
		if d.Mapping, err = LoadMapping(p, opts...); err != nil {
			return d, err
		}
	}
	if p := f.Advisories; p != "" {
		if d.Advisories, err = LoadAdvisories(p, opts...); err != nil {
			return d, err
		}
	}
	if p := f.KEV; p != "" {
		if d.KEV, err = LoadKEV(p, opts...); err != nil {
			return d, err
		}
	}
	if p := f.Facts; p != "" {
		if d.Facts, err = LoadFacts(p, opts...); err != nil {
			return d, err
		}
	}
	for _, p := range f.VEX {
		v, err := LoadVEX(p, opts...)
		if err != nil {
			return d, err
		}
		d.VEX = append(d.VEX, v.Trust(f.VEXTrust))
	}
	if p := f.Risk; p != "" {
		if d.Risk, err = LoadRiskData(p, opts...); err != nil {
			return d, err
		}
		// The KEV entries a snapshot carries answer known-exploited when
		// no catalogue is given on its own; one given on its own wins.
		if d.KEV == nil {
			d.KEV = kevFromRiskData(d.Risk)
		}
	}
	if d.Wasm, err = wasmBeside(ctx, f.WasmBeside, o); err != nil {
		return d, err
	}
	return d, nil
}

// wasmBeside reads the .wasm files beside the SBOMs (in the directory of
// each SBOM file, or under each directory given), indexed by SHA-256, so
// that a component whose digest matches is labelled by its capabilities.
// A .wasm file that does not read stops the run: its component would
// otherwise be judged without it.
func wasmBeside(ctx context.Context, args []string, o *options) (map[string]*wasm.Module, error) {
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
		m, err := wasm.ReadFile(ctx, p, wasm.WithLogger(o.logger))
		if err != nil {
			return nil, err
		}
		out[m.SHA256] = m
	}
	return out, nil
}
