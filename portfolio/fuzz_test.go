package portfolio

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/sbom"
)

// FuzzParseRange: no panic; an error means no range; a range renders back
// to one that parses the same.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{">=5.6.0, <5.6.2", "=1.0", "!=1:2.3-4", "<=v1.2.3", ">=", ",", "5.6.0", ">= 1 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			if r != nil {
				t.Fatalf("error %v with a range %v", err, r)
			}
			return
		}
		again, err := ParseRange(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("%q -> %q -> %q, %v", s, r.String(), again.String(), err)
		}
		for _, typ := range []string{"deb", "rpm", "apk", "npm", "generic"} {
			r.Contains(typ, "1.0")
		}
	})
}

// FuzzNewQuery: no panic; an error means no question to ask.
func FuzzNewQuery(f *testing.F) {
	f.Add("pkg:deb/debian/xz-utils", "", ">=5.6.0, <5.6.2")
	f.Add("pkg:npm/%40scope/name@1.0.0", "", "")
	f.Add("", "src:xz", "")
	f.Add("liblzma5", "src:xz", "=5")
	f.Fuzz(func(t *testing.T, subject, upstream, versions string) {
		q, err := NewQuery(subject, upstream, versions, false)
		if err == nil && q.Package == "" && q.Name == "" && q.Upstream == "" {
			t.Fatalf("a question with nothing to look for: %+v", q)
		}
	})
}

// FuzzDecodePath: a path as the writer stores it (json.Marshal of the
// names) decodes to those names, through the fast split or the JSON
// decoder; any other text never panics, and a canonical JSON list
// decodes as the JSON decoder reads it.
func FuzzDecodePath(f *testing.F) {
	for _, s := range []string{"a@1\x00b@2", "", "x", `q"uote`, "<tag>&\x00b", "a\",\"b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names := strings.Split(s, "\x00")
		stored, err := json.Marshal(names)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if err := json.Unmarshal(stored, &want); err != nil {
			t.Fatal(err)
		}
		want = append(append([]string{"product@1"}, want...), "component@2")
		got, err := decodePath(nil, string(stored), "product@1", "component@2")
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: %q, %v; want %q", stored, got, err, want)
		}
		// Any text: no panic, and canonical JSON reads as JSON.
		path, err := decodePath(nil, s, "p", "c")
		var ref []string
		if json.Unmarshal([]byte(s), &ref) == nil {
			want := ref
			if ref != nil {
				want = append(append([]string{"p"}, ref...), "c")
			}
			if again, _ := json.Marshal(ref); string(again) == s && (err != nil || !slices.Equal(path, want)) {
				t.Fatalf("%s: %q, %v; want %q", s, path, err, want)
			}
		}
	})
}

// FuzzMatchJSON: WhereResult.WriteJSON writes any match as the JSON
// library does (sbom.WriteJSON): escapes, invalid UTF-8, empty and
// omitted fields, paths.
func FuzzMatchJSON(f *testing.F) {
	f.Add("shop", "1.0", "liblzma5", "5.6.1-1", "pkg:deb/debian/liblzma5@5.6.1-1", "a@1\x00b@2", "")
	f.Add("a\u2028b", "", "<x>&", "", "", "", "not \"a\" version\t\xff")
	f.Fuzz(func(t *testing.T, product, version, component, cversion, purl, path, why string) {
		m := &Match{Product: product, ProductVersion: version, Source: path, Digest: "sha256:" + purl, AsOf: why, Grade: sbom.Grade(version),
			Component: component, Version: cversion, PURL: purl, Upstream: "src:" + component, Reason: why}
		if path != "" {
			m.Path = strings.Split(path, "\x00")
		}
		r := &WhereResult{MediaType: "x", Matches: []*Match{m, m}, Undetermined: []*Match{m}}
		var want, got bytes.Buffer
		wantErr := sbom.WriteJSON(&want, (*plainResult)(r))
		err := r.WriteJSON(&got)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("WriteJSON: %v (the library: %v)\n%s\nwant\n%s", err, wantErr, got.Bytes(), want.Bytes())
		}
	})
}
