package where

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/portfolio"
	"github.com/sovcheck/sovcheck/sbom"
)

// sampleAffected is an answer of 'portfolio where --vulns': the XZ
// backdoor in one product, with an undetermined version in another, a
// Koa advisory with a CVSS score, and a package no SBOM is read as.
func sampleAffected() *portfolio.AffectedAnswer {
	xz := &portfolio.WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Products: 1,
		Query: portfolio.Query{Subject: "DEBIAN-CVE-2024-3094", Upstream: "src:xz", Advisory: "DEBIAN-CVE-2024-3094", Affected: "Debian:12 xz-utils"},
		Matches: []*portfolio.Match{{Product: "shop", ProductVersion: "1.0", Source: "sboms/shop.cdx.json", Digest: "sha256:" + strings.Repeat("ab", 32),
			AsOf: "2026-10-01", Grade: "D", Component: "liblzma5", Version: "5.6.1-1", PURL: "pkg:deb/debian/liblzma5@5.6.1-1?upstream=xz-utils",
			Upstream: "src:xz", Path: []string{"shop@1.0", "libcurl4@7.88.1-10", "liblzma5@5.6.1-1"}}},
		Undetermined: []*portfolio.Match{{Product: "kiosk", ProductVersion: "0.9", Source: "sboms/kiosk.cdx.json", Digest: "sha256:" + strings.Repeat("cd", 32),
			AsOf: "2026-10-01", Grade: "C", Component: "liblzma5", Version: "x:5.6.0", Upstream: "src:xz", Reason: "version cannot be ordered in Debian"}},
	}
	koa := &portfolio.WhereResult{MediaType: vocab.MediaTypePortfolioWhere, Products: 1,
		Query: portfolio.Query{Subject: "GHSA-593f-38f6-jp5m", Package: "pkg:npm/koa", Advisory: "GHSA-593f-38f6-jp5m", Affected: "npm koa"},
		Matches: []*portfolio.Match{{Product: "web", ProductVersion: "4.0", Source: "sboms/web.cdx.json", Digest: "sha256:" + strings.Repeat("ef", 32),
			AsOf: "2026-10-01", Grade: "C", Component: "koa", Version: "2.15.3", PURL: "pkg:npm/koa@2.15.3", Upstream: "pkg:npm/koa",
			Path: []string{"web@4.0", "koa@2.15.3"}}},
	}
	return &portfolio.AffectedAnswer{MediaType: vocab.MediaTypePortfolioAffected, Source: "osv", AsOf: "2025-02-13T18:00:00Z",
		Advisories: 3, Asked: 4, Affecting: 2, Products: 2, Undetermined: 1,
		Results: []*portfolio.AdvisoryResult{
			{Advisory: "DEBIAN-CVE-2024-3094", Aliases: []string{"CVE-2024-3094"}, Summary: "malicious code in xz", Severity: sbom.SeverityUnknown, Products: 1, Answers: []*portfolio.WhereResult{xz}},
			{Advisory: "GHSA-593f-38f6-jp5m", Aliases: []string{"CVE-2025-25200"}, Summary: "Koa has Re-DoS vulnerability", Severity: sbom.SeverityHigh, Score: 7.5, Products: 1, Answers: []*portfolio.WhereResult{koa}},
		},
		Unasked: []sbom.AffectedPackage{{Advisory: "DEBIAN-CVE-2024-3094", Ecosystem: "GIT", Name: "https://github.com/tukaani-project/xz",
			Record: "DEBIAN-CVE-2024-3094.json#/affected/2", Unasked: `sovcheck reads no SBOM component as an OSV "GIT" package`}},
	}
}

func TestAffectedGolden(t *testing.T) {
	for _, c := range []struct {
		name  string
		write func(*bytes.Buffer, *portfolio.AffectedAnswer) error
	}{
		{"affected.golden.txt", func(b *bytes.Buffer, a *portfolio.AffectedAnswer) error { return WriteAffectedText(b, a) }},
		{"affected.golden.html", func(b *bytes.Buffer, a *portfolio.AffectedAnswer) error { return WriteAffectedHTML(b, a) }},
		{"affected.golden.sarif", func(b *bytes.Buffer, a *portfolio.AffectedAnswer) error { return WriteAffectedSARIF(b, a) }},
		{"affected.golden.json", func(b *bytes.Buffer, a *portfolio.AffectedAnswer) error { return sbom.WriteJSON(b, a) }},
	} {
		var b bytes.Buffer
		if err := c.write(&b, sampleAffected()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		golden(t, c.name, b.Bytes())
	}
	var b bytes.Buffer
	if err := WriteAffectedSARIF(&b, sampleAffected()); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, sarifSchema(t), b.Bytes()); err != nil {
		t.Fatalf("SARIF does not follow the schema: %v", err)
	}
	// The advisory's CVSS score ranks its results; an unknown severity
	// ranks as high, never as nothing, even when its first result is a
	// warning (undetermined).
	for _, want := range []string{`"security-severity": "7.5"`, `"security-severity": "8.0"`, `"helpUri": "https://osv.dev/vulnerability/GHSA-593f-38f6-jp5m"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
	a := sampleAffected()
	xz := a.Results[0].Answers[0]
	xz.Matches = nil
	b.Reset()
	if err := WriteAffectedSARIF(&b, a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"security-severity": "8.0"`) || strings.Contains(b.String(), `"security-severity": "5.0"`) {
		t.Errorf("an unknown severity whose first result is undetermined:\n%s", b.String())
	}
	for level, want := range map[string]string{sbom.SeverityCritical: "9.5", sbom.SeverityHigh: "8.0", sbom.SeverityMedium: "5.5", sbom.SeverityLow: "2.0", sbom.SeverityUnknown: "8.0", "": "8.0"} {
		if got := securitySeverity(level, 0); got != want {
			t.Errorf("severity %q: %s, want %s", level, got, want)
		}
	}
}

// TestAffectedNothing is the twin: an answer that affects nothing says
// so, and still counts what was asked and not asked.
func TestAffectedNothing(t *testing.T) {
	a := &portfolio.AffectedAnswer{Source: "osv/GHSA-x.json", Advisories: 1, Asked: 1}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":  func(b *bytes.Buffer) error { return WriteAffectedText(b, a) },
		"html":  func(b *bytes.Buffer) error { return WriteAffectedHTML(b, a) },
		"sarif": func(b *bytes.Buffer) error { return WriteAffectedSARIF(b, a) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if name != "sarif" && !strings.Contains(b.String(), "0 of 1 advisories affect 0 products (osv/GHSA-x.json; 1 packages asked)") {
			t.Errorf("%s: %s", name, b.String())
		}
		if name == "sarif" && !strings.Contains(b.String(), `"results": []`) {
			t.Errorf("sarif: %s", b.String())
		}
	}
}
