package portfolio

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/sbom"
)

// xzAdvisories are OSV advisories for the fixtures' xz: the backdoor in
// Debian 12 and Alpine, a withdrawn one naming curl, one for a package no
// product holds.
var xzAdvisories = map[string]string{
	"DEBIAN-CVE-2024-3094.json": `{"id":"DEBIAN-CVE-2024-3094","aliases":["CVE-2024-3094"],"summary":"malicious code in xz","modified":"2024-04-02T08:00:00Z","affected":[
		{"package":{"ecosystem":"Debian:12","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-0.1"},{"fixed":"5.6.1+really5.4.5-1"}]}]},
		{"package":{"ecosystem":"Debian:13","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-0.1"},{"fixed":"5.6.1+really5.4.5-1"}]}]},
		{"package":{"ecosystem":"Alpine:v3.20","name":"xz"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-r0"},{"fixed":"5.6.1-r2"}]}]},
		{"package":{"ecosystem":"GIT","name":"https://github.com/tukaani-project/xz"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}`,
	"DEBIAN-CVE-0000-0001.json": `{"id":"DEBIAN-CVE-0000-0001","withdrawn":"2024-01-01T00:00:00Z","affected":[
		{"package":{"ecosystem":"Debian:12","name":"curl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
	"DEBIAN-CVE-2024-0727.json": `{"id":"DEBIAN-CVE-2024-0727","affected":[
		{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1"}]}]}]}`,
	"PYSEC-2021-142.json": `{"id":"PYSEC-2021-142","database_specific":{"severity":"CRITICAL"},"affected":[
		{"package":{"ecosystem":"PyPI","name":"pyyaml"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4"}]}]}]}`,
	"EMPTY-1.json": `{"id":"EMPTY-1","affected":[]}`,
}

// writeMoreFixtures adds to writeFixtures a Python product whose SBOM
// writes PyYAML as syft does, and a Debian product as Trivy writes it:
// the binary package's purl without the upstream qualifier, its source
// in a property.
func writeMoreFixtures(t *testing.T, dir string) {
	t.Helper()
	files := map[string][]byte{
		"pypi/app.cdx.json": cyclonedx("scraper", "2.1", []string{"yaml"},
			comp{"yaml", "PyYAML", "5.3.1", "pkg:pypi/PyYAML@5.3.1", nil}),
		"trivy/bom.cdx.json": []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "metadata": {"component": {"bom-ref": "root", "type": "container", "name": "gateway", "version": "7"}},
 "components": [{"bom-ref": "xz", "type": "library", "name": "liblzma5", "version": "5.6.1-1",
   "purl": "pkg:deb/debian/liblzma5@5.6.1-1?distro=debian-12",
   "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "xz-utils"}]}],
 "dependencies": [{"ref": "root", "dependsOn": ["xz"]}, {"ref": "xz", "dependsOn": []}]}`),
	}
	writeFiles(t, dir, files)
}

func writeAdvisories(t *testing.T, advs map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "osv")
	files := map[string][]byte{}
	for name, body := range advs {
		files[name] = []byte(body)
	}
	writeFiles(t, dir, files)
	return dir
}

func TestWhereAffected(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		writeMoreFixtures(t, dir)
		st := open(t, location)
		ctx := context.Background()
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
			t.Fatal(err)
		}
		db, err := sbom.LoadAdvisories(writeAdvisories(t, xzAdvisories))
		if err != nil {
			t.Fatal(err)
		}
		ans, err := st.WhereAffected(ctx, db, false)
		if err != nil {
			t.Fatal(err)
		}
		// Four advisories stand (one is withdrawn; one names nothing);
		// five packages are asked, the GIT one and the empty advisory
		// cannot be.
		if ans.Advisories != 4 || ans.Asked != 5 || ans.Affecting != 2 || ans.Products != 2 || ans.Undetermined != 2 ||
			len(ans.Unasked) != 2 || ans.AsOf != "2024-04-02T08:00:00Z" {
			t.Fatalf("answer %+v", ans)
		}
		if len(ans.Results) != 2 || ans.Results[0].Advisory != "DEBIAN-CVE-2024-3094" || ans.Results[1].Advisory != "PYSEC-2021-142" {
			t.Fatalf("results %+v", ans.Results)
		}
		// The Debian 12 and 13 entries ask src:xz once, and list shop
		// once: its 5.6.1-1 is in the range, billing's 5.4.1-0.2 is not;
		// kiosk's x:5.6.0 cannot be placed, and the gateway's binary
		// package does not name its source in its purl. Alpine's 5.4.5-r0
		// is older than the Alpine range.
		xz := ans.Results[0]
		if xz.Products != 1 || xz.Severity != sbom.SeverityUnknown || len(xz.Answers) != 1 {
			t.Fatalf("xz: %+v", xz)
		}
		r := xz.Answers[0]
		if r.Query.Upstream != "src:xz-utils" || r.Query.Affected != "Debian:12 xz-utils, Debian:13 xz-utils, Alpine:v3.20 xz" || r.Products != 1 ||
			len(r.Matches) != 1 || r.Matches[0].Product != "shop" || r.Matches[0].Version != "5.6.1-1" || len(r.Matches[0].Path) != 3 {
			t.Fatalf("xz-utils: %+v %+v", r.Query, r.Matches)
		}
		var undetermined []string
		for _, m := range r.Undetermined {
			undetermined = append(undetermined, m.Product)
			if m.Reason == "" {
				t.Errorf("%s undetermined without a reason", m.Product)
			}
		}
		if !slices.Equal(undetermined, []string{"gateway", "kiosk"}) {
			t.Errorf("undetermined %q, want the gateway and kiosk", undetermined)
		}
		// PyYAML as the SBOM writes it is pyyaml as the advisory does.
		py := ans.Results[1]
		if py.Severity != sbom.SeverityCritical || len(py.Answers) != 1 || py.Answers[0].Query.Package != "pkg:pypi/PyYAML" ||
			len(py.Answers[0].Matches) != 1 || py.Answers[0].Matches[0].Product != "scraper" {
			t.Errorf("pyyaml: %+v", py.Answers)
		}
		if got := ans.Unasked[0].Advisory + " " + ans.Unasked[1].Advisory; got != "DEBIAN-CVE-2024-3094 EMPTY-1" {
			t.Errorf("unasked: %s", got)
		}

		// The twin: the fix before shop's version affects nothing, and the
		// undetermined versions are still shown.
		fixed := map[string]string{"DEBIAN-CVE-2024-3094.json": `{"id":"DEBIAN-CVE-2024-3094","affected":[
			{"package":{"ecosystem":"Debian:12","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.6.0-0.1"},{"fixed":"5.6.0-0.2"}]}]}]}`}
		db, err = sbom.LoadAdvisories(writeAdvisories(t, fixed))
		if err != nil {
			t.Fatal(err)
		}
		ans, err = st.WhereAffected(ctx, db, false)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Affecting != 0 || ans.Products != 0 || ans.Undetermined != 2 || len(ans.Results) != 1 || len(ans.Results[0].Answers[0].Matches) != 0 {
			t.Errorf("fixed before shop: %+v", ans)
		}
	})
}

// TestWhereAffectedShared: two advisories for one package ask the store
// once, and each lists only what it affects; a component without a
// package URL is found by its name and listed as undetermined, never
// dropped.
func TestWhereAffectedShared(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	writeFiles(t, dir, map[string][]byte{
		"npm/web.cdx.json": cyclonedx("web", "4.0", []string{"koa"}, comp{"koa", "koa", "2.15.3", "", nil}),
		// Spelt otherwise than the advisory: found all the same.
		"npm/app.cdx.json": cyclonedx("app", "1.0", []string{"koa"}, comp{"koa", "Koa", "2.15.3", "", nil}),
		// Named koa, but with a package URL that is not npm's koa: the
		// name question leaves it to the purl questions, which do not
		// ask it.
		"npm/tool.cdx.json": cyclonedx("tool", "1.0", []string{"koa"}, comp{"koa", "koa", "2.15.3", "pkg:generic/koa@2.15.3", nil}),
	})
	st := open(t, filepath.Join(t.TempDir(), "store.db"))
	ctx := context.Background()
	if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
		t.Fatal(err)
	}
	db, err := sbom.LoadAdvisories(writeAdvisories(t, map[string]string{
		"DEBIAN-CVE-2024-3094.json": xzAdvisories["DEBIAN-CVE-2024-3094.json"],
		"DEBIAN-CVE-2025-0001.json": `{"id":"DEBIAN-CVE-2025-0001","affected":[
			{"package":{"ecosystem":"Debian:12","name":"xz-utils"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4.2-1"}]}]}]}`,
		"GHSA-593f-38f6-jp5m.json": `{"id":"GHSA-593f-38f6-jp5m","affected":[
			{"package":{"ecosystem":"npm","name":"koa"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.15.4"}]}]}]}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := st.WhereAffected(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range ans.Results {
		for _, w := range r.Answers {
			for _, m := range w.Matches {
				got[r.Advisory] = append(got[r.Advisory], "affected "+m.Product)
			}
			for _, m := range w.Undetermined {
				got[r.Advisory] = append(got[r.Advisory], "undetermined "+m.Product+": "+m.Reason)
			}
		}
	}
	want := map[string][]string{
		"DEBIAN-CVE-2024-3094": {"affected shop", "undetermined kiosk: version cannot be ordered"},
		"DEBIAN-CVE-2025-0001": {"affected billing", "undetermined kiosk: version cannot be ordered"},
		"GHSA-593f-38f6-jp5m": {"undetermined app: the component has no package URL to match the advisory by",
			"undetermined web: the component has no package URL to match the advisory by"},
	}
	for id, w := range want {
		g := got[id]
		if len(g) != len(w) {
			t.Errorf("%s: %q, want %q", id, g, w)
			continue
		}
		for i := range w {
			if !strings.HasPrefix(g[i], w[i]) {
				t.Errorf("%s: %q, want %q", id, g[i], w[i])
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("advisories %v", got)
	}
}

// TestWhereAffectedManyPackages asks more packages than one read of the
// names holds: only the one the store has is asked, and found.
func TestWhereAffectedManyPackages(t *testing.T) {
	dir := t.TempDir()
	writeFixtures(t, dir)
	st := open(t, filepath.Join(t.TempDir(), "store.db"))
	ctx := context.Background()
	if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
		t.Fatal(err)
	}
	advs := map[string]string{}
	for i := range 2*termsPerRead + 10 {
		name := fmt.Sprintf("absent-%04d", i)
		if i == termsPerRead+3 {
			name = "glibc"
		}
		advs[fmt.Sprintf("DEBIAN-%04d.json", i)] = fmt.Sprintf(`{"id":"DEBIAN-%04d","affected":[
			{"package":{"ecosystem":"Debian:12","name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`, i, name)
	}
	db, err := sbom.LoadAdvisories(writeAdvisories(t, advs))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := st.WhereAffected(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Advisories != len(advs) || ans.Asked != len(advs) || ans.Affecting != 1 || len(ans.Results) != 1 ||
		ans.Results[0].Advisory != fmt.Sprintf("DEBIAN-%04d", termsPerRead+3) || ans.Results[0].Answers[0].Matches[0].Component != "libc6" {
		t.Errorf("answer %+v", ans)
	}
}

// TestPackageTermsCollation reads a purl type's stored package keys on a
// PostgreSQL database whose collation ignores punctuation (ICU's
// "shifted" alternate): in it "pkg:npm0" sorts before "pkg:npm/a", and
// only the C collation keeps the range right. SQLite compares bytes.
func TestPackageTermsCollation(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"web.cdx.json": cyclonedx("web", "4.0", []string{"koa", "babel"},
		comp{"koa", "koa", "2.15.3", "pkg:npm/koa@2.15.3", nil},
		comp{"babel", "core", "7.26.9", "pkg:npm/%40babel/core@7.26.9", nil},
		comp{"yaml", "PyYAML", "5.3.1", "pkg:pypi/PyYAML@5.3.1", nil})})
	for name, location := range map[string]string{
		"sqlite":   filepath.Join(t.TempDir(), "store.db"),
		"postgres": newPostgresDBWith(t, "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-u-ka-shifted'"),
	} {
		st := open(t, location)
		ctx := context.Background()
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
			t.Fatal(err)
		}
		got, err := st.packageTerms(ctx, "npm")
		if err != nil {
			t.Fatal(err)
		}
		// Package keys, and upstreams that are versionless purls too.
		if !slices.Contains(got, "pkg:npm/@babel/core") || !slices.Contains(got, "pkg:npm/koa") ||
			slices.ContainsFunc(got, func(k string) bool { return !strings.HasPrefix(k, "pkg:npm/") }) {
			t.Errorf("%s: npm package keys %q", name, got)
		}
	}
}

// TestWithoutSeen lists a component two questions of one advisory find
// once, and counts the products of what is left; its twin, another
// component, is kept.
func TestWithoutSeen(t *testing.T) {
	shop := &Match{Product: "shop", Source: "shop.cdx.json", Component: "openssl", Version: "3.0.11-1", Path: []string{"shop@1.0", "openssl@3.0.11-1"}}
	seen := map[matchKey]bool{}
	first := withoutSeen(&WhereResult{Matches: []*Match{shop}}, seen)
	if first == nil || first.Products != 1 || len(first.Matches) != 1 {
		t.Fatalf("first answer: %+v", first)
	}
	// The same component again, found by another question, with another
	// reason: dropped, and the answer with it.
	again := *shop
	again.Path, again.Reason = nil, "the component has no version"
	if r := withoutSeen(&WhereResult{Undetermined: []*Match{&again}}, seen); r != nil {
		t.Errorf("a component listed twice: %+v", r)
	}
	other := *shop
	other.Product = "billing"
	r := withoutSeen(&WhereResult{Undetermined: []*Match{&other}}, seen)
	if r == nil || len(r.Undetermined) != 1 || r.Products != 0 || r.Matches == nil {
		t.Errorf("another product's component: %+v", r)
	}
}
