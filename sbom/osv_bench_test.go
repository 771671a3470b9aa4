package sbom

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadAdvisories reads a zip of 20,000 npm advisories in the OSV
// schema and matches 1,000 components against it (bench/vulns compares
// the whole run with osv-scanner).
func BenchmarkLoadAdvisories(b *testing.B) {
	path := filepath.Join(b.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := range 20_000 {
		w, err := zw.Create(fmt.Sprintf("GHSA-%06d.json", i))
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(w, `{"schema_version":"1.6.0","id":"GHSA-%06d","modified":"2024-05-01T12:00:00Z","aliases":["CVE-2024-%05d"],"summary":"advisory %d",`+
			`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],`+
			`"affected":[{"package":{"ecosystem":"npm","name":"pkg-%d"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.%d.0"}]}]}]}`,
			i, i, i, i%5000, i%7)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		db, err := LoadAdvisories(path)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 1_000 {
			purl := fmt.Sprintf("pkg:npm/pkg-%d@1.2.3", i)
			p, _ := parsePURL(purl)
			db.match(purl, p)
		}
	}
}
