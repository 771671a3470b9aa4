package sbom

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func wantCode(t *testing.T, err error, code string) *reason.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var re *reason.Error
	if !errors.As(err, &re) {
		t.Fatalf("got %T %v, want *reason.Error %s", err, err, code)
	}
	if re.Code != code {
		t.Fatalf("got code %s (%v), want %s", re.Code, err, code)
	}
	if re.Hint == "" {
		t.Fatalf("error %v has no hint", err)
	}
	return re
}

func TestReadCycloneDXEveryVersionAndFormat(t *testing.T) {
	bom := shopBOM()
	for _, v := range cdxTestVersions {
		for _, f := range []struct {
			format cdx.BOMFileFormat
			want   Format
			ext    string
		}{{cdx.BOMFileFormatJSON, FormatCycloneDXJSON, ".cdx.json"}, {cdx.BOMFileFormatXML, FormatCycloneDXXML, ".cdx.xml"}} {
			t.Run(v.String()+f.ext, func(t *testing.T) {
				g := readBytes(t, encodeCDX(t, bom, v, f.format), "shop"+f.ext)
				if g.Format != f.want || g.SpecVersion != v.String() {
					t.Fatalf("got %s %s, want %s %s", g.Format, g.SpecVersion, f.want, v)
				}
				if g.Name != "shop" || g.Version != "1.0" || g.Root < 0 || g.Components[g.Root].Name != "shop" {
					t.Fatalf("got product %q %q root %d, want shop 1.0", g.Name, g.Version, g.Root)
				}
				if len(g.Components) != 13 {
					t.Fatalf("got %d components, want 13 (root, 11 top-level, 1 nested)", len(g.Components))
				}
				if !g.Dependencies {
					t.Fatal("dependencies not seen")
				}
				c := byName(g)
				if got := depNames(g, c["openssh-server"]); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"libsystemd0", "sshd", "zlib1g"}) {
					t.Errorf("openssh-server depends on %v, want libsystemd0, zlib1g and the nested sshd", got)
				}
				if c["sshd"].Location != map[Format]string{FormatCycloneDXJSON: "/components/0/components/0", FormatCycloneDXXML: "/bom/components/component[1]/components/component[1]"}[f.want] {
					t.Errorf("nested location %q", c["sshd"].Location)
				}
				if h := c["liblzma5"].UpstreamHints; len(h) == 0 || h[0].Key != "src:xz-utils" || h[0].Rule != "purl-upstream-qualifier" {
					t.Errorf("liblzma5 hints %+v, want src:xz-utils from the purl qualifier first", h)
				}
				if !c["zlib1g"].Modified || !strings.HasSuffix(c["zlib1g"].ModifiedBy, "/pedigree/patches") {
					t.Errorf("zlib1g modified=%v by %q, want the pedigree patches", c["zlib1g"].Modified, c["zlib1g"].ModifiedBy)
				}
				if c["left-pad"].DependenciesKnown || !c["lodash"].DependenciesKnown {
					t.Error("left-pad has no dependency entry and lodash an empty one; got the opposite")
				}
				if c["filter.wasm"].MIMEType != "application/wasm" {
					t.Errorf("wasm MIME type %q", c["filter.wasm"].MIMEType)
				}
				if c["libsystemd0"].Supplier != "Debian" || len(c["lodash"].Authors) == 0 || c["lodash"].Licences[0] != "MIT" {
					t.Errorf("producer fields lost: supplier %q authors %v licences %v", c["libsystemd0"].Supplier, c["lodash"].Authors, c["lodash"].Licences)
				}
			})
		}
	}
}

func TestReadCycloneDXDeclaredVulnerabilities(t *testing.T) {
	bom := shopBOM()
	bom.Vulnerabilities = &[]cdx.Vulnerability{
		{ID: "CVE-2024-3094", Affects: &[]cdx.Affects{{Ref: "xz"}, {Ref: "nowhere"}}},
		{ID: "CVE-2000-0001", Affects: &[]cdx.Affects{{Ref: "zlib"}}, Analysis: &cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected}},
	}
	g := readBytes(t, encodeCDX(t, bom, cdx.SpecVersion1_5, cdx.BOMFileFormatJSON), "vex.cdx.json")
	c := byName(g)
	// The SBOM's own not_affected analysis is kept and shown: the SBOM
	// under assessment is no trusted VEX source.
	if !g.DeclaresVulnerabilities || len(c["liblzma5"].Vulnerabilities) != 1 || len(c["zlib1g"].Vulnerabilities) != 1 ||
		c["zlib1g"].Vulnerabilities[0].AnalysisState != "not_affected" {
		t.Fatalf("declared vulnerabilities: xz %v zlib %v; not_affected must be kept with its state", c["liblzma5"].Vulnerabilities, c["zlib1g"].Vulnerabilities)
	}
	if !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, "vulnerability targets") }) {
		t.Errorf("dangling vulnerability target not warned: %v", g.Warnings)
	}
}

func TestReadSPDXVersions(t *testing.T) {
	for _, v := range []string{"SPDX-2.2", "SPDX-2.3"} {
		t.Run(v, func(t *testing.T) {
			g := readBytes(t, shopSPDX(v, personPrefix), "shop.spdx.json")
			if g.Format != FormatSPDXJSON || g.SpecVersion != v || len(g.Warnings) != 0 {
				t.Fatalf("got %s %s warnings %v", g.Format, g.SpecVersion, g.Warnings)
			}
			if g.Root < 0 || g.Components[g.Root].Name != "shop" {
				t.Fatal("the described package is not the root")
			}
			c := byName(g)
			if got := depNames(g, c["shop"]); !slices.Equal(got, []string{"openssh-server", "lodash", "vendor-blob.so"}) {
				t.Errorf("shop depends on %v", got)
			}
			if got := depNames(g, c["libsystemd0"]); !slices.Equal(got, []string{"liblzma5"}) {
				t.Errorf("DEPENDENCY_OF not reversed: libsystemd0 depends on %v", got)
			}
			if !c["liblzma5"].DependenciesKnown || c["vendor-blob.so"].DependenciesKnown {
				t.Error("DEPENDS_ON NONE must state no dependencies; a package without relationships must stay unknown")
			}
			if c["lodash"].VCS == "" || c["lodash"].Authors[0] != "John-David Dalton" || c["lodash"].PURL != "pkg:npm/lodash@4.17.20" {
				t.Errorf("lodash fields: vcs %q authors %v purl %q", c["lodash"].VCS, c["lodash"].Authors, c["lodash"].PURL)
			}
			if len(c["vendor-blob.so"].Licences) != 0 {
				t.Errorf("NOASSERTION kept as a licence: %v", c["vendor-blob.so"].Licences)
			}
			if v == "SPDX-2.3" && (c["vendor-blob.so"].Kind != "file" || c["liblzma5"].UpstreamHints[0].Key != "src:xz-utils") {
				t.Errorf("2.3 fields: kind %q hints %+v", c["vendor-blob.so"].Kind, c["liblzma5"].UpstreamHints)
			}
		})
	}
}

func TestReadSPDXTolerantFallback(t *testing.T) {
	for _, v := range []string{"SPDX-2.2", "SPDX-2.3"} {
		t.Run(v, func(t *testing.T) {
			var logs bytes.Buffer
			data := shopSPDX(v, func(n string) string { return n }) // no "Person:" prefix
			data = bytes.Replace(data, []byte(`"SPDXRef-Package-blob"`), []byte(`"Package-blob"`), 1)
			g, err := Read(bytes.NewReader(data), "shop.spdx.json", WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatalf("a common deviation must be read tolerantly: %v", err)
			}
			checkGraph(t, g)
			c := byName(g)
			if c["lodash"] == nil || c["lodash"].Authors[0] != "John-David Dalton" {
				t.Fatalf("originator lost: %+v", c["lodash"])
			}
			joined := strings.Join(g.Warnings, "\n")
			for _, want := range []string{"read tolerantly", "originator without the Person:/Organization: prefix: 1 times, first at /packages/4/originator", "SPDXID without the SPDXRef- prefix"} {
				if !strings.Contains(joined, want) {
					t.Errorf("warnings %q lack %q", joined, want)
				}
			}
			if !strings.Contains(logs.String(), "read tolerantly") {
				t.Errorf("logger not told: %q", logs.String())
			}
		})
	}
}

func TestReadSPDXNamedAsCycloneDX(t *testing.T) {
	var logs bytes.Buffer
	g, err := Read(bytes.NewReader(shopSPDX("SPDX-2.3", personPrefix)), "app.cdx.json", WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if g.Format != FormatSPDXJSON {
		t.Fatalf("got %s, want the content (SPDX) to win over the name", g.Format)
	}
	if !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, "named like CycloneDX JSON but holds SPDX JSON") }) {
		t.Errorf("warnings %v do not say so", g.Warnings)
	}
	if !strings.Contains(logs.String(), "file name and content disagree") || !strings.Contains(logs.String(), "content=spdx-json") {
		t.Errorf("logger not told: %q", logs.String())
	}
}

func TestSniff(t *testing.T) {
	cdxJSON := encodeCDX(t, shopBOM(), cdx.SpecVersion1_6, cdx.BOMFileFormatJSON)
	for _, tc := range []struct {
		name, file, data string
		format           Format
		code             string
	}{
		{"cyclonedx json", "x.json", string(cdxJSON), FormatCycloneDXJSON, ""},
		{"utf-8 byte order mark", "x.json", "\xef\xbb\xbf" + string(cdxJSON), FormatCycloneDXJSON, ""},
		{"bomFormat after other keys", "x.json", `{"version":1,"components":[{"a":[1,{"b":2}]}],"specVersion":"1.4","bomFormat":"CycloneDX"}`, FormatCycloneDXJSON, ""},
		{"spdx", "x.json", `{"spdxVersion":"SPDX-2.3"}`, FormatSPDXJSON, ""},
		{"npm v3", "package-lock.json", `{"name":"a","lockfileVersion":3,"packages":{}}`, FormatNPMLock, ""},
		{"go.mod by content", "deps.txt", "// comment\nmodule example.com/a\n", FormatGoMod, ""},
		{"go.sum by content", "sums", "example.com/a v1.0.0 h1:abc=\n", FormatGoSum, ""},
		{"go.mod by name", "go.mod", "go 1.22\n", FormatGoMod, ""},
		{"non-SBOM JSON object", "config.json", `{"name":"web","version":"1.0.0","scripts":{"test":"jest"}}`, "", reason.SBOMFormatUnknown},
		{"JSON array", "x.json", `[{"bomFormat":"CycloneDX"}]`, "", reason.SBOMFormatUnknown},
		{"JSON string", "x.json", `"CycloneDX"`, "", reason.SBOMFormatUnknown},
		{"empty", "x.cdx.json", "  \n", "", reason.SBOMFormatUnknown},
		{"other bomFormat", "x.json", `{"bomFormat":"SWID","specVersion":"1.5"}`, "", reason.SBOMFormatUnknown},
		{"cyclonedx 1.1", "x.json", `{"bomFormat":"CycloneDX","specVersion":"1.1"}`, FormatCycloneDXJSON, reason.SBOMVersionUnsupported},
		{"cyclonedx 2.0", "x.json", `{"bomFormat":"CycloneDX","specVersion":"2.0"}`, FormatCycloneDXJSON, reason.SBOMVersionUnsupported},
		{"spdx 2.1", "x.json", `{"spdxVersion":"SPDX-2.1"}`, FormatSPDXJSON, reason.SBOMVersionUnsupported},
		{"spdx 3 json-ld", "x.json", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, FormatSPDX3JSON, ""},
		{"spdx 3 context in a list", "x.json", `{"@context":["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],"@graph":[]}`, FormatSPDX3JSON, ""},
		{"spdx 3.1 json-ld", "x.json", `{"@context":"https://spdx.org/rdf/3.1/spdx-context.jsonld"}`, FormatSPDX3JSON, reason.SBOMVersionUnsupported},
		{"other json-ld", "x.json", `{"@context":"https://schema.org/","@graph":[]}`, "", reason.SBOMFormatUnknown},
		{"npm v1", "package-lock.json", `{"lockfileVersion":1,"dependencies":{}}`, FormatNPMLock, reason.SBOMVersionUnsupported},
		{"npm without packages", "package-lock.json", `{"lockfileVersion":2}`, FormatNPMLock, reason.SBOMMalformed},
		{"cyclonedx xml 1.5", "x.xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"/>`, FormatCycloneDXXML, ""},
		{"cyclonedx xml 1.0", "x.xml", `<bom xmlns="http://cyclonedx.org/schema/bom/1.0"/>`, FormatCycloneDXXML, reason.SBOMVersionUnsupported},
		{"spdx rdf", "x.xml", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>`, "", reason.SBOMFormatUnknown},
		{"other xml", "pom.xml", `<project/>`, "", reason.SBOMFormatUnknown},
		{"broken xml", "x.xml", `<bom`, "", reason.SBOMMalformed},
		{"spdx tag-value", "x.spdx", "SPDXVersion: SPDX-2.3\n", FormatSPDXTagValue, ""},
		{"spdx tag-value after a comment", "x.txt", "## Document\nSPDXVersion: SPDX-2.2\n", FormatSPDXTagValue, ""},
		{"spdx tag-value 2.1", "x.spdx", "SPDXVersion: SPDX-2.1\n", FormatSPDXTagValue, reason.SBOMVersionUnsupported},
		{"binary", "x.bin", "\x7fELF\x02\x01\x01", "", reason.SBOMFormatUnknown},
		{"truncated before the format key", "x.json", `{"metadata":{"component":`, "", reason.SBOMMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Sniff([]byte(tc.data), tc.file)
			if tc.code != "" {
				wantCode(t, err, tc.code)
			} else if err != nil {
				t.Fatal(err)
			}
			if s.Format != tc.format {
				t.Fatalf("got format %q, want %q", s.Format, tc.format)
			}
		})
	}
}

func TestReadRejectsNonSBOM(t *testing.T) {
	g, err := Read(strings.NewReader(`{"name":"web","dependencies":{"a":"1"}}`), "bom.json")
	re := wantCode(t, err, reason.SBOMFormatUnknown)
	if g != nil {
		t.Fatal("a non-SBOM produced a graph")
	}
	if !strings.Contains(re.Msg, "keys: dependencies, name") {
		t.Errorf("message %q does not list the keys seen", re.Msg)
	}
}

func TestReadTruncated(t *testing.T) {
	full := map[string][]byte{
		"shop.cdx.json":     encodeCDX(t, shopBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON),
		"shop.cdx.xml":      encodeCDX(t, shopBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatXML),
		"shop.spdx.json":    shopSPDX("SPDX-2.3", personPrefix),
		"package-lock.json": npmLock(3),
	}
	for name, data := range full {
		t.Run(name, func(t *testing.T) {
			g, err := Read(bytes.NewReader(data[:len(data)*2/3]), name)
			re := wantCode(t, err, reason.SBOMMalformed)
			if g != nil {
				t.Fatal("truncated input produced a graph")
			}
			if strings.HasSuffix(name, ".json") && !strings.Contains(re.Error(), "truncated") {
				t.Errorf("%v does not say the file is truncated", err)
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	data := encodeCDX(t, shopBOM(), cdx.SpecVersion1_6, cdx.BOMFileFormatJSON)
	small := DefaultLimits()
	small.MaxSBOMBytes = int64(len(data) - 1)
	_, err := Read(bytes.NewReader(data), "shop.cdx.json", WithLimits(small))
	wantCode(t, err, reason.InputTooLarge)

	path := filepath.Join(t.TempDir(), "huge.cdx.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(path, WithLimits(small))
	wantCode(t, err, reason.InputTooLarge)

	few := DefaultLimits()
	few.MaxComponents = 12
	_, err = Read(bytes.NewReader(data), "shop.cdx.json", WithLimits(few))
	wantCode(t, err, reason.InputTooLarge)

	edges := DefaultLimits()
	edges.MaxEdges = 5
	_, err = Read(bytes.NewReader(data), "shop.cdx.json", WithLimits(edges))
	wantCode(t, err, reason.InputTooLarge)

	deep := DefaultLimits()
	deep.MaxNesting = 1
	_, err = Read(bytes.NewReader(data), "shop.cdx.json", WithLimits(deep))
	wantCode(t, err, reason.InputTooLarge)

	if _, err := Read(bytes.NewReader(data), "x", WithLimits(Limits{})); err == nil {
		t.Fatal("zero limits accepted")
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.cdx.json"))
	wantCode(t, err, reason.InputUnreadable)
	_, err = ReadFile(t.TempDir())
	wantCode(t, err, reason.InputUnreadable)
}

func TestReadNPMLock(t *testing.T) {
	for _, v := range []int{2, 3} {
		g := readBytes(t, npmLock(v), "package-lock.json")
		if g.Format != FormatNPMLock || g.Root < 0 || g.Name != "web" {
			t.Fatalf("v%d: got %s root %d name %q", v, g.Format, g.Root, g.Name)
		}
		idx := map[string]*Component{}
		for i := range g.Components {
			idx[g.Components[i].Ref] = &g.Components[i]
		}
		deps := func(ref string) []string {
			var out []string
			for _, d := range idx[ref].DependsOn {
				out = append(out, g.Components[d].Ref)
			}
			slices.Sort(out)
			return out
		}
		if got := deps(""); !slices.Equal(got, []string{"node_modules/express", "node_modules/left-pad", "packages/ui"}) {
			t.Errorf("root depends on %v (the workspace link must resolve to packages/ui)", got)
		}
		if got := deps("node_modules/express"); !slices.Equal(got, []string{"node_modules/debug", "node_modules/express/node_modules/ms"}) {
			t.Errorf("express depends on %v: the nested ms must win over the top-level one", got)
		}
		if got := deps("node_modules/debug"); !slices.Equal(got, []string{"node_modules/ms"}) {
			t.Errorf("debug depends on %v", got)
		}
		if got := deps("packages/ui"); !slices.Equal(got, []string{"node_modules/@acme/native"}) {
			t.Errorf("workspace ui depends on %v", got)
		}
		native := idx["node_modules/@acme/native"]
		if native.PURL != "pkg:npm/%40acme/native@1.0.0" || !native.InstallScript {
			t.Errorf("scoped package: purl %q install script %v", native.PURL, native.InstallScript)
		}
		if h := idx["node_modules/express/node_modules/ms"].Hashes; len(h) != 1 || h[0].Algorithm != "SHA-1" {
			t.Errorf("nested ms hashes %+v", h)
		}
		if len(g.Warnings) != 0 {
			t.Errorf("a missing optional dependency must not warn: %v", g.Warnings)
		}
	}
	broken := bytes.Replace(npmLock(3), []byte(`"ms": "2.0.0"`), []byte(`"gone": "1.0.0"`), 1)
	g := readBytes(t, broken, "package-lock.json")
	if len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "1 required dependencies") {
		t.Errorf("a missing required dependency must warn: %v", g.Warnings)
	}
	_, err := Read(strings.NewReader(`{"lockfileVersion":3,"packages":{"":{"dependencies":7}}}`), "package-lock.json")
	wantCode(t, err, reason.SBOMMalformed)
}

func TestReadGoModule(t *testing.T) {
	g, err := ReadGoModule([]byte(testGoMod), []byte(testGoSum), "go.mod")
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	c := byName(g)
	if g.Root < 0 || g.Components[g.Root].Name != "example.com/svc" || g.SpecVersion != "go 1.22" {
		t.Fatalf("root/spec: %d %q", g.Root, g.SpecVersion)
	}
	if got := depNames(g, c["example.com/svc"]); len(got) != 4 {
		t.Errorf("main module depends on %v, want all 4 requirements", got)
	}
	if h := c["github.com/google/uuid"].Hashes; len(h) != 1 || h[0].Algorithm != "h1" || !strongHash(h[0].Algorithm) {
		t.Errorf("uuid hash %+v: go.sum h1 must count as SHA-256", h)
	}
	forked := c["example.com/forked"]
	if forked.PURL != "pkg:golang/github.com/someone/forked@v1.0.1" || !forked.Modified || forked.ModifiedBy != "go.mod:12" ||
		forked.UpstreamHints[0].Key != "pkg:golang/example.com/forked" || len(forked.Hashes) != 1 {
		t.Errorf("replaced module: %+v", forked)
	}
	local := c["example.com/local"]
	if !local.Modified || len(local.Hashes) != 0 {
		t.Errorf("directory replacement: %+v", local)
	}
	if c["github.com/google/uuid"].DependenciesKnown {
		t.Error("go.mod does not state a requirement's own dependencies")
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(testGoMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(testGoSum), 0o644); err != nil {
		t.Fatal(err)
	}
	g2, err := ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || len(byName(g2)["github.com/google/uuid"].Hashes) != 1 {
		t.Fatalf("ReadFile did not pick up the go.sum beside go.mod: %v", err)
	}
	sum, err := ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Format != FormatGoSum || len(sum.Components) != 3 || sum.Dependencies || sum.Root != -1 {
		t.Errorf("go.sum alone: %s, %d components, graph %v, root %d", sum.Format, len(sum.Components), sum.Dependencies, sum.Root)
	}

	_, err = ReadGoModule([]byte("module\n"), nil, "go.mod")
	wantCode(t, err, reason.SBOMMalformed)
	_, err = ReadGoModule([]byte("go 1.22\n"), nil, "go.mod")
	wantCode(t, err, reason.SBOMMalformed)
	_, err = ReadGoModule([]byte(testGoMod), []byte("only two\n"), "go.mod")
	wantCode(t, err, reason.SBOMMalformed)
	_, err = Read(strings.NewReader("example.com/a v1.0.0 h1:x=\nexample.com/b notaversion h1:y=\n"), "go.sum")
	wantCode(t, err, reason.SBOMMalformed)
}
