// Command gen writes the synthetic inputs of the SBOM benchmark: single
// CycloneDX SBOMs of growing size, a portfolio of many SBOMs drawing on a
// shared package pool (popular packages are in many products, as in real
// fleets), and OSV advisories for part of that pool, both as a zip for
// sovcheck and in osv-scanner's offline database layout.
//
// Usage:
//
//	go run ./bench/sbom/gen -dir OUT [-sizes 1000,10000,100000] [-sboms 1000] [-per-sbom 1000]
//
// Output is deterministic for a given -seed.
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

func main() {
	dir := flag.String("dir", "", "output directory (required)")
	sizes := flag.String("sizes", "1000,3000,10000,30000,100000", "component counts of the single SBOMs")
	sboms := flag.Int("sboms", 1000, "SBOMs in the portfolio")
	perSBOM := flag.Int("per-sbom", 1000, "components per portfolio SBOM")
	pool := flag.Int("pool", 20000, "distinct packages the portfolio draws from")
	advisories := flag.Int("advisories", 500, "OSV advisories over the most popular packages")
	seed := flag.Uint64("seed", 1, "random seed")
	first := flag.Int("first", 0, "number of the first portfolio product (for a portfolio made in batches)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gen: error: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *sizes, *sboms, *perSBOM, *pool, *advisories, *seed, *first); err != nil {
		fmt.Fprintf(os.Stderr, "gen: error: %v\n", err)
		os.Exit(1)
	}
}

func run(dir, sizes string, sboms, perSBOM, pool, advisories int, seed uint64, first int) error {
	for _, d := range []string{"single", "portfolio", "osv/osv-scanner/npm", "osv/osv-scanner/Debian"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad size %q", s)
		}
		rng := rand.New(rand.NewPCG(seed, uint64(n)))
		names := make([]int, n)
		for i := range names {
			names[i] = i
		}
		if err := writeBOM(filepath.Join(dir, "single", fmt.Sprintf("sbom-%d.cdx.json", n)), fmt.Sprintf("app-%d", n), names, rng); err != nil {
			return err
		}
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(seed, 7)), 1.07, 8, uint64(pool-1))
	for p := first; p < first+sboms; p++ {
		rng := rand.New(rand.NewPCG(seed, uint64(1_000_000+p)))
		seen := make(map[int]bool, perSBOM)
		names := make([]int, 0, perSBOM)
		for len(names) < min(perSBOM, pool) {
			k := int(zipf.Uint64())
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
		if err := writeBOM(filepath.Join(dir, "portfolio", fmt.Sprintf("product-%04d.cdx.json", p)), fmt.Sprintf("product-%04d", p), names, rng); err != nil {
			return err
		}
	}
	return writeAdvisories(filepath.Join(dir, "osv", "osv-scanner"), min(advisories, pool))
}

// pkgName and pkgVersion give package k of the pool a stable identity;
// every 20th package is a Debian package built from a shared source, so
// the upstream identity has something to unify.
func pkgName(k int) string { return fmt.Sprintf("pkg-%05d", k) }

func pkgVersion(k int) string { return fmt.Sprintf("1.%d.%d", k%7, k%13) }

func component(k int) cdx.Component {
	ref := fmt.Sprintf("c%d", k)
	if k%20 == 0 {
		src := fmt.Sprintf("src-%04d", k/60)
		v := pkgVersion(k) + "-1"
		return cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: "lib" + pkgName(k), Version: v,
			PackageURL: fmt.Sprintf("pkg:deb/debian/lib%s@%s?arch=amd64&upstream=%s&distro=debian-12", pkgName(k), v, src),
			Supplier:   &cdx.OrganizationalEntity{Name: "Debian"},
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: fmt.Sprintf("%064x", k)}},
			Licenses:   &cdx.Licenses{{Expression: "GPL-2.0-or-later"}},
		}
	}
	c := cdx.Component{
		BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: pkgName(k), Version: pkgVersion(k),
		PackageURL: fmt.Sprintf("pkg:npm/%s@%s", pkgName(k), pkgVersion(k)),
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA512, Value: fmt.Sprintf("%0128x", k)}},
	}
	if k%3 != 0 {
		c.Licenses = &cdx.Licenses{{License: &cdx.License{ID: "MIT"}}}
	}
	return c
}

// writeBOM writes one CycloneDX 1.5 JSON SBOM. Each component depends on
// up to three components further down the list, so the graph is a DAG
// with depth, as real dependency trees are.
func writeBOM(path, name string, pkgs []int, rng *rand.Rand) error {
	n := len(pkgs)
	comps := make([]cdx.Component, n)
	deps := make([]cdx.Dependency, 0, n+1)
	rootDeps := []string{}
	for i, k := range pkgs {
		comps[i] = component(k)
		var on []string
		if i+1 < n {
			for range rng.IntN(4) {
				j := i + 1 + rng.IntN(min(50, n-i-1))
				on = append(on, fmt.Sprintf("c%d", pkgs[j]))
			}
		}
		deps = append(deps, cdx.Dependency{Ref: comps[i].BOMRef, Dependencies: &on})
		if i%max(1, n/20) == 0 {
			rootDeps = append(rootDeps, comps[i].BOMRef)
		}
	}
	deps = append(deps, cdx.Dependency{Ref: "root", Dependencies: &rootDeps})
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:00000000-0000-4000-8000-" + fmt.Sprintf("%012x", n)
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{BOMRef: "root", Type: cdx.ComponentTypeApplication, Name: name, Version: "1.0"}}
	bom.Components = &comps
	bom.Dependencies = &deps
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := cdx.NewBOMEncoder(f, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAdvisories writes one OSV advisory per popular package into
// osv-scanner's offline layout (ECOSYSTEM/all.zip): npm packages before
// 1.4.0 and Debian source packages before 1.3.0-1 are affected.
func writeAdvisories(dir string, n int) error {
	npm := map[string]any{}
	deb := map[string]any{}
	for k := 0; k < n; k++ {
		var id string
		var affected map[string]any
		if k%20 == 0 {
			src := fmt.Sprintf("src-%04d", k/60)
			id = fmt.Sprintf("DEBIAN-BENCH-%05d", k)
			affected = map[string]any{
				"package": map[string]any{"ecosystem": "Debian:12", "name": src},
				"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "1.3.0-1"}}}},
			}
		} else {
			id = fmt.Sprintf("GHSA-bench-%05d", k)
			affected = map[string]any{
				"package": map[string]any{"ecosystem": "npm", "name": pkgName(k), "purl": "pkg:npm/" + pkgName(k)},
				"ranges":  []any{map[string]any{"type": "SEMVER", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "1.4.0"}}}},
			}
		}
		adv := map[string]any{
			"schema_version": "1.6.0", "id": id, "modified": "2026-01-01T00:00:00Z", "published": "2026-01-01T00:00:00Z",
			"aliases": []string{fmt.Sprintf("CVE-2026-%05d", 10000+k)}, "summary": "synthetic advisory",
			"affected": []any{affected},
		}
		if k%20 == 0 {
			deb[id] = adv
		} else {
			npm[id] = adv
		}
	}
	if err := writeZip(filepath.Join(dir, "npm", "all.zip"), npm); err != nil {
		return err
	}
	return writeZip(filepath.Join(dir, "Debian", "all.zip"), deb)
}

func writeZip(path string, advs map[string]any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	ids := make([]string, 0, len(advs))
	for id := range advs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		w, err := zw.Create(id + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(advs[id]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
