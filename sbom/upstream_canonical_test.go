package sbom

import "testing"

func TestCanonicalUpstream(t *testing.T) {
	for in, want := range map[string]string{
		"src:xz":                                 "src:xz",
		"src:xz-utils":                           "src:xz", // a well-known rename
		" src:XZ-Utils ":                         "src:xz",
		"src:curl":                               "src:curl",
		"pkg:golang/golang.org/x/crypto@v0.47.0": "pkg:golang/golang.org/x/crypto",
		"https://github.com/tukaani-project/xz":  "vcs:github.com/tukaani-project/xz",
		"git@github.com:tukaani-project/xz.git":  "vcs:github.com/tukaani-project/xz",
		"vcs:github.com/Tukaani-Project/xz":      "vcs:github.com/tukaani-project/xz",
		"xz":                                     "xz", // a mapping file's own id
		"name:lzlib":                             "name:lzlib",
		"pkg:not a purl":                         "pkg:not a purl",
	} {
		if got := CanonicalUpstream(in); got != want {
			t.Errorf("CanonicalUpstream(%q) = %q, want %q", in, got, want)
		}
	}
}
