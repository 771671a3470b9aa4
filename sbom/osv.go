package sbom

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Advisories is an offline OSV database: advisories indexed by the exact
// ecosystem and package name they affect. Matching never guesses: a
// component matches only through its purl, and a version that cannot be
// ordered leaves the question open instead of answering "not affected".
type Advisories struct {
	source     string
	advisories []osvAdvisory
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

type osvAdvisory struct {
	ID               string          `json:"id"`
	Aliases          []string        `json:"aliases"`
	Summary          string          `json:"summary"`
	Modified         string          `json:"modified"`
	Withdrawn        string          `json:"withdrawn"`
	Affected         []osvAffected   `json:"affected"`
	Severity         []osvSeverity   `json:"severity"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
	file             string
	modified         time.Time
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges []struct {
		Type   string       `json:"type"`
		Events []RangeEvent `json:"events"`
	} `json:"ranges"`
	Versions          []string        `json:"versions"`
	Severity          []osvSeverity   `json:"severity"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	severity          severityInfo
	severityNotes     []string
}

const hintOSV = "give a directory or zip of OSV JSON advisories (for example an ecosystem's all.zip from osv.dev)"

// LoadAdvisories reads every OSV advisory in a zip file, or in a directory
// tree of *.json files and *.zip archives (osv-scanner's offline database
// directory works as is).
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
	if st.IsDir() {
		err = l.loadDir(path)
	} else {
		err = l.loadZip(path)
	}
	if err != nil {
		return nil, err
	}
	return l.index(path), nil
}

type osvLoader struct {
	limits Limits
	mu     sync.Mutex
	total  int64
	advs   []osvAdvisory
}

type osvJob struct {
	name string
	open func() (io.ReadCloser, int64, error)
}

// loadDir reads *.json advisories and *.zip archives of advisories (the
// layout of osv.dev exports and of osv-scanner's offline databases).
func (l *osvLoader) loadDir(root string) error {
	var jobs []osvJob
	var zips []io.Closer
	defer func() {
		for _, z := range zips {
			z.Close()
		}
	}()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.ToLower(d.Name())
		switch {
		case d.IsDir():
			return nil
		case strings.HasSuffix(name, ".zip"):
			zr, closer, err := l.openZip(p)
			if err != nil {
				return dataMalformed(err, hintOSV, "opening OSV zip %q", p)
			}
			zips = append(zips, closer)
			rel, _ := filepath.Rel(root, p)
			jobs, err = l.zipJobs(zr, filepath.ToSlash(rel)+"!", jobs)
			return err
		case !strings.HasSuffix(name, ".json"):
			return nil
		}
		if len(jobs) >= l.limits.MaxAdvisories {
			return tooMany("OSV advisories", l.limits.MaxAdvisories, "load one ecosystem's advisories, or raise the advisory limit")
		}
		rel, _ := filepath.Rel(root, p)
		jobs = append(jobs, osvJob{name: filepath.ToSlash(rel), open: func() (io.ReadCloser, int64, error) {
			f, err := os.Open(p)
			if err != nil {
				return nil, 0, err
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, err
			}
			return f, st.Size(), nil
		}})
		return nil
	})
	if err != nil {
		return reason.As(err, reason.InputUnreadable, "check the OSV directory and its permissions")
	}
	return l.run(jobs)
}

func (l *osvLoader) loadZip(path string) error {
	zr, closer, err := l.openZip(path)
	if err != nil {
		return dataMalformed(err, hintOSV, "opening OSV zip %q", path)
	}
	defer closer.Close()
	jobs, err := l.zipJobs(zr, "", nil)
	if err != nil {
		return err
	}
	return l.run(jobs)
}

// openZip opens an advisory archive. One within the total advisory limit
// is read whole: tens of thousands of small entries then inflate from
// memory instead of costing a read each.
func (l *osvLoader) openZip(path string) (*zip.Reader, io.Closer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.Size() > l.limits.MaxAdvisoryTotalBytes {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, nil, err
		}
		return &zr.Reader, zr, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	return zr, io.NopCloser(nil), nil
}

// zipJobs adds a job per *.json entry of zr; prefix names the archive in
// records ("npm/all.zip!GHSA-....json").
func (l *osvLoader) zipJobs(zr *zip.Reader, prefix string, jobs []osvJob) ([]osvJob, error) {
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			continue
		}
		if len(jobs) >= l.limits.MaxAdvisories {
			return nil, tooMany("OSV advisories", l.limits.MaxAdvisories, "load one ecosystem's advisories, or raise the advisory limit")
		}
		jobs = append(jobs, osvJob{name: prefix + f.Name, open: func() (io.ReadCloser, int64, error) {
			rc, err := f.Open()
			return rc, int64(f.UncompressedSize64), err
		}})
	}
	return jobs, nil
}

// run decodes advisories in parallel; the index is built afterwards in a
// fixed order, so results do not depend on scheduling.
func (l *osvLoader) run(jobs []osvJob) error {
	workers := min(runtime.GOMAXPROCS(0), 8)
	ch := make(chan osvJob)
	var wg sync.WaitGroup
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				adv, err := l.decode(j)
				l.mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					l.advs = append(l.advs, adv)
				}
				l.mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		l.mu.Lock()
		stop := firstErr != nil
		l.mu.Unlock()
		if stop {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	return firstErr
}

func (l *osvLoader) decode(j osvJob) (osvAdvisory, error) {
	rc, size, err := j.open()
	if err != nil {
		return osvAdvisory{}, reason.Wrap(err, reason.InputUnreadable, "check the OSV data", "opening advisory %q", j.name)
	}
	defer rc.Close()
	if size > l.limits.MaxAdvisoryBytes {
		return osvAdvisory{}, tooLarge("OSV advisory "+quoteName(j.name), size, l.limits.MaxAdvisoryBytes, "remove the oversized advisory, or raise the advisory size limit")
	}
	data, err := readLimited(rc, l.limits.MaxAdvisoryBytes, "OSV advisory "+quoteName(j.name), "remove the oversized advisory, or raise the advisory size limit")
	if err != nil {
		return osvAdvisory{}, err
	}
	l.mu.Lock()
	l.total += int64(len(data))
	over := l.total > l.limits.MaxAdvisoryTotalBytes
	l.mu.Unlock()
	if over {
		return osvAdvisory{}, tooLarge("OSV advisories in total", l.total, l.limits.MaxAdvisoryTotalBytes, "load one ecosystem's advisories, or raise the total advisory limit")
	}
	return parseAdvisory(data, j.name)
}

func parseAdvisory(data []byte, name string) (osvAdvisory, error) {
	var a osvAdvisory
	if err := json.Unmarshal(data, &a); err != nil {
		return a, dataMalformed(err, hintOSV, "decoding OSV advisory %q", name)
	}
	if a.ID == "" {
		return a, reason.New(CodeDataMalformed, hintOSV, "decoding OSV advisory %q: no id", name)
	}
	if len(a.Summary) > 200 {
		a.Summary = a.Summary[:200]
	}
	if a.Modified != "" {
		t, err := time.Parse(time.RFC3339Nano, a.Modified)
		if err != nil {
			return a, dataMalformed(err, hintOSV, "decoding OSV advisory %q: modified", name)
		}
		a.modified = t.UTC()
	}
	a.file = name
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
	db := &Advisories{source: source, advisories: l.advs, byPackage: map[osvPackageKey][]osvAffectedRef{}, ecosystems: map[string]bool{}}
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
	eco, name, version, ok := osvEcosystem(p)
	if !ok {
		return osvResult{uncovered: fmt.Sprintf("OSV covers no ecosystem for purl type %q", p.Type)}
	}
	if eco == "Go" {
		if n, ok := goModulePath(raw); ok {
			name = n
		}
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
		a := &db.advisories[ref.advisory]
		aff := &a.Affected[ref.affected]
		if release != "" {
			if _, rel, has := strings.Cut(aff.Package.Ecosystem, ":"); has && !releaseMatches(eco, rel, release) {
				continue
			}
		}
		hit, why := affects(aff, eco, version)
		if why != "" {
			res.open = append(res.open, fmt.Sprintf("advisory %s: %s", a.ID, why))
			continue
		}
		if hit {
			res.matches = append(res.matches, osvMatch{
				ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Severity: aff.severity, SeverityNotes: aff.severityNotes,
				Record: fmt.Sprintf("%s#/affected/%d", a.file, ref.affected), Ecosystem: eco, Package: name,
			})
		}
	}
	return res
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
		return strings.HasPrefix(advisoryRelease, purlRelease)
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
