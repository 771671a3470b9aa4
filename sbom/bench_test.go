package sbom

import (
	"bytes"
	"fmt"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// benchBOM is a CycloneDX SBOM of n npm components, each depending on up
// to three components further down, like bench/sbom/gen writes.
func benchBOM(b testing.TB, n int) []byte {
	b.Helper()
	comps := make([]cdx.Component, n)
	deps := make([]cdx.Dependency, 0, n+1)
	var top []string
	for i := range comps {
		name := fmt.Sprintf("pkg-%06d", i)
		comps[i] = cdx.Component{BOMRef: name, Type: cdx.ComponentTypeLibrary, Name: name, Version: "1.2.3",
			PackageURL: "pkg:npm/" + name + "@1.2.3", Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA512, Value: fmt.Sprintf("%0128x", i)}},
			Licenses: mit()}
		var on []string
		for k := 1; k <= i%4 && i+k*7 < n; k++ {
			on = append(on, fmt.Sprintf("pkg-%06d", i+k*7))
		}
		deps = append(deps, cdx.Dependency{Ref: name, Dependencies: &on})
		if i%50 == 0 {
			top = append(top, name)
		}
	}
	deps = append(deps, cdx.Dependency{Ref: "root", Dependencies: &top})
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{BOMRef: "root", Type: cdx.ComponentTypeApplication, Name: "bench"}}
	bom.Components = &comps
	bom.Dependencies = &deps
	return encodeCDX(b, bom, cdx.SpecVersion1_5, cdx.BOMFileFormatJSON)
}

func BenchmarkReadCycloneDX10k(b *testing.B) {
	data := benchBOM(b, 10_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), "bench.cdx.json"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAssess10k(b *testing.B) {
	g, err := Read(bytes.NewReader(benchBOM(b, 10_000)), "bench.cdx.json")
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		a.Assess(g)
	}
}

func BenchmarkPortfolioAdd1k(b *testing.B) {
	g, err := Read(bytes.NewReader(benchBOM(b, 1_000)), "bench.cdx.json")
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		b.Fatal(err)
	}
	p := a.NewPortfolio()
	i := 0
	for b.Loop() {
		g.Source = fmt.Sprint(i)
		i++
		if err := p.Add(g); err != nil {
			b.Fatal(err)
		}
	}
}
