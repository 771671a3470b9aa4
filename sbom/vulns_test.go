package sbom

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// vulnBOM is a product with a Go module whose path has capitals, an npm
// package, a PyPI package and a Debian package built from a source
// package.
const vulnBOM = `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
 "metadata":{"component":{"type":"application","name":"app","version":"1.0","bom-ref":"app"}},
 "components":[
  {"type":"library","name":"toml","version":"v0.4.1","purl":"pkg:golang/github.com/BurntSushi/toml@v0.4.1","bom-ref":"toml"},
  {"type":"library","name":"minimist","version":"1.2.5","purl":"pkg:npm/minimist@1.2.5","bom-ref":"minimist"},
  {"type":"library","name":"Django","version":"4.2rc1","purl":"pkg:pypi/Django@4.2rc1","bom-ref":"django"},
  {"type":"library","name":"zlib1g","version":"1:1.2.13.dfsg-1","purl":"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?upstream=zlib&distro=debian-12","bom-ref":"zlib"}],
 "dependencies":[{"ref":"app","dependsOn":["toml","minimist","django","zlib"]}]}`

const cvssCritical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

func advisory(id, eco, name, extra string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2024-05-01T00:00:00Z"%s,
 "affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`, id, extra, eco, name)
}

// assessWith assesses vulnBOM with the given advisories and VEX.
func assessWith(t *testing.T, cfg Config, advs map[string]string, vex ...*VEX) *Report {
	t.Helper()
	var db *Advisories
	if advs != nil {
		dir := t.TempDir()
		for name, body := range advs {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if db, err = LoadAdvisories(dir); err != nil {
			t.Fatal(err)
		}
	}
	a, err := NewAssessor(WithScoring(cfg), WithData(Data{Advisories: db, VEX: vex}), WithClock(func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return a.Assess(readBytes(t, []byte(vulnBOM), "app.cdx.json"))
}

func component(t *testing.T, r *Report, name string) *ComponentResult {
	t.Helper()
	for i := range r.Components {
		if r.Components[i].Name == name {
			return &r.Components[i]
		}
	}
	t.Fatalf("no component %q", name)
	return nil
}

func vulnShare(r *Report) (int, int) {
	for _, d := range r.Coverage.Dimensions {
		if d.Dimension == DimVulnerability {
			return d.Assessed, d.Total
		}
	}
	return -1, -1
}

// Finding 1: an advisory whose only severity is a CVSS v3.1 vector is
// critical, and the component is graded E at best.
func TestSeverityFromCVSSVector(t *testing.T) {
	r := assessWith(t, DefaultConfig(), map[string]string{
		"GHSA-1.json": advisory("GHSA-1", "npm", "minimist", `,"severity":[{"type":"CVSS_V3","score":"`+cvssCritical+`"}]`),
	})
	c := component(t, r, "minimist")
	if len(c.Vulnerabilities) != 1 {
		t.Fatalf("vulnerabilities: %+v", c.Vulnerabilities)
	}
	v := c.Vulnerabilities[0]
	if v.Severity != SeverityCritical || v.SeverityScore != 9.8 || v.SeveritySource != "GHSA-1.json#/severity/0 CVSS_V3" || v.SeverityVector != cvssCritical {
		t.Errorf("severity: got %q %v from %q (%q), want critical 9.8 from the CVSS_V3 vector", v.Severity, v.SeverityScore, v.SeveritySource, v.SeverityVector)
	}
	if c.Grade.Rank() < GradeE.Rank() || c.RiskFloor == nil || c.RiskFloor.Severity != SeverityCritical {
		t.Errorf("a critical vulnerability is graded %s (risk %d, floor %+v), want E or worse", c.Grade, c.Risk, c.RiskFloor)
	}
}

// The twins: a low vector is low, ecosystem and database fields are read
// when no vector is given, and no severity at all counts as high.
func TestSeveritySources(t *testing.T) {
	for _, tc := range []struct {
		name, extra, affectedExtra string
		level, source              string
		worstAtLeast               Grade
	}{
		{"low vector", `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}]`, "", SeverityLow, "A.json#/severity/0 CVSS_V3", GradeA},
		{"v4 vector", `,"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]`, "", SeverityCritical, "A.json#/severity/0 CVSS_V4", GradeE},
		{"v2 vector", `,"severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}]`, "", SeverityHigh, "A.json#/severity/0 CVSS_V2", GradeD},
		{"worst of several", `,"severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"},{"type":"CVSS_V3","score":"` + cvssCritical + `"}]`, "", SeverityCritical, "A.json#/severity/1 CVSS_V3", GradeE},
		{"database_specific", `,"database_specific":{"severity":"MODERATE"}`, "", SeverityMedium, "A.json#/database_specific/severity", GradeC},
		{"ecosystem_specific", `,"database_specific":{"severity":"LOW"}`, `,"ecosystem_specific":{"severity":"HIGH"}`, SeverityHigh, "A.json#/affected/0/ecosystem_specific/severity", GradeD},
		{"unreadable vector falls back", `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:X"}],"database_specific":{"severity":"CRITICAL"}`, "", SeverityCritical, "A.json#/database_specific/severity", GradeE},
		{"none counts as high", "", "", SeverityUnknown, "none", GradeD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := advisory("A", "npm", "minimist", tc.extra)
			if tc.affectedExtra != "" {
				body = strings.Replace(body, `"ranges"`, tc.affectedExtra[1:]+`,"ranges"`, 1)
			}
			c := component(t, assessWith(t, DefaultConfig(), map[string]string{"A.json": body}), "minimist")
			if len(c.Vulnerabilities) != 1 {
				t.Fatalf("vulnerabilities: %+v", c.Vulnerabilities)
			}
			v := c.Vulnerabilities[0]
			if v.Severity != tc.level || v.SeveritySource != tc.source {
				t.Errorf("got %q from %q, want %q from %q", v.Severity, v.SeveritySource, tc.level, tc.source)
			}
			if c.Grade.Rank() < tc.worstAtLeast.Rank() {
				t.Errorf("graded %s (risk %d), want %s or worse", c.Grade, c.Risk, tc.worstAtLeast)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.UnknownSeverity = SeverityCritical
	c := component(t, assessWith(t, cfg, map[string]string{"A.json": advisory("A", "npm", "minimist", "")}), "minimist")
	if c.Grade.Rank() < GradeE.Rank() {
		t.Errorf("unknownSeverity critical: graded %s, want E or worse", c.Grade)
	}
}

// Finding 2: Go module paths keep their case.
func TestGoModulePathCase(t *testing.T) {
	r := assessWith(t, DefaultConfig(), map[string]string{"GO-1.json": advisory("GO-1", "Go", "github.com/BurntSushi/toml", "")})
	if c := component(t, r, "toml"); len(c.Vulnerabilities) != 1 || c.Vulnerabilities[0].ID != "GO-1" {
		t.Errorf("github.com/BurntSushi/toml advisory: got %+v, want GO-1", c.Vulnerabilities)
	}
	// The twin: a lower-case path is another module, and does not match.
	r = assessWith(t, DefaultConfig(), map[string]string{"GO-2.json": advisory("GO-2", "Go", "github.com/burntsushi/toml", "")})
	if c := component(t, r, "toml"); len(c.Vulnerabilities) != 0 {
		t.Errorf("github.com/burntsushi/toml advisory matched %+v", c.Vulnerabilities)
	}
	if n, ok := goModulePath("pkg:golang/github.com/BurntSushi/toml@v0.4.1?type=module"); !ok || n != "github.com/BurntSushi/toml" {
		t.Errorf("goModulePath: %q %v", n, ok)
	}
}

// Finding 3: no data, or data for none of the product's ecosystems, is
// 0% assessed with a warning.
func TestNoAdvisoryDataIsUnassessed(t *testing.T) {
	for _, tc := range []struct {
		name string
		advs map[string]string
		warn string
	}{
		{"no --vulns", nil, "no vulnerability was assessed: no advisory data given"},
		{"empty directory", map[string]string{}, "no vulnerability was assessed: the advisory data (0 advisories, ecosystems: none) answers no component"},
		{"other ecosystem", map[string]string{"R.json": advisory("R", "RubyGems", "rails", "")},
			"no vulnerability was assessed: the advisory data (1 advisories, ecosystems: RubyGems) answers no component"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := assessWith(t, DefaultConfig(), tc.advs)
			if got, total := vulnShare(r); got != 0 || total != 4 {
				t.Errorf("vulnerability assessed %d of %d, want 0 of 4", got, total)
			}
			if !containsString(r.Warnings, tc.warn) {
				t.Errorf("warnings %q, want %q", r.Warnings, tc.warn)
			}
		})
	}
	// The twin: data for the product's ecosystems answers (known-exploited
	// stays open without KEV, so the share counts known-vulnerable only).
	r := assessWith(t, DefaultConfig(), map[string]string{
		"N.json": advisory("N", "npm", "left-pad", ""), "G.json": advisory("G", "Go", "x.y/z", ""),
		"P.json": advisory("P", "PyPI", "flask", ""), "D.json": advisory("D", "Debian:12", "openssl", ""),
	})
	for _, c := range r.Components {
		for _, u := range c.Unassessed {
			for _, l := range u.Labels {
				if l == vocab.LabelKnownVulnerable {
					t.Errorf("%s: known-vulnerable unassessed: %s", c.Name, u.Reason)
				}
			}
		}
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Finding 4: PyPI and Debian are ordered; GIT-only ranges are named.
func TestEcosystemsAssessedAndGitRanges(t *testing.T) {
	git := `{"id":"OSV-GIT","modified":"2024-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"minimist"},"ranges":[{"type":"GIT","repo":"https://github.com/substack/minimist","events":[{"introduced":"0"},{"fixed":"abc123"}]}]}]}`
	r := assessWith(t, DefaultConfig(), map[string]string{
		"PYSEC.json": `{"id":"PYSEC-1","modified":"2024-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"django"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"4.2a1"},{"fixed":"4.2"}]}]}]}`,
		"DSA.json":   `{"id":"DSA-1","modified":"2024-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-1+deb12u1"}]}]}]}`,
		"GIT.json":   git,
	})
	if c := component(t, r, "Django"); len(c.Vulnerabilities) != 1 {
		t.Errorf("Django 4.2rc1 in [4.2a1, 4.2): %+v", c.Vulnerabilities)
	}
	if c := component(t, r, "zlib1g"); len(c.Vulnerabilities) != 1 {
		t.Errorf("zlib 1:1.2.13.dfsg-1 before +deb12u1: %+v", c.Vulnerabilities)
	}
	c := component(t, r, "minimist")
	found := false
	for _, u := range c.Unassessed {
		found = found || u.Reason == "advisory OSV-GIT: only GIT ranges (commits), no versions to compare"
	}
	if !found || len(c.Vulnerabilities) != 0 {
		t.Errorf("GIT-only range: unassessed %+v, vulnerabilities %+v", c.Unassessed, c.Vulnerabilities)
	}
}

func TestStaleAdvisoryData(t *testing.T) {
	advs := map[string]string{"A.json": advisory("A", "npm", "minimist", "")}
	cfg := DefaultConfig()
	cfg.MaxAdvisoryAgeDays = 7 // the data is as of 2024-05-01, judged on 2024-06-01
	r := assessWith(t, cfg, advs)
	if got, _ := vulnShare(r); got != 0 || len(component(t, r, "minimist").Vulnerabilities) != 0 {
		t.Errorf("stale data answered: %d assessed", got)
	}
	if !containsString(r.Warnings, "no vulnerability was assessed: the advisory data as of 2024-05-01 is older than 7 days") {
		t.Errorf("warnings: %q", r.Warnings)
	}
	if r.Data[0].AsOf != "2024-05-01T00:00:00Z" {
		t.Errorf("as-of: %+v", r.Data)
	}
	cfg.MaxAdvisoryAgeDays = 60
	if r := assessWith(t, cfg, advs); len(component(t, r, "minimist").Vulnerabilities) != 1 {
		t.Error("fresh data did not answer")
	}
}

func TestKnownExploitedIsG(t *testing.T) {
	a, err := NewAssessor(WithData(Data{KEV: &KEV{byCVE: map[string]int{"CVE-2021-44906": 0}, entries: []kevEntry{{CVEID: "CVE-2021-44906"}}}}))
	if err != nil {
		t.Fatal(err)
	}
	g := readBytes(t, []byte(strings.Replace(vulnBOM, `"dependencies"`, `"vulnerabilities":[{"id":"CVE-2021-44906","affects":[{"ref":"minimist"}]}],"dependencies"`, 1)), "app.cdx.json")
	r := a.Assess(g)
	if c := component(t, r, "minimist"); c.Grade != GradeG {
		t.Errorf("known-exploited: graded %s, want G", c.Grade)
	}
}
