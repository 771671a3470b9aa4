package sbom

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// queryAdvisories names a package in each way an ecosystem can.
var queryAdvisories = map[string]string{
	"MIXED-1.json": `{"id":"MIXED-1","summary":"one advisory, many ecosystems","modified":"2026-11-30T10:00:00Z","affected":[
		{"package":{"ecosystem":"npm","name":"@babel/core"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"7.26.10"}]}]},
		{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]},
		{"package":{"ecosystem":"PyPI","name":"pyyaml"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4"}]}]},
		{"package":{"ecosystem":"Go","name":"github.com/BurntSushi/toml"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.2"}]}]},
		{"package":{"ecosystem":"Debian:12","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-0.1"},{"fixed":"5.6.1+really5.4.5-1"}]}]},
		{"package":{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]},
		{"package":{"ecosystem":"crates.io","name":"Time"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.2.23"}]}]},
		{"package":{"ecosystem":"Ubuntu:Pro:20.04:LTS","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1f-1ubuntu2.23+esm1"}]}]},
		{"package":{"ecosystem":"GIT","name":"https://github.com/tukaani-project/xz"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]},
		{"package":{"ecosystem":"npm","name":""}}]}`,
	"EMPTY-1.json":        `{"id":"EMPTY-1","summary":"names nothing","affected":[]}`,
	"GHSA-withdrawn.json": testAdvisories["GHSA-withdrawn.json"],
}

func loadQueryAdvisories(t *testing.T) *Advisories {
	t.Helper()
	dir, _ := writeAdvisoryDir(t, queryAdvisories)
	db, err := LoadAdvisories(dir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestAffectedPackagesQuestions(t *testing.T) {
	aps, err := loadQueryAdvisories(t).AffectedPackages()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"EMPTY-1 unasked the advisory names no affected package",
		"MIXED-1 purl type npm",
		"MIXED-1 purl type maven",
		"MIXED-1 purl type pypi",
		"MIXED-1 purl type golang",
		"MIXED-1 upstream src:xz-utils", // the store asks src:xz too
		"MIXED-1 name openssl",
		"MIXED-1 purl type cargo",
		"MIXED-1 upstream src:openssl",
		`MIXED-1 unasked sovcheck reads no SBOM component as an OSV "GIT" package`,
		"MIXED-1 unasked the affected entry names no package",
	}
	var got []string
	for i, ap := range aps {
		if ap.Advisory == "MIXED-1" && (ap.Summary == "" || !strings.HasSuffix(ap.Record, "MIXED-1.json#/affected/"+strconv.Itoa(i-1))) {
			t.Errorf("entry %d: %+v", i, ap)
		}
		line := ap.Advisory + " "
		switch {
		case ap.PurlType != "":
			line += "purl type " + ap.PurlType
		case ap.Upstream != "":
			line += "upstream " + ap.Upstream
		case ap.ComponentName != "":
			line += "name " + ap.ComponentName
		default:
			line += "unasked " + ap.Unasked
		}
		got = append(got, line)
	}
	// The withdrawn advisory names no package.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("questions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLanguagePurlTypesRoundTrip holds the ecosystem table of the
// questions to osvEcosystem, which reads a purl's ecosystem for matching.
func TestLanguagePurlTypesRoundTrip(t *testing.T) {
	for eco, typ := range languagePurlTypes {
		p, ok := parsePURL("pkg:" + typ + "/some/name@1.0.0")
		if !ok {
			t.Fatalf("%s: no purl", typ)
		}
		if got, _, _, ok := osvEcosystem(p); !ok || got != eco {
			t.Errorf("pkg:%s/ is read as %q, %v; the questions take it for %q", typ, got, ok, eco)
		}
	}
	for eco, purl := range map[string]string{"Debian": "pkg:deb/debian/a@1", "Ubuntu": "pkg:deb/ubuntu/a@1", "Alpine": "pkg:apk/alpine/a@1",
		"Wolfi": "pkg:apk/wolfi/a@1", "Chainguard": "pkg:apk/chainguard/a@1", "Red Hat": "pkg:rpm/redhat/a@1", "Rocky Linux": "pkg:rpm/rocky/a@1",
		"AlmaLinux": "pkg:rpm/almalinux/a@1", "openSUSE": "pkg:rpm/opensuse/a@1", "SUSE": "pkg:rpm/suse/a@1", "Mariner": "pkg:rpm/mariner/a@1",
		"Azure Linux": "pkg:rpm/azurelinux/a@1"} {
		p, _ := parsePURL(purl)
		if got, _, _, ok := osvEcosystem(p); !ok || got != eco || !(sourceDistributions[eco] || rpmDistributions[eco]) {
			t.Errorf("%s is read as %q, %v; the questions know %q: %v", purl, got, ok, eco, sourceDistributions[eco] || rpmDistributions[eco])
		}
	}
}

// sameName reports whether the stored package key names ap's package:
// how a portfolio's question finds it.
func sameName(ap AffectedPackage, key string) bool {
	k, ok := PackageNameKey(key)
	return ok && k == ap.NameKey()
}

// TestSameNameKey finds a package's stored purls by the ecosystem's rules:
// PyPI names normalised, crates.io and Go module paths in any case; npm
// and Maven exactly.
func TestSameNameKey(t *testing.T) {
	aps, err := loadQueryAdvisories(t).AffectedPackages()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]AffectedPackage{}
	for _, ap := range aps {
		byName[ap.Name] = ap
	}
	for _, c := range []struct {
		pkg, key string
		same     bool
	}{
		{"pyyaml", "pkg:pypi/PyYAML", true},
		{"pyyaml", "pkg:pypi/py-yaml", false},
		{"Time", "pkg:cargo/time", true},
		{"@babel/core", "pkg:npm/@babel/core", true},
		{"@babel/core", "pkg:npm/core", false},
		{"org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core", true},
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/BurntSushi/toml", true},
		// Found in any case, then undetermined by Affects.
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/burntsushi/toml", true},
		{"pyyaml", "pkg:npm/pyyaml", false},
		{"pyyaml", "not a purl", false},
	} {
		if got := sameName(byName[c.pkg], c.key); got != c.same {
			t.Errorf("%s same as %s: %v, want %v", c.pkg, c.key, got, c.same)
		}
	}
}

func TestAffectedPackageAffects(t *testing.T) {
	aps, err := loadQueryAdvisories(t).AffectedPackages()
	if err != nil {
		t.Fatal(err)
	}
	byName, byEco := map[string]AffectedPackage{}, map[string]AffectedPackage{}
	for _, ap := range aps {
		if _, seen := byName[ap.Name]; !seen {
			byName[ap.Name] = ap
		}
		byEco[ap.Ecosystem] = ap
	}
	for _, c := range []struct {
		pkg, purl string
		hit       bool
		open      string // a part of the reason, "" when decided
	}{
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/BurntSushi/toml@v1.3.1?type=module", true, ""},
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/BurntSushi/toml@v1.3.2?type=module", false, ""},
		// Found (by name key), but named in another case: Go module paths
		// are exact, and the question stays open.
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/burntsushi/toml@v1.3.1", false, "names Go package"},
		{"github.com/BurntSushi/toml", "pkg:golang/github.com/BurntSushi/toml", false, "no version"},
		{"github.com/BurntSushi/toml", "", false, "no package URL"},
		{"github.com/BurntSushi/toml", "pkg:golang", false, "cannot be read"},
		{"xz-utils", debPURL("liblzma5", "5.6.1-1", "xz-utils"), true, ""},
		{"xz-utils", debPURL("liblzma5", "5.4.1-0.2", "xz-utils"), false, ""},
		{"xz-utils", debPURL("liblzma5", "x:5.6.0", "xz-utils"), false, "version"},
		// Debian 11 is another release than the entry's Debian:12.
		{"xz-utils", "pkg:deb/debian/liblzma5@5.6.1-1?upstream=xz-utils&distro=debian-11", false, ""},
		// A codename is its release; a release that is none OSV numbers
		// cannot be compared, and is not taken for another.
		{"xz-utils", "pkg:deb/debian/liblzma5@5.6.1-1?upstream=xz-utils&distro=bookworm", true, ""},
		{"xz-utils", "pkg:deb/debian/liblzma5@5.6.1-1?upstream=xz-utils&distro=debian-sid", false, `release "sid"`},
		// A binary package without the qualifier naming its source (as
		// Trivy writes them): found through its upstream, not decided.
		{"xz-utils", "pkg:deb/debian/liblzma5@5.6.1-1?distro=debian-12", false, `names Debian package "liblzma5"`},
		// The same source in Alpine is another ecosystem the advisory's
		// entry does not name.
		{"xz-utils", "pkg:apk/alpine/xz-libs@5.6.1-r0?upstream=xz-utils", false, ""},
		// A distribution OSV does not cover: not decided.
		{"openssl", "pkg:rpm/centos/openssl@1.0.2k-19.el7", false, "OSV covers no ecosystem"},
		{"openssl", "pkg:rpm/redhat/openssl@3.0.7-24.el9?epoch=1", true, ""},
		{"openssl", "pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=1", false, ""},
		{"openssl", "pkg:deb/ubuntu/libssl1.1@1.1.1f-1ubuntu2.22?upstream=openssl&distro=ubuntu-20.04", true, ""},
		{"openssl", "pkg:deb/ubuntu/libssl1.1@1.1.1f-1ubuntu2.22?upstream=openssl&distro=focal", true, ""},
		{"openssl", "pkg:deb/ubuntu/libssl1.1@1.1.1f-1ubuntu2.22?upstream=openssl&distro=ubuntu-20.04.6", true, ""},
		{"openssl", "pkg:deb/ubuntu/libssl1.1@1.1.1f-1ubuntu2.22?upstream=openssl&distro=ubuntu-22.04", false, ""},
		{"@babel/core", "pkg:npm/%40babel/core@7.26.9", true, ""},
		{"@babel/core", "pkg:npm/%40babel/core@7.26.10", false, ""},
		{"pyyaml", "pkg:pypi/PyYAML@5.3.1", true, ""},
		{"pyyaml", "pkg:pypi/PyYAML@6.0.1", false, ""},
		{"Time", "pkg:cargo/time@0.1.45", true, ""},
		{"org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", true, ""},
		{"org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", false, ""},
	} {
		ap := byName[c.pkg]
		if c.pkg == "openssl" && strings.Contains(c.purl, "ubuntu") {
			ap = byEco["Ubuntu:Pro:20.04:LTS"]
		}
		hit, why := ap.Affects(c.purl)
		if hit != c.hit || (c.open == "") != (why == "") || !strings.Contains(why, c.open) {
			t.Errorf("%s affects %q: %v, %q; want %v, %q", c.pkg, c.purl, hit, why, c.hit, c.open)
		}
	}
	// Several entries: the first hit wins, else the first reason.
	entries := []AffectedPackage{byEco["Ubuntu:Pro:20.04:LTS"], byName["xz-utils"]}
	if hit, why := AffectsAny(entries, debPURL("liblzma5", "5.6.1-1", "xz-utils")); !hit || why != "" {
		t.Errorf("any of two: %v, %q", hit, why)
	}
	if hit, why := AffectsAny(entries, debPURL("liblzma5", "x:5.6.0", "xz-utils")); hit || why == "" {
		t.Errorf("any of two, undetermined: %v, %q", hit, why)
	}
	if hit, why := AffectsAny(entries, debPURL("liblzma5", "5.4.1-0.2", "xz-utils")); hit || why != "" {
		t.Errorf("any of two, neither: %v, %q", hit, why)
	}
	if hit, why := (AffectedPackage{}).Affects("pkg:npm/x@1"); hit || why == "" {
		t.Errorf("an entry not loaded: %v, %q", hit, why)
	}
}

// TestLoadOneAdvisory reads one advisory's JSON file, as osv.dev serves
// it; its twin, a file that is not an advisory, is malformed data.
func TestLoadOneAdvisory(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "GHSA-35jh-r3h4-6jhm.json")
	if err := os.WriteFile(good, []byte(testAdvisories["GHSA-35jh-r3h4-6jhm.json"]), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := LoadAdvisories(good)
	if err != nil || db.Len() != 1 || db.Source() != good {
		t.Fatalf("one advisory: %v, %v", db, err)
	}
	p, _ := parsePURL("pkg:npm/lodash@4.17.20")
	if res := db.match("pkg:npm/lodash@4.17.20", p); len(res.matches) != 1 {
		t.Errorf("lodash 4.17.20: %+v", res)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"id":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAdvisories(bad); reason.CodeOf(err, "") != reason.SBOMDataMalformed {
		t.Errorf("a malformed advisory: %v", err)
	}
}

// TestUbuntuReleases reads the release of every kind of Ubuntu ecosystem
// OSV data names.
func TestUbuntuReleases(t *testing.T) {
	for rel, want := range map[string]bool{"20.04:LTS": true, "Pro:20.04:LTS": true, "Pro:FIPS-updates:20.04:LTS": true,
		"Pro:Realtime:20.04:LTS": true, "Nvidia-BlueField:20.04": true, "22.04:LTS": false, "Pro:18.04:LTS": false} {
		if got := releaseMatches("Ubuntu", rel, "20.04"); got != want {
			t.Errorf("Ubuntu:%s for 20.04: %v, want %v", rel, got, want)
		}
	}
}
