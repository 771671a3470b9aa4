package sbom

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionOrderTables checks the matcher's order against the facts in
// testdata/versions, in both directions.
func TestVersionOrderTables(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "versions", "*.txt"))
	if err != nil || len(files) < 12 {
		t.Fatalf("version tables: %v (%d files)", err, len(files))
	}
	for _, file := range files {
		eco := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(file), ".txt"), "_", " ")
		t.Run(eco, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n := 0
			for line := 1; sc.Scan(); line++ {
				text := strings.TrimSpace(sc.Text())
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				fields := strings.Fields(text)
				if len(fields) != 3 {
					t.Fatalf("%s:%d: want A OP B, got %q", file, line, text)
				}
				want := map[string]int{"<": -1, "=": 0, ">": 1}[fields[1]]
				got, err := CompareVersions(eco, fields[0], fields[2])
				if err != nil {
					t.Errorf("%s:%d: %v", file, line, err)
					continue
				}
				back, err := CompareVersions(eco, fields[2], fields[0])
				if err != nil || got != want || back != -want {
					t.Errorf("%s:%d: %s: got %d and %d backwards (%v), want %d", file, line, text, got, back, err, want)
				}
				n++
			}
			if n == 0 {
				t.Fatalf("%s: no cases", file)
			}
		})
	}
}

func TestCompareVersionsErrors(t *testing.T) {
	if _, err := CompareVersions("Hackage-like-nothing", "1", "2"); !errors.Is(err, ErrNoVersionOrder) {
		t.Errorf("unknown ecosystem: got %v, want ErrNoVersionOrder", err)
	}
	for _, tc := range []struct{ eco, a, b string }{
		{"Go", "banana", "v1.0.0"},
		{"npm", "1.0.0.0", "1.0.0"},
		{"crates.io", "1.0.0", "latest"},
		{"Debian", "", "1.0"},
	} {
		if _, err := CompareVersions(tc.eco, tc.a, tc.b); !errors.Is(err, ErrBadVersion) {
			t.Errorf("%s %q: got %v, want ErrBadVersion", tc.eco, tc.a, err)
		}
	}
}

func TestInRangeEcosystems(t *testing.T) {
	for _, tc := range []struct {
		eco, v string
		events []RangeEvent
		want   bool
	}{
		{"PyPI", "2.0rc1", []RangeEvent{{Introduced: "0"}, {Fixed: "2.0"}}, true},
		{"PyPI", "2.0.post1", []RangeEvent{{Introduced: "0"}, {Fixed: "2.0"}}, false},
		{"Maven", "2.9.10.8", []RangeEvent{{Introduced: "2.9.0"}, {Fixed: "2.9.10.8"}}, false},
		{"Maven", "2.9.10-SNAPSHOT", []RangeEvent{{Introduced: "2.9.0"}, {Fixed: "2.9.10"}}, true},
		{"Debian:12", "1:1.2.13.dfsg-1", []RangeEvent{{Introduced: "0"}, {Fixed: "1:1.2.13.dfsg-1+deb12u1"}}, true},
		{"RubyGems", "7.0.0.rc1", []RangeEvent{{Introduced: "7.0.0.alpha"}, {Fixed: "7.0.0"}}, true},
		{"NuGet", "4.7.1", []RangeEvent{{Introduced: "0"}, {LastAffected: "4.7.1"}}, true},
		{"Alpine:v3.19", "5.6.0-r0", []RangeEvent{{Introduced: "0"}, {Fixed: "5.6.1-r2"}}, true},
	} {
		got, err := InRange(tc.eco, tc.v, tc.events)
		if err != nil || got != tc.want {
			t.Errorf("%s %s in %v: got %v (%v), want %v", tc.eco, tc.v, tc.events, got, err, tc.want)
		}
	}
}
