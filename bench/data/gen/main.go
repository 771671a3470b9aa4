// Command gen writes the input of the risk data benchmark: a CycloneDX
// SBOM listing every binary package of a Debian Packages index (the
// machine's own apt list), as pkg:deb/debian purls.
//
// Usage:
//
//	go run ./bench/data/gen -index Packages.lz4 -out debian.cdx.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/sovcheck/sovcheck/data"
)

func main() {
	index := flag.String("index", "", "Debian Packages index (plain, gz, xz or lz4)")
	out := flag.String("out", "", "SBOM to write")
	flag.Parse()
	if *index == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "gen: error: -index and -out are required")
		os.Exit(2)
	}
	idx, err := data.NewDebianIndex(*index)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen: error:", err)
		os.Exit(2)
	}
	type comp struct {
		Type   string `json:"type"`
		BOMRef string `json:"bom-ref"`
		Name   string `json:"name"`
		PURL   string `json:"purl"`
	}
	var comps []comp
	var refs []string
	for _, n := range idx.Names() {
		comps = append(comps, comp{"library", n, n, "pkg:deb/debian/" + n + "?arch=amd64"})
		refs = append(refs, n)
	}
	doc := map[string]any{
		"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata":     map[string]any{"component": map[string]any{"type": "operating-system", "bom-ref": "debian", "name": "debian", "version": "12"}},
		"components":   comps,
		"dependencies": []map[string]any{{"ref": "debian", "dependsOn": refs}},
	}
	b, err := json.Marshal(doc)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen: error:", err)
		os.Exit(2)
	}
}
