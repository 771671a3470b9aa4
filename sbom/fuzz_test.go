package sbom

import (
	"bytes"
	"slices"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// fuzzRead checks the reader contract on arbitrary input: no panic, an
// error means no graph, and a graph keeps its invariants and can be
// assessed.
func fuzzRead(t *testing.T, data []byte, name string) {
	g, err := Read(bytes.NewReader(data), name)
	if err != nil {
		if g != nil {
			t.Fatalf("error %v returned with a graph", err)
		}
		return
	}
	checkGraph(t, g)
	a, err := NewAssessor(WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	a.Assess(g)
}

func FuzzReadCycloneDXJSON(f *testing.F) {
	for _, v := range cdxTestVersions {
		f.Add(encodeCDX(f, shopBOM(), v, cdx.BOMFileFormatJSON))
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"bom-ref":"a","name":"a","components":[{"bom-ref":"a"}]}],"dependencies":[{"ref":"a","dependsOn":["a","b"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "bom.cdx.json") })
}

func FuzzReadCycloneDXXML(f *testing.F) {
	for _, v := range cdxTestVersions {
		f.Add(encodeCDX(f, shopBOM(), v, cdx.BOMFileFormatXML))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "bom.cdx.xml") })
}

func FuzzReadSPDX(f *testing.F) {
	f.Add(shopSPDX("SPDX-2.2", personPrefix))
	f.Add(shopSPDX("SPDX-2.3", personPrefix))
	f.Add(shopSPDX("SPDX-2.3", func(n string) string { return n }))
	f.Add(rhelSPDX())
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "bom.spdx.json") })
}

func FuzzReadNPMLock(f *testing.F) {
	f.Add(npmLock(2))
	f.Add(npmLock(3))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "package-lock.json") })
}

func FuzzReadGoModule(f *testing.F) {
	f.Add([]byte(testGoMod), []byte(testGoSum))
	f.Add([]byte("module m\nrequire a.b/c v1.0.0\nreplace a.b/c v1.0.0 => ./c\n"), []byte(nil))
	f.Fuzz(func(t *testing.T, mod, sum []byte) {
		g, err := ReadGoModule(mod, sum, "go.mod")
		if err != nil {
			if g != nil {
				t.Fatalf("error %v returned with a graph", err)
			}
			return
		}
		checkGraph(t, g)
	})
}

func FuzzReadGoSum(f *testing.F) {
	f.Add([]byte(testGoSum))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "go.sum") })
}

func FuzzReadRegistry(f *testing.F) {
	f.Add([]byte(testRegistry))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := ReadRegistry(bytes.NewReader(data), "r.yaml")
		if err != nil && reg != nil {
			t.Fatal("error with a registry")
		}
	})
}

func FuzzReadMapping(f *testing.F) {
	f.Add([]byte(testMapping))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMapping(bytes.NewReader(data), "m.yaml")
		if err != nil && m != nil {
			t.Fatal("error with a mapping")
		}
	})
}

func FuzzReadKEV(f *testing.F) {
	f.Add([]byte(testKEV))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ReadKEV(bytes.NewReader(data), "kev.json")
		if err != nil && k != nil {
			t.Fatal("error with a catalog")
		}
	})
}

func FuzzReadFacts(f *testing.F) {
	f.Add([]byte(testFacts))
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := ReadFacts(bytes.NewReader(data), "facts.json")
		if err != nil && facts != nil {
			t.Fatal("error with facts")
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("weights: {abandoned: 0.5}\ngradeCutoffs: [1, 2, 3, 4, 5, 6]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(bytes.NewReader(data), "scoring.yaml")
		if err != nil {
			return
		}
		if _, err := NewAssessor(WithScoring(cfg)); err != nil {
			t.Fatalf("a parsed configuration is refused: %v", err)
		}
	})
}

// FuzzOSVAdvisory feeds one advisory and one purl through the matcher.
func FuzzOSVAdvisory(f *testing.F) {
	for name, body := range testAdvisories {
		f.Add([]byte(body), "pkg:npm/lodash@4.17.20", name)
	}
	f.Add([]byte(testAdvisories["DEBIAN-CVE-2024-3094.json"]), debPURL("liblzma5", "5.6.0-0.2", "xz-utils"), "d.json")
	f.Add([]byte(queryAdvisories["MIXED-1.json"]), "pkg:golang/github.com/BurntSushi/toml@v1.3.1", "m.json")
	f.Add([]byte(queryAdvisories["MIXED-1.json"]), "pkg:pypi/PyYAML@5.3.1", "m.json")
	f.Add([]byte(queryAdvisories["MIXED-1.json"]), "pkg:npm/%40babel/core@7.0.0", "m.json")
	f.Fuzz(func(t *testing.T, data []byte, purl, name string) {
		e, err := indexAdvisory(data, name)
		if err != nil {
			return
		}
		e.raw = data
		l := &osvLoader{limits: DefaultLimits(), advs: []*osvEntry{e}}
		db := l.index("osv")
		p, ok := parsePURL(purl)
		var res osvResult
		if ok {
			res = db.match(purl, p)
		}
		// A portfolio's question agrees with an SBOM's: an entry that
		// affects the purl is one of the advisories match finds.
		aps, err := db.AffectedPackages()
		if err != nil {
			return
		}
		hits := map[string]bool{}
		for _, ap := range aps {
			hit, _ := ap.Affects(purl)
			if !hit {
				continue
			}
			hits[ap.Advisory] = true
			if !slices.ContainsFunc(res.matches, func(m osvMatch) bool { return m.ID == ap.Advisory }) {
				t.Fatalf("%s affects %q, but matching the purl finds %+v", ap.Advisory, purl, res.matches)
			}
			// The entry's question finds the component: its stored purl,
			// or the upstream its source package gives it.
			switch {
			case ap.PurlType != "" && (!sameName(ap, PackageKey(purl)) || ap.LastName() != KeyLastName(ap.PurlType, PackageKey(purl))):
				t.Fatalf("%s affects %q, whose key %q its question does not find", ap.Advisory, purl, PackageKey(purl))
			case ap.Upstream != "":
				src, _ := sourcePackage(p)
				if src == "" {
					src = p.Name
				}
				if CanonicalUpstream(sourceKey(src)) != CanonicalUpstream(ap.Upstream) {
					t.Fatalf("%s affects %q, whose upstream %q its question %q does not find", ap.Advisory, purl, sourceKey(src), ap.Upstream)
				}
			}
		}
		for _, m := range res.matches {
			if !hits[m.ID] {
				t.Fatalf("matching %q finds %s, but no entry of it affects the purl", purl, m.ID)
			}
		}
	})
}

// FuzzVersionCompare checks that every ecosystem order never panics, is
// antisymmetric, and that a version equals itself.
func FuzzVersionCompare(f *testing.F) {
	f.Add("1.0.0", "1.0.0-rc1")
	f.Add("1:2.3~b1-4", "2.3-4")
	f.Add("1.2_rc1-r0", "1.2a")
	f.Add("1.0^git1", "1.0~rc")
	f.Add("1.0.post1", "1.0.dev0+local.1")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range []string{"Go", "npm", "PyPI", "Maven", "NuGet", "RubyGems", "crates.io", "Packagist", "Debian", "Alpine", "Red Hat", "SEMVER"} {
			x, err1 := CompareVersions(eco, a, b)
			y, err2 := CompareVersions(eco, b, a)
			if (err1 == nil) != (err2 == nil) || (err1 == nil && x != -y) {
				t.Fatalf("%s: compare(%q,%q)=%d,%v but compare(%q,%q)=%d,%v", eco, a, b, x, err1, b, a, y, err2)
			}
			if err1 == nil {
				if self, err := CompareVersions(eco, a, a); err != nil || self != 0 {
					t.Fatalf("%s: %q is not equal to itself (%d, %v)", eco, a, self, err)
				}
			}
		}
	})
}

func FuzzReadSPDXTagValue(f *testing.F) {
	f.Add(tagValueOf(f, shopSPDX("SPDX-2.3", personPrefix)))
	f.Add(tagValueOf(f, shopSPDX("SPDX-2.2", personPrefix)))
	f.Add(tagValueOf(f, rhelSPDX()))
	f.Add([]byte("SPDXVersion: SPDX-2.3\nPackageName: a\nSPDXID: SPDXRef-a\nRelationship: SPDXRef-a DEPENDS_ON SPDXRef-b\nPackageComment: <text>\nPackageName: x\n</text>\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, "bom.spdx") })
}

func FuzzReadSPDX3(f *testing.F) {
	f.Add(spdx3Fixture(f))
	f.Add(spdx3Fixture(f, map[string]any{"type": "Relationship", "from": "urn:app", "relationshipType": "ancestorOf", "to": "urn:xz"},
		map[string]any{"type": "software_File", "spdxId": "urn:f", "name": "x.tgz", "software_additionalPurpose": []any{"archive"}}))
	f.Add([]byte(`{"@context":["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],"@graph":[{"type":"software_Package","spdxId":"a","to":"b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, "bom.spdx3.json")
		if _, err := CheckProfile(bytes.NewReader(data), "bom.spdx3.json", ProfileBSITR031832); err != nil && reason.As(err, "", "").Code == "" {
			t.Fatalf("profile check error without a code: %v", err)
		}
	})
}

// FuzzReadCycloneDX17 fuzzes the newest CycloneDX version with the fields
// the BSI profile reads (licence acknowledgements, distribution hashes,
// bsi: properties), through both the reader and the profile check.
func FuzzReadCycloneDX17(f *testing.F) {
	f.Add(encodeCDX(f, shopBOM(), cdx.SpecVersion1_7, cdx.BOMFileFormatJSON))
	f.Add(encodeCDX(f, shopBOM(), cdx.SpecVersion1_7, cdx.BOMFileFormatXML))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.7","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","metadata":{"timestamp":"2026-01-01T00:00:00Z","manufacturer":{"name":"a","url":["https://a.test"]}},` +
		`"components":[{"bom-ref":"z","name":"z","version":"1","licenses":[{"expression":"MIT","acknowledgement":"concluded"}],"externalReferences":[{"type":"distribution","url":"x","hashes":[{"alg":"SHA-512","content":"00"}]}],` +
		`"properties":[{"name":"bsi:component:archive","value":"archive"}]}],"dependencies":[{"ref":"z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"bom.cdx.json", "bom.cdx.xml"} {
			fuzzRead(t, data, name)
			if _, err := CheckProfile(bytes.NewReader(data), name, ProfileBSITR031832); err != nil && reason.As(err, "", "").Code == "" {
				t.Fatalf("profile check error without a code: %v", err)
			}
		}
	})
}
