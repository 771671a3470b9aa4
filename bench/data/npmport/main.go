// Command npmport writes the input of the registry-scale data pull
// benchmark: a portfolio of CycloneDX SBOMs whose components are real npm
// package names, drawn from the registry's own list of every package name
// (the names.json of the all-the-package-names package, fetched with npm
// pack), so that 'sovcheck data pull' asks the real registry about tens of
// thousands of distinct packages, as a national portfolio would.
//
// The draw is deterministic (-seed): DISTINCT names are picked at random
// from the list, and each SBOM lists PER components drawn from them, the
// first names more often than the last (a few shared by nearly every
// product, a long tail), every name used at least once.
//
// Usage:
//
//	go run ./bench/data/npmport -names names.json -dir DIR -sboms 1000 -per-sbom 300 -distinct 20000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	namesFile := flag.String("names", "", "names.json of the all-the-package-names npm package")
	dir := flag.String("dir", "", "directory to write the SBOMs to")
	sboms := flag.Int("sboms", 1000, "number of SBOMs")
	per := flag.Int("per-sbom", 300, "components per SBOM")
	distinct := flag.Int("distinct", 20000, "distinct package names in the portfolio")
	seed := flag.Uint64("seed", 1, "seed of the draw")
	flag.Parse()
	if err := run(*namesFile, *dir, *sboms, *per, *distinct, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "npmport: error:", err)
		os.Exit(2)
	}
}

type component struct {
	Type    string `json:"type"`
	BOMRef  string `json:"bom-ref"`
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl"`
}

func run(namesFile, dir string, sboms, per, distinct int, seed uint64) error {
	if namesFile == "" || dir == "" || sboms < 1 || per < 1 || distinct < 1 {
		return fmt.Errorf("-names and -dir are required; counts must be positive")
	}
	raw, err := os.ReadFile(namesFile)
	if err != nil {
		return err
	}
	var all []string
	if err := json.Unmarshal(raw, &all); err != nil {
		return fmt.Errorf("reading %s: %w", namesFile, err)
	}
	if len(all) < distinct {
		return fmt.Errorf("%s lists %d names, fewer than -distinct %d", namesFile, len(all), distinct)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	picked := make([]string, 0, distinct)
	seen := map[int]bool{}
	for len(picked) < distinct {
		if i := rng.IntN(len(all)); !seen[i] {
			seen[i] = true
			picked = append(picked, all[i])
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	next := 0 // every name is used at least once, in turn
	for s := range sboms {
		comps := make([]component, 0, per)
		used := map[int]bool{}
		for len(comps) < per && len(used) < distinct {
			var i int
			if next < distinct && len(comps)%2 == 0 {
				i, next = next, next+1
			} else {
				// Skewed towards the first names: the square of a uniform draw.
				u := rng.Float64()
				i = int(u * u * float64(distinct))
			}
			if used[i] {
				continue
			}
			used[i] = true
			n := picked[i]
			comps = append(comps, component{Type: "library", BOMRef: fmt.Sprintf("c%d", len(comps)), Name: n, Version: "1.0.0",
				PURL: "pkg:npm/" + purlName(n) + "@1.0.0"})
		}
		refs := make([]string, len(comps))
		for i := range comps {
			refs[i] = comps[i].BOMRef
		}
		doc := map[string]any{
			"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
			"metadata":     map[string]any{"component": map[string]string{"type": "application", "bom-ref": "product", "name": fmt.Sprintf("product-%04d", s), "version": "1.0"}},
			"components":   comps,
			"dependencies": []map[string]any{{"ref": "product", "dependsOn": refs}},
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("product-%04d.cdx.json", s)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// purlName writes an npm name as a purl's namespace/name: a scope's @ is
// percent-encoded.
func purlName(n string) string {
	if len(n) > 0 && n[0] == '@' {
		return "%40" + n[1:]
	}
	return n
}
