package release

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SBOM is the CycloneDX 1.6 SBOM of the Go binary at path, whose sha256 is
// sum: the program (bound to the binary by the sum), the Go standard
// library and every module linked into it, as the binary's own build
// information records them (a replaced module under its replacement), and
// the build settings as properties. A binary records no dependency graph,
// so the SBOM states only that the program depends on each module; it also
// returns the program's module version. The document is a function of
// the binary alone: its serial number is derived from the sum and its time
// is the commit's.
func SBOM(path, sum string) ([]byte, string, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading the build information of %s: %w", path, err)
	}
	settings := map[string]string{}
	var props []cdx.Property
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
		props = append(props, cdx.Property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	main := "pkg:golang/" + bi.Main.Path + "@" + bi.Main.Version + "?type=module&goos=" + settings["GOOS"] + "&goarch=" + settings["GOARCH"]
	std := "pkg:golang/stdlib@" + bi.GoVersion
	comps := []cdx.Component{{
		BOMRef: std, Type: cdx.ComponentTypeLibrary, Name: "stdlib", Version: bi.GoVersion, PackageURL: std,
		Supplier: &cdx.OrganizationalEntity{Name: "The Go Authors"},
		Licenses: &cdx.Licenses{{License: &cdx.License{ID: "BSD-3-Clause"}}},
	}}
	deps := []string{std}
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		purl := "pkg:golang/" + m.Path + "@" + m.Version + "?type=module"
		c := cdx.Component{BOMRef: purl, Type: cdx.ComponentTypeLibrary, Name: m.Path, Version: m.Version, PackageURL: purl}
		if m.Sum != "" {
			c.Properties = &[]cdx.Property{{Name: "go:module:sum", Value: m.Sum}}
		}
		comps = append(comps, c)
		deps = append(deps, purl)
	}
	id := sha256.Sum256([]byte("sovcheck release SBOM " + sum))
	id[6], id[8] = id[6]&0x0f|0x50, id[8]&0x3f|0x80 // a name-based (version 5 layout) UUID
	bom := cdx.NewBOM()
	bom.SerialNumber = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
	bom.Metadata = &cdx.Metadata{
		Timestamp: settings["vcs.time"],
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "make release", Group: "sovcheck", Version: bi.Main.Version}}},
		Component: &cdx.Component{
			BOMRef: main, Type: cdx.ComponentTypeApplication, Name: bi.Main.Path, Version: bi.Main.Version, PackageURL: main,
			Supplier:   &cdx.OrganizationalEntity{Name: "The sovcheck maintainers"},
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sum}},
			Properties: &props,
		},
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: main, Dependencies: &deps}}
	var b bytes.Buffer
	enc := cdx.NewBOMEncoder(&b, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, "", fmt.Errorf("encoding the SBOM: %w", err)
	}
	return b.Bytes(), bi.Main.Version, nil
}
