package rebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestDiffBuildInfo(t *testing.T) {
	base := func() *debug.BuildInfo {
		return &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Path:      "example.test/tool",
			Main:      debug.Module{Path: "example.test/tool", Version: "v1.0.0"},
			Deps:      []*debug.Module{{Path: "example.test/dep", Version: "v1.0.0", Sum: "h1:a="}},
			Settings: []debug.BuildSetting{
				{Key: "-ldflags", Value: "-X main.version=1"},
				{Key: "CGO_ENABLED", Value: "0"},
				{Key: "vcs.revision", Value: "aaaa"},
				{Key: "vcs.modified", Value: "true"},
			},
		}
	}
	cases := map[string]struct {
		edit func(*debug.BuildInfo)
		code string
		what string
	}{
		"go version":     {func(b *debug.BuildInfo) { b.GoVersion = "go1.21.13" }, reason.GoVersionMismatch, "Go version"},
		"revision":       {func(b *debug.BuildInfo) { b.Settings[2].Value = "bbbb" }, reason.VCSStampMismatch, "build setting vcs.revision"},
		"modified unset": {func(b *debug.BuildInfo) { b.Settings = b.Settings[:3] }, reason.VCSStampMismatch, "build setting vcs.modified"},
		"ldflags":        {func(b *debug.BuildInfo) { b.Settings[0].Value = "-s -w" }, reason.LdflagsMismatch, "build setting -ldflags"},
		"cgo":            {func(b *debug.BuildInfo) { b.Settings[1].Value = "1" }, reason.BuildSettingMismatch, "build setting CGO_ENABLED"},
		"tags added": {func(b *debug.BuildInfo) {
			b.Settings = append(b.Settings, debug.BuildSetting{Key: "-tags", Value: "netgo"})
		}, reason.BuildSettingMismatch, "build setting -tags"},
		"dep version":  {func(b *debug.BuildInfo) { b.Deps[0].Version = "v1.0.1" }, reason.ModuleMismatch, "module example.test/dep"},
		"dep replaced": {func(b *debug.BuildInfo) { b.Deps[0].Replace = &debug.Module{Path: "../dep", Version: ""} }, reason.ModuleMismatch, "module example.test/dep"},
		"dep added": {func(b *debug.BuildInfo) {
			b.Deps = append(b.Deps, &debug.Module{Path: "example.test/extra", Version: "v0.1.0"})
		}, reason.ModuleMismatch, "module example.test/extra"},
		"main version": {func(b *debug.BuildInfo) { b.Main.Version = "v1.0.0+dirty" }, reason.VCSStampMismatch, "main module version"},
		"main path":    {func(b *debug.BuildInfo) { b.Main.Path = "example.test/fork" }, reason.ModuleMismatch, "main module path"},
		"package":      {func(b *debug.BuildInfo) { b.Path = "example.test/tool/cmd/other" }, reason.BuildSettingMismatch, "main package path"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want, got := base(), base()
			tc.edit(got)
			causes := diffBuildInfo(want, got)
			if len(causes) != 1 || causes[0].Code != tc.code || causes[0].What != tc.what {
				t.Fatalf("causes = %+v, want one %s %q", causes, tc.code, tc.what)
			}
		})
	}
	if c := diffBuildInfo(base(), base()); len(c) != 0 {
		t.Fatalf("equal build info gave causes %+v", c)
	}
}

// TestExplainGoBinaries explains real binaries from the fixture.
func TestExplainGoBinaries(t *testing.T) {
	f := getFixture(t)
	data, err := os.ReadFile(f.published)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, patchGoVersion(t, data, f.goVersion, otherGoVersion(f.goVersion)), 0o644); err != nil {
		t.Fatal(err)
	}
	causes := Explain(other, f.published)
	if causes[0].Code != reason.GoVersionMismatch || causes[0].Want != otherGoVersion(f.goVersion) || causes[0].Got != f.goVersion {
		t.Fatalf("causes = %+v", causes)
	}

	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0xff
	flippedPath := filepath.Join(dir, "flipped")
	if err := os.WriteFile(flippedPath, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	causes = Explain(flippedPath, f.published)
	if len(causes) != 1 || causes[0].Code != reason.DigestMismatch || !strings.Contains(causes[0].What, "build info is identical") ||
		!strings.Contains(causes[0].What, "-trimpath builds do not record -ldflags") {
		t.Fatalf("causes = %+v", causes)
	}

	notGo := filepath.Join(dir, "notgo")
	if err := os.WriteFile(notGo, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := Explain(notGo, f.published); c[0].Code != reason.DigestMismatch || !strings.Contains(c[0].What, "published file is not a Go binary") {
		t.Fatalf("causes = %+v", c)
	}
	if c := Explain(f.published, notGo); c[0].Code != reason.DigestMismatch || !strings.Contains(c[0].What, "rebuilt file is not a Go binary") {
		t.Fatalf("causes = %+v", c)
	}
}

type tarEntry struct {
	name, body string
	mode       int64
}

func buildTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, data []byte, level int, mtime time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.ModTime = mtime
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExplainArchives(t *testing.T) {
	epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []tarEntry{{"a.txt", "alpha\n", 0o644}, {"b/run.sh", "#!/bin/sh\n", 0o755}}
	tarA := buildTar(t, files)
	changed := []tarEntry{{"a.txt", "ALPHA\n", 0o644}, {"b/run.sh", "#!/bin/sh\n", 0o644}, {"c.txt", "new\n", 0o644}}
	tarB := buildTar(t, changed)
	big := bytes.Repeat([]byte("sovcheck "), 4096)

	cases := map[string]struct {
		published, rebuilt []byte
		codes              []string
		whats              []string
	}{
		"zip entries": {
			buildZip(t, [][2]string{{"a", "1"}, {"b", "2"}}, epoch),
			buildZip(t, [][2]string{{"a", "1"}, {"b", "3"}, {"c", "4"}}, epoch),
			[]string{reason.ArchiveMismatch, reason.ArchiveMismatch},
			[]string{"zip entry b sha256", "zip entry c"},
		},
		"zip mtime": {
			buildZip(t, [][2]string{{"a", "1"}}, epoch),
			buildZip(t, [][2]string{{"a", "1"}}, epoch.Add(time.Hour)),
			[]string{reason.ArchiveMismatch}, []string{"zip entry a mtime"},
		},
		"zip order": {
			buildZip(t, [][2]string{{"a", "1"}, {"b", "2"}}, epoch),
			buildZip(t, [][2]string{{"b", "2"}, {"a", "1"}}, epoch),
			[]string{reason.ArchiveMismatch}, []string{"zip entry order"},
		},
		"tar entries": {
			tarA, tarB,
			[]string{reason.ArchiveMismatch, reason.ArchiveMismatch, reason.ArchiveMismatch},
			[]string{"tar entry a.txt sha256", "tar entry b/run.sh mode", "tar entry c.txt"},
		},
		"gzip header only": {
			gzipBytes(t, tarA, gzip.BestCompression, epoch),
			gzipBytes(t, tarA, gzip.BestCompression, epoch.Add(time.Hour)),
			[]string{reason.GzipOnly}, []string{"decompressed contents are equal; the gzip stream differs (header mtime)"},
		},
		"gzip level only": {
			gzipBytes(t, big, gzip.BestSpeed, epoch),
			gzipBytes(t, big, gzip.BestCompression, epoch),
			[]string{reason.GzipOnly}, []string{"decompressed contents are equal; the gzip stream differs (compression level or implementation)"},
		},
		"tar.gz entries": {
			gzipBytes(t, tarA, gzip.DefaultCompression, epoch),
			gzipBytes(t, tarB, gzip.DefaultCompression, epoch),
			[]string{reason.ArchiveMismatch, reason.ArchiveMismatch, reason.ArchiveMismatch},
			[]string{"tar.gz entry a.txt sha256", "tar.gz entry b/run.sh mode", "tar.gz entry c.txt"},
		},
		"gzip data": {
			gzipBytes(t, []byte("one"), gzip.DefaultCompression, epoch),
			gzipBytes(t, []byte("two"), gzip.DefaultCompression, epoch),
			[]string{reason.ArchiveMismatch}, []string{"decompressed gzip contents differ"},
		},
		"plain bytes": {
			[]byte("hello world"), []byte("hello there"),
			[]string{reason.DigestMismatch}, []string{"contents differ from byte 6 on"},
		},
		"prefix": {
			[]byte("hello"), []byte("hello world"),
			[]string{reason.DigestMismatch}, []string{"contents differ from byte 5 on"},
		},
		"corrupt published zip": {
			[]byte("PK\x03\x04 truncated"), buildZip(t, [][2]string{{"a", "1"}}, epoch),
			[]string{reason.DigestMismatch}, []string{"the published archive cannot be read"},
		},
		"different kinds": {
			buildZip(t, [][2]string{{"a", "1"}}, epoch), tarA,
			[]string{reason.DigestMismatch}, []string{"contents differ from byte 0 on"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			pub, reb := filepath.Join(dir, "published"), filepath.Join(dir, "rebuilt")
			if err := os.WriteFile(pub, tc.published, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(reb, tc.rebuilt, 0o644); err != nil {
				t.Fatal(err)
			}
			causes := Explain(pub, reb)
			if len(causes) != len(tc.codes) {
				t.Fatalf("causes = %+v, want %d", causes, len(tc.codes))
			}
			for i, c := range causes {
				if c.Code != tc.codes[i] || !strings.HasPrefix(c.What, tc.whats[i]) {
					t.Errorf("cause %d = %s %q, want %s %q", i, c.Code, c.What, tc.codes[i], tc.whats[i])
				}
			}
		})
	}
}

func TestExplainCapsCauses(t *testing.T) {
	epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var a, b [][2]string
	for i := range MaxCauses * 2 {
		name := "f" + strings.Repeat("x", i)
		a = append(a, [2]string{name, "1"})
	}
	dir := t.TempDir()
	pub, reb := filepath.Join(dir, "p.zip"), filepath.Join(dir, "r.zip")
	if err := os.WriteFile(pub, buildZip(t, a, epoch), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reb, buildZip(t, b, epoch), 0o644); err != nil {
		t.Fatal(err)
	}
	causes := Explain(pub, reb)
	if len(causes) != MaxCauses || !strings.Contains(causes[MaxCauses-1].What, "more differences") {
		t.Fatalf("got %d causes, last %+v", len(causes), causes[len(causes)-1])
	}
}

func TestSplitQuoted(t *testing.T) {
	got := splitQuoted(`-X main.v=1  -X 'main.msg=hello world' -X "main.q=a b" -s`)
	want := []string{"-X", "main.v=1", "-X", "main.msg=hello world", "-X", "main.q=a b", "-s"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("splitQuoted = %q, want %q", got, want)
	}
}
