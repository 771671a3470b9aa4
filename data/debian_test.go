package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// aptMain is the machine's own index of Debian bookworm main, as apt
// stores it after apt-get update.
const aptMain = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"

func TestDebianIndexFromApt(t *testing.T) {
	if _, err := os.Stat(aptMain); err != nil {
		t.Skipf("no apt list at %s (run apt-get update): %v", aptMain, err)
	}
	idx, err := NewDebianIndex(aptMain)
	if err != nil {
		t.Fatal(err)
	}
	if idx.Len() < 50_000 {
		t.Errorf("%d packages, want the whole of main", idx.Len())
	}
	f, srcs, err := idx.Lookup(context.Background(), "pkg:deb/debian/libc6")
	if err != nil {
		t.Fatal(err)
	}
	if f.SourcePackage != "glibc" || len(f.Maintainers) == 0 || !f.Maintainers[0].Team || f.Steward != "GNU Libc Maintainers" {
		t.Errorf("libc6 facts %+v", f)
	}
	if len(srcs) != 1 || len(srcs[0].SHA256) != 64 || srcs[0].Kind != "debian-index" {
		t.Errorf("sources %+v", srcs)
	}
	// A package maintained by one person, not a team.
	f, _, err = idx.Lookup(context.Background(), "pkg:deb/debian/liblzma5")
	if err != nil {
		t.Fatal(err)
	}
	if f.SourcePackage != "xz-utils" || slices.ContainsFunc(f.Maintainers, func(m sbom.Maintainer) bool { return m.Team }) {
		t.Errorf("liblzma5 facts %+v", f)
	}
	if _, _, err := idx.Lookup(context.Background(), "pkg:deb/debian/no-such-package-here"); reason.CodeOf(err, "") != reason.RiskDataNotFound {
		t.Errorf("missing package: %v", err)
	}
}

const packagesIndex = `Package: libfoo1
Source: foo (1.2-1)
Version: 1.2-1+b1
Maintainer: Jane Doe <jane@example.org>
Homepage: https://foo.example.org
Description: a library
 with a long description

Package: bar
Version: 3.0-2
Maintainer: Debian Go Packaging Team <team+pkg-go@tracker.debian.org>
`

const sourcesIndex = `Package: foo
Binary: libfoo1, foo-utils,
 foo-doc
Version: 1.2-1
Maintainer: "Doe, Jane" <jane@example.org>
Uploaders: John Roe <john@example.org>, Ann Poe <ann@example.org>
`

// Several indices (apt keeps a suite's security updates and the suite
// itself apart) answer together: a package one index lacks is looked up
// in the next, the first index that knows it answers, and a package none
// knows is one failure naming every index asked.
func TestPullSeveralDebianIndices(t *testing.T) {
	dir := t.TempDir()
	security := filepath.Join(dir, "security_Packages")
	main := filepath.Join(dir, "main_Packages")
	os.WriteFile(security, []byte("Package: bar\nVersion: 3.0-2+deb12u1\nMaintainer: Jane Roe <roe@example.org>\n"), 0o644)
	os.WriteFile(main, []byte(packagesIndex), 0o644)
	var sources []Source
	for _, p := range []string{security, main} {
		idx, err := NewDebianIndex(p)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, idx)
	}
	keys := []string{"pkg:deb/debian/libfoo1", "pkg:deb/debian/bar", "pkg:deb/debian/nope"}
	rd, err := Pull(context.Background(), keys, sources)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Counts.Found != 2 || rd.Counts.Unknown != 1 || len(rd.Packages) != 2 || len(rd.Failures) != 1 {
		t.Fatalf("counts %+v, %d packages, failures %+v; want libfoo1 and bar found, nope failed", rd.Counts, len(rd.Packages), rd.Failures)
	}
	for _, p := range rd.Packages {
		want := map[string]string{"pkg:deb/debian/bar": "security_Packages#Package=bar", "pkg:deb/debian/libfoo1": "main_Packages#Package=libfoo1"}[p.Key]
		if !strings.HasSuffix(p.Record, want) {
			t.Errorf("%s: record %q, want the first index that knows it (%s)", p.Key, p.Record, want)
		}
	}
	if len(rd.Sources) != 2 {
		t.Errorf("sources %+v, want both indices", rd.Sources)
	}
	f := rd.Failures[0]
	if f.Key != "pkg:deb/debian/nope" || f.Code != reason.RiskDataNotFound || !strings.Contains(f.Message, "security_Packages") || !strings.Contains(f.Message, "main_Packages") {
		t.Errorf("failure %+v, want RISK_DATA_NOT_FOUND naming both indices", f)
	}
}

func TestDebianIndexCompressions(t *testing.T) {
	dir := t.TempDir()
	var gz, xzb, lz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(packagesIndex))
	gw.Close()
	xw, _ := xz.NewWriter(&xzb)
	xw.Write([]byte(packagesIndex))
	xw.Close()
	lw := lz4.NewWriter(&lz)
	lw.Write([]byte(packagesIndex))
	lw.Close()
	for name, data := range map[string][]byte{"Packages": []byte(packagesIndex), "Packages.gz": gz.Bytes(), "Packages.xz": xzb.Bytes(), "Packages.lz4": lz.Bytes()} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		idx, err := NewDebianIndex(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, _, err := idx.Lookup(context.Background(), "pkg:deb/debian/libfoo1")
		if err != nil || f.SourcePackage != "foo" || f.Homepage != "https://foo.example.org" || len(f.Maintainers) != 1 || f.Maintainers[0].Team {
			t.Errorf("%s: libfoo1 %+v %v", name, f, err)
		}
		f, _, _ = idx.Lookup(context.Background(), "pkg:deb/debian/bar")
		if f == nil || !f.Maintainers[0].Team || f.Steward != "Debian Go Packaging Team" {
			t.Errorf("%s: bar %+v", name, f)
		}
	}
	p := filepath.Join(dir, "Sources")
	os.WriteFile(p, []byte(sourcesIndex), 0o644)
	idx, err := NewDebianIndex(p)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := idx.Lookup(context.Background(), "pkg:deb/debian/foo-doc")
	if err != nil || f.SourcePackage != "foo" || len(f.Maintainers) != 3 || f.Maintainers[0].Name != "Doe, Jane" {
		t.Errorf("Sources foo-doc %+v %v", f, err)
	}
}

func TestDebianIndexRefused(t *testing.T) {
	dir := t.TempDir()
	small := DefaultLimits()
	small.MaxIndexBytes = 64
	for name, tc := range map[string]struct {
		data string
		code string
		opts []Option
	}{
		"continuation first": {" orphan line\n", reason.RiskDataMalformed, nil},
		"no field name":      {"Package: a\nnot a field\n", reason.RiskDataMalformed, nil},
		"no package":         {"Version: 1\n\n", reason.RiskDataMalformed, nil},
		"truncated gzip":     {"\x1f\x8b\x08\x00", reason.RiskDataMalformed, nil},
		"too large":          {strings.Repeat(packagesIndex+"\n", 4), reason.InputTooLarge, []Option{WithLimits(small)}},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(p, []byte(tc.data), 0o644)
		if _, err := NewDebianIndex(p, tc.opts...); reason.CodeOf(err, "") != tc.code {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
		}
	}
}

func FuzzDebianIndex(f *testing.F) {
	f.Add([]byte(packagesIndex))
	f.Add([]byte(sourcesIndex))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, _, err := parseDebianIndex(bytes.NewReader(data), 1<<20)
		if err != nil && idx != nil {
			t.Fatal("error with an index")
		}
		if err == nil {
			for name := range idx.binaries {
				if _, _, err := idx.Lookup(context.Background(), "pkg:deb/debian/"+name); err != nil {
					t.Fatalf("indexed %q but lookup failed: %v", name, err)
				}
			}
		}
	})
}

// TestDebianIndexLimit cuts an index at a line end (the bounded reader
// fails) and inside a line (the line count fails): both are the same
// INPUT_TOO_LARGE, and an index of exactly the limit is read.
func TestDebianIndexLimit(t *testing.T) {
	const index = "Package: a\n\nPackage: b\n"
	const msg = "Debian index exceeds the limit: got \"more than %d bytes\", want \"at most %d bytes\""
	for _, limit := range []int64{11, 12, 16} {
		idx, _, err := parseDebianIndex(strings.NewReader(index), limit)
		var re *reason.Error
		if idx != nil || !errors.As(err, &re) || re.Code != reason.InputTooLarge || err.Error() != fmt.Sprintf(msg, limit, limit) || re.Hint == "" {
			t.Errorf("limit %d: got %v, %v", limit, idx, err)
		}
	}
	idx, n, err := parseDebianIndex(strings.NewReader(index), int64(len(index)))
	if err != nil || len(idx.binaries) != 2 || n != int64(len(index)) {
		t.Errorf("at the limit: got %d packages, %d bytes, %v", len(idx.binaries), n, err)
	}
}
