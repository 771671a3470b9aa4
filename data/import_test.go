package data

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// scorecardResults is Scorecard's JSON format v2: a run of scorecard
// --format json, one result per line as the weekly export writes them.
const scorecardResults = `{"date":"2026-11-30T10:24:43Z","repo":{"name":"github.com/tukaani-project/xz","commit":"aaaa"},"scorecard":{"version":"v5.0.0","commit":"bbbb"},"score":4.3,"checks":[{"details":null,"score":0,"reason":"0 commit(s) and 0 issue activity found in the last 90 days -- score normalized to 0","name":"Maintained","documentation":{"short":"d","url":"https://github.com/ossf/scorecard/blob/main/docs/checks.md#maintained"}},{"details":null,"score":-1,"reason":"internal error","name":"Branch-Protection","documentation":{"short":"d","url":"u"}}],"metadata":null}
{"date":"2021-10-19","repo":{"name":"golang/mod","commit":"cccc"},"scorecard":{"version":"v3.0.0","commit":"dddd"},"score":9,"checks":[{"details":null,"score":10,"reason":"r","name":"Maintained","documentation":{"short":"d","url":"u"}}],"metadata":null}
`

const criticalityCSV = `repo.url,repo.language,repo.license,repo.star_count,repo.created_at,repo.updated_at,legacy.created_since,legacy.updated_since,legacy.contributor_count,legacy.org_count,legacy.commit_frequency,legacy.recent_release_count,legacy.updated_issues_count,legacy.closed_issues_count,legacy.issue_comment_frequency,legacy.github_mention_count,depsdev.dependent_count,default_score,collection_date
https://github.com/tukaani-project/xz,C,Other,500,2021-12-13T00:00:00Z,2026-11-01T00:00:00Z,60,0,40,5,3.2,4,20,18,1.5,900,250000,0.78123,2026-11-28T02:47:06Z
https://github.com/golang/mod,Go,BSD 3-Clause,400,2018-06-01T00:00:00Z,2026-11-20T00:00:00Z,100,0,120,8,2.1,12,40,35,2.0,300,,0.61,2026-11-28T02:47:06Z
`

const kevFeed = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.12.01","dateReleased":"2026-12-01T17:00:51.3024Z","count":2,
"vulnerabilities":[{"cveID":"CVE-2024-3094","vendorProject":"XZ Utils","product":"XZ Utils","vulnerabilityName":"XZ Utils Embedded Malicious Code","dateAdded":"2024-04-01","shortDescription":"s","requiredAction":"a","dueDate":"2024-04-22","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":["CWE-506"]},
{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"Log4Shell","dateAdded":"2021-12-10","shortDescription":"s","requiredAction":"a","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-20"]}]}`

func osvZip(t testing.TB, advisories map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, doc := range advisories {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(doc))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var osvAdvisories = map[string]string{
	"GO-2024-0001.json":   `{"schema_version":"1.6.0","id":"GO-2024-0001","modified":"2026-11-02T00:00:00Z","aliases":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/mod"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.1.0"}]}]}]}`,
	"DSA-5000-1.json":     `{"id":"DSA-5000-1","modified":"2026-11-03T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"xz-utils"}}]}`,
	"GHSA-xxxx-yyyy.json": `{"id":"GHSA-xxxx-yyyy","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Thing"}}]}`,
	"README.md":           `not an advisory`,
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func emptySnapshot() *sbom.RiskData {
	return &sbom.RiskData{MediaType: vocab.MediaTypeRiskData, AsOf: "2026-12-01T00:00:00Z", Sources: []sbom.RiskDataSource{}, Packages: []sbom.PackageFacts{}}
}

func TestImport(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return now })
	rd := emptySnapshot()
	rd.Sources = append(rd.Sources, sbom.RiskDataSource{ID: "idx", Kind: "debian-index", URL: "file:Packages", FetchedAt: "2026-12-01T00:00:00Z", SHA256: strings.Repeat("0", 64)})
	rd.Packages = append(rd.Packages,
		sbom.PackageFacts{Key: "pkg:deb/debian/liblzma5", Source: "idx", Record: "r", SourcePackage: "xz-utils"},
		sbom.PackageFacts{Key: "pkg:golang/golang.org/x/mod", Source: "idx", Record: "r"})

	for _, c := range []struct {
		kind, name string
		body       []byte
		records    int
		stored     int
		asOf       string
	}{
		{ImportScorecard, "results.json", []byte(scorecardResults), 2, 2, "2026-11-30T10:24:43Z"},
		{ImportCriticality, "scores.csv", []byte(criticalityCSV), 2, 2, "2026-11-28T02:47:06Z"},
		{ImportKEV, "known_exploited_vulnerabilities.json", []byte(kevFeed), 2, 2, "2026-12-01T17:00:51Z"},
		{ImportOSV, "all.zip", osvZip(t, osvAdvisories), 3, 2, "2026-11-03T00:00:00Z"},
	} {
		st, err := Import(rd, c.kind, writeFile(t, c.name, c.body), clock)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if st.Records != c.records || st.Stored != c.stored {
			t.Errorf("%s: %+v, want %d records, %d stored", c.kind, st, c.records, c.stored)
		}
		src := rd.Sources[len(rd.Sources)-1]
		for _, s := range rd.Sources {
			if s.Kind == c.kind {
				src = s
			}
		}
		if src.AsOf != c.asOf || !strings.HasPrefix(src.ID, "file:"+c.name+"@sha256:") || src.FetchedAt != "2026-12-04T00:00:00Z" || src.Bytes != int64(len(c.body)) {
			t.Errorf("%s: source %+v", c.kind, src)
		}
	}
	if len(rd.Repositories) != 2 || rd.Repositories[0].Repository != "https://github.com/golang/mod" {
		t.Fatalf("repositories %+v", rd.Repositories)
	}
	xz := rd.Repositories[1]
	if xz.Scorecard == nil || xz.Scorecard.Checks[0] != (sbom.ScorecardCheck{Name: "Maintained", Score: 0}) || xz.Scorecard.Checks[1].Score != -1 ||
		xz.Criticality == nil || xz.Criticality.Score != 0.78123 || xz.Criticality.Signals["depsdev.dependent_count"] != "250000" || xz.Criticality.Record != "#line=2" {
		t.Errorf("xz: %+v %+v", xz.Scorecard, xz.Criticality)
	}
	if rd.Repositories[0].Scorecard.Date != "2021-10-19T00:00:00Z" {
		t.Errorf("date-only Scorecard date: %+v", rd.Repositories[0].Scorecard)
	}
	if len(rd.Exploited) != 2 || rd.Exploited[0].ID != "CVE-2021-44228" || rd.Exploited[1].Ransomware != "Unknown" {
		t.Errorf("exploited %+v", rd.Exploited)
	}
	// Only advisories naming the snapshot's packages are kept; a Debian
	// advisory names the source package, and reaches its binaries.
	if len(rd.Advisories) != 2 || rd.Advisories[0].ID != "DSA-5000-1" || rd.Advisories[0].Packages[0] != "pkg:deb/debian/liblzma5" ||
		rd.Advisories[1].Packages[0] != "pkg:golang/golang.org/x/mod" {
		t.Errorf("advisories %+v", rd.Advisories)
	}

	// The snapshot reads back, every imported fact's source among its
	// sources; a fact naming a source that is not there is refused.
	b, _ := json.Marshal(rd)
	if _, err := sbom.ReadRiskData(bytes.NewReader(b), "snap.json"); err != nil {
		t.Fatalf("snapshot does not read back: %v", err)
	}
	rd.Exploited[0].Source = "nowhere"
	b, _ = json.Marshal(rd)
	if _, err := sbom.ReadRiskData(bytes.NewReader(b), "snap.json"); err == nil || !strings.Contains(err.Error(), `exploited[0] (CVE-2021-44228): source "nowhere" is not among the sources`) {
		t.Errorf("dangling source: %v", err)
	}

	// The same file again changes nothing; a newer result replaces the
	// older one of the same repository.
	rd.Exploited[0].Source = rd.Exploited[1].Source
	n := len(rd.Sources)
	if _, err := Import(rd, ImportKEV, writeFile(t, "known_exploited_vulnerabilities.json", []byte(kevFeed)), clock); err != nil || len(rd.Sources) != n || len(rd.Exploited) != 2 {
		t.Errorf("reimport: %v, %d sources, %d exploited", err, len(rd.Sources), len(rd.Exploited))
	}
	newer := strings.Replace(strings.SplitN(scorecardResults, "\n", 2)[0], `"score":4.3`, `"score":6.1`, 1)
	if _, err := Import(rd, ImportScorecard, writeFile(t, "newer.json", []byte(newer)), clock); err != nil || rd.Repositories[1].Scorecard.Score != 6.1 || len(rd.Repositories) != 2 {
		t.Errorf("newer result: %v %+v", err, rd.Repositories[1].Scorecard)
	}
}

// An empty snapshot keeps every advisory whose ecosystem has a purl type.
func TestImportOSVAll(t *testing.T) {
	rd := emptySnapshot()
	st, err := Import(rd, ImportOSV, writeFile(t, "all.zip", osvZip(t, osvAdvisories)))
	if err != nil || st.Stored != 3 || rd.Advisories[2].Packages[0] != "pkg:golang/golang.org/x/mod" || rd.Advisories[1].Packages[0] != "pkg:pypi/some-thing" {
		t.Errorf("%+v %v %+v", st, err, rd.Advisories)
	}
}

// The failure twins: each malformed file fails the import with its code
// and leaves the snapshot unchanged.
func TestImportMalformed(t *testing.T) {
	for _, c := range []struct {
		kind, body, want string
	}{
		{ImportScorecard, `{"date":"yesterday","repo":{"name":"github.com/a/b"},"score":5,"checks":[]}`, "date: got \"yesterday\""},
		{ImportScorecard, `{"date":"2026-01-01","repo":{"name":"github.com/a/b"},"score":11,"checks":[]}`, "score: missing or outside -1..10"},
		{ImportScorecard, `{"date":"2026-01-01","repo":{"name":"github.com/a/b"},"score":5,"checks":[{"name":"Maintained"}]}`, "checks[0] (Maintained): name or score missing"},
		{ImportScorecard, `{"date":"2026-01-01","repo":{"name":""},"score":5,"checks":[]}`, "repo.name: got \"\""},
		{ImportScorecard, `[]`, "no Scorecard result"},
		{ImportScorecard, `{"date":`, "decoding result 0"},
		{ImportCriticality, "repo.url,default_score\nhttps://github.com/a/b,high\n", `default_score: got "high"`},
		{ImportCriticality, "repo.url,default_score\n,0.5\n", "#line=2: repo.url: got \"\""},
		{ImportCriticality, "repo.url,default_score\nhttps://github.com/a/b\n", "wrong number of fields"},
		{ImportCriticality, "repo.url,default_score\n", "no criticality result"},
		{ImportCriticality, `{"repo":{"url":"https://github.com/a/b"}}`, `default_score: got ""`},
		{ImportKEV, `{"vulnerabilities":[{"cveID":"CVE-24-1","dateAdded":"2024-01-01"}]}`, "vulnerabilities[0].cveID"},
		{ImportKEV, `{"vulnerabilities":[{"cveID":"CVE-2024-1234","dateAdded":"01/01/2024"}]}`, "vulnerabilities[0].dateAdded (CVE-2024-1234)"},
		{ImportKEV, `{"count":3,"vulnerabilities":[]}`, "the catalogue's count"},
		{ImportKEV, `{"title":"x"}`, `no "vulnerabilities" list`},
		{ImportOSV, "not a zip", "opening the zip"},
	} {
		rd := emptySnapshot()
		_, err := Import(rd, c.kind, writeFile(t, "in", []byte(c.body)))
		if err == nil || reason.CodeOf(err, "") != reason.RiskDataMalformed || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "importing "+c.kind+" file ") {
			t.Errorf("%s %q: got %v, want %q", c.kind, c.body, err, c.want)
		}
		if re := reason.As(err, "", ""); re.Hint != importHints[c.kind] {
			t.Errorf("%s: hint %q", c.kind, re.Hint)
		}
		if len(rd.Sources) != 0 || len(rd.Repositories)+len(rd.Exploited)+len(rd.Advisories) != 0 {
			t.Errorf("%s: snapshot changed: %+v", c.kind, rd)
		}
	}
	bad := osvZip(t, map[string]string{"x.json": `{"id":"X-1","modified":"never"}`})
	if _, err := Import(emptySnapshot(), ImportOSV, writeFile(t, "all.zip", bad)); err == nil || !strings.Contains(err.Error(), "advisory X-1 modified") {
		t.Errorf("bad advisory: %v", err)
	}
	if _, err := Import(emptySnapshot(), "sbom", writeFile(t, "x", nil)); reason.CodeOf(err, "") != reason.InputMalformed {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := Import(emptySnapshot(), ImportKEV, filepath.Join(t.TempDir(), "missing.json")); reason.CodeOf(err, "") != reason.InputUnreadable {
		t.Errorf("missing file: %v", err)
	}
}

func TestNormRepository(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/ossf/scorecard":              "https://github.com/ossf/scorecard",
		"https://github.com/OSSF/Scorecard.git/": "https://github.com/ossf/scorecard",
		"ossf/scorecard":                         "https://github.com/ossf/scorecard",
		"git://gitlab.com/a/b/c":                 "https://gitlab.com/a/b/c",
		"scorecard":                              "",
		"https://github.com//x":                  "",
	} {
		if got := normRepository(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// fuzzImport checks an importer: no panic, and an error means no facts.
func fuzzImport(t *testing.T, parse func([]byte) (*imported, error), b []byte) {
	in, err := parse(b)
	if (err == nil) == (in == nil) {
		t.Fatalf("imported %v with error %v", in, err)
	}
}

func FuzzImportScorecard(f *testing.F) {
	for _, s := range strings.Split(scorecardResults, "\n") {
		f.Add([]byte(s))
	}
	f.Add([]byte("[" + strings.Replace(strings.TrimSpace(scorecardResults), "\n", ",", 1) + "]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, func(b []byte) (*imported, error) { return parseScorecard(bytes.NewReader(b)) }, b)
	})
}

func FuzzImportCriticality(f *testing.F) {
	f.Add([]byte(criticalityCSV))
	f.Add([]byte(`{"repo":{"url":"https://github.com/a/b"},"default_score":0.5,"legacy":{"contributor_count":3}}`))
	f.Add([]byte("name,url,criticality_score\nb,https://github.com/a/b,0.3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, func(b []byte) (*imported, error) { return parseCriticality(bytes.NewReader(b)) }, b)
	})
}

func FuzzImportKEV(f *testing.F) {
	f.Add([]byte(kevFeed))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzImport(t, parseKEVCatalogue, b) })
}

func FuzzImportOSV(f *testing.F) {
	f.Add(osvZip(f, osvAdvisories))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, func(b []byte) (*imported, error) { return readOSVZip(bytes.NewReader(b), int64(len(b)), nil) }, b)
	})
}

func TestCriticalityLineLimit(t *testing.T) {
	l := &lineLimiter{r: strings.NewReader("a,b\n" + strings.Repeat("x", 100)), limit: 10}
	_, err := io.ReadAll(l)
	if reason.CodeOf(err, "") != reason.InputTooLarge {
		t.Errorf("over-long line: %v", err)
	}
	in, err := parseCriticality(&lineLimiter{r: strings.NewReader(criticalityCSV), limit: 1 << 20})
	if err != nil || in.records != 2 {
		t.Errorf("lines within the limit: %v", err)
	}
}
