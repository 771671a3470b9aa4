package portfolio

import "testing"

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
