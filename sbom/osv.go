package sbom

import (
	"archive/zip"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/package-url/packageurl-go"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Advisories is an offline OSV database: advisories indexed by the exact
// ecosystem and package name they affect. Matching never guesses: a
// component matches only through its purl, and a version that cannot be
// ordered leaves the question open instead of answering "not affected".
type Advisories struct {
	source     string
	limits     Limits
	advisories []*osvEntry
	byPackage  map[osvPackageKey][]osvAffectedRef
	// ecosystems holds every ecosystem (without release) the data covers.
	ecosystems map[string]bool
	// asOf is the newest "modified" time of any advisory: the data is no
	// fresher than that.
	asOf time.Time
}

type osvPackageKey struct{ ecosystem, name string }

type osvAffectedRef struct {
	advisory int
	affected int
}

// osvAdvisory is the rest of an advisory, decoded when a component's
// package has it.
type osvAdvisory struct {
	Aliases          []string       `json:"aliases"`
	Summary          string         `json:"summary"`
	Affected         []osvAffected  `json:"affected"`
	Severity         []osvSeverity  `json:"severity"`
	DatabaseSpecific jsontext.Value `json:"database_specific"`
}

// osvEntry is one advisory as loaded: what the index needs is decoded
// (and the whole document checked to be JSON) when the data is read; the
// rest only when a component's package has the advisory, since a product
// touches few of an ecosystem's advisories.
type osvEntry struct {
	osvIndexed
	file     string
	modified time.Time
	// raw holds the document read from a directory; zf names the entry
	// of an archive held in memory (read again on first use).
	raw  []byte
	zf   *zip.File
	once sync.Once
	full *osvAdvisory
	err  error
}

// osvIndexed is the part of an advisory the index is built from.
type osvIndexed struct {
	ID        string `json:"id"`
	Modified  string `json:"modified"`
	Withdrawn string `json:"withdrawn"`
	Affected  []struct {
		Package osvPackage `json:"package"`
	} `json:"affected"`
}

type osvPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl"`
}

type osvAffected struct {
	Package osvPackage `json:"package"`
	Ranges  []struct {
		Type   string       `json:"type"`
		Events []RangeEvent `json:"events"`
	} `json:"ranges"`
	Versions          []string       `json:"versions"`
	Severity          []osvSeverity  `json:"severity"`
	EcosystemSpecific jsontext.Value `json:"ecosystem_specific"`
	severity          severityInfo
	severityNotes     []string
}

const hintOSV = "give an OSV advisory as osv.dev serves it (one JSON file), or a directory or zip of them (for example an ecosystem's all.zip)"

// LoadAdvisories reads every OSV advisory in a zip file, or in a directory
// tree of *.json files and *.zip archives (osv-scanner's offline database
// directory works as is), or the one advisory of a *.json file.
func LoadAdvisories(path string, opts ...Option) (*Advisories, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the path to the OSV data", "opening OSV advisories")
	}
	l := &osvLoader{limits: o.limits}
	switch {
	case st.IsDir():
		err = l.loadDir(path)
	case strings.HasSuffix(strings.ToLower(path), ".json"):
		// One advisory, as osv.dev serves it: the usual input the day one
		// is announced.
		err = l.run([]osvJob{{name: filepath.Base(path), path: path}})
	default:
		err = l.loadZip(path)
	}
	if err != nil {
		return nil, err
	}
	return l.index(path), nil
}

// indexAdvisory decodes what the index needs of one advisory and checks
// that the whole document is JSON.
func indexAdvisory(data []byte, name string) (*osvEntry, error) {
	e := &osvEntry{}
	// Advisories are decoded with JSON v2: every advisory of the data
	// passes here, and v2 is faster (names are case-sensitive as the OSV
	// schema writes them; duplicate names and invalid UTF-8 are malformed).
	if err := jsonv2.Unmarshal(data, &e.osvIndexed); err != nil {
		return nil, dataMalformed(err, hintOSV, "decoding OSV advisory %q", name)
	}
	if e.ID == "" {
		return nil, reason.New(reason.SBOMDataMalformed, hintOSV, "decoding OSV advisory %q: no id", name)
	}
	if e.Modified != "" {
		t, err := time.Parse(time.RFC3339Nano, e.Modified)
		if err != nil {
			return nil, dataMalformed(err, hintOSV, "decoding OSV advisory %q: modified", name)
		}
		e.modified = t.UTC()
	}
	e.file = name
	return e, nil
}

// advisory decodes the whole advisory once, on first use; safe for
// concurrent use.
func (e *osvEntry) advisory(lim Limits) (*osvAdvisory, error) {
	e.once.Do(func() {
		data := e.raw
		if e.zf != nil {
			if data, e.err = lim.readAdvisory(osvJob{name: e.file, zf: e.zf}, nil); e.err != nil {
				return
			}
		}
		a, err := parseAdvisory(data, e.file)
		if err == nil && len(a.Affected) != len(e.Affected) {
			err = reason.New(reason.SBOMDataMalformed, hintOSV, "decoding OSV advisory %q: got %d affected entries, want %d", e.file, len(a.Affected), len(e.Affected))
		}
		e.full, e.err, e.raw = &a, err, nil
	})
	return e.full, e.err
}

// parseAdvisory decodes the rest of an advisory indexAdvisory accepted.
func parseAdvisory(data []byte, name string) (osvAdvisory, error) {
	var a osvAdvisory
	if err := jsonv2.Unmarshal(data, &a); err != nil {
		return a, dataMalformed(err, hintOSV, "decoding OSV advisory %q", name)
	}
	if len(a.Summary) > 200 {
		a.Summary = a.Summary[:200]
	}
	for k := range a.Affected {
		aff := &a.Affected[k]
		vectors, at := aff.Severity, fmt.Sprintf("/affected/%d/severity", k)
		if len(vectors) == 0 {
			vectors, at = a.Severity, "/severity"
		}
		aff.severity, aff.severityNotes = severityOf(vectors, at, aff.EcosystemSpecific, a.DatabaseSpecific, fmt.Sprintf("/affected/%d", k))
		aff.Severity, aff.EcosystemSpecific = nil, nil
	}
	a.Severity, a.DatabaseSpecific = nil, nil
	return a, nil
}

func (l *osvLoader) index(source string) *Advisories {
	sort.Slice(l.advs, func(i, j int) bool {
		if l.advs[i].ID != l.advs[j].ID {
			return l.advs[i].ID < l.advs[j].ID
		}
		return l.advs[i].file < l.advs[j].file
	})
	db := &Advisories{source: source, limits: l.limits, advisories: l.advs, byPackage: map[osvPackageKey][]osvAffectedRef{}, ecosystems: map[string]bool{}}
	for i, a := range db.advisories {
		if a.modified.After(db.asOf) {
			db.asOf = a.modified
		}
		if a.Withdrawn != "" {
			continue
		}
		for k, aff := range a.Affected {
			eco := baseEcosystem(aff.Package.Ecosystem)
			db.ecosystems[eco] = true
			name := osvPackageName(eco, aff.Package.Name)
			key := osvPackageKey{eco, name}
			db.byPackage[key] = append(db.byPackage[key], osvAffectedRef{i, k})
		}
	}
	return db
}

// Source is the path the advisories were read from.
func (db *Advisories) Source() string { return db.source }

// Len reports the number of advisories loaded.
func (db *Advisories) Len() int { return len(db.advisories) }

// AsOf is the newest "modified" time of the advisories (zero when none
// says): the data is no fresher than that.
func (db *Advisories) AsOf() time.Time { return db.asOf }

// Ecosystems lists the OSV ecosystems the data covers, sorted.
func (db *Advisories) Ecosystems() []string {
	out := make([]string, 0, len(db.ecosystems))
	for e := range db.ecosystems {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// osvPackageName is the key a package name is indexed and looked up by,
// following each ecosystem's identity rules: PyPI names are normalised
// (PEP 503); NuGet, Packagist and crates.io names are case-insensitive;
// Go module paths, npm names (with their @scope), Maven group:artifact
// and distribution source packages are compared exactly.
func osvPackageName(eco, name string) string {
	switch eco {
	case "PyPI":
		return normalizePyPI(name)
	case "NuGet", "Packagist", "crates.io":
		return strings.ToLower(name)
	}
	return name
}

// osvMatch is one advisory that affects a component.
type osvMatch struct {
	ID            string
	Aliases       []string
	Summary       string
	Severity      severityInfo
	SeverityNotes []string
	Record        string // file#/affected/N
	Ecosystem     string
	Package       string
}

// osvResult is the outcome of matching one component.
type osvResult struct {
	matches []osvMatch
	// open explains, per advisory, why the question stays unanswered (an
	// ecosystem without version order, an unparsable version, only GIT
	// ranges); uncovered is set when the purl is outside the data.
	open      []string
	uncovered string
}

// match finds the advisories affecting the component with purl p (raw is
// the purl as written: Go module paths keep their case there).
func (db *Advisories) match(raw string, p packageurl.PackageURL) osvResult {
	eco, name, version, ok := osvIdentity(raw, p)
	if !ok {
		return osvResult{uncovered: fmt.Sprintf("OSV covers no ecosystem for purl type %q", p.Type)}
	}
	if !db.ecosystems[eco] {
		return osvResult{uncovered: fmt.Sprintf("the advisory data covers no %s packages", eco)}
	}
	if version == "" {
		return osvResult{uncovered: "the purl has no version"}
	}
	release := distroRelease(eco, p)
	var res osvResult
	for _, ref := range db.byPackage[osvPackageKey{eco, osvPackageName(eco, name)}] {
		e := db.advisories[ref.advisory]
		a, hit, why, skip := db.judge(ref, eco, release, version)
		if skip {
			continue
		}
		if why != "" {
			res.open = append(res.open, fmt.Sprintf("advisory %s: %s", e.ID, why))
			continue
		}
		if hit {
			aff := &a.Affected[ref.affected]
			res.matches = append(res.matches, osvMatch{
				ID: e.ID, Aliases: a.Aliases, Summary: a.Summary, Severity: aff.severity, SeverityNotes: aff.severityNotes,
				Record: fmt.Sprintf("%s#/affected/%d", e.file, ref.affected), Ecosystem: eco, Package: name,
			})
		}
	}
	return res
}

// judge decides one affected entry for a component of ecosystem eco,
// distribution release (or "") and version: skip when the entry is for
// another release of the distribution, why when the question stays open
// (the advisory cannot be decoded, or the version placed).
func (db *Advisories) judge(ref osvAffectedRef, eco, release, version string) (a *osvAdvisory, hit bool, why string, skip bool) {
	e := db.advisories[ref.advisory]
	if release != "" {
		if _, rel, has := strings.Cut(e.Affected[ref.affected].Package.Ecosystem, ":"); has {
			if !releaseReadable(eco, release) {
				return nil, false, fmt.Sprintf("the purl's distribution release %q is not one the advisory data names (%s)", release, e.Affected[ref.affected].Package.Ecosystem), false
			}
			if !releaseMatches(eco, rel, release) {
				return nil, false, "", true
			}
		}
	}
	a, err := e.advisory(db.limits)
	if err != nil {
		return nil, false, fmt.Sprintf("%v [%s]", err, reason.CodeOf(err, reason.SBOMDataMalformed)), false
	}
	hit, why = affects(&a.Affected[ref.affected], eco, version)
	return a, hit, why, false
}

// osvIdentity is osvEcosystem with a Go module path read as written in
// raw, the purl p was parsed from.
func osvIdentity(raw string, p packageurl.PackageURL) (ecosystem, name, version string, ok bool) {
	ecosystem, name, version, ok = osvEcosystem(p)
	if ok && ecosystem == "Go" {
		if n, isGo := goModulePath(raw); isGo {
			name = n
		}
	}
	return ecosystem, name, version, ok
}

// goModulePath reads the module path of a pkg:golang purl as written:
// purl libraries lowercase it, but Go module paths are case-sensitive
// (github.com/BurntSushi/toml).
func goModulePath(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, "pkg:golang/")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "@?#"); i >= 0 {
		rest = rest[:i]
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil || d == "" {
			return "", false
		}
		segs[i] = d
	}
	return strings.Join(segs, "/"), true
}

func releaseMatches(eco, advisoryRelease, purlRelease string) bool {
	if eco == "Ubuntu" {
		// "22.04:LTS", and Ubuntu Pro's "Pro:20.04:LTS",
		// "Pro:FIPS-updates:20.04:LTS" or "Nvidia-BlueField:22.04": the
		// release is the segment that is one.
		for seg := range strings.SplitSeq(advisoryRelease, ":") {
			if seg == purlRelease {
				return true
			}
		}
		return false
	}
	return advisoryRelease == purlRelease
}

// affects evaluates one affected entry: the explicit versions list first,
// then SEMVER and ECOSYSTEM ranges. why is non-empty when the question
// stays open: a range applies but the versions cannot be ordered, or the
// entry has only GIT ranges (commits, not versions) and no versions list.
func affects(aff *osvAffected, eco, version string) (hit bool, why string) {
	for _, v := range aff.Versions {
		if v == version {
			return true, ""
		}
	}
	comparable, git := false, false
	for _, r := range aff.Ranges {
		order := eco
		switch r.Type {
		case "SEMVER":
			order = "SEMVER"
		case "ECOSYSTEM":
		case "GIT":
			git = true
			continue
		default:
			continue
		}
		comparable = true
		in, err := InRange(order, version, r.Events)
		if err != nil {
			return false, err.Error()
		}
		if in {
			return true, ""
		}
	}
	if !comparable && len(aff.Versions) == 0 {
		if git {
			return false, "only GIT ranges (commits), no versions to compare"
		}
		return false, "no ranges and no versions"
	}
	return false, ""
}
