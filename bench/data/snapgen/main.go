// Command snapgen writes the large risk data snapshot of the labelling
// benchmark: a snapshot pulled from a real index (the base, e.g. all of
// Debian bookworm main) given facts for every package of a portfolio's
// SBOMs (copied, in turn, from the base's packages) and padded with more
// copies of the base's packages until it is at least -bytes long.
//
// Usage:
//
//	go run ./bench/data/snapgen -base debian-data.json -sboms DIR -bytes 100000000 -out snapshot.json
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sovcheck/sovcheck/sbom"
)

func main() {
	base := flag.String("base", "", "risk data snapshot written by 'sovcheck data pull'")
	dir := flag.String("sboms", "", "folder of the portfolio's SBOMs (*.json)")
	size := flag.Int("bytes", 100_000_000, "least size of the snapshot written")
	out := flag.String("out", "", "snapshot to write")
	flag.Parse()
	if *base == "" || *dir == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "snapgen: error: -base, -sboms and -out are required")
		os.Exit(2)
	}
	if err := run(*base, *dir, *size, *out); err != nil {
		fmt.Fprintln(os.Stderr, "snapgen: error:", err)
		os.Exit(2)
	}
}

func run(basePath, dir string, size int, out string) error {
	rd, err := sbom.LoadRiskData(basePath)
	if err != nil {
		return err
	}
	model := slices.Clone(rd.Packages)
	if len(model) == 0 {
		return fmt.Errorf("%s has no packages to copy", basePath)
	}
	have := map[string]bool{}
	for _, p := range model {
		have[p.Key] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	n := 0
	for _, f := range files {
		g, err := sbom.ReadFile(f)
		if err != nil {
			return err
		}
		for _, c := range g.Components {
			if k := sbom.PackageKey(c.PURL); k != "" && !have[k] {
				have[k] = true
				p := model[n%len(model)]
				p.Key = k
				rd.Packages = append(rd.Packages, p)
				n++
			}
		}
	}
	for round := 0; ; round++ {
		b, err := json.MarshalIndent(rd, "", "  ")
		if err != nil {
			return err
		}
		if len(b) >= size {
			slices.SortFunc(rd.Packages, func(a, b sbom.PackageFacts) int { return cmp.Compare(a.Key, b.Key) })
			rd.Counts = sbom.RiskDataLookupStat{Packages: len(rd.Packages), Found: len(rd.Packages)}
			if b, err = json.MarshalIndent(rd, "", "  "); err != nil {
				return err
			}
			return os.WriteFile(out, append(b, '\n'), 0o644)
		}
		// Pad with the share of the base still missing, at least one copy.
		more := max(1, int(float64(len(model))*float64(size-len(b))/float64(len(b))))
		for i := range min(more, len(model)) {
			p := model[i]
			p.Key = fmt.Sprintf("%s-copy%d", p.Key, round)
			rd.Packages = append(rd.Packages, p)
		}
	}
}
