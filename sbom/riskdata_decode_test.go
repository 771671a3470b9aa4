package sbom

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

func snapshotWith(n int) string {
	var b strings.Builder
	b.WriteString(`{"mediaType": "` + vocab.MediaTypeRiskData + `", "asOf": "2026-12-01T00:00:00Z", "sources": [{"id": "s"}], "packages": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"key": "pkg:npm/p%d", "source": "s", "maintainers": [{"name": "m%d"}], "latestRelease": "2020-01-02"}`, i, i)
	}
	b.WriteString(`], "counts": {"packages": 1}, "repositories": [{"repository": "https://github.com/a/b"}]}`)
	return b.String()
}

// The parallel decoder reads what a whole-document decode reads, in
// order, across batch boundaries.
func TestDecodeRiskDataEqualsWholeDecode(t *testing.T) {
	for _, n := range []int{0, 1, packagesBatch - 1, packagesBatch, 3*packagesBatch + 7} {
		doc := snapshotWith(n)
		got, err := decodeRiskData([]byte(doc))
		if err != nil {
			t.Fatalf("%d packages: %v", n, err)
		}
		want := &RiskData{}
		if err := jsonv2.Unmarshal([]byte(doc), want, jsonv2.RejectUnknownMembers(true)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d packages: the parallel decode differs from the whole decode", n)
		}
	}
}

// Twin: what the whole decode refuses, the parallel decoder refuses too,
// and names the package entry at fault.
func TestDecodeRiskDataRefuses(t *testing.T) {
	ok := snapshotWith(2 * packagesBatch)
	for name, tc := range map[string]struct{ doc, want string }{
		"duplicate top-level member":  {strings.Replace(ok, `"counts":`, `"asOf": "2026-12-01T00:00:00Z", "counts":`, 1), `duplicate member "asOf"`},
		"unknown top-level member":    {strings.Replace(ok, `"counts":`, `"extra": 1, "counts":`, 1), `unknown member "extra"`},
		"unknown member in a package": {strings.Replace(ok, `"key": "pkg:npm/p1500",`, `"key": "pkg:npm/p1500", "x": 1,`, 1), "packages: [1500]: "},
		"duplicate name in a package": {strings.Replace(ok, `"key": "pkg:npm/p7",`, `"key": "pkg:npm/p7", "key": "pkg:npm/q",`, 1), "packages: [7]: "},
		"invalid UTF-8 in a package":  {strings.Replace(ok, `"m9"`, "\"m\xff\"", 1), "packages: [9]: "},
		"a package that is a string":  {strings.Replace(ok, `{"key": "pkg:npm/p3", "source": "s", "maintainers": [{"name": "m3"}], "latestRelease": "2020-01-02"}`, `"p3"`, 1), "packages: [3]: "},
		"packages not an array":       {strings.Replace(snapshotWith(0), `"packages": []`, `"packages": {}`, 1), "want an array"},
		"unclosed packages":           {ok[:len(ok)/2], "packages: "},
		"trailing data":               {ok + " {}", ""},
		"not an object":               {`[]`, "want an object"},
		"invalid UTF-8 in sources":    {strings.Replace(ok, `{"id": "s"}`, "{\"id\": \"s\", \"url\": \"\xff\"}", 1), "sources: "},
	} {
		_, err := decodeRiskData([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
		if jsonv2.Unmarshal([]byte(tc.doc), &RiskData{}, jsonv2.RejectUnknownMembers(true)) == nil {
			t.Errorf("%s: the whole decode accepts it", name)
		}
	}
}

// FuzzDecodeRiskData: the parallel decoder accepts exactly what a
// whole-document decode accepts, with the same result.
func FuzzDecodeRiskData(f *testing.F) {
	f.Add([]byte(snapshotWith(3)))
	f.Add([]byte(`{"packages": null, "asOf": "x"}`))
	f.Add([]byte(`{"packages": [{"key": "a"}, {"key": "b", "retracted": ["v1"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeRiskData(data)
		want := &RiskData{}
		werr := jsonv2.Unmarshal(data, want, jsonv2.RejectUnknownMembers(true))
		if (err == nil) != (werr == nil) {
			t.Fatalf("parallel decode error %v, whole decode error %v", err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parallel decode %+v, whole decode %+v", got, want)
		}
	})
}
