package sbom

import (
	"strings"
	"sync"

	"github.com/package-url/packageurl-go"
)

// parsePURL parses s, reporting false for anything that is not a valid
// package URL. Invalid purls are treated as absent identity. The result
// is shared with other callers (purlCache): its Qualifiers must not be
// changed in place.
func parsePURL(s string) (packageurl.PackageURL, bool) {
	if s == "" || !strings.HasPrefix(s, "pkg:") {
		return packageurl.PackageURL{}, false
	}
	purlCache.RLock()
	r, hit := purlCache.m[s]
	purlCache.RUnlock()
	if hit {
		return r.p, r.ok
	}
	p, err := packageurl.FromString(s)
	r = parsedPURL{p, err == nil && p.Type != "" && p.Name != ""}
	if !r.ok {
		r.p = packageurl.PackageURL{}
	}
	purlCache.Lock()
	if len(purlCache.m) >= purlCacheSize {
		clear(purlCache.m)
	}
	purlCache.m[s] = r
	purlCache.Unlock()
	return r.p, r.ok
}

// purlCache holds the purls parsed lately: the rules, facts, upstream and
// vulnerability lookups each parse a component's purl, and one package
// recurs across the SBOMs of a portfolio (parsing was a twentieth of the
// CPU of a portfolio add). Emptied when it holds purlCacheSize purls.
var purlCache = struct {
	sync.RWMutex
	m map[string]parsedPURL
}{m: map[string]parsedPURL{}}

const purlCacheSize = 1 << 15

type parsedPURL struct {
	p  packageurl.PackageURL
	ok bool
}

// versionlessPURL renders type/namespace/name only, the key that stays the
// same across releases of one package.
func versionlessPURL(p packageurl.PackageURL) string {
	q := packageurl.NewPackageURL(p.Type, p.Namespace, p.Name, "", nil, "")
	return q.ToString()
}

// qualifier returns the value of the named purl qualifier.
func qualifier(p packageurl.PackageURL, key string) string {
	for _, q := range p.Qualifiers {
		if q.Key == key {
			return q.Value
		}
	}
	return ""
}

// osPackageTypes are purl types of distribution packages, whose upstream
// is their source package.
var osPackageTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true}

// sourcePackage returns the distribution source package a binary package
// is built from, as the purl "upstream" qualifier states it: Debian and
// Alpine write NAME or NAME@VERSION, RPM writes the source RPM file name
// NAME-VERSION-RELEASE.src.rpm.
func sourcePackage(p packageurl.PackageURL) (name, version string) {
	up := qualifier(p, "upstream")
	if up == "" {
		return "", ""
	}
	return splitSourceRef(up)
}

// splitSourceRef splits "name@version" and "name-version-release.src.rpm".
func splitSourceRef(up string) (name, version string) {
	up = strings.TrimSpace(up)
	if rest, ok := strings.CutSuffix(up, ".src.rpm"); ok {
		// NAME-VERSION-RELEASE: the last two dashes split it.
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 {
			return rest, ""
		}
		j := strings.LastIndexByte(rest[:i], '-')
		if j <= 0 {
			return rest, ""
		}
		return rest[:j], rest[j+1:]
	}
	if n, v, ok := strings.Cut(up, "@"); ok {
		return n, v
	}
	// Alpine and syft write "name version" in some properties.
	if n, v, ok := strings.Cut(up, " "); ok {
		return n, strings.TrimSpace(v)
	}
	return up, ""
}

// sourceKey is the upstream key for a distribution source package. It
// leaves out the distribution on purpose: the same source package name in
// Debian, Alpine and RPM distributions is the same upstream project.
func sourceKey(name string) string {
	return "src:" + strings.ToLower(strings.TrimSpace(name))
}

// purlHints derives upstream hints from a purl: its upstream qualifier for
// distribution packages, and its versionless form for everything else.
func purlHints(p packageurl.PackageURL, field string) []UpstreamHint {
	if name, _ := sourcePackage(p); name != "" {
		return []UpstreamHint{{Key: sourceKey(name), Rule: "purl-upstream-qualifier", Field: field}}
	}
	if osPackageTypes[p.Type] {
		// A binary package without a stated source: its own name is the
		// best available key, in the distribution-independent namespace.
		return []UpstreamHint{{Key: sourceKey(p.Name), Rule: "purl-os-package-name", Field: field}}
	}
	return []UpstreamHint{{Key: versionlessPURL(p), Rule: "purl", Field: field}}
}

// osvEcosystem maps a purl to the OSV ecosystem and package name it is
// listed under, and the version to compare. ok is false for purl types
// OSV does not cover.
func osvEcosystem(p packageurl.PackageURL) (ecosystem, name, version string, ok bool) {
	version = p.Version
	switch p.Type {
	case "npm":
		ecosystem, name = "npm", joinNS(p.Namespace, p.Name, "/")
	case "golang":
		ecosystem, name = "Go", joinNS(p.Namespace, p.Name, "/")
	case "cargo":
		ecosystem, name = "crates.io", p.Name
	case "pypi":
		ecosystem, name = "PyPI", normalizePyPI(p.Name)
	case "maven":
		ecosystem, name = "Maven", joinNS(p.Namespace, p.Name, ":")
	case "gem":
		ecosystem, name = "RubyGems", p.Name
	case "nuget":
		ecosystem, name = "NuGet", p.Name
	case "composer":
		ecosystem, name = "Packagist", joinNS(p.Namespace, p.Name, "/")
	case "hex":
		ecosystem, name = "Hex", p.Name
	case "pub":
		ecosystem, name = "Pub", p.Name
	case "deb":
		switch strings.ToLower(p.Namespace) {
		case "debian":
			ecosystem = "Debian"
		case "ubuntu":
			ecosystem = "Ubuntu"
		default:
			return "", "", "", false
		}
		name = p.Name
		if src, srcVersion := sourcePackage(p); src != "" {
			// Debian and Ubuntu advisories name source packages.
			name = src
			if srcVersion != "" {
				version = srcVersion
			}
		}
	case "apk":
		switch strings.ToLower(p.Namespace) {
		case "alpine":
			ecosystem = "Alpine"
		case "wolfi":
			ecosystem = "Wolfi"
		case "chainguard":
			ecosystem = "Chainguard"
		default:
			return "", "", "", false
		}
		name = p.Name
		if src, _ := sourcePackage(p); src != "" {
			name = src // Alpine advisories name the origin package
		}
	case "rpm":
		switch strings.ToLower(p.Namespace) {
		case "redhat":
			ecosystem = "Red Hat"
		case "rocky", "rocky-linux":
			ecosystem = "Rocky Linux"
		case "almalinux":
			ecosystem = "AlmaLinux"
		case "opensuse":
			ecosystem = "openSUSE"
		case "suse", "sles":
			ecosystem = "SUSE"
		case "mariner":
			ecosystem = "Mariner"
		case "azurelinux":
			ecosystem = "Azure Linux"
		default:
			return "", "", "", false
		}
		name = p.Name
		if e := qualifier(p, "epoch"); e != "" && e != "0" && !strings.Contains(version, ":") {
			version = e + ":" + version
		}
	default:
		return "", "", "", false
	}
	return ecosystem, name, version, name != ""
}

// distroRelease returns the release an OSV ecosystem suffix must match for
// a purl's distro qualifier ("debian-12" -> "12", "alpine-3.19.1" ->
// "v3.19"), or "" when the purl does not say.
func distroRelease(ecosystem string, p packageurl.PackageURL) string {
	d := qualifier(p, "distro")
	if d == "" {
		return ""
	}
	_, v, ok := strings.Cut(d, "-")
	if !ok {
		v = d
	}
	switch ecosystem {
	case "Debian":
		if n, ok := debianCodenames[strings.ToLower(v)]; ok {
			return n
		}
		major, _, _ := strings.Cut(v, ".")
		return major
	case "Alpine":
		parts := strings.SplitN(v, ".", 3)
		if len(parts) >= 2 {
			return "v" + parts[0] + "." + parts[1]
		}
		return "v" + v
	case "Ubuntu":
		if n, ok := ubuntuCodenames[strings.ToLower(v)]; ok {
			return n
		}
		// A point release (22.04.3) is its release (22.04).
		if parts := strings.SplitN(v, ".", 3); len(parts) == 3 {
			return parts[0] + "." + parts[1]
		}
		return v
	}
	return ""
}

// The releases SBOM generators name by codename (the purl specification's
// own example is distro=jessie), as OSV numbers them.
var (
	debianCodenames = map[string]string{"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
		"bookworm": "12", "trixie": "13", "forky": "14", "duke": "15"}
	ubuntuCodenames = map[string]string{"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04",
		"jammy": "22.04", "noble": "24.04", "oracular": "24.10", "plucky": "25.04", "questing": "25.10", "resolute": "26.04"}
)

// releaseReadable reports whether a release distroRelease returned is in
// the form OSV names the ecosystem's releases: Debian 12, Ubuntu 22.04,
// Alpine v3.20. Another one (a codename sovcheck does not know, "sid")
// cannot be compared with an advisory's entries.
func releaseReadable(ecosystem, release string) bool {
	digits := func(s string) bool {
		return s != "" && strings.Trim(s, "0123456789") == ""
	}
	switch ecosystem {
	case "Debian":
		return digits(release)
	case "Ubuntu":
		a, b, ok := strings.Cut(release, ".")
		return ok && digits(a) && digits(b)
	case "Alpine":
		a, b, ok := strings.Cut(strings.TrimPrefix(release, "v"), ".")
		return ok && digits(a) && digits(b)
	}
	return true
}

func joinNS(ns, name, sep string) string {
	if ns == "" {
		return name
	}
	return ns + sep + name
}

// normalizePyPI applies the PEP 503 name normalisation.
func normalizePyPI(name string) string {
	var b strings.Builder
	lastSep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			if !lastSep {
				b.WriteByte('-')
			}
			lastSep = true
			continue
		}
		lastSep = false
		b.WriteRune(r)
	}
	return b.String()
}
