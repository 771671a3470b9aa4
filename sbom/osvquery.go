package sbom

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// AffectedPackage is one package an OSV advisory names (one of its
// affected entries), with how a store of SBOMs finds its components: by
// package URL for a language package (every stored versionless purl of
// PurlType whose name is the same package in the ecosystem's rules: the
// same NameKey as PackageNameKey gives the purl), by upstream source package (src:NAME) for Debian, Ubuntu and
// Alpine, whose advisories name source packages, and by component name for
// the RPM distributions. Which of the components found are affected is
// then decided by Affects, the matching 'sbom labels --vulns' does.
type AffectedPackage struct {
	Advisory  string   `json:"advisory"`
	Aliases   []string `json:"aliases,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	Modified  string   `json:"modified,omitempty"`
	Ecosystem string   `json:"ecosystem"`
	Name      string   `json:"name"`
	// Severity is the entry's level (critical, high, medium, low or
	// unknown) and Score its CVSS base score, 0 when no CVSS vector gives
	// one.
	Severity string  `json:"severity"`
	Score    float64 `json:"score,omitempty"`
	// Record names the affected entry: FILE#/affected/N.
	Record string `json:"record"`
	// PurlType, Upstream and ComponentName say how the package is found;
	// one is set. None is when no SBOM component can be the package (an
	// ecosystem sovcheck does not read from SBOMs, an advisory that names
	// no package): Unasked says why.
	PurlType      string `json:"purlType,omitempty"`
	Upstream      string `json:"upstream,omitempty"`
	ComponentName string `json:"componentName,omitempty"`
	Unasked       string `json:"unasked,omitempty"`

	db  *Advisories
	ref osvAffectedRef
}

// languagePurlTypes maps the OSV ecosystems of language packages to the
// purl type of their components: the inverse of osvEcosystem's language
// cases, which TestLanguagePurlTypesRoundTrip holds it to.
var languagePurlTypes = map[string]string{
	"npm": "npm", "Go": "golang", "crates.io": "cargo", "PyPI": "pypi", "Maven": "maven", "RubyGems": "gem",
	"NuGet": "nuget", "Packagist": "composer", "Hex": "hex", "Pub": "pub",
}

// sourceDistributions name source (Debian, Ubuntu) or origin (Alpine,
// Wolfi, Chainguard) packages in their advisories, as osvEcosystem reads
// them from a purl's upstream qualifier; the RPM distributions name
// binary packages.
var (
	sourceDistributions = map[string]bool{"Debian": true, "Ubuntu": true, "Alpine": true, "Wolfi": true, "Chainguard": true}
	rpmDistributions    = map[string]bool{"Red Hat": true, "Rocky Linux": true, "AlmaLinux": true, "openSUSE": true, "SUSE": true, "Mariner": true, "Azure Linux": true}
)

// AffectedPackages lists the packages each advisory that is not withdrawn
// names, in the order of the advisories (by id) and of their affected
// entries; an advisory that names none is listed once, unasked. Every
// advisory is decoded in full: one that cannot be is an error
// (SBOM_DATA_MALFORMED), not a package left out.
func (db *Advisories) AffectedPackages() ([]AffectedPackage, error) {
	var out []AffectedPackage
	for i, e := range db.advisories {
		if e.Withdrawn != "" {
			continue
		}
		a, err := e.advisory(db.limits)
		if err != nil {
			return nil, err
		}
		if len(a.Affected) == 0 {
			out = append(out, AffectedPackage{Advisory: e.ID, Aliases: a.Aliases, Summary: a.Summary, Modified: e.Modified,
				Severity: SeverityUnknown, Record: e.file, Unasked: "the advisory names no affected package"})
			continue
		}
		for k := range a.Affected {
			aff := &a.Affected[k]
			pkg := aff.Package
			ap := AffectedPackage{Advisory: e.ID, Aliases: a.Aliases, Summary: a.Summary, Modified: e.Modified,
				Ecosystem: pkg.Ecosystem, Name: pkg.Name, Severity: aff.severity.Level, Score: aff.severity.Score,
				Record: fmt.Sprintf("%s#/affected/%d", e.file, k), db: db, ref: osvAffectedRef{i, k}}
			ap.setQuestion(pkg)
			out = append(out, ap)
		}
	}
	return out, nil
}

// setQuestion says how pkg's components are found, or why they cannot be.
func (ap *AffectedPackage) setQuestion(pkg osvPackage) {
	eco := baseEcosystem(pkg.Ecosystem)
	switch {
	case strings.TrimSpace(pkg.Name) == "":
		ap.Unasked = "the affected entry names no package"
	case sourceDistributions[eco]:
		ap.Upstream = sourceKey(pkg.Name)
	case rpmDistributions[eco]:
		ap.ComponentName = pkg.Name
	case languagePurlTypes[eco] != "":
		ap.PurlType = languagePurlTypes[eco]
	default:
		ap.Unasked = fmt.Sprintf("sovcheck reads no SBOM component as an OSV %q package", eco)
	}
}

// NameKey is the entry's ecosystem and package name under the
// ecosystem's identity rules: PyPI names normalised, NuGet, Packagist and
// crates.io names in any case, npm and Maven names exactly, Go module
// paths in any case (Affects then tells a path in another case apart).
// A stored package key names the entry's package when its
// PackageNameKey is the same.
func (ap AffectedPackage) NameKey() string {
	return nameKey(baseEcosystem(ap.Ecosystem), ap.Name)
}

// PackageNameKey is the NameKey of the package a stored versionless purl
// key names, and false when OSV covers no ecosystem for it: a store's
// package keys are indexed by it once, and each entry looked up there.
func PackageNameKey(key string) (string, bool) {
	p, ok := parsePURL(key)
	if !ok {
		return "", false
	}
	eco, name, _, ok := osvIdentity(key, p)
	if !ok {
		return "", false
	}
	return nameKey(eco, name), true
}

func nameKey(eco, name string) string {
	name = osvPackageName(eco, name)
	if eco == "Go" {
		// Some generators lowercase golang purls: found, then left
		// undetermined by Affects (module paths are case-sensitive).
		name = strings.ToLower(name)
	}
	return eco + "\x00" + name
}

// LastName is the last segment of the entry's package name (Maven's
// artifact id), in lower case (PyPI's normalised): a stored key whose
// KeyLastName differs cannot name the same package, and needs no parsing.
func (ap AffectedPackage) LastName() string {
	name := ap.Name
	if i := strings.LastIndexByte(name, ':'); i >= 0 && ap.PurlType == "maven" {
		name = name[i+1:]
	}
	return lastName(ap.PurlType, name)
}

// KeyLastName is LastName for a stored versionless purl key of purl
// type typ.
func KeyLastName(typ, key string) string {
	if d, err := url.PathUnescape(key); err == nil {
		key = d
	}
	return lastName(typ, key)
}

func lastName(typ, name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if typ == "pypi" {
		return normalizePyPI(name)
	}
	return strings.ToLower(name)
}

// Affects decides whether the component with purl, found by this entry's
// question, is affected by it, as 'sbom labels --vulns' decides it: hit,
// or not (false, "") for a version outside the entry's ranges. It also
// answers (false, "") for a component the entry does not name: one of
// another ecosystem OSV covers, or of another release of the
// distribution. Anything it cannot decide is a reason, and the component
// is undetermined: no purl, one OSV covers no ecosystem for, one that
// names another package (a Debian binary package without the upstream
// qualifier that names its source), a release OSV does not number, no
// version, a version its ecosystem's order cannot place, ranges of
// commits only.
func (ap AffectedPackage) Affects(purl string) (hit bool, why string) {
	return AffectsAny([]AffectedPackage{ap}, purl)
}

// AffectsAny decides a component against several entries of one or more
// advisories, as Affects decides it against one: hit when one is, else
// the first reason one gives, else not affected. The purl is read once.
func AffectsAny(entries []AffectedPackage, purl string) (hit bool, why string) {
	if purl == "" {
		return false, "the component has no package URL to match the advisory by"
	}
	p, ok := parsePURL(purl)
	if !ok {
		return false, fmt.Sprintf("the package URL %q cannot be read [%s]", purl, reason.SBOMMalformed)
	}
	eco, name, version, ok := osvIdentity(purl, p)
	if !ok {
		return false, fmt.Sprintf("OSV covers no ecosystem for %q: the advisory cannot be matched", versionlessPURL(p))
	}
	release := distroRelease(eco, p)
	for _, ap := range entries {
		h, w := ap.affects(eco, name, version, release)
		if h {
			return true, ""
		}
		if why == "" {
			why = w
		}
	}
	return false, why
}

// affects is Affects for a component read as ecosystem eco, package name,
// version and distribution release.
func (ap AffectedPackage) affects(eco, name, version, release string) (hit bool, why string) {
	switch {
	case ap.db == nil:
		return false, "the advisory is not loaded"
	case eco != baseEcosystem(ap.Ecosystem):
		return false, ""
	case osvPackageName(eco, name) != osvPackageName(eco, ap.Name):
		return false, fmt.Sprintf("its package URL names %s package %q, the advisory %q", eco, name, ap.Name)
	case version == "":
		return false, "the component has no version"
	}
	// An entry for another release of the distribution is skipped: not
	// hit, and no reason.
	_, hit, why, _ = ap.db.judge(ap.ref, eco, release, version)
	return hit, why
}
