package sbom

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func TestRegistry(t *testing.T) {
	reg, err := ReadRegistry(strings.NewReader(testRegistry), "stewards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, i, ok := reg.steward("src:xz")
	if !ok || i != 0 || s.Name != "Tukaani Project" || *s.Maintainers != 2 || s.lastRelease.IsZero() {
		t.Fatalf("steward of src:xz: %+v %d %v", s, i, ok)
	}
	if _, _, ok := reg.steward("pkg:npm/lodash"); !ok {
		t.Fatal("purl upstream keys must be normalised")
	}
	if sup, _, ok := reg.supplier("debian project"); !ok || sup.Name != "Debian" {
		t.Fatal("supplier aliases must match case-insensitively")
	}
	if _, _, ok := reg.supplier("Debian, Inc."); ok {
		t.Fatal("an unlisted spelling must not match")
	}
	for _, tc := range []struct{ name, yaml string }{
		{"unknown field", "stewards:\n  - name: a\n    maintainer: 1\n"},
		{"no name", "stewards:\n  - upstreams: [src:a]\n"},
		{"bad jurisdiction", "stewards:\n  - name: a\n    jurisdiction: Germany\n"},
		{"negative maintainers", "stewards:\n  - name: a\n    maintainers: -1\n"},
		{"anonymous above maintainers", "stewards:\n  - name: a\n    maintainers: 1\n    anonymousMaintainers: 2\n"},
		{"bad date", "stewards:\n  - name: a\n    lastRelease: last year\n"},
		{"certification without scheme", "stewards:\n  - name: a\n    certifications: [{validUntil: 2030-01-01}]\n"},
		{"bad certificate date", "stewards:\n  - name: a\n    certifications: [{scheme: x, validUntil: soon}]\n"},
		{"upstream claimed twice", "stewards:\n  - name: a\n    upstreams: [src:x]\n  - name: b\n    upstreams: [src:X]\n"},
		{"supplier name twice", "suppliers:\n  - name: Acme\n  - name: b\n    aliases: [ACME]\n"},
		{"not yaml", "stewards: [\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRegistry(strings.NewReader(tc.yaml), "r.yaml")
			wantCode(t, err, reason.SBOMDataMalformed)
		})
	}
	small := DefaultLimits()
	small.MaxDataFileBytes = 10
	_, err = ReadRegistry(strings.NewReader(testRegistry), "r.yaml", WithLimits(small))
	wantCode(t, err, reason.InputTooLarge)
}

func TestMapping(t *testing.T) {
	m, err := ReadMapping(strings.NewReader(testMapping), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"src:xz", "pkg:github/tukaani-project/xz", normalizeVCS("git@github.com:tukaani-project/xz.git")} {
		if m.alias[key] != "xz" {
			t.Errorf("key %q maps to %q, want xz", key, m.alias[key])
		}
	}
	for _, tc := range []struct{ name, yaml string }{
		{"key under two upstreams", "upstreams:\n  a: [src:x]\n  b: [src:x]\n"},
		{"bare word key", "upstreams:\n  a: [xz]\n"},
		{"bad purl", "upstreams:\n  a: [\"pkg:\"]\n"},
		{"not a map", "upstreams: [a]\n"},
		{"unknown field", "mappings: {}\n"},
		{"keys not a list", "upstreams:\n  a: {b: c}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadMapping(strings.NewReader(tc.yaml), "m.yaml")
			wantCode(t, err, reason.SBOMDataMalformed)
		})
	}
}

func TestUpstreamResolution(t *testing.T) {
	m, err := ReadMapping(strings.NewReader(testMapping), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	comp := func(purl string) *Component {
		p, _ := parsePURL(purl)
		return &Component{PURL: purl, UpstreamHints: purlHints(p, "/components/0/purl")}
	}
	// Debian, Alpine and RPM spell the xz package differently; without a
	// mapping file the built-in source renames already make them one.
	deb := comp("pkg:deb/debian/liblzma5@5.4.1-0.2?upstream=xz-utils")
	apk := comp("pkg:apk/alpine/xz-libs@5.4.5-r0?upstream=xz")
	rpm := comp("pkg:rpm/redhat/xz-libs@5.2.5-8.el9?upstream=xz-5.2.5-8.el9.src.rpm")
	for _, c := range []*Component{deb, apk, rpm} {
		if got := resolveUpstream(c, nil); got.ID != "src:xz" {
			t.Errorf("%s: upstream %+v, want src:xz", c.PURL, got)
		}
		if got := resolveUpstream(c, m); got.ID != "xz" || !strings.HasPrefix(got.Rule, "mapping-file(") {
			t.Errorf("%s with mapping: upstream %+v, want xz from the mapping file", c.PURL, got)
		}
	}
	if got := resolveUpstream(deb, nil); got.Rule != "purl-upstream-qualifier+source-alias" {
		t.Errorf("rule %q does not say the source alias was applied", got.Rule)
	}
	if got := resolveUpstream(comp("pkg:npm/lodash@4.17.21"), nil); got.ID != "pkg:npm/lodash" || got.Rule != "purl" {
		t.Errorf("npm upstream %+v", got)
	}
	if got := resolveUpstream(&Component{Name: "Blob.so", Location: "/components/9"}, nil); got.ID != "name:blob.so" || got.Rule != "name-only" {
		t.Errorf("name-only upstream %+v", got)
	}
	if got := resolveUpstream(&Component{PURL: "pkg:deb/debian/libc6@2.36"}, nil); got.ID != "src:libc6" {
		t.Errorf("a purl without hints falls back to its own hints: %+v", got)
	}
}

func TestKEV(t *testing.T) {
	k, err := ReadKEV(strings.NewReader(testKEV), "kev.json")
	if err != nil {
		t.Fatal(err)
	}
	if e, _, ok := k.lookup("CVE-2024-3094"); !ok || e.Product != "XZ Utils" || k.Len() != 1 {
		t.Fatalf("lookup: %+v %v", e, ok)
	}
	if _, _, ok := k.lookup("CVE-2021-23337"); ok {
		t.Fatal("unlisted CVE found")
	}
	var none *KEV
	if _, _, ok := none.lookup("CVE-2024-3094"); ok {
		t.Fatal("nil catalog found something")
	}
	for _, bad := range []string{`{}`, `{"vulnerabilities":[{"cveID":"GHSA-1"}]}`, `[`, `{"vulnerabilities":"x"}`} {
		_, err := ReadKEV(strings.NewReader(bad), "kev.json")
		wantCode(t, err, reason.SBOMDataMalformed)
	}
}

func TestFacts(t *testing.T) {
	f, err := ReadFacts(strings.NewReader(testFacts), "facts.json")
	if err != nil {
		t.Fatal(err)
	}
	// The qualifier order in the SBOM differs from the facts file; the
	// canonical purl still matches.
	c := &Component{PURL: "pkg:deb/debian/liblzma5@5.6.0-0.2?distro=debian-12&upstream=xz-utils&arch=amd64"}
	if fact, _, ok := f.lookup(c); !ok || fact.Signed == nil || !*fact.Signed {
		t.Fatalf("lookup by purl: %+v %v", fact, ok)
	}
	byHash, err := ReadFacts(strings.NewReader(`{"mediaType":"`+vocab.MediaTypeSBOMFacts+`","components":[{"sha256":"ABCD","reproducible":true}]}`), "f.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := byHash.lookup(&Component{Hashes: []Hash{{Algorithm: "SHA-256", Value: "abcd"}}}); !ok {
		t.Fatal("lookup by SHA-256 failed")
	}
	if _, _, ok := byHash.lookup(&Component{Hashes: []Hash{{Algorithm: "SHA-1", Value: "abcd"}}}); ok {
		t.Fatal("a SHA-1 value must not match a SHA-256 fact")
	}
	for _, bad := range []string{
		`{"mediaType":"application/json","components":[]}`,
		`{"mediaType":"` + vocab.MediaTypeSBOMFacts + `","components":[{"signed":true}]}`,
		`{"mediaType":"` + vocab.MediaTypeSBOMFacts + `","components":[{"purl":"lodash"}]}`,
		`{"mediaType":"` + vocab.MediaTypeSBOMFacts + `","extra":1}`,
		`{"mediaType":`,
	} {
		_, err := ReadFacts(strings.NewReader(bad), "f.json")
		wantCode(t, err, reason.SBOMDataMalformed)
	}
}

func TestConfig(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	cfg, err := ParseConfig(strings.NewReader("weights:\n  abandoned: 0.6\ngradeCutoffs: [5, 10, 20, 40, 60, 80]\nallowedJurisdictions: [de, eu]\n"), "scoring.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Weights[vocab.LabelAbandoned] != 0.6 || cfg.Weights[vocab.LabelKnownExploited] != def.Weights[vocab.LabelKnownExploited] {
		t.Errorf("weights override must replace only the named labels: %v", cfg.Weights)
	}
	if cfg.RiskFloors[vocab.LabelKnownExploited] != 75 || cfg.GradeCutoffs[0] != 5 || cfg.AllowedJurisdictions[0] != "DE" {
		t.Errorf("overlay lost defaults or did not normalise: %+v", cfg)
	}
	if cfg.gradeOf(4) != vocab.GradeA || cfg.gradeOf(5) != vocab.GradeB || cfg.gradeOf(100) != vocab.GradeG {
		t.Error("cut-offs not applied")
	}
	for _, tc := range []struct{ name, yaml string }{
		{"weight of 1", "weights: {abandoned: 1}\n"},
		{"negative weight", "weights: {abandoned: -0.1}\n"},
		{"unknown label", "weights: {bus-factor: 0.2}\n"},
		{"weight on an impact label", "weights: {high-blast-radius: 0.2}\n"},
		{"cut-offs not ascending", "gradeCutoffs: [10, 10, 30, 45, 60, 75]\n"},
		{"too few cut-offs", "gradeCutoffs: [10, 20]\n"},
		{"floor above 100", "riskFloors: {known-exploited: 101}\n"},
		{"floor for unknown label", "riskFloors: {cve: 1}\n"},
		{"share above 1", "pervasiveShare: 1.5\n"},
		{"no blast weight", "impactWeights: {blastRadius: 0}\n"},
		{"threshold 0", "dependentsThreshold: 0\n"},
		{"bad cap grade", "caps: {poorSBOM: Z}\n"},
		{"bad jurisdiction", "allowedJurisdictions: [Europe]\n"},
		{"typo", "wieghts: {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.yaml), "scoring.yaml")
			wantCode(t, err, reason.SBOMConfigInvalid)
		})
	}
	bad := DefaultConfig()
	bad.ImpactFloor = 2
	if _, err := NewAssessor(WithScoring(bad)); err == nil {
		t.Fatal("NewAssessor accepted an invalid configuration")
	}
}
