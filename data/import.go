package data

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// Kinds of files 'sovcheck data import' reads, each in its publisher's
// format.
const (
	// ImportScorecard: OpenSSF Scorecard results, JSON format v2 (one
	// result, a list of them, or one per line as the weekly export).
	ImportScorecard = "scorecard"
	// ImportCriticality: OpenSSF criticality_score output, CSV or JSON
	// (v2 columns repo.url and default_score, or the earlier url and
	// criticality_score).
	ImportCriticality = "criticality"
	// ImportKEV: CISA's Known Exploited Vulnerabilities catalogue, JSON.
	ImportKEV = "kev"
	// ImportOSV: a zip of OSV advisories (osv.dev's all.zip).
	ImportOSV = "osv"
)

// Named limits of the importers.
const (
	// MaxImportFileBytes is the largest Scorecard, criticality or OSV zip
	// file read (the full criticality export is some hundreds of MiB).
	MaxImportFileBytes = 4 << 30
	// MaxKEVBytes is the largest KEV catalogue read (the real one is
	// some 1.5 MiB).
	MaxKEVBytes = 64 << 20
	// MaxImportRecords is the most results, rows, entries or advisories
	// one file may hold.
	MaxImportRecords = 5_000_000
	// MaxImportRecordBytes is the largest single record: a Scorecard
	// result, a CSV row, a JSON line, an OSV advisory.
	MaxImportRecordBytes = 8 << 20
	// MaxOSVTotalBytes bounds the uncompressed size of an OSV zip.
	MaxOSVTotalBytes = 16 << 30
	// maxScorecardChecks is the most checks one Scorecard result lists.
	maxScorecardChecks = 100
	// maxCriticalityColumns is the most columns a criticality row has.
	maxCriticalityColumns = 200
)

// ImportStat says what one import read and kept.
type ImportStat struct {
	Kind    string
	File    string
	Records int // results, rows, entries or advisories read
	Stored  int // facts added to the snapshot
}

// imported is what one importer read from a file.
type imported struct {
	asOf         time.Time
	records      int
	repositories []sbom.RepositoryFacts
	exploited    []sbom.ExploitedFact
	advisories   []sbom.AdvisoryFact
}

// Import reads the file at path, of the given kind, into rd: each fact
// names the file as its source (name, sha256, the date the file states),
// and replaces what an earlier import said about the same repository,
// vulnerability or advisory. Anything malformed or over a limit fails the
// whole import; rd is then unchanged.
func Import(rd *sbom.RiskData, kind, path string, opts ...Option) (ImportStat, error) {
	o, err := newOptions(opts)
	if err != nil {
		return ImportStat{}, err
	}
	st := ImportStat{Kind: kind, File: path}
	f, err := os.Open(path)
	if err != nil {
		return st, reason.Wrap(err, reason.InputUnreadable, "check the path of the file to import", "opening %s file %s", kind, path)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return st, reason.Wrap(err, reason.InputUnreadable, "check the path of the file to import", "opening %s file %s", kind, path)
	}
	limit := int64(MaxImportFileBytes)
	if kind == ImportKEV {
		limit = MaxKEVBytes
	}
	if fi.Size() > limit {
		return st, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("reading %s file %s: too large", kind, path),
			Got: fmt.Sprintf("%d bytes", fi.Size()), Want: fmt.Sprintf("at most %d bytes", limit), Hint: "check that the right file was given"}
	}
	h := sha256.New()
	var in *imported
	switch kind {
	case ImportScorecard:
		in, err = parseScorecard(io.TeeReader(f, h))
	case ImportCriticality:
		in, err = parseCriticality(io.TeeReader(f, h))
	case ImportKEV:
		var b []byte
		if b, err = readBounded(io.TeeReader(f, h), limit, path); err == nil {
			in, err = parseKEVCatalogue(b)
		}
	case ImportOSV:
		if _, err = io.Copy(h, f); err == nil {
			in, err = readOSVZip(f, fi.Size(), advisoryFilter(rd))
		}
	default:
		return st, reason.New(reason.InputMalformed, "import one of: scorecard, criticality, kev, osv", "unknown import kind %q", kind)
	}
	if err != nil {
		re := reason.As(err, reason.RiskDataMalformed, "")
		re.Msg = fmt.Sprintf("importing %s file %s: %s", kind, path, re.Msg)
		if re.Hint == "" {
			re.Hint = importHints[kind]
		}
		return st, re
	}
	_, _ = io.Copy(h, f) // hash what the parser did not need to read
	sum := hex.EncodeToString(h.Sum(nil))
	src := sbom.RiskDataSource{ID: "file:" + filepath.Base(path) + "@sha256:" + sum, Kind: kind, URL: "file:" + path,
		FetchedAt: o.now().UTC().Format(time.RFC3339), SHA256: sum, Bytes: fi.Size()}
	if !in.asOf.IsZero() {
		src.AsOf = in.asOf.UTC().Format(time.RFC3339)
	}
	st.Records = in.records
	st.Stored = merge(rd, src, in)
	return st, nil
}

var importHints = map[string]string{
	ImportScorecard:   "give Scorecard results in its JSON format v2 (scorecard --format json)",
	ImportCriticality: "give criticality_score output as CSV or JSON, with repo.url and default_score",
	ImportKEV:         "give CISA's known_exploited_vulnerabilities.json",
	ImportOSV:         "give a zip of OSV advisories, such as osv.dev's all.zip",
}

// merge adds what was imported, naming src, replacing facts of the same
// key, and keeps every list sorted.
func merge(rd *sbom.RiskData, src sbom.RiskDataSource, in *imported) int {
	for i := range in.repositories {
		r := &in.repositories[i]
		if r.Scorecard != nil {
			r.Scorecard.Source = src.ID
		}
		if r.Criticality != nil {
			r.Criticality.Source = src.ID
		}
	}
	for i := range in.exploited {
		in.exploited[i].Source = src.ID
	}
	for i := range in.advisories {
		in.advisories[i].Source = src.ID
	}
	if i := slices.IndexFunc(rd.Sources, func(s sbom.RiskDataSource) bool { return s.ID == src.ID }); i >= 0 {
		rd.Sources[i] = src
	} else {
		rd.Sources = append(rd.Sources, src)
	}
	slices.SortFunc(rd.Sources, func(a, b sbom.RiskDataSource) int { return cmp.Compare(a.ID, b.ID) })

	repos := map[string]int{}
	for i, r := range rd.Repositories {
		repos[r.Repository] = i
	}
	for _, r := range in.repositories {
		i, ok := repos[r.Repository]
		if !ok {
			repos[r.Repository] = len(rd.Repositories)
			rd.Repositories = append(rd.Repositories, r)
			continue
		}
		if r.Scorecard != nil {
			rd.Repositories[i].Scorecard = r.Scorecard
		}
		if r.Criticality != nil {
			rd.Repositories[i].Criticality = r.Criticality
		}
	}
	slices.SortFunc(rd.Repositories, func(a, b sbom.RepositoryFacts) int { return cmp.Compare(a.Repository, b.Repository) })
	rd.Exploited = replaceByID(rd.Exploited, in.exploited, func(e sbom.ExploitedFact) string { return e.ID })
	rd.Advisories = replaceByID(rd.Advisories, in.advisories, func(a sbom.AdvisoryFact) string { return a.ID })
	return len(in.repositories) + len(in.exploited) + len(in.advisories)
}

// replaceByID returns old with every entry of add, an entry of add
// replacing the one of old with its id, sorted by id.
func replaceByID[T any](old, add []T, id func(T) string) []T {
	byID := make(map[string]T, len(old)+len(add))
	for _, x := range old {
		byID[id(x)] = x
	}
	for _, x := range add {
		byID[id(x)] = x
	}
	out := make([]T, 0, len(byID))
	for _, x := range byID {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	return out
}

// normRepository makes a repository URL a key: https://host/path, lower
// case, without .git or a trailing slash ("github.com/ossf/scorecard",
// "https://github.com/OSSF/scorecard.git", "ossf/scorecard" ->
// https://github.com/ossf/scorecard); "" when s names no repository.
func normRepository(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	parts := strings.Split(s, "/")
	if len(parts) < 2 || slices.Contains(parts, "") {
		return ""
	}
	if len(parts) == 2 && !strings.Contains(parts[0], ".") {
		s = "github.com/" + s // OWNER/REPO, Scorecard's default host
	}
	return "https://" + strings.ToLower(s)
}

// firstByte returns the first byte that is not white space or a UTF-8
// byte order mark, without consuming it; 0 at the end.
func firstByte(r *bufio.Reader) byte {
	if b, _ := r.Peek(3); bytes.Equal(b, []byte{0xef, 0xbb, 0xbf}) {
		r.Discard(3)
	}
	for {
		b, err := r.Peek(1)
		if err != nil {
			return 0
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			r.Discard(1)
		default:
			return b[0]
		}
	}
}

func tooMany(what string, limit int) error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: "too many " + what,
		Got: fmt.Sprintf("more than %d", limit), Want: fmt.Sprintf("at most %d", limit), Hint: "split the file, or check that the right file was given"}
}
