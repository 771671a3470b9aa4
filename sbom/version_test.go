package sbom

import "testing"

func TestVersionOrders(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmp  versionCompare
		a, b string
		want int
	}{
		{"semver", compareSemver, "1.2.3", "1.10.0", -1},
		{"semver v prefix", compareSemver, "v1.2.3", "1.2.3", 0},
		{"semver prerelease", compareSemver, "1.0.0-rc.1", "1.0.0", -1},
		{"semver prerelease numeric", compareSemver, "1.0.0-alpha.2", "1.0.0-alpha.10", -1},
		{"semver build ignored", compareSemver, "1.0.0+a", "1.0.0+b", 0},
		{"go pseudo-version", compareSemver, "v0.0.0-20240101000000-abcdefabcdef", "v0.0.1", -1},
		{"dpkg epoch wins", compareDpkg, "1:1.0-1", "2.0-1", 1},
		{"dpkg tilde before release", compareDpkg, "1.0~rc1-1", "1.0-1", -1},
		{"dpkg tilde before end", compareDpkg, "1.0~", "1.0", -1},
		{"dpkg revision", compareDpkg, "1.0-1", "1.0-2", -1},
		{"dpkg letters before symbols", compareDpkg, "1.0a", "1.0+", -1},
		{"dpkg numeric runs", compareDpkg, "1.10", "1.9", 1},
		{"dpkg leading zeros", compareDpkg, "1.010", "1.10", 0},
		{"dpkg missing revision", compareDpkg, "1.0", "1.0-0", 0},
		{"dpkg xz backdoor range", compareDpkg, "5.6.0-0.2", "5.6.1+really5.4.5-1", -1},
		{"dpkg really-version", compareDpkg, "5.6.1+really5.4.5-1", "5.6.1", 1},
		{"rpm epoch", compareRPM, "1:1.0-1.el9", "2.0-1.el9", 1},
		{"rpm release", compareRPM, "5.2.5-8.el9", "5.2.5-10.el9", -1},
		{"rpm tilde", compareRPM, "1.0~rc1", "1.0", -1},
		{"rpm caret", compareRPM, "1.0^git1", "1.0", 1},
		{"rpm caret before next", compareRPM, "1.0^git1", "1.0.1", -1},
		{"rpm letters before numbers", compareRPM, "1.0a", "1.0.1", -1},
		{"rpm bound without release", compareRPM, "5.2.5-8.el9", "5.2.5", 0},
		{"rpm leading zeros", compareRPM, "1.01", "1.1", 0},
		{"apk revision", compareAPK, "5.4.5-r0", "5.4.5-r1", -1},
		{"apk rc before release", compareAPK, "1.2_rc1", "1.2", -1},
		{"apk patch after release", compareAPK, "1.2_p1", "1.2", 1},
		{"apk longer is newer", compareAPK, "1.2.1", "1.2_p9", 1},
		{"apk letter", compareAPK, "1.2a", "1.2b", -1},
		{"apk letter after plain", compareAPK, "1.2a", "1.2", 1},
		{"apk alpha before beta", compareAPK, "1.0_alpha2", "1.0_beta1", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.cmp(tc.a, tc.b)
			if !ok || got != tc.want {
				t.Fatalf("compare(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, ok, tc.want)
			}
			back, ok := tc.cmp(tc.b, tc.a)
			if !ok || back != -tc.want {
				t.Fatalf("compare(%q, %q) = %d; want %d (antisymmetry)", tc.b, tc.a, back, -tc.want)
			}
		})
	}
}

func TestVersionOrdersRefuseGarbage(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmp  versionCompare
		v    string
	}{
		{"semver", compareSemver, "latest"},
		{"semver empty", compareSemver, ""},
		{"dpkg letter start", compareDpkg, "abc"},
		{"dpkg bad epoch", compareDpkg, "x:1.0"},
		{"dpkg space", compareDpkg, "1.0 2"},
		{"rpm empty", compareRPM, ""},
		{"rpm bad epoch", compareRPM, "e:1"},
		{"apk suffix", compareAPK, "1.0_beta_wat"},
		{"apk revision", compareAPK, "1.0-rX"},
		{"apk dots", compareAPK, "1..0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.cmp(tc.v, "1.0"); ok {
				t.Fatalf("%q accepted as a version", tc.v)
			}
		})
	}
	if comparatorFor("PyPI") != nil || comparatorFor("Maven") != nil {
		t.Fatal("an ecosystem without an implemented order must have no comparator")
	}
}
