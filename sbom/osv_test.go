package sbom

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func mustPURL(t *testing.T, s string) Component {
	t.Helper()
	if _, ok := parsePURL(s); !ok {
		t.Fatalf("bad test purl %q", s)
	}
	return Component{PURL: s}
}

func matchIDs(t *testing.T, db *Advisories, purl string) ([]string, string) {
	t.Helper()
	p, _ := parsePURL(mustPURL(t, purl).PURL)
	res := db.match(purl, p)
	var ids []string
	for _, m := range res.matches {
		ids = append(ids, m.ID)
	}
	return ids, strings.Join(append(res.open, res.uncovered), "; ")
}

func TestLoadAdvisoriesDirAndZip(t *testing.T) {
	dir, zipPath := writeAdvisoryDir(t, testAdvisories)
	// osv-scanner's offline layout: one all.zip per ecosystem folder.
	zipDir := filepath.Join(t.TempDir(), "osv-scanner")
	if err := os.MkdirAll(filepath.Join(zipDir, "npm"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(zipDir, "npm", "all.zip"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, zipPath, zipDir} {
		db, err := LoadAdvisories(path)
		if err != nil {
			t.Fatalf("loading %s: %v", path, err)
		}
		if db.Len() != len(testAdvisories) {
			t.Fatalf("%s: got %d advisories, want %d", path, db.Len(), len(testAdvisories))
		}
		ids, _ := matchIDs(t, db, "pkg:npm/lodash@4.17.20")
		if !slices.Equal(ids, []string{"GHSA-35jh-r3h4-6jhm"}) {
			t.Fatalf("%s: lodash matched %v", path, ids)
		}
	}
}

func TestOSVMatching(t *testing.T) {
	dir, _ := writeAdvisoryDir(t, testAdvisories)
	db, err := LoadAdvisories(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, purl string
		want       []string
		open       bool
	}{
		{"semver affected", "pkg:npm/lodash@4.17.20", []string{"GHSA-35jh-r3h4-6jhm"}, false},
		{"semver fixed", "pkg:npm/lodash@4.17.21", nil, false},
		{"no fuzzy name", "pkg:npm/lodash-es@4.17.20", nil, false},
		{"other ecosystem same name", "pkg:pypi/lodash@4.17.20", nil, false},
		{"withdrawn advisory ignored", "pkg:npm/left-pad@1.3.0", nil, false},
		{"debian by source package", debPURL("liblzma5", "5.6.0-0.2", "xz-utils"), []string{"DEBIAN-CVE-2024-3094"}, false},
		{"debian source version from qualifier", "pkg:deb/debian/liblzma5@9.9?upstream=xz-utils%405.6.1-1&distro=debian-12", []string{"DEBIAN-CVE-2024-3094"}, false},
		{"debian fixed really-version", debPURL("liblzma5", "5.6.1+really5.4.5-1", "xz-utils"), nil, false},
		{"debian before introduced", debPURL("liblzma5", "5.4.1-0.2", "xz-utils"), nil, false},
		{"debian other release", "pkg:deb/debian/liblzma5@5.6.0-0.2?upstream=xz-utils&distro=debian-11", nil, false},
		{"debian without distro", "pkg:deb/debian/liblzma5@5.6.0-0.2?upstream=xz-utils", []string{"DEBIAN-CVE-2024-3094"}, false},
		{"binary name alone does not match a source advisory", "pkg:deb/debian/liblzma5@5.6.0-0.2?distro=debian-12", nil, false},
		{"pypi ordered", "pkg:pypi/requests@2.0.0", []string{"PYSEC-1"}, false},
		{"pypi name normalised", "pkg:pypi/Requests@2.0.0", []string{"PYSEC-1"}, false},
		{"pypi fixed", "pkg:pypi/requests@2.31.0", nil, false},
		{"ecosystem the data does not cover", "pkg:gem/rails@7.0.0", nil, true},
		{"ecosystem OSV does not cover", "pkg:generic/openssl@3.0.0", nil, true},
		{"purl without version", "pkg:npm/lodash", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, open := matchIDs(t, db, tc.purl)
			if !slices.Equal(ids, tc.want) || (open != "") != tc.open {
				t.Fatalf("got %v (open %q), want %v (open %v)", ids, open, tc.want, tc.open)
			}
		})
	}
}

func TestOSVRangeSemantics(t *testing.T) {
	ev := func(kv ...string) []RangeEvent {
		var out []RangeEvent
		for i := 0; i < len(kv); i += 2 {
			switch kv[i] {
			case "i":
				out = append(out, RangeEvent{Introduced: kv[i+1]})
			case "f":
				out = append(out, RangeEvent{Fixed: kv[i+1]})
			case "l":
				out = append(out, RangeEvent{LastAffected: kv[i+1]})
			case "x":
				out = append(out, RangeEvent{Limit: kv[i+1]})
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		v      string
		events []RangeEvent
		in, ok bool
	}{
		{"open-ended", "9.9.9", ev("i", "1.0.0"), true, true},
		{"before introduced", "0.9.0", ev("i", "1.0.0", "f", "2.0.0"), false, true},
		{"fixed is not affected", "2.0.0", ev("i", "1.0.0", "f", "2.0.0"), false, true},
		{"last_affected is affected", "2.0.0", ev("i", "0", "l", "2.0.0"), true, true},
		{"after last_affected", "2.0.1", ev("i", "0", "l", "2.0.0"), false, true},
		{"second window", "3.5.0", ev("i", "1.0.0", "f", "2.0.0", "i", "3.0.0", "f", "4.0.0"), true, true},
		{"between windows", "2.5.0", ev("i", "1.0.0", "f", "2.0.0", "i", "3.0.0", "f", "4.0.0"), false, true},
		{"unsorted events", "3.5.0", ev("f", "4.0.0", "i", "3.0.0", "f", "2.0.0", "i", "1.0.0"), true, true},
		{"limit caps", "5.0.0", ev("i", "1.0.0", "x", "5.0.0"), false, true},
		{"below limit", "4.0.0", ev("i", "1.0.0", "x", "5.0.0"), true, true},
		{"unparsable version", "banana", ev("i", "1.0.0"), false, false},
		{"unparsable event", "1.0.0", ev("i", "0", "f", "soon"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := InRange("SEMVER", tc.v, tc.events)
			if ok := err == nil; in != tc.in || ok != tc.ok {
				t.Fatalf("InRange(%q) = %v, %v; want %v, %v", tc.v, in, err, tc.in, tc.ok)
			}
		})
	}
	aff := &osvAffected{Versions: []string{"1.2.3"}}
	aff.Ranges = append(aff.Ranges, struct {
		Type   string       `json:"type"`
		Events []RangeEvent `json:"events"`
	}{Type: "GIT", Events: ev("i", "abc123")})
	if hit, why := affects(aff, "Go", "1.2.3"); !hit || why != "" {
		t.Error("a version in the versions list must match")
	}
	if hit, why := affects(aff, "Go", "1.2.4"); hit || why != "" {
		t.Error("with a versions list, commit ranges do not leave the question open")
	}
	aff.Versions = nil
	if _, why := affects(aff, "Go", "1.2.4"); !strings.Contains(why, "only GIT ranges") {
		t.Errorf("commit ranges alone cannot settle a package version: got %q", why)
	}
}

func TestLoadAdvisoriesFailures(t *testing.T) {
	_, err := LoadAdvisories(filepath.Join(t.TempDir(), "missing"))
	wantCode(t, err, reason.InputUnreadable)

	bad := map[string]string{"BAD.json": `{"id":`}
	dir, zipPath := writeAdvisoryDir(t, bad)
	_, err = LoadAdvisories(dir)
	wantCode(t, err, reason.SBOMDataMalformed)
	_, err = LoadAdvisories(zipPath)
	wantCode(t, err, reason.SBOMDataMalformed)

	dir, _ = writeAdvisoryDir(t, map[string]string{"NOID.json": `{"affected":[]}`})
	_, err = LoadAdvisories(dir)
	wantCode(t, err, reason.SBOMDataMalformed)

	notZip := filepath.Join(t.TempDir(), "osv.zip")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadAdvisories(notZip)
	wantCode(t, err, reason.SBOMDataMalformed)
	_, err = LoadAdvisories(filepath.Dir(notZip))
	wantCode(t, err, reason.SBOMDataMalformed)

	dir, zipPath = writeAdvisoryDir(t, map[string]string{"BIG.json": `{"id":"BIG","summary":"` + strings.Repeat("x", 4096) + `"}`})
	small := DefaultLimits()
	small.MaxAdvisoryBytes = 1024
	for _, p := range []string{dir, zipPath} {
		_, err = LoadAdvisories(p, WithLimits(small))
		wantCode(t, err, reason.InputTooLarge)
	}
	few := DefaultLimits()
	few.MaxAdvisories = 2
	dir, _ = writeAdvisoryDir(t, testAdvisories)
	_, err = LoadAdvisories(dir, WithLimits(few))
	wantCode(t, err, reason.InputTooLarge)
	total := DefaultLimits()
	total.MaxAdvisoryTotalBytes = 300
	_, err = LoadAdvisories(dir, WithLimits(total))
	wantCode(t, err, reason.InputTooLarge)
}
