package sbom

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

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
	Withdrawn        string          `json:"withdrawn"`
	Affected         []osvAffected   `json:"affected"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
	file             string
	severity         string
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges []struct {
		Type   string     `json:"type"`
		Events []osvEvent `json:"events"`
	} `json:"ranges"`
	Versions []string `json:"versions"`
}

type osvEvent struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

func (e osvEvent) version() string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	}
	return e.Limit
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
	var zips []*zip.ReadCloser
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
			zr, err := zip.OpenReader(p)
			if err != nil {
				return dataMalformed(err, hintOSV, "opening OSV zip %q", p)
			}
			zips = append(zips, zr)
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
	zr, err := zip.OpenReader(path)
	if err != nil {
		return dataMalformed(err, hintOSV, "opening OSV zip %q", path)
	}
	defer zr.Close()
	jobs, err := l.zipJobs(zr, "", nil)
	if err != nil {
		return err
	}
	return l.run(jobs)
}

// zipJobs adds a job per *.json entry of zr; prefix names the archive in
// records ("npm/all.zip!GHSA-....json").
func (l *osvLoader) zipJobs(zr *zip.ReadCloser, prefix string, jobs []osvJob) ([]osvJob, error) {
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
	a.file = name
	a.severity = advisorySeverity(a.DatabaseSpecific)
	a.DatabaseSpecific = nil
	return a, nil
}

// advisorySeverity reads the qualitative severity GitHub-style databases
// put in database_specific; anything else is "unknown".
func advisorySeverity(raw json.RawMessage) string {
	var ds struct {
		Severity looseString `json:"severity"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &ds) != nil {
		return "unknown"
	}
	switch strings.ToUpper(string(ds.Severity)) {
	case "CRITICAL":
		return "critical"
	case "HIGH":
		return "high"
	case "MODERATE", "MEDIUM":
		return "medium"
	case "LOW":
		return "low"
	}
	return "unknown"
}

func (l *osvLoader) index(source string) *Advisories {
	sort.Slice(l.advs, func(i, j int) bool {
		if l.advs[i].ID != l.advs[j].ID {
			return l.advs[i].ID < l.advs[j].ID
		}
		return l.advs[i].file < l.advs[j].file
	})
	db := &Advisories{source: source, advisories: l.advs, byPackage: map[osvPackageKey][]osvAffectedRef{}}
	for i, a := range db.advisories {
		if a.Withdrawn != "" {
			continue
		}
		for k, aff := range a.Affected {
			eco, _, _ := strings.Cut(aff.Package.Ecosystem, ":")
			name := aff.Package.Name
			if eco == "PyPI" {
				name = normalizePyPI(name)
			}
			key := osvPackageKey{eco, name}
			db.byPackage[key] = append(db.byPackage[key], osvAffectedRef{i, k})
		}
	}
	return db
}

// Len reports the number of advisories loaded.
func (db *Advisories) Len() int { return len(db.advisories) }

// osvMatch is one advisory that affects a component.
type osvMatch struct {
	ID       string
	Aliases  []string
	Summary  string
	Severity string
	Record   string // file#/affected/N
}

// osvResult is the outcome of matching one component.
type osvResult struct {
	matches []osvMatch
	// open explains why the question stays unanswered (no purl, an
	// ecosystem without version order, an unparsable version).
	open string
}

// match finds the advisories affecting purl p.
func (db *Advisories) match(p packageurl.PackageURL) osvResult {
	eco, name, version, ok := osvEcosystem(p)
	if !ok {
		return osvResult{open: fmt.Sprintf("OSV covers no ecosystem for purl type %q", p.Type)}
	}
	if version == "" {
		return osvResult{open: "the purl has no version"}
	}
	release := distroRelease(eco, p)
	cmp := comparatorFor(eco)
	var res osvResult
	for _, ref := range db.byPackage[osvPackageKey{eco, name}] {
		a := &db.advisories[ref.advisory]
		aff := &a.Affected[ref.affected]
		if release != "" {
			if _, rel, has := strings.Cut(aff.Package.Ecosystem, ":"); has && !releaseMatches(eco, rel, release) {
				continue
			}
		}
		hit, decided := affects(aff, version, cmp)
		if !decided {
			res.open = fmt.Sprintf("advisory %s: version %q cannot be ordered in ecosystem %s", a.ID, version, eco)
			continue
		}
		if hit {
			res.matches = append(res.matches, osvMatch{
				ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Severity: a.severity,
				Record: fmt.Sprintf("%s#/affected/%d", a.file, ref.affected),
			})
		}
	}
	return res
}

func releaseMatches(eco, advisoryRelease, purlRelease string) bool {
	if eco == "Ubuntu" {
		return strings.HasPrefix(advisoryRelease, purlRelease)
	}
	return advisoryRelease == purlRelease
}

// affects evaluates one affected entry: the explicit versions list first,
// then SEMVER and ECOSYSTEM ranges. decided is false when a range applies
// but the versions cannot be ordered, and when the entry has neither an
// orderable range nor a versions list.
func affects(aff *osvAffected, version string, eco versionCompare) (hit, decided bool) {
	for _, v := range aff.Versions {
		if v == version {
			return true, true
		}
	}
	decided = true
	comparable := false
	for _, r := range aff.Ranges {
		var cmp versionCompare
		switch r.Type {
		case "SEMVER":
			cmp = compareSemver
		case "ECOSYSTEM":
			cmp = eco
		default:
			continue // GIT ranges name commits, not package versions
		}
		comparable = true
		if cmp == nil {
			decided = false
			continue
		}
		in, ok := inRange(version, r.Events, cmp)
		if !ok {
			decided = false
			continue
		}
		if in {
			return true, true
		}
	}
	if !comparable && len(aff.Versions) == 0 {
		// Only commit ranges, or nothing at all: the versions list that
		// would settle it is missing.
		return false, false
	}
	return false, decided
}

// inRange applies OSV's event semantics: events sorted by version, each
// introduced opens, fixed closes at that version, last_affected closes
// after it, and limit caps the range.
func inRange(v string, events []osvEvent, cmp versionCompare) (in, ok bool) {
	evs := make([]osvEvent, 0, len(events))
	for _, e := range events {
		if e.version() != "" {
			evs = append(evs, e)
		}
	}
	bad := false
	less := func(a, b osvEvent) bool {
		if a.Introduced == "0" {
			return b.Introduced != "0"
		}
		if b.Introduced == "0" {
			return false
		}
		c, ok := cmp(a.version(), b.version())
		if !ok {
			bad = true
		}
		return c < 0
	}
	sort.SliceStable(evs, func(i, j int) bool { return less(evs[i], evs[j]) })
	if bad {
		return false, false
	}
	for _, e := range evs {
		if e.Limit != "" && e.Limit != "*" {
			c, ok := cmp(v, e.Limit)
			if !ok {
				return false, false
			}
			if c >= 0 {
				return false, true
			}
		}
	}
	affected := false
	for _, e := range evs {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" {
				affected = true
				continue
			}
			c, ok := cmp(v, e.Introduced)
			if !ok {
				return false, false
			}
			if c >= 0 {
				affected = true
			}
		case e.Fixed != "":
			c, ok := cmp(v, e.Fixed)
			if !ok {
				return false, false
			}
			if c >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			c, ok := cmp(v, e.LastAffected)
			if !ok {
				return false, false
			}
			if c > 0 {
				affected = false
			}
		}
	}
	return affected, true
}
