package sbom

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func TestPackageKey(t *testing.T) {
	for purl, want := range map[string]string{
		// cyclonedx-gomod keeps the module path's case; the proxy needs it.
		"pkg:golang/github.com/CycloneDX/cyclonedx-go@v0.12.0?type=module&goos=linux": "pkg:golang/github.com/CycloneDX/cyclonedx-go",
		"pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12":               "pkg:deb/debian/liblzma5",
		"pkg:npm/%40angular/core@17.0.0":                                              "pkg:npm/@angular/core",
		"pkg:npm/left-pad":                                                            "pkg:npm/left-pad",
		"pkg:golang/golang.org/x/mod@v0.42.0#subdir":                                  "pkg:golang/golang.org/x/mod",
		"not a purl": "",
	} {
		if got := PackageKey(purl); got != want {
			t.Errorf("PackageKey(%q) = %q, want %q", purl, got, want)
		}
	}
}

func TestRetractedCovers(t *testing.T) {
	for _, tc := range []struct {
		r, v string
		want bool
	}{
		{"v1.1.0", "v1.1.0", true}, {"v1.1.0", "v1.1.1", false},
		{"[v1.0.0, v1.0.5]", "v1.0.3", true}, {"[v1.0.0, v1.0.5]", "v1.0.6", false}, {"[v1.0.0, v1.0.5]", "garbage", false},
	} {
		if got := retractedCovers(tc.r, tc.v); got != tc.want {
			t.Errorf("retractedCovers(%q, %q) = %v", tc.r, tc.v, got)
		}
	}
}

func TestRiskDataRefused(t *testing.T) {
	ok := `{"mediaType": "` + vocab.MediaTypeRiskData + `", "asOf": "2026-12-01T00:00:00Z", "sources": [{"id": "s"}], "packages": [{"key": "pkg:npm/a", "source": "s"}], "counts": {}}`
	if _, err := ReadRiskData(strings.NewReader(ok), "ok.json"); err != nil {
		t.Fatalf("valid snapshot: %v", err)
	}
	for name, doc := range map[string]string{
		"media type":       strings.Replace(ok, vocab.MediaTypeRiskData, "application/json", 1),
		"no date":          strings.Replace(ok, "2026-12-01T00:00:00Z", "yesterday", 1),
		"unknown source":   strings.Replace(ok, `"source": "s"`, `"source": "t"`, 1),
		"unknown evidence": strings.Replace(ok, `"source": "s"}`, `"source": "s", "evidence": {"deprecated": "t"}}`, 1),
		"bad release":      strings.Replace(ok, `"source": "s"}`, `"source": "s", "latestRelease": "2026"}`, 1),
		"unknown field":    strings.Replace(ok, `"counts": {}`, `"counts": {}, "extra": 1`, 1),
		"duplicate key":    strings.Replace(ok, `}], "counts"`, `}, {"key": "pkg:npm/a", "source": "s"}], "counts"`, 1),
		"duplicate member": strings.Replace(ok, `"source": "s"}]`, `"source": "s", "source": "s"}]`, 1),
		"trailing data":    ok + ` {}`,
	} {
		if _, err := ReadRiskData(strings.NewReader(doc), name); reason.CodeOf(err, "") != reason.SBOMDataMalformed {
			t.Errorf("%s: got %v, want %s", name, err, reason.SBOMDataMalformed)
		}
	}
}

// A snapshot has its own limit, above the other data files': a pull for
// a large portfolio (all of a Debian index, imported advisories) is read
// back however many other data files that size would refuse.
func TestRiskDataLimit(t *testing.T) {
	ok := `{"mediaType": "` + vocab.MediaTypeRiskData + `", "asOf": "2026-12-01T00:00:00Z", "sources": [{"id": "s"}], "packages": [{"key": "pkg:npm/a", "source": "s"}], "counts": {}}`
	if DefaultLimits().MaxRiskDataBytes < 100<<20 {
		t.Errorf("MaxRiskDataBytes %d, want room for a 100 MB snapshot", DefaultLimits().MaxRiskDataBytes)
	}
	l := DefaultLimits()
	l.MaxDataFileBytes = 10
	if _, err := ReadRiskData(strings.NewReader(ok), "big.json", WithLimits(l)); err != nil {
		t.Errorf("snapshot over the data file limit, under the risk data limit: %v", err)
	}
	l.MaxRiskDataBytes = int64(len(ok)) - 1
	if _, err := ReadRiskData(strings.NewReader(ok), "big.json", WithLimits(l)); reason.CodeOf(err, "") != reason.InputTooLarge {
		t.Errorf("snapshot over the risk data limit: got %v, want %s", err, reason.InputTooLarge)
	}
	l.MaxRiskDataBytes = 0
	if _, err := ReadRiskData(strings.NewReader(ok), "big.json", WithLimits(l)); err == nil {
		t.Error("zero risk data limit accepted")
	}
}

// FuzzReadRiskData: no snapshot panics the reader; an error means no
// snapshot, and a snapshot read has every package indexed.
func FuzzReadRiskData(f *testing.F) {
	f.Add([]byte(`{"mediaType": "` + vocab.MediaTypeRiskData + `", "asOf": "2026-12-01T00:00:00Z", "sources": [{"id": "s"}], "packages": [{"key": "pkg:npm/a", "source": "s", "latestRelease": "2020-01-02", "evidence": {"x": "s"}}], "counts": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := ReadRiskData(strings.NewReader(string(data)), "fuzz.json")
		if err != nil {
			if rd != nil {
				t.Fatal("error with a snapshot")
			}
			return
		}
		for _, p := range rd.Packages {
			if _, i := rd.lookupKey(p.Key); i < 0 {
				t.Fatalf("package %q not indexed", p.Key)
			}
		}
	})
}
