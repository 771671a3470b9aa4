package sbom

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// The synthetic product used across the tests: a small Debian-based
// service with the XZ pattern in it (liblzma5, one anonymous maintainer,
// many dependents), an npm library with a known vulnerability, an opaque
// blob, a Wasm plugin and a patched zlib.

var testClock = func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }

var cdxTestVersions = []cdx.SpecVersion{cdx.SpecVersion1_2, cdx.SpecVersion1_3, cdx.SpecVersion1_4, cdx.SpecVersion1_5, cdx.SpecVersion1_6, cdx.SpecVersion1_7}

func debPURL(name, version, source string) string {
	return fmt.Sprintf("pkg:deb/debian/%s@%s?arch=amd64&upstream=%s&distro=debian-12", name, version, source)
}

func sha256Of(s string) *[]cdx.Hash {
	return &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: fmt.Sprintf("%064x", len(s)*7919+int(s[0]))}}
}

func mit() *cdx.Licenses {
	return &cdx.Licenses{{License: &cdx.License{ID: "MIT"}}}
}

// shopBOM builds the synthetic product as a CycloneDX BOM.
func shopBOM() *cdx.BOM {
	debian := &cdx.OrganizationalEntity{Name: "Debian"}
	lib := func(ref, name, version, source string, deps ...string) cdx.Component {
		return cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: name, Version: version,
			PackageURL: debPURL(name, version, source), Hashes: sha256Of(ref), Supplier: debian,
			Licenses: &cdx.Licenses{{Expression: "GPL-2.0-or-later"}},
		}
	}
	comps := []cdx.Component{
		func() cdx.Component {
			c := lib("openssh", "openssh-server", "1:9.2p1-2", "openssh")
			c.Components = &[]cdx.Component{{BOMRef: "sshd", Type: cdx.ComponentTypeFile, Name: "sshd", Hashes: sha256Of("sshd")}}
			return c
		}(),
		lib("systemd", "libsystemd0", "252.22-1", "systemd"),
		lib("archive", "libarchive13", "3.6.2-1", "libarchive"),
		lib("kmod", "kmod", "30+20221128-1", "kmod"),
		lib("apt", "libapt-pkg6.0", "2.6.1", "apt"),
		lib("xz", "liblzma5", "5.6.0-0.2", "xz-utils"),
		func() cdx.Component {
			c := lib("zlib", "zlib1g", "1:1.2.13.dfsg-1", "zlib")
			c.Pedigree = &cdx.Pedigree{Patches: &[]cdx.Patch{{Type: cdx.PatchTypeBackport}}}
			return c
		}(),
		{BOMRef: "lodash", Type: cdx.ComponentTypeLibrary, Name: "lodash", Version: "4.17.20", PackageURL: "pkg:npm/lodash@4.17.20",
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA512, Value: strings.Repeat("ab", 64)}}, Licenses: mit(),
			Authors: &[]cdx.OrganizationalContact{{Name: "John-David Dalton"}}, Author: "John-David Dalton"},
		{BOMRef: "left-pad", Type: cdx.ComponentTypeLibrary, Name: "left-pad", Version: "1.3.0", PackageURL: "pkg:npm/left-pad@1.3.0",
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA1, Value: strings.Repeat("cd", 20)}}},
		{BOMRef: "plugin", Type: cdx.ComponentTypeFile, Name: "filter.wasm", MIMEType: "application/wasm", Hashes: sha256Of("plugin")},
		{BOMRef: "blob", Type: cdx.ComponentTypeFile, Name: "vendor-blob.so"},
	}
	deps := []cdx.Dependency{
		{Ref: "shop", Dependencies: &[]string{"openssh", "lodash", "left-pad", "plugin", "blob", "apt"}},
		{Ref: "openssh", Dependencies: &[]string{"systemd", "zlib"}},
		{Ref: "systemd", Dependencies: &[]string{"xz", "zlib"}},
		{Ref: "archive", Dependencies: &[]string{"xz", "zlib"}},
		{Ref: "kmod", Dependencies: &[]string{"xz", "zlib"}},
		{Ref: "apt", Dependencies: &[]string{"xz", "systemd", "archive", "kmod"}},
		{Ref: "xz", Dependencies: &[]string{}},
		{Ref: "zlib", Dependencies: &[]string{}},
		{Ref: "lodash", Dependencies: &[]string{}},
		{Ref: "plugin", Dependencies: &[]string{}},
		{Ref: "blob", Dependencies: &[]string{}},
		{Ref: "sshd", Dependencies: &[]string{}},
	}
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{BOMRef: "shop", Type: cdx.ComponentTypeApplication, Name: "shop", Version: "1.0", PackageURL: "pkg:generic/shop@1.0"}}
	bom.Components = &comps
	bom.Dependencies = &deps
	return bom
}

// encodeCDX renders bom in one spec version and format.
func encodeCDX(t testing.TB, bom *cdx.BOM, v cdx.SpecVersion, format cdx.BOMFileFormat) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, format)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, v); err != nil {
		t.Fatalf("encoding CycloneDX %s: %v", v, err)
	}
	return buf.Bytes()
}

// shopSPDX builds the synthetic product as SPDX JSON of the given
// version. originator decides how package originators are written, so
// tests can produce the common "no Person: prefix" deviation.
func shopSPDX(version string, originator func(string) string) []byte {
	type pkg = map[string]any
	deb := func(id, name, ver, source string) pkg {
		return pkg{
			"SPDXID": "SPDXRef-Package-" + id, "name": name, "versionInfo": ver, "downloadLocation": "NOASSERTION",
			"supplier": "Organization: Debian", "licenseConcluded": "GPL-2.0-or-later", "filesAnalyzed": false,
			"checksums":    []any{map[string]any{"algorithm": "SHA256", "checksumValue": fmt.Sprintf("%064x", len(id))}},
			"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": debPURL(name, ver, source)}},
		}
	}
	pkgs := []any{
		pkg{"SPDXID": "SPDXRef-Package-shop", "name": "shop", "versionInfo": "1.0", "downloadLocation": "NOASSERTION", "filesAnalyzed": false},
		deb("openssh", "openssh-server", "1:9.2p1-2", "openssh"),
		deb("systemd", "libsystemd0", "252.22-1", "systemd"),
		deb("xz", "liblzma5", "5.6.0-0.2", "xz-utils"),
		pkg{"SPDXID": "SPDXRef-Package-lodash", "name": "lodash", "versionInfo": "4.17.20", "downloadLocation": "git+https://github.com/lodash/lodash.git",
			"licenseConcluded": "MIT", "filesAnalyzed": false, "originator": originator("John-David Dalton"),
			"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}}},
		pkg{"SPDXID": "SPDXRef-Package-blob", "name": "vendor-blob.so", "downloadLocation": "NOASSERTION", "filesAnalyzed": false,
			"licenseConcluded": "NOASSERTION"},
	}
	if version == "SPDX-2.3" {
		pkgs[5].(pkg)["primaryPackagePurpose"] = "FILE"
		pkgs[3].(pkg)["sourceInfo"] = "built package from: xz-utils 5.6.0-0.2"
	}
	rel := func(a, typ, b string) any {
		return map[string]any{"spdxElementId": a, "relationshipType": typ, "relatedSpdxElement": b}
	}
	doc := map[string]any{
		"spdxVersion": version, "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "shop-1.0",
		"documentNamespace": "https://example.test/spdx/shop-1.0",
		"creationInfo":      map[string]any{"created": "2026-01-01T00:00:00Z", "creators": []any{"Tool: sovcheck-test"}},
		"packages":          pkgs,
		"relationships": []any{
			rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-shop"),
			rel("SPDXRef-Package-shop", "DEPENDS_ON", "SPDXRef-Package-openssh"),
			rel("SPDXRef-Package-shop", "DEPENDS_ON", "SPDXRef-Package-lodash"),
			rel("SPDXRef-Package-shop", "CONTAINS", "SPDXRef-Package-blob"),
			rel("SPDXRef-Package-openssh", "DEPENDS_ON", "SPDXRef-Package-systemd"),
			rel("SPDXRef-Package-xz", "DEPENDENCY_OF", "SPDXRef-Package-systemd"),
			rel("SPDXRef-Package-xz", "DEPENDS_ON", "NONE"),
			rel("SPDXRef-Package-lodash", "DEPENDS_ON", "NONE"),
		},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func personPrefix(n string) string { return "Person: " + n }

// npmLock is a package-lock.json v2/v3 with a nested copy, a workspace
// link, an install script and a missing optional dependency.
func npmLock(version int) []byte {
	lock := map[string]any{
		"name": "web", "version": "2.0.0", "lockfileVersion": version, "requires": true,
		"packages": map[string]any{
			"": map[string]any{"name": "web", "version": "2.0.0",
				"dependencies":    map[string]any{"express": "^4.18.0", "ui": "file:packages/ui"},
				"devDependencies": map[string]any{"left-pad": "^1.3.0"}},
			"node_modules/express": map[string]any{"version": "4.18.2", "resolved": "https://registry.npmjs.org/express/-/express-4.18.2.tgz",
				"integrity": "sha512-" + strings.Repeat("A", 86) + "==", "license": "MIT",
				"dependencies": map[string]any{"debug": "2.6.9", "ms": "2.0.0"}, "optionalDependencies": map[string]any{"fsevents": "^2"}},
			"node_modules/debug": map[string]any{"version": "2.6.9", "integrity": "sha512-" + strings.Repeat("B", 86) + "==", "license": "MIT",
				"dependencies": map[string]any{"ms": "2.0.0"}},
			"node_modules/ms":                      map[string]any{"version": "2.1.3", "integrity": "sha512-" + strings.Repeat("C", 86) + "==", "license": "MIT"},
			"node_modules/express/node_modules/ms": map[string]any{"version": "2.0.0", "integrity": "sha1-" + strings.Repeat("D", 27) + "=", "license": "MIT"},
			"node_modules/left-pad":                map[string]any{"version": "1.3.0", "dev": true, "integrity": "sha512-" + strings.Repeat("E", 86) + "==", "license": "WTFPL"},
			"node_modules/@acme/native":            map[string]any{"version": "1.0.0", "hasInstallScript": true, "integrity": "sha512-" + strings.Repeat("F", 86) + "==", "license": "ISC"},
			"node_modules/ui":                      map[string]any{"resolved": "packages/ui", "link": true},
			"packages/ui": map[string]any{"name": "ui", "version": "0.1.0", "license": "MIT",
				"dependencies": map[string]any{"@acme/native": "^1.0.0"}},
		},
	}
	out, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

const testGoMod = `module example.com/svc

go 1.22

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.14.0 // indirect
	example.com/forked v1.0.0
	example.com/local v0.0.0
)

replace example.com/forked => github.com/someone/forked v1.0.1

replace example.com/local => ../local
`

const testGoSum = `github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=
github.com/someone/forked v1.0.1 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
`

// The data files of the synthetic scenario.

const testRegistry = `stewards:
  - name: Tukaani Project
    upstreams: [src:xz]
    jurisdiction: FI
    maintainers: 2
    anonymousMaintainers: 1
    lastRelease: 2024-02-24
    funding: volunteer
  - name: systemd project
    upstreams: [src:systemd]
    jurisdiction: DE
    maintainers: 40
    anonymousMaintainers: 0
    lastRelease: 2026-03-01
    funding: foundation
    certifications:
      - scheme: OpenSSF Best Practices (passing)
  - name: OpenBSD project
    upstreams: [src:openssh]
    jurisdiction: CA
    maintainers: 1
    anonymousMaintainers: 0
    lastRelease: 2026-04-09
  - name: lodash maintainers
    upstreams: ["pkg:npm/lodash"]
    jurisdiction: US
    maintainers: 3
    anonymousMaintainers: 0
    lastRelease: 2021-02-20
    certifications:
      - scheme: ISO 27001
        validUntil: 2025-12-31
suppliers:
  - name: Debian
    aliases: [Debian Project]
    jurisdiction: US
    alternatives: [Ubuntu]
`

const testMapping = `upstreams:
  xz: [src:xz, "pkg:github/tukaani-project/xz", "https://github.com/tukaani-project/xz.git"]
`

const testKEV = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.05.30","count":1,
"vulnerabilities":[{"cveID":"CVE-2024-3094","vendorProject":"Tukaani","product":"XZ Utils",
"vulnerabilityName":"XZ Utils embedded malicious code","dateAdded":"2024-04-01","knownRansomwareCampaignUse":"Unknown"}]}`

const testFacts = `{"mediaType":"application/vnd.sovcheck.sbom-facts.v1+json","components":[
 {"purl":"pkg:npm/lodash@4.17.20","signed":true,"provenance":true,"reproducible":false,"evidence":"sovcheck verify 2026-05-30"},
 {"purl":"pkg:deb/debian/liblzma5@5.6.0-0.2?arch=amd64&upstream=xz-utils&distro=debian-12","signed":true}]}`

// testAdvisories are OSV records: the XZ backdoor in Debian (ECOSYSTEM
// range on the source package), a lodash advisory (SEMVER), a withdrawn
// one and a PyPI one (ECOSYSTEM range).
var testAdvisories = map[string]string{
	"DEBIAN-CVE-2024-3094.json": `{"id":"DEBIAN-CVE-2024-3094","aliases":["CVE-2024-3094"],"summary":"malicious code in xz-utils 5.6.0 and 5.6.1",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-0.1"},{"fixed":"5.6.1+really5.4.5-1"}]}]}]}`,
	"GHSA-35jh-r3h4-6jhm.json": `{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"summary":"Command injection in lodash","database_specific":{"severity":"HIGH"},
		"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`,
	"GHSA-withdrawn.json": `{"id":"GHSA-withdrawn","withdrawn":"2024-01-01T00:00:00Z",
		"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`,
	"PYSEC-1.json": `{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31.0"}]}]}]}`,
}

// writeAdvisoryDir writes the advisories to a directory and a zip.
func writeAdvisoryDir(t testing.TB, advs map[string]string) (dir, zipPath string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "osv")
	if err := os.MkdirAll(filepath.Join(dir, "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	zipPath = filepath.Join(t.TempDir(), "all.zip")
	zf, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	names := make([]string, 0, len(advs))
	for name := range advs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		body := advs[name]
		sub := dir
		if i%2 == 1 {
			sub = filepath.Join(dir, "nested")
		}
		if err := os.WriteFile(filepath.Join(sub, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, zipPath
}

// testData loads every data file of the scenario.
func testData(t testing.TB) Data {
	t.Helper()
	reg, err := ReadRegistry(strings.NewReader(testRegistry), "stewards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMapping(strings.NewReader(testMapping), "upstreams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kev, err := ReadKEV(strings.NewReader(testKEV), "kev.json")
	if err != nil {
		t.Fatal(err)
	}
	facts, err := ReadFacts(strings.NewReader(testFacts), "facts.json")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := writeAdvisoryDir(t, testAdvisories)
	osv, err := LoadAdvisories(dir)
	if err != nil {
		t.Fatal(err)
	}
	osv.source = "osv" // stable name for golden files
	return Data{Registry: reg, Mapping: m, KEV: kev, Facts: facts, Advisories: osv}
}

// testConfig is the default configuration with an allowed jurisdiction
// set, so foreign-single-source is assessed.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.AllowedJurisdictions = []string{"DE", "FI", "FR", "NL", "EU"}
	return cfg
}

func newTestAssessor(t testing.TB, data Data) *Assessor {
	t.Helper()
	a, err := NewAssessor(WithScoring(testConfig()), WithData(data), WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readBytes(t testing.TB, data []byte, name string) *Graph {
	t.Helper()
	g, err := Read(bytes.NewReader(data), name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	checkGraph(t, g)
	return g
}

// checkGraph asserts the invariants every reader promises.
func checkGraph(t testing.TB, g *Graph) {
	t.Helper()
	n := len(g.Components)
	if g.Root < -1 || g.Root >= n {
		t.Fatalf("root %d out of range [-1,%d)", g.Root, n)
	}
	for i, c := range g.Components {
		seen := map[int]bool{}
		for _, d := range c.DependsOn {
			if d < 0 || d >= n || d == i || seen[d] {
				t.Fatalf("component %d (%s): bad edge to %d", i, c.Name, d)
			}
			seen[d] = true
		}
	}
}

// byName indexes a graph's components by name.
func byName(g *Graph) map[string]*Component {
	m := map[string]*Component{}
	for i := range g.Components {
		m[g.Components[i].Name] = &g.Components[i]
	}
	return m
}

func depNames(g *Graph, c *Component) []string {
	var out []string
	for _, d := range c.DependsOn {
		out = append(out, g.Components[d].Name)
	}
	return out
}
