// Command gen writes the inputs of the vulnerability benchmark and compares
// its results.
//
//	go run ./bench/vulns/gen -dir OUT [-components 10000] [-advisories 50000]
//	go run ./bench/vulns/gen -compare OUT   (reads OUT/sovcheck.json and OUT/osv-scanner.json)
//
// The SBOM (OUT/app.cdx.json, CycloneDX 1.5) holds packages of Go (module
// paths with capitals), npm (with scopes), PyPI (names to normalise),
// Maven, NuGet, RubyGems, crates.io, Packagist and Debian (binary packages
// built from a source package). The advisories follow the real OSV schema
// as osv.dev publishes it: GHSA-style records with CVSS_V3 vectors and
// database_specific.severity, GO-YYYY-NNNN records with SEMVER ranges and
// ecosystem_specific imports, PYSEC records, and Debian DSA/DLA-style
// records with ECOSYSTEM ranges on source packages ("Debian:12"). They are
// written in osv-scanner's offline layout, OUT/db/osv-scanner/ECOSYSTEM/all.zip,
// which sovcheck reads as is. OUT/components.tsv maps each purl to the
// ecosystem, name and version a matcher compares.
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
	"strings"
)

type ecosystem struct {
	name    string // OSV ecosystem
	purl    func(name, version string) string
	pkgName func(i int) string
	version func(r *rand.Rand) string
	// fixed returns a version after v, and introduced one before it.
	fixed, introduced func(v string) string
	prefix            string
}

func semverEco(osv, purlType string, name func(int) string, vprefix, prefix string) ecosystem {
	return ecosystem{name: osv, prefix: prefix, pkgName: name,
		purl: func(n, v string) string { return "pkg:" + purlType + "/" + purlEscapePath(n) + "@" + v },
		version: func(r *rand.Rand) string {
			return fmt.Sprintf("%s%d.%d.%d", vprefix, r.IntN(5), r.IntN(20), r.IntN(30))
		},
		fixed:      func(v string) string { return bump(v, vprefix, "") },
		introduced: func(v string) string { return vprefix + "0.0.1" },
	}
}

// bump raises the minor number of a d.d.d version.
func bump(v, prefix, suffix string) string {
	var a, b, c int
	fmt.Sscanf(strings.TrimPrefix(v, prefix), "%d.%d.%d", &a, &b, &c)
	return fmt.Sprintf("%s%d.%d.0%s", prefix, a, b+1, suffix)
}

func purlEscapePath(n string) string {
	return strings.ReplaceAll(n, "@", "%40")
}

var ecosystems = []ecosystem{
	semverEco("Go", "golang", func(i int) string {
		if i%2 == 0 { // module paths with capitals, as github.com/BurntSushi/toml
			return fmt.Sprintf("github.com/Org%d/Module%d", i%97, i)
		}
		return fmt.Sprintf("example.org/m%d/mod%d", i%97, i)
	}, "v", "GO-2024-"),
	semverEco("npm", "npm", func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf("@scope%d/pkg-%d", i%13, i)
		}
		return fmt.Sprintf("pkg-%d", i)
	}, "", "GHSA-npm-"),
	{name: "PyPI", prefix: "PYSEC-2024-", pkgName: func(i int) string {
		if i%2 == 0 { // a name PEP 503 normalises, as Flask_SQLAlchemy
			return fmt.Sprintf("Py_Pkg.%d", i)
		}
		return fmt.Sprintf("py-pkg-%d", i)
	},
		purl: func(n, v string) string {
			return "pkg:pypi/" + strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(n)) + "@" + v
		},
		version: func(r *rand.Rand) string {
			return []string{"1.0rc1", "1.0", "1.0.post1", "2.1.dev3", "2.1", "3.0.0"}[r.IntN(6)]
		},
		fixed:      func(v string) string { return "3.1" },
		introduced: func(v string) string { return "0" },
	},
	{name: "Maven", prefix: "GHSA-mvn-", pkgName: func(i int) string { return fmt.Sprintf("org.example%d:artifact-%d", i%31, i) },
		purl: func(n, v string) string {
			g, a, _ := strings.Cut(n, ":")
			return "pkg:maven/" + g + "/" + a + "@" + v
		},
		version: func(r *rand.Rand) string {
			return []string{"1.0-alpha-1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "2.12.7.1"}[r.IntN(5)]
		},
		fixed:      func(v string) string { return "2.13.0" },
		introduced: func(v string) string { return "0" },
	},
	{name: "NuGet", prefix: "GHSA-nuget-", pkgName: func(i int) string { return fmt.Sprintf("Example.Package%d", i) },
		purl:       func(n, v string) string { return "pkg:nuget/" + n + "@" + v },
		version:    func(r *rand.Rand) string { return []string{"1.0.0-beta", "1.0.0", "1.0.0.1", "4.7.1"}[r.IntN(4)] },
		fixed:      func(v string) string { return "4.7.2" },
		introduced: func(v string) string { return "0" },
	},
	{name: "RubyGems", prefix: "GHSA-gem-", pkgName: func(i int) string { return fmt.Sprintf("gem%d", i) },
		purl:       func(n, v string) string { return "pkg:gem/" + n + "@" + v },
		version:    func(r *rand.Rand) string { return []string{"7.0.0.rc1", "7.0.0", "7.0.1", "6.1.7.3"}[r.IntN(4)] },
		fixed:      func(v string) string { return "7.0.1" },
		introduced: func(v string) string { return "6.0.0" },
	},
	semverEco("crates.io", "cargo", func(i int) string { return fmt.Sprintf("crate_%d", i) }, "", "RUSTSEC-2024-"),
	{name: "Packagist", prefix: "GHSA-php-", pkgName: func(i int) string { return fmt.Sprintf("vendor%d/package%d", i%17, i) },
		purl:       func(n, v string) string { return "pkg:composer/" + n + "@" + v },
		version:    func(r *rand.Rand) string { return []string{"1.0.0-RC1", "1.0.0", "1.0.0-patch1", "2.3.4"}[r.IntN(4)] },
		fixed:      func(v string) string { return "2.0.0" },
		introduced: func(v string) string { return "0" },
	},
	{name: "Debian", prefix: "DSA-", pkgName: func(i int) string { return fmt.Sprintf("libsrc%d", i) },
		purl: func(n, v string) string {
			return "pkg:deb/debian/" + n + "@" + v + "?arch=amd64&distro=debian-12"
		},
		version: func(r *rand.Rand) string {
			return []string{"1.2.13.dfsg-1", "1:1.2.13.dfsg-1", "5.6.0-0.2", "5.6.1+really5.4.5-1", "2.30~rc1-1"}[r.IntN(5)]
		},
		fixed:      func(v string) string { return "5.6.1+really5.4.5-1" },
		introduced: func(v string) string { return "0" },
	},
}

const cvssCritical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

func main() {
	dir := flag.String("dir", "", "output directory")
	components := flag.Int("components", 10000, "components in the SBOM")
	advisories := flag.Int("advisories", 50000, "advisories in the database")
	compare := flag.String("compare", "", "compare OUT/sovcheck.json with OUT/osv-scanner.json")
	flag.Parse()
	var err error
	switch {
	case *compare != "":
		err = compareResults(*compare)
	case *dir != "":
		err = generate(*dir, *components, *advisories)
	default:
		err = fmt.Errorf("give -dir or -compare")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen: error:", err)
		os.Exit(2)
	}
}

type pkg struct {
	eco           *ecosystem
	name, version string
}

func generate(dir string, nComp, nAdv int) error {
	r := rand.New(rand.NewPCG(1, 2))
	pkgs := make([]pkg, nComp)
	for i := range pkgs {
		e := &ecosystems[i%len(ecosystems)]
		pkgs[i] = pkg{eco: e, name: e.pkgName(i), version: e.version(r)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The SBOM and the component map.
	type comp struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
		BOMRef  string `json:"bom-ref"`
	}
	var comps []comp
	var refs []string
	tsv := &strings.Builder{}
	for i, p := range pkgs {
		purl := p.eco.purl(p.name, p.version)
		ref := fmt.Sprintf("c%d", i)
		comps = append(comps, comp{Type: "library", Name: p.name, Version: p.version, PURL: purl, BOMRef: ref})
		refs = append(refs, ref)
		fmt.Fprintf(tsv, "%s\t%s\t%s\t%s\n", purl, p.eco.name, p.name, p.version)
	}
	bom := map[string]any{
		"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
		"metadata":     map[string]any{"component": map[string]any{"type": "application", "name": "bench-app", "version": "1.0", "bom-ref": "app"}},
		"components":   comps,
		"dependencies": []map[string]any{{"ref": "app", "dependsOn": refs}},
	}
	if err := writeJSON(filepath.Join(dir, "app.cdx.json"), bom); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "components.tsv"), []byte(tsv.String()), 0o644); err != nil {
		return err
	}
	// Advisories: one in five targets a package of the SBOM (a range that
	// holds its version about half the time); the rest name packages the
	// SBOM does not hold, as most of a real database does.
	byEco := map[string][][2]string{} // ecosystem -> (file name, JSON)
	for i := 0; i < nAdv; i++ {
		var p pkg
		if i%5 == 0 {
			p = pkgs[r.IntN(len(pkgs))]
		} else {
			e := &ecosystems[r.IntN(len(ecosystems))]
			p = pkg{eco: e, name: e.pkgName(nComp + i), version: e.version(r)}
		}
		id := fmt.Sprintf("%s%06d", p.eco.prefix, i)
		adv := advisory(r, id, p)
		data, err := json.Marshal(adv)
		if err != nil {
			return err
		}
		byEco[p.eco.name] = append(byEco[p.eco.name], [2]string{id + ".json", string(data)})
	}
	for eco, files := range byEco {
		d := filepath.Join(dir, "db", "osv-scanner", eco)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := writeZip(filepath.Join(d, "all.zip"), files); err != nil {
			return err
		}
	}
	return nil
}

// advisory writes one record in the style of the database that publishes
// the ecosystem.
func advisory(r *rand.Rand, id string, p pkg) map[string]any {
	fixed := p.eco.fixed(p.version)
	introduced := p.eco.introduced(p.version)
	if r.IntN(2) == 0 { // half of the ranges miss the version
		introduced, fixed = "0", p.eco.introduced(p.version)
		if introduced == "0" {
			fixed = lowest(p.eco.name)
		}
	}
	a := map[string]any{
		"schema_version": "1.6.0", "id": id, "published": "2024-01-15T10:00:00Z",
		"modified": fmt.Sprintf("2024-%02d-%02dT12:00:00Z", 1+r.IntN(12), 1+r.IntN(28)),
		"summary":  "synthetic advisory for " + p.name,
		"aliases":  []string{fmt.Sprintf("CVE-2024-%d", 10000+r.IntN(90000))},
	}
	rangeType := "ECOSYSTEM"
	affected := map[string]any{"package": map[string]any{"ecosystem": p.eco.name, "name": p.name}}
	switch p.eco.name {
	case "Go":
		rangeType = "SEMVER"
		introduced, fixed = strings.TrimPrefix(introduced, "v"), strings.TrimPrefix(fixed, "v")
		affected["ecosystem_specific"] = map[string]any{"imports": []map[string]any{{"path": p.name, "symbols": []string{"Parse"}}}}
		affected["database_specific"] = map[string]any{"source": "https://vuln.go.dev/ID/" + id + ".json"}
	case "Debian":
		affected["package"] = map[string]any{"ecosystem": "Debian:12", "name": p.name}
		a["upstream"] = a["aliases"]
		delete(a, "aliases")
	case "PyPI":
		a["severity"] = []map[string]any{{"type": "CVSS_V3", "score": cvssCritical}}
	default:
		a["severity"] = []map[string]any{{"type": "CVSS_V3", "score": cvssCritical}}
		a["database_specific"] = map[string]any{"severity": "CRITICAL", "github_reviewed": true, "cwe_ids": []string{"CWE-79"}}
	}
	affected["ranges"] = []map[string]any{{"type": rangeType, "events": []map[string]string{{"introduced": introduced}, {"fixed": fixed}}}}
	a["affected"] = []any{affected}
	return a
}

// lowest is a version below every generated one.
func lowest(eco string) string {
	switch eco {
	case "Debian":
		return "0.1-1"
	case "Maven":
		return "0.1"
	}
	return "0.0.1"
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func writeZip(path string, files [][2]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	slices.SortFunc(files, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, fl := range files {
		w, err := zw.Create(fl[0])
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(fl[1])); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
