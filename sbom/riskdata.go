package sbom

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RiskData is a risk data snapshot. Every fact in it names the source it
// came from, and every source its URL, the time it was read and the
// SHA-256 of what was read.
type RiskData struct {
	MediaType string `json:"mediaType"`
	// AsOf is when the snapshot was gathered (RFC 3339).
	AsOf     string             `json:"asOf"`
	Sources  []RiskDataSource   `json:"sources"`
	Packages []PackageFacts     `json:"packages"`
	Failures []RiskDataFailure  `json:"failures,omitempty"`
	Counts   RiskDataLookupStat `json:"counts"`
	// Imported facts, from files a user brought ('sovcheck data import'),
	// each naming its source. Labelling reads Exploited (known-exploited,
	// when no KEV catalogue is given on its own) and Repositories
	// (weak-practices from Scorecard, critical-project from criticality
	// scores); Advisories are stored for the record and not read by a
	// label yet.
	Repositories []RepositoryFacts `json:"repositories,omitempty"`
	Exploited    []ExploitedFact   `json:"exploited,omitempty"`
	Advisories   []AdvisoryFact    `json:"advisories,omitempty"`

	source string
	asOf   time.Time
	byKey  map[string]int
	byRepo map[string]int // RepositoryKey -> index in Repositories
}

// RiskDataSource is one thing read while gathering: a registry response
// or an index file.
type RiskDataSource struct {
	ID        string `json:"id"`   // referenced by PackageFacts.Source
	Kind      string `json:"kind"` // goproxy, npm, debian-index, ...
	URL       string `json:"url"`
	FetchedAt string `json:"fetchedAt"`
	SHA256    string `json:"sha256"`
	Bytes     int64  `json:"bytes"`
	// AsOf is the date the source itself states (a Scorecard run's date,
	// a KEV catalogue's release), when it states one (RFC 3339).
	AsOf string `json:"asOf,omitempty"`
}

// Maintainer is a person or team with release rights.
type Maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Team is set when the entry is a team or mailing list, not a person.
	Team bool `json:"team,omitempty"`
}

// PackageFacts are the stewardship facts of one package, keyed by its
// versionless purl without qualifiers (pkg:golang/golang.org/x/mod,
// pkg:npm/left-pad, pkg:deb/debian/liblzma5).
type PackageFacts struct {
	Key    string `json:"key"`
	Source string `json:"source"` // a RiskDataSource id
	// Record locates the facts inside the source (a URL, or
	// FILE#Package=NAME for index files).
	Record string `json:"record"`
	// Maintainers is nil when the source does not say.
	Maintainers   []Maintainer `json:"maintainers,omitempty"`
	Steward       string       `json:"steward,omitempty"`
	SourcePackage string       `json:"sourcePackage,omitempty"`
	LatestVersion string       `json:"latestVersion,omitempty"`
	LatestRelease string       `json:"latestRelease,omitempty"` // YYYY-MM-DD
	Deprecated    string       `json:"deprecated,omitempty"`
	// Retracted lists retracted versions and intervals ("v1.0.1",
	// "[v1.0.0, v1.0.5]"), as go.mod writes them.
	Retracted    []string `json:"retracted,omitempty"`
	Repository   string   `json:"repository,omitempty"`
	Homepage     string   `json:"homepage,omitempty"`
	Jurisdiction string   `json:"jurisdiction,omitempty"`
	// Evidence names, per fact (maintainers, latestRelease, deprecated,
	// retracted, ...), the source id it was read from, when that is not
	// Source.
	Evidence map[string]string `json:"evidence,omitempty"`

	lastRelease time.Time
}

// RiskDataFailure is a lookup that failed; its facts stay unknown.
type RiskDataFailure struct {
	Key     string `json:"key"`
	Source  string `json:"source"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RiskDataLookupStat counts the lookups of a pull.
type RiskDataLookupStat struct {
	Packages int `json:"packages"` // distinct packages asked about
	Found    int `json:"found"`
	Unknown  int `json:"unknown"` // no source knows the package, or the lookup failed
}

const hintRiskData = "give a snapshot written by 'sovcheck data pull' (media type " + vocab.MediaTypeRiskData + ")"

// ReadRiskData reads a risk data snapshot.
func ReadRiskData(r io.Reader, name string, opts ...Option) (*RiskData, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxRiskDataBytes, "risk data "+quoteName(name), "keep the snapshot under the risk data limit: pull for fewer SBOMs at a time")
	if err != nil {
		return nil, err
	}
	return parseRiskData(data, name)
}

// LoadRiskData reads the risk data snapshot at path.
func LoadRiskData(path string, opts ...Option) (*RiskData, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxRiskDataBytes, "risk data "+quoteName(path), "keep the snapshot under the risk data limit: pull for fewer SBOMs at a time")
	if err != nil {
		return nil, err
	}
	return parseRiskData(data, path)
}

func parseRiskData(data []byte, name string) (*RiskData, error) {
	// The whole-snapshot decode is the fixed cost of labelling with one
	// (about 1.4 s for 100 MB with encoding/json, 0.35 s with JSON v2 on
	// one goroutine); decodeRiskData spreads the packages over the cores.
	rd, err := decodeRiskData(data)
	if err != nil {
		return nil, dataMalformed(err, hintRiskData, "decoding risk data %s", quoteName(name))
	}
	bad := func(format string, args ...any) error {
		return reason.New(reason.SBOMDataMalformed, hintRiskData, "validating risk data %s: %s", quoteName(name), fmt.Sprintf(format, args...))
	}
	if rd.MediaType != vocab.MediaTypeRiskData {
		return nil, reason.Mismatch(reason.SBOMDataMalformed, hintRiskData, "reading risk data "+quoteName(name)+": media type", rd.MediaType, vocab.MediaTypeRiskData)
	}
	t, err := time.Parse(time.RFC3339, rd.AsOf)
	if err != nil {
		return nil, bad("asOf: got %q, want an RFC 3339 time", rd.AsOf)
	}
	rd.asOf, rd.source = t, name
	ids := map[string]bool{}
	for i, s := range rd.Sources {
		if s.ID == "" || ids[s.ID] {
			return nil, bad("sources[%d]: id %q is empty or used twice", i, s.ID)
		}
		ids[s.ID] = true
	}
	rd.byKey = make(map[string]int, len(rd.Packages))
	for i := range rd.Packages {
		p := &rd.Packages[i]
		if !ids[p.Source] {
			return nil, bad("packages[%d] (%s): source %q is not among the sources", i, p.Key, p.Source)
		}
		for fact, id := range p.Evidence {
			if !ids[id] {
				return nil, bad("packages[%d] (%s): evidence of %s names source %q, not among the sources", i, p.Key, fact, id)
			}
		}
		if _, dup := rd.byKey[p.Key]; dup || p.Key == "" {
			return nil, bad("packages[%d]: key %q is empty or listed twice", i, p.Key)
		}
		if p.LatestRelease != "" {
			if p.lastRelease, err = time.Parse(time.DateOnly, p.LatestRelease); err != nil {
				return nil, bad("packages[%d].latestRelease: got %q, want YYYY-MM-DD", i, p.LatestRelease)
			}
		}
		rd.byKey[p.Key] = i
	}
	if err := rd.checkImported(ids); err != nil {
		return nil, bad("%s", err)
	}
	rd.byRepo = make(map[string]int, len(rd.Repositories))
	for i, r := range rd.Repositories {
		if k := RepositoryKey(r.Repository); k != "" {
			rd.byRepo[k] = i
		}
	}
	return rd, nil
}

// AsOfTime is when the snapshot was gathered; a policy's staleness rule
// judges it.
func (rd *RiskData) AsOfTime() time.Time { return rd.asOf }

// PackageKey is the key of a component's facts: its purl without version,
// qualifiers or subpath, percent-decoded, with the case of namespace and
// name kept (a Go module path is case-sensitive; purl libraries lower it);
// empty without a valid purl.
func PackageKey(purl string) string {
	if _, ok := parsePURL(purl); !ok {
		return ""
	}
	s := strings.TrimPrefix(purl, "pkg:")
	s, _, _ = strings.Cut(s, "#")
	s, _, _ = strings.Cut(s, "?")
	if slash := strings.LastIndex(s, "/"); slash >= 0 {
		if at := strings.Index(s[slash:], "@"); at >= 0 {
			s = s[:slash+at]
		}
	}
	typ, rest, ok := strings.Cut(strings.Trim(s, "/"), "/")
	if !ok {
		return ""
	}
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	return "pkg:" + strings.ToLower(typ) + "/" + rest
}

func (rd *RiskData) lookup(purl string) (*PackageFacts, int) { return rd.lookupKey(PackageKey(purl)) }

func (rd *RiskData) lookupKey(key string) (*PackageFacts, int) {
	if rd == nil {
		return nil, -1
	}
	if i, ok := rd.byKey[key]; ok {
		return &rd.Packages[i], i
	}
	return nil, -1
}

// riskDataStewardship labels a component from the snapshot when the trust
// registry does not know its upstream. It reports whether the snapshot
// decided the stewardship questions.
func (x *ruleCtx) riskDataStewardship() bool {
	rd := x.a.data.Risk
	p, i := x.riskFacts()
	if p == nil {
		return false
	}
	at := rd.source + "#/packages/" + strconv.Itoa(i)
	rec := func(f string) string { return at + "/" + f }
	x.r.Steward = &StewardInfo{Name: p.Steward, Record: at, Jurisdiction: p.Jurisdiction, LastRelease: p.LatestRelease}
	if p.Maintainers == nil {
		x.unknown("risk data gives no maintainers", vocab.LabelSingleMaintainer, vocab.LabelAnonymousMaintainer)
	} else {
		people, teams, anonymous := 0, 0, 0
		for _, m := range p.Maintainers {
			switch {
			case m.Team:
				teams++
			default:
				people++
				if strings.TrimSpace(m.Name) == "" {
					anonymous++
				}
			}
		}
		n := people + teams
		x.r.Steward.Maintainers = &n
		if teams == 0 && people <= 1 {
			x.fire(vocab.LabelSingleMaintainer, "stewardship/data-maintainers", "", rec("maintainers"),
				fmt.Sprintf("%d maintainer(s) with release rights, no team (%s)", people, p.Record))
		}
		if anonymous > 0 {
			x.fire(vocab.LabelAnonymousMaintainer, "stewardship/data-anonymous", "", rec("maintainers"),
				fmt.Sprintf("%d maintainer(s) known by an account or address only (%s)", anonymous, p.Record))
		}
	}
	if p.lastRelease.IsZero() {
		x.unknown("risk data gives no release date", vocab.LabelAbandoned)
	} else if age := int(x.a.now.Sub(p.lastRelease).Hours() / 24); age > x.a.cfg.AbandonedAfterDays {
		x.fire(vocab.LabelAbandoned, "stewardship/data-no-release", "", rec("latestRelease"),
			fmt.Sprintf("last release %s (%s), %d days before %s (limit %d days)", p.LatestVersion, p.LatestRelease, age, x.a.now.Format(time.DateOnly), x.a.cfg.AbandonedAfterDays))
	}
	x.unknown("risk data gives no certification", vocab.LabelUncertifiedSteward)
	return true
}

// riskDataLifecycle fires deprecated and retracted from the snapshot, or
// leaves them unassessed.
func (x *ruleCtx) riskDataLifecycle() {
	rd := x.a.data.Risk
	if rd == nil {
		x.unknown("no risk data given", vocab.LabelDeprecated, vocab.LabelRetracted)
		return
	}
	p, i := x.riskFacts()
	if p == nil {
		x.unknown("package not in the risk data", vocab.LabelDeprecated, vocab.LabelRetracted)
		return
	}
	rec := func(f string) string { return fmt.Sprintf("%s#/packages/%d/%s", rd.source, i, f) }
	if p.Deprecated != "" {
		x.fire(vocab.LabelDeprecated, "stewardship/deprecated", "", rec("deprecated"), "deprecated: "+p.Deprecated)
	}
	v := x.c.Version
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if slices.ContainsFunc(p.Retracted, func(r string) bool { return retractedCovers(r, v) }) {
		x.fire(vocab.LabelRetracted, "stewardship/retracted", fieldOf(x.g.Format, x.c, "purl"), rec("retracted"),
			fmt.Sprintf("version %s is retracted by its author (%s)", x.c.Version, strings.Join(p.Retracted, ", ")))
	}
}

// retractedCovers reports whether a go.mod retraction ("v1.0.1" or
// "[v1.0.0, v1.0.5]") covers version v.
func retractedCovers(r, v string) bool {
	if !semver.IsValid(v) {
		return false
	}
	if lo, hi, ok := strings.Cut(strings.Trim(r, "[]"), ","); ok {
		lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
		return semver.Compare(lo, v) <= 0 && semver.Compare(v, hi) <= 0
	}
	return semver.Compare(strings.TrimSpace(r), v) == 0
}

// RepositoryFacts are imported facts about a source repository, keyed by
// its URL (https://github.com/OWNER/REPO, lower case).
type RepositoryFacts struct {
	Repository  string            `json:"repository"`
	Scorecard   *ScorecardFacts   `json:"scorecard,omitempty"`
	Criticality *CriticalityFacts `json:"criticality,omitempty"`
}

// ScorecardFacts is one OpenSSF Scorecard result (JSON format v2).
type ScorecardFacts struct {
	Source string `json:"source"` // a RiskDataSource id
	Record string `json:"record"` // where in the source
	Date   string `json:"date"`
	// Score is the aggregate score, 0 to 10; -1 when Scorecard could not
	// compute it.
	Score  float64          `json:"score"`
	Commit string           `json:"commit,omitempty"`
	Checks []ScorecardCheck `json:"checks"`
}

// ScorecardCheck is one check's score, 0 to 10, or -1 (inconclusive).
type ScorecardCheck struct {
	Name  string `json:"name"`
	Score int    `json:"score"`
}

// CriticalityFacts is one OpenSSF criticality_score result.
type CriticalityFacts struct {
	Source string `json:"source"`
	Record string `json:"record"`
	// Score is default_score (criticality_score before v2), 0 to 1.
	Score float64 `json:"score"`
	// Signals are the other columns as given (legacy.contributor_count,
	// depsdev.dependent_count, ...).
	Signals map[string]string `json:"signals,omitempty"`
}

// ExploitedFact is one entry of CISA's Known Exploited Vulnerabilities
// catalogue.
type ExploitedFact struct {
	ID         string `json:"id"` // CVE-YYYY-NNNN
	Source     string `json:"source"`
	Record     string `json:"record"`
	Vendor     string `json:"vendor,omitempty"`
	Product    string `json:"product,omitempty"`
	DateAdded  string `json:"dateAdded"`
	DueDate    string `json:"dueDate,omitempty"`
	Ransomware string `json:"ransomware,omitempty"` // knownRansomwareCampaignUse
}

// AdvisoryFact is an OSV advisory affecting packages of the snapshot,
// without its version ranges (labelling reads those from the OSV data
// itself, --vulns).
type AdvisoryFact struct {
	ID       string   `json:"id"`
	Source   string   `json:"source"`
	Record   string   `json:"record"`
	Modified string   `json:"modified"`
	Aliases  []string `json:"aliases,omitempty"`
	// Packages are the package keys the advisory names.
	Packages  []string `json:"packages"`
	Withdrawn string   `json:"withdrawn,omitempty"`
}

// checkImported checks that every imported fact names a source of the
// snapshot, and that repositories and ids are listed once.
func (rd *RiskData) checkImported(ids map[string]bool) error {
	seen := map[string]bool{}
	for i, r := range rd.Repositories {
		if r.Repository == "" || seen[r.Repository] {
			return fmt.Errorf("repositories[%d]: repository %q is empty or listed twice", i, r.Repository)
		}
		seen[r.Repository] = true
		if r.Scorecard != nil && !ids[r.Scorecard.Source] {
			return fmt.Errorf("repositories[%d].scorecard: source %q is not among the sources", i, r.Scorecard.Source)
		}
		if r.Criticality != nil && !ids[r.Criticality.Source] {
			return fmt.Errorf("repositories[%d].criticality: source %q is not among the sources", i, r.Criticality.Source)
		}
	}
	for i, e := range rd.Exploited {
		if !ids[e.Source] {
			return fmt.Errorf("exploited[%d] (%s): source %q is not among the sources", i, e.ID, e.Source)
		}
	}
	for i, a := range rd.Advisories {
		if !ids[a.Source] {
			return fmt.Errorf("advisories[%d] (%s): source %q is not among the sources", i, a.ID, a.Source)
		}
	}
	return nil
}
