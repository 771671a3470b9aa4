package sbom

import (
	"fmt"
	"testing"
)

// The purl cache answers what a fresh parse answers, valid or not, and
// holds at most purlCacheSize purls however many it has seen.
func TestPURLCache(t *testing.T) {
	for _, s := range []string{"pkg:npm/%40scope/name@1.0.0?arch=x#sub", "pkg:deb/debian/xz-utils@5.6.0-1?upstream=xz", "pkg:", "pkg:npm/", "npm/x@1"} {
		first, ok1 := parsePURL(s)
		again, ok2 := parsePURL(s) // from the cache
		if ok1 != ok2 || first.String() != again.String() {
			t.Errorf("%q: parsed %v %q, then from the cache %v %q", s, ok1, first.String(), ok2, again.String())
		}
	}
	if p, ok := parsePURL("pkg:npm/"); ok {
		t.Errorf("pkg:npm/ parses as %q: an invalid purl must stay invalid when cached", p.String())
	}
	for i := range purlCacheSize + 10 {
		if _, ok := parsePURL(fmt.Sprintf("pkg:npm/p%d@1.0.0", i)); !ok {
			t.Fatalf("pkg:npm/p%d@1.0.0 does not parse", i)
		}
	}
	purlCache.RLock()
	n := len(purlCache.m)
	purlCache.RUnlock()
	if n > purlCacheSize {
		t.Errorf("the cache holds %d purls, more than %d", n, purlCacheSize)
	}
}
