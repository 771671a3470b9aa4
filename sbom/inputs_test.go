package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// tagValueOf converts an SPDX JSON document to tag-value with
// spdx/tools-golang's own writer, so the fixture is what a real tool
// writes.
func tagValueOf(t testing.TB, jsonDoc []byte) []byte {
	t.Helper()
	doc, err := spdxjson.Read(bytes.NewReader(jsonDoc))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tagvalue.Write(doc, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadSPDXTagValue(t *testing.T) {
	tv := tagValueOf(t, shopSPDX("SPDX-2.3", personPrefix))
	g, err := Read(bytes.NewReader(tv), "shop.spdx")
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	js, err := Read(bytes.NewReader(shopSPDX("SPDX-2.3", personPrefix)), "shop.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if g.Format != FormatSPDXTagValue || g.SpecVersion != "SPDX-2.3" || len(g.Components) != len(js.Components) || g.Name != js.Name {
		t.Fatalf("tag-value read %s %s %q with %d components, want the JSON's %q with %d", g.Format, g.SpecVersion, g.Name, len(g.Components), js.Name, len(js.Components))
	}
	// The writer orders packages by SPDXID: compare by identifier.
	byRef := map[string]Component{}
	for _, c := range js.Components {
		byRef[c.Ref] = c
	}
	for i := range g.Components {
		c, j := g.Components[i], byRef[g.Components[i].Ref]
		if c.Name != j.Name || c.PURL != j.PURL || len(c.DependsOn) != len(j.DependsOn) || c.DependenciesKnown != j.DependenciesKnown {
			t.Fatalf("component %d: tag-value %+v, JSON %+v", i, c, j)
		}
		if !strings.HasPrefix(c.Location, "shop.spdx:") {
			t.Fatalf("component %d location %q, want shop.spdx:LINE", i, c.Location)
		}
		line := 0
		fmt.Sscanf(strings.TrimPrefix(c.Location, "shop.spdx:"), "%d", &line)
		if got := strings.Split(string(tv), "\n")[line-1]; got != "PackageName: "+c.Name {
			t.Fatalf("component %d location %s is line %q, want its PackageName", i, c.Location, got)
		}
	}
	// Failure twin: a tag-value document that breaks the format.
	_, err = Read(strings.NewReader("SPDXVersion: SPDX-2.3\nPackageVersion: 1.0\n"), "broken.spdx")
	wantCode(t, err, reason.SBOMMalformed)
}

// spdx3Doc builds an SPDX 3.0.1 JSON-LD document of a product with two
// packages, one licence and a dependency.
func spdx3Fixture(t testing.TB, extra ...map[string]any) []byte {
	t.Helper()
	graph := []any{
		map[string]any{"type": "CreationInfo", "@id": "_:ci", "specVersion": "3.0.1", "created": "2026-01-01T00:00:00Z", "createdBy": []any{"urn:acme"}},
		map[string]any{"type": "Organization", "spdxId": "urn:acme", "name": "Acme GmbH", "creationInfo": "_:ci"},
		map[string]any{"type": "software_Sbom", "spdxId": "urn:sbom", "creationInfo": "_:ci", "rootElement": []any{"urn:app"}},
		map[string]any{"type": "software_Package", "spdxId": "urn:app", "name": "app", "software_packageVersion": "2.0", "creationInfo": "_:ci",
			"suppliedBy": "urn:acme", "software_primaryPurpose": "application", "software_packageUrl": "pkg:generic/acme/app@2.0"},
		map[string]any{"type": "software_Package", "spdxId": "urn:xz", "name": "liblzma5", "software_packageVersion": "5.6.0-0.2", "creationInfo": "_:ci",
			"externalIdentifier": []any{map[string]any{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": debPURL("liblzma5", "5.6.0-0.2", "xz-utils")}},
			"verifiedUsing":      []any{map[string]any{"type": "Hash", "algorithm": "sha256", "hashValue": strings.Repeat("ab", 32)}}},
		map[string]any{"type": "simplelicensing_LicenseExpression", "spdxId": "urn:lic", "simplelicensing_licenseExpression": "0BSD", "creationInfo": "_:ci"},
		map[string]any{"type": "Relationship", "spdxId": "urn:r1", "from": "urn:app", "relationshipType": "dependsOn", "to": []any{"urn:xz"}, "creationInfo": "_:ci"},
		map[string]any{"type": "Relationship", "spdxId": "urn:r2", "from": "urn:xz", "relationshipType": "dependsOn", "to": []any{}, "completeness": "complete", "creationInfo": "_:ci"},
		map[string]any{"type": "Relationship", "spdxId": "urn:r3", "from": "urn:xz", "relationshipType": "hasConcludedLicense", "to": "urn:lic", "creationInfo": "_:ci"},
	}
	for _, e := range extra {
		graph = append(graph, e)
	}
	out, err := json.Marshal(map[string]any{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadSPDX3(t *testing.T) {
	g, err := Read(bytes.NewReader(spdx3Fixture(t)), "app.spdx3.json")
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	if g.Format != FormatSPDX3JSON || g.SpecVersion != "3.0.1" || g.Name != "app" || g.Version != "2.0" || len(g.Components) != 2 || !g.Dependencies {
		t.Fatalf("graph %+v", g)
	}
	xz := g.Components[1]
	if xz.Supplier != "" || len(xz.Licences) != 1 || xz.Licences[0] != "0BSD" || !xz.DependenciesKnown || len(xz.Hashes) != 1 ||
		xz.UpstreamHints[0].Key != "src:xz-utils" || g.Components[0].Supplier != "Acme GmbH" || !slices.Equal(g.Components[0].DependsOn, []int{1}) {
		t.Fatalf("components %+v", g.Components)
	}
	// Failure twins: a later SPDX 3 version, a broken graph.
	_, err = Read(strings.NewReader(`{"@context":"https://spdx.org/rdf/3.1/spdx-context.jsonld","@graph":[]}`), "x.json")
	wantCode(t, err, reason.SBOMVersionUnsupported)
	_, err = Read(strings.NewReader(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":{"type":1}}`), "x.json")
	wantCode(t, err, reason.SBOMMalformed)
}

func TestPlaceholdersAreNoUpstream(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
"metadata":{"component":{"type":"container","bom-ref":"img","name":"registry.test/app"}},
"components":[
 {"type":"application","bom-ref":"a1","name":"usr/local/bin/app","properties":[{"name":"aquasecurity:trivy:Class","value":"lang-pkgs"},{"name":"aquasecurity:trivy:Type","value":"gobinary"}]},
 {"type":"library","bom-ref":"a2","name":"gobinary"},
 {"type":"library","bom-ref":"a3","name":"jar"},
 {"type":"application","bom-ref":"a4","name":"package-lock.json"},
 {"type":"library","bom-ref":"a5","name":""},
 {"type":"library","bom-ref":"a6","name":"UNKNOWN"},
 {"type":"file","bom-ref":"a7","name":"/usr/lib/x86_64-linux-gnu/libz.so.1"},
 {"type":"library","bom-ref":"c1","name":"cargo","version":"0.80.0","purl":"pkg:cargo/cargo@0.80.0"},
 {"type":"library","bom-ref":"c2","name":"github.com/x/y","version":"v1.0.0"},
 {"type":"library","bom-ref":"d1","name":"lodash","version":"4.17.21","purl":"pkg:npm/lodash@4.17.21"},
 {"type":"library","bom-ref":"d2","name":"lodash","version":"4.17.21","purl":"pkg:npm/lodash@4.17.21","hashes":[{"alg":"SHA-256","content":"` + strings.Repeat("cd", 32) + `"}]}],
"dependencies":[{"ref":"img","dependsOn":["a1","d1","d2"]},{"ref":"a1","dependsOn":["d2"]}]}`
	g, err := Read(strings.NewReader(doc), "trivy.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	if len(g.Components) != 11 || !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.HasPrefix(w, "1 components repeat the purl") }) {
		t.Fatalf("%d components, warnings %q: want the repeated lodash counted once", len(g.Components), g.Warnings)
	}
	rep := newTestAssessor(t, Data{}).Assess(g)
	want := map[string]string{
		"usr/local/bin/app": RulePlaceholderTrivyApp, "gobinary": RulePlaceholderGeneratorType, "jar": RulePlaceholderGeneratorType,
		"package-lock.json": RulePlaceholderManifest, "": RulePlaceholderEmptyName, "UNKNOWN": RulePlaceholderUnknownName,
		"/usr/lib/x86_64-linux-gnu/libz.so.1": RulePlaceholderFilePath,
	}
	for _, c := range rep.Components {
		rule, placeholder := want[c.Name]
		if !placeholder {
			if c.Upstream == "" {
				t.Errorf("%s@%s: a named package got no upstream (%s)", c.Name, c.Version, c.UpstreamRule)
			}
			continue
		}
		if c.Upstream != "" || c.UpstreamRule != rule || !slices.ContainsFunc(c.Labels, func(f Finding) bool { return f.Label == vocab.LabelUnidentifiable && f.Rule == rule }) {
			t.Errorf("%q: upstream %q by %s, labels %+v; want no upstream and unidentifiable by %s", c.Name, c.Upstream, c.UpstreamRule, c.Labels, rule)
		}
	}
	lodash := slices.IndexFunc(rep.Components, func(c ComponentResult) bool { return c.Name == "lodash" })
	if rep.Components[lodash].SHA256 == "" {
		t.Error("the repeated lodash's hash was not kept on the one counted")
	}
	// In a portfolio the placeholders are shared by nothing.
	p := newTestAssessor(t, Data{}).NewPortfolio()
	for _, src := range []string{"one.cdx.json", "two.cdx.json"} {
		g, err := Read(strings.NewReader(doc), src)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Add(g); err != nil {
			t.Fatal(err)
		}
	}
	pr := p.Report(0)
	for _, u := range pr.Upstreams {
		if u.Upstream == "" || strings.Contains(u.Upstream, "gobinary") || strings.Contains(u.Upstream, "jar") || u.Components != 2 && u.Upstream == "pkg:npm/lodash" {
			t.Errorf("shared upstream %+v", u)
		}
	}
	if !slices.ContainsFunc(pr.Upstreams, func(u SharedUpstream) bool { return u.Upstream == "pkg:npm/lodash" && u.Components == 2 }) {
		t.Errorf("upstreams %+v: want lodash once per product", pr.Upstreams)
	}
}

func TestBudgetRefusesEmptyComponents(t *testing.T) {
	n := 200_000
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[` + strings.Repeat("{},", n-1) + `{}]}`
	l := DefaultLimits()
	l.MaxMemoryBytes = 256 << 20
	_, err := Read(strings.NewReader(doc), "empty.cdx.json", WithLimits(l))
	re := wantCode(t, err, reason.InputTooLarge)
	if !strings.Contains(re.Msg, fmt.Sprintf("%d components", n)) || re.Hint == "" {
		t.Fatalf("refusal %+v: want the count and a hint", re)
	}
	l.MaxComponents = 1000
	l.MaxMemoryBytes = DefaultLimits().MaxMemoryBytes
	_, err = Read(strings.NewReader(doc), "empty.cdx.json", WithLimits(l))
	wantCode(t, err, reason.InputTooLarge)
	// Success twin: the same count within a budget that admits it.
	l = DefaultLimits()
	g, err := Read(strings.NewReader(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a"},{"name":"b","components":[{"name":"c"}]}]}`), "ok.cdx.json", WithLimits(l))
	if err != nil || len(g.Components) != 3 {
		t.Fatalf("got %v, %v", g, err)
	}
	for _, tc := range []struct {
		name, doc string
		format    Format
		comps     int
		edges     int
	}{
		{"cyclonedx json", `{"components":[{"name":"a\"]","components":[{}]},{}],"dependencies":[{"ref":"a","dependsOn":["b","c"]}]}`, FormatCycloneDXJSON, 3, 3},
		{"spdx json", `{"packages":[{},{}],"files":[{}],"relationships":[{},{},{},{}]}`, FormatSPDXJSON, 3, 4},
		{"cyclonedx xml", `<bom><components><component type="library"/><component><components><component/></components></component></components><dependencies><dependency ref="a"/></dependencies></bom>`, FormatCycloneDXXML, 3, 1},
		{"tag-value", "SPDXVersion: SPDX-2.3\nPackageName: a\nPackageName: b\nRelationship: a DEPENDS_ON b\n", FormatSPDXTagValue, 2, 1},
	} {
		var c counts
		var err error
		switch tc.format {
		case FormatCycloneDXJSON:
			c, err = countJSON([]byte(tc.doc), cdxJSONComponentKeys, cdxJSONEdgeKeys, l)
		case FormatSPDXJSON:
			c, err = countJSON([]byte(tc.doc), spdxJSONComponentKeys, spdxJSONEdgeKeys, l)
		case FormatCycloneDXXML:
			c, err = countXML([]byte(tc.doc), l)
		case FormatSPDXTagValue:
			c, err = countTagValue([]byte(tc.doc), l)
		}
		if err != nil || c.components != tc.comps || c.edges != tc.edges {
			t.Errorf("%s: counted %+v, %v; want %d components and %d edges", tc.name, c, err, tc.comps, tc.edges)
		}
	}
}

func TestReadRefusesBinaryEarly(t *testing.T) {
	r := &endless{}
	_, err := Read(r, "/dev/zero")
	wantCode(t, err, reason.SBOMFormatUnknown)
	if r.n > 2*sniffChunk {
		t.Fatalf("read %d bytes of zeros before refusing, want at most %d", r.n, 2*sniffChunk)
	}
}

// endless reads zeros forever, like /dev/zero.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += len(p)
	return len(p), nil
}

func TestCheckProfileBSI(t *testing.T) {
	conformant := `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,
"metadata":{"timestamp":"2026-01-01T00:00:00Z","manufacturer":{"name":"Acme","url":["https://acme.test"]},
 "component":{"type":"application","bom-ref":"app","name":"app","version":"2.0","purl":"pkg:generic/acme/app@2.0",%s}},
"components":[{"type":"library","bom-ref":"z","name":"zlib","version":"1.3","purl":"pkg:generic/zlib@1.3",%s}],
"dependencies":[{"ref":"app","dependsOn":["z"]},{"ref":"z","dependsOn":[]}]}`
	full := `"supplier":{"name":"Acme","contact":[{"email":"sbom@acme.test"}]},"licenses":[{"license":{"id":"Zlib","acknowledgement":"concluded"}}],
"externalReferences":[{"type":"distribution","url":"https://acme.test/x.tgz","hashes":[{"alg":"SHA-512","content":"` + strings.Repeat("ab", 64) + `"}]}],
"properties":[{"name":"bsi:component:filename","value":"x.tgz"},{"name":"bsi:component:executable","value":"non-executable"},
 {"name":"bsi:component:archive","value":"archive"},{"name":"bsi:component:structured","value":"structured"}]`
	rep, err := CheckProfile(strings.NewReader(fmt.Sprintf(conformant, full, full)), "ok.cdx.json", ProfileBSITR031832)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformant || rep.Components != 2 || len(rep.Gaps) != 0 {
		t.Fatalf("conformant SBOM reported %+v", rep)
	}
	// Failure twin: the library lacks its hash and declares its licence
	// only; the SBOM is 1.5 and carries a vulnerability.
	partial := strings.Replace(strings.Replace(full, `"acknowledgement":"concluded"`, `"acknowledgement":"declared"`, 1), `"alg":"SHA-512"`, `"alg":"SHA-256"`, 1)
	doc := strings.Replace(fmt.Sprintf(conformant, full, partial), `"specVersion":"1.6"`, `"specVersion":"1.5"`, 1)
	doc = strings.TrimSuffix(doc, "}") + `,"vulnerabilities":[{"id":"CVE-2024-0001"}]}`
	rep, err = CheckProfile(strings.NewReader(doc), "gaps.cdx.json", ProfileBSITR031832)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rep.Gaps {
		got = append(got, g.Field+" "+g.Component+" "+g.Location)
	}
	want := []string{"sbom.format  /specVersion", "sbom.no-vulnerabilities  /vulnerabilities",
		"component.licence zlib@1.3 /components/0", "component.hash zlib@1.3 /components/0"}
	if rep.Conformant || !slices.Equal(got, want) || rep.WithGaps != 1 {
		t.Fatalf("gaps %q, want %q", got, want)
	}
	// SPDX 2 is not admitted; SPDX 3 is read field by field.
	rep, err = CheckProfile(bytes.NewReader(shopSPDX("SPDX-2.3", personPrefix)), "shop.spdx.json", ProfileBSITR031832)
	if err != nil || rep.Conformant || rep.Gaps[0].Field != "sbom.format" {
		t.Fatalf("SPDX 2.3: %+v, %v", rep, err)
	}
	rep, err = CheckProfile(bytes.NewReader(spdx3Fixture(t)), "app.spdx3.json", ProfileBSITR031832)
	if err != nil || rep.Conformant || rep.Components != 2 || rep.Fields["component.hash"] != 2 || rep.Fields["sbom.creator"] != 0 {
		t.Fatalf("SPDX 3: %+v, %v", rep, err)
	}
	_, err = CheckProfile(strings.NewReader("{}"), "x.json", "nist")
	wantCode(t, err, reason.SBOMConfigInvalid)
}

// A real package that shares its name with a generator's application type
// is no placeholder when it has a version, purl or CPE.
func TestPlaceholderNeedsNoIdentity(t *testing.T) {
	for _, c := range []Component{
		{Name: "pip", Version: "24.0"},
		{Name: "cargo", PURL: "pkg:cargo/cargo@0.80.0"},
		{Name: "npm", CPE: "cpe:2.3:a:npmjs:npm:10.0.0:*:*:*:*:*:*:*"},
		{Name: "github.com/x/y"},
		{Name: "@scope/pkg"},
		{Name: "libz.so.1"},
	} {
		if rule, _ := placeholderOf(&c); rule != "" {
			t.Errorf("%+v taken for a placeholder by %s", c, rule)
		}
	}
	for _, c := range []Component{{Name: "pip"}, {Name: "usr/lib/app/x.jar"}, {Name: "C:\\app\\x.exe"}, {Name: " "}, {Name: "Gemfile.lock"}} {
		if rule, _ := placeholderOf(&c); rule == "" {
			t.Errorf("%+v not taken for a placeholder", c)
		}
	}
}
