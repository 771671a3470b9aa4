package portfolio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

func TestMain(m *testing.M) {
	if helper := os.Getenv("SOVCHECK_PORTFOLIO_HELPER"); helper != "" {
		os.Exit(runHelper(helper))
	}
	url, stop, err := startPostgres()
	if err != nil {
		pgMissing = err.Error()
		fmt.Fprintf(os.Stderr, "portfolio tests: PostgreSQL tests skipped: %v\n", err)
	} else {
		pgURL = url
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// runHelper is a child process of the tests: it adds the files of one
// shard (SOVCHECK_HELPER_SHARD=I/N) of SOVCHECK_HELPER_DIR to
// SOVCHECK_HELPER_STORE, as 'sovcheck portfolio add --shard' does.
func runHelper(kind string) int {
	files, _, err := sbom.CollectInputs([]string{os.Getenv("SOVCHECK_HELPER_DIR")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	i, n := 0, 1
	if s := os.Getenv("SOVCHECK_HELPER_SHARD"); s != "" {
		a, b, _ := strings.Cut(s, "/")
		i, _ = strconv.Atoi(a)
		n, _ = strconv.Atoi(b)
	}
	st, err := Open(context.Background(), os.Getenv("SOVCHECK_HELPER_STORE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer st.Close()
	a, err := sbom.NewAssessor(sbom.WithClock(fixedDay("2026-11-15")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	in := Ingest{Assessor: a}
	if kind == "slow" {
		in.Workers = 1
	}
	if _, err := st.AddFiles(context.Background(), in, Shard(files, i, n)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

func fixedDay(d string) func() time.Time {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// comp is one component of a fixture SBOM.
type comp struct {
	ref, name, version, purl string
	deps                     []string
}

// cyclonedx renders a CycloneDX 1.5 JSON SBOM; rootDeps are the refs the
// product depends on directly.
func cyclonedx(name, version string, rootDeps []string, comps ...comp) []byte {
	var cs, deps []any
	for _, c := range comps {
		cs = append(cs, map[string]any{"bom-ref": c.ref, "type": "library", "name": c.name, "version": c.version, "purl": c.purl,
			"hashes": []any{map[string]any{"alg": "SHA-256", "content": strings.Repeat("ab", 32)}}})
		deps = append(deps, map[string]any{"ref": c.ref, "dependsOn": append([]string{}, c.deps...)})
	}
	deps = append(deps, map[string]any{"ref": "root", "dependsOn": rootDeps})
	doc := map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
		"metadata":   map[string]any{"component": map[string]any{"bom-ref": "root", "type": "application", "name": name, "version": version}},
		"components": cs, "dependencies": deps}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}

// writeFixtures lays out a small portfolio: xz in three ecosystems, one
// version in the XZ backdoor range, one that does not parse, and one file
// that is not an SBOM.
func writeFixtures(t testing.TB, dir string) {
	t.Helper()
	files := map[string][]byte{
		"debian/app.cdx.json": cyclonedx("shop", "1.0", []string{"curl"},
			comp{"curl", "libcurl4", "7.88.1-10", "pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64&upstream=curl", []string{"xz"}},
			comp{"xz", "liblzma5", "5.6.1-1", "pkg:deb/debian/liblzma5@5.6.1-1?arch=amd64&upstream=xz-utils", []string{"libc"}},
			comp{"libc", "libc6", "2.36-9", "pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc", nil}),
		"debian/old.cdx.json": cyclonedx("billing", "3.2", []string{"xz"},
			comp{"xz", "liblzma5", "5.4.1-0.2", "pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&upstream=xz-utils", nil}),
		"debian/odd.cdx.json": cyclonedx("kiosk", "0.9", []string{"xz"},
			comp{"xz", "liblzma5", "x:5.6.0", "pkg:deb/debian/liblzma5@x:5.6.0?arch=amd64&upstream=xz-utils", nil}),
		"alpine/bom.cdx.json": cyclonedx("edge", "2.0", []string{"xz"},
			comp{"xz", "xz-libs", "5.4.5-r0", "pkg:apk/alpine/xz-libs@5.4.5-r0?arch=x86_64&upstream=xz", nil}),
		"junk.json": []byte(`{"name": "not an sbom"}`),
	}
	writeFiles(t, dir, files)
}

// writeFiles writes each file under dir, making its directories.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func assessor(t testing.TB, day string) *sbom.Assessor {
	t.Helper()
	a, err := sbom.NewAssessor(sbom.WithClock(fixedDay(day)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func collect(t testing.TB, dir string) []string {
	t.Helper()
	files, _, err := sbom.CollectInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func open(t testing.TB, location string) *Store {
	t.Helper()
	st, err := Open(context.Background(), location, WithClock(fixedDay("2026-12-01")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openReading opens the store at location to be read (ForReading), closed
// when the test ends.
func openReading(t testing.TB, location string) *Store {
	t.Helper()
	st, err := Open(context.Background(), location, ForReading())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAddWhere(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		files := collect(t, dir)
		st := open(t, location)
		ctx := context.Background()
		sum, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, files)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Added != 4 || sum.Skipped != 0 || len(sum.Failures) != 1 || sum.Failures[0].Code != reason.SBOMFormatUnknown {
			t.Fatalf("first add: %+v", sum)
		}
		// Idempotent: the same SBOMs are skipped, the malformed one is
		// reported again.
		sum, err = st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, files)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Added != 0 || sum.Skipped != 4 || len(sum.Failures) != 1 {
			t.Fatalf("second add: %+v", sum)
		}
		stats, err := st.Stats(ctx)
		if err != nil || stats.Snapshots != 4 || stats.Products != 4 || stats.Components != 6 {
			t.Fatalf("stats %+v, %v", stats, err)
		}

		// Across ecosystems by upstream.
		r := where(t, st, "", "src:xz", "")
		if r.Products != 4 || len(r.Matches) != 4 {
			t.Fatalf("upstream src:xz: %d products, %+v", r.Products, r.Matches)
		}
		// By purl and the XZ backdoor range, with the path.
		r = where(t, st, "pkg:deb/debian/liblzma5", "", ">=5.6.0, <5.6.2")
		if len(r.Matches) != 1 || r.Matches[0].Product != "shop" || r.Matches[0].Version != "5.6.1-1" {
			t.Fatalf("liblzma5 in range: %+v", r.Matches)
		}
		if got, want := r.Matches[0].Path, []string{"shop@1.0", "libcurl4@7.88.1-10", "liblzma5@5.6.1-1"}; !slices.Equal(got, want) {
			t.Errorf("path %q, want %q", got, want)
		}
		if len(r.Undetermined) != 1 || r.Undetermined[0].Product != "kiosk" || r.Undetermined[0].Reason == "" {
			t.Errorf("undetermined %+v, want kiosk's unparsable version", r.Undetermined)
		}
		// Its failure twin: outside the range nothing from Debian 12.
		r = where(t, st, "pkg:deb/debian/liblzma5", "", ">=5.6.2")
		if len(r.Matches) != 0 {
			t.Errorf("liblzma5 >=5.6.2: %+v", r.Matches)
		}
		// A purl with a version is an exact version.
		r = where(t, st, "pkg:deb/debian/liblzma5@5.4.1-0.2", "", "")
		if len(r.Matches) != 1 || r.Matches[0].Product != "billing" {
			t.Errorf("exact version: %+v", r.Matches)
		}
		// By name, and no match.
		if r = where(t, st, "xz-libs", "", ""); len(r.Matches) != 1 || r.Matches[0].Product != "edge" {
			t.Errorf("by name: %+v", r.Matches)
		}
		if r = where(t, st, "openssl", "", ""); len(r.Matches) != 0 || r.Products != 0 {
			t.Errorf("absent: %+v", r.Matches)
		}
	})
}

func where(t *testing.T, st *Store, subject, upstream, versions string) *WhereResult {
	t.Helper()
	return whereIn(t, st, subject, upstream, versions, false)
}

// whereIn asks where, in the current portfolio or, with history, in every
// snapshot.
func whereIn(t *testing.T, st *Store, subject, upstream, versions string, history bool) *WhereResult {
	t.Helper()
	q, err := NewQuery(subject, upstream, versions, history)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Where(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQueryInvalid(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "", ""},
		{"pkg:", "", ""},
		{"pkg:deb/debian/liblzma5@5.6.1", "", ">=5"},
		{"liblzma5", "", "5.6.0"},
		{"liblzma5", "", ">=5.6.0,"},
		{"liblzma5", "", ">= 5.6.0 6"},
	} {
		if _, err := NewQuery(tc[0], tc[1], tc[2], false); reason.CodeOf(err, "") != reason.PortfolioQueryInvalid {
			t.Errorf("NewQuery(%q, %q, %q): %v, want %s", tc[0], tc[1], tc[2], err, reason.PortfolioQueryInvalid)
		}
	}
}

// The portfolio view from the store equals 'sbom labels --portfolio' on
// the same SBOMs.
func TestReportEqualsSBOMPortfolio(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		os.Remove(filepath.Join(dir, "junk.json"))
		// More snapshots than one chunk of the store's parallel read.
		writeMany(t, dir, 2*recordChunk+7)
		files := collect(t, dir)
		a := assessor(t, "2026-11-15")
		st := open(t, location)
		if _, err := st.AddFiles(context.Background(), Ingest{Assessor: a}, files); err != nil {
			t.Fatal(err)
		}
		got, err := st.Report(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		p := a.NewPortfolio()
		if err := p.AddFiles(context.Background(), files, nil); err != nil {
			t.Fatal(err)
		}
		want := p.Report(0)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("report from the store differs from sbom's portfolio:\n got %s\nwant %s", gj, wj)
		}
	})
}

func TestDiff(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		st := open(t, location)
		ctx := context.Background()
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-10-01")}, collect(t, dir)); err != nil {
			t.Fatal(err)
		}
		// November: shop drops xz; a new product arrives.
		next := t.TempDir()
		os.WriteFile(filepath.Join(next, "shop.cdx.json"), cyclonedx("shop", "1.1", []string{"curl"},
			comp{"curl", "libcurl4", "7.88.1-10", "pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64&upstream=curl", []string{"zstd"}},
			comp{"zstd", "libzstd1", "1.5.4-2", "pkg:deb/debian/libzstd1@1.5.4-2?arch=amd64&upstream=libzstd", nil}), 0o644)
		os.WriteFile(filepath.Join(next, "new.cdx.json"), cyclonedx("portal", "1.0", []string{"c"},
			comp{"c", "libc6", "2.36-9", "pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc", nil}), 0o644)
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-20")}, collect(t, next)); err != nil {
			t.Fatal(err)
		}
		d, err := st.Diff(ctx, "2026-11-01")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Entered) != 1 || d.Entered[0].Product != "portal" {
			t.Errorf("entered %+v", d.Entered)
		}
		if len(d.Changed) != 1 || d.Changed[0].Product != "shop" || d.Changed[0].FromVersion != "1.0" || d.Changed[0].ToVersion != "1.1" {
			t.Fatalf("changed %+v", d.Changed)
		}
		c := d.Changed[0]
		if !slices.Equal(c.UpstreamsEntered, []string{"src:zstd"}) || !slices.Equal(c.UpstreamsLeft, []string{"src:glibc", "src:xz"}) {
			t.Errorf("shop upstreams +%v -%v", c.UpstreamsEntered, c.UpstreamsLeft)
		}
		if !slices.Equal(d.UpstreamsEntered, []string{"src:zstd"}) || len(d.UpstreamsLeft) != 0 {
			t.Errorf("portfolio upstreams +%v -%v", d.UpstreamsEntered, d.UpstreamsLeft)
		}
		// The history keeps the old snapshot; the current view does not.
		q, _ := NewQuery("liblzma5", "", "", true)
		r, err := st.Where(ctx, q)
		if err != nil || len(r.Matches) != 3 {
			t.Errorf("history: %d matches, %v; want 3 (shop 1.0, billing, kiosk)", len(r.Matches), err)
		}
		if r := where(t, st, "liblzma5", "", ""); len(r.Matches) != 2 {
			t.Errorf("current: %d matches, want 2 (billing, kiosk)", len(r.Matches))
		}
		if _, err := st.Diff(ctx, "November"); reason.CodeOf(err, "") != reason.PortfolioQueryInvalid {
			t.Errorf("bad date: %v", err)
		}
	})
}

func TestForeignAndNewerStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello, not a database\n"), 0o644)
	if _, err := Open(ctx, text); reason.CodeOf(err, "") != reason.PortfolioStoreForeign {
		t.Errorf("text file: %v, want %s", err, reason.PortfolioStoreForeign)
	}
	if b, _ := os.ReadFile(text); string(b) != "hello, not a database\n" {
		t.Error("a foreign file was changed")
	}
	backends(t, func(t *testing.T, location string) {
		st := open(t, location)
		// Another application's tables.
		if _, err := st.db.Exec(`CREATE TABLE other (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.db.Exec(`DROP TABLE current`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.db.Exec(`UPDATE meta SET value = '99' WHERE key = 'schema'`); err != nil {
			t.Fatal(err)
		}
		st.Close()
		_, err := Open(ctx, location)
		if reason.CodeOf(err, "") != reason.PortfolioStoreTooNew || !strings.Contains(err.Error(), "schema version 99 is newer") {
			t.Fatalf("newer store: %v", err)
		}
		var re *reason.Error
		if errors.As(err, &re) && re.Hint == "" {
			t.Error("no hint")
		}
	})
	backends(t, func(t *testing.T, location string) {
		st := open(t, location)
		st.db.Exec(`DROP TABLE meta`)
		st.Close()
		if _, err := Open(ctx, location); reason.CodeOf(err, "") != reason.PortfolioStoreForeign {
			t.Errorf("store without meta: %v, want %s", err, reason.PortfolioStoreForeign)
		}
	})
	// A damaged SQLite file: the header is right, the rest is noise.
	broken := filepath.Join(dir, "broken.db")
	os.WriteFile(broken, append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xa5}, 8192)...), 0o644)
	if _, err := Open(ctx, broken); reason.CodeOf(err, "") != reason.PortfolioStoreForeign && reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt {
		t.Errorf("damaged file: %v", err)
	}
	if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); reason.CodeOf(err, "") != reason.PortfolioStoreUnavailable {
		t.Errorf("unreachable server: %v", err)
	}
}

// Two writers at once (two handles in one process, as two processes
// would be) lose nothing and store no SBOM twice.
func TestConcurrentWriters(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeMany(t, dir, 40)
		files := collect(t, dir)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := Open(ctx, location)
				if err != nil {
					errs[i] = err
					return
				}
				defer st.Close()
				_, errs[i] = st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, files)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		st := open(t, location)
		stats, err := st.Stats(ctx)
		if err != nil || stats.Snapshots != 40 || stats.Products != 40 || stats.Components != 40*3 {
			t.Fatalf("stats %+v, %v; want 40 snapshots of 3 components", stats, err)
		}
	})
}

// writeMany writes n distinct products sharing xz.
func writeMany(t testing.TB, dir string, n int) {
	t.Helper()
	for i := range n {
		v := fmt.Sprintf("5.%d.%d-1", 2+i%5, i%3)
		data := cyclonedx(fmt.Sprintf("product-%03d", i), "1.0", []string{"app"},
			comp{"app", fmt.Sprintf("lib%03d", i), "1.0.0", fmt.Sprintf("pkg:npm/lib%03d@1.0.0", i), []string{"xz"}},
			comp{"xz", "liblzma5", v, "pkg:deb/debian/liblzma5@" + v + "?upstream=xz-utils", []string{"c"}},
			comp{"c", "libc6", "2.36-9", "pkg:deb/debian/libc6@2.36-9?upstream=glibc", nil})
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%03d.cdx.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeOverlapping writes n products of 40 components; each run of 4
// consecutive products (one per shard of 4, added at the same moment)
// shares 40 new names and purls, listed in a different order by each: the
// shards insert the same new terms concurrently, in crossing orders.
func writeOverlapping(t testing.TB, dir string, n int) {
	t.Helper()
	for i := range n {
		var comps []comp
		var refs []string
		for k := range 40 {
			j := (k + 13*(i%4)) % 40
			if i%2 == 1 {
				j = 39 - j
			}
			ref := fmt.Sprintf("m%d", j)
			refs = append(refs, ref)
			name := fmt.Sprintf("mod%03d-%02d", i/4, j)
			comps = append(comps, comp{ref, name, "1.0.0", "pkg:npm/" + name + "@1.0.0", nil})
		}
		data := cyclonedx(fmt.Sprintf("overlap-%03d", i), "1.0", refs, comps...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("o%03d.cdx.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// helper starts this test binary as a child running runHelper.
func helper(t *testing.T, kind, store, dir, shard string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SOVCHECK_PORTFOLIO_HELPER="+kind, "SOVCHECK_HELPER_STORE="+store,
		"SOVCHECK_HELPER_DIR="+dir, "SOVCHECK_HELPER_SHARD="+shard)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if stderr.Len() > 0 {
			t.Logf("helper %s: %s", shard, stderr.String())
		}
	})
	return cmd
}

// n processes, one shard each, against one store store what one process
// stores: the same where answers and the same report.
func TestShardedProcesses(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeMany(t, dir, 60)
		writeOverlapping(t, dir, 60)
		const n = 4
		var cmds []*exec.Cmd
		for i := range n {
			cmd := helper(t, "shard", location, dir, fmt.Sprintf("%d/%d", i, n))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("shard worker: %v", err)
			}
		}
		single := filepath.Join(t.TempDir(), "single.db")
		if err := helper(t, "shard", single, dir, "0/1").Run(); err != nil {
			t.Fatal(err)
		}
		sharded, one := open(t, location), open(t, single)
		ctx := context.Background()
		q, _ := NewQuery("", "src:xz", ">=5.4.0", false)
		a, err := sharded.Where(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := one.Where(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Matches) == 0 || !sameJSON(a, b) {
			t.Errorf("where differs: sharded %d matches, single %d", len(a.Matches), len(b.Matches))
		}
		ra, err := sharded.Report(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := one.Report(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Products tie on grade and risk and are then ordered by source, so
		// the reports match whatever order the shards wrote in.
		if !sameJSON(ra, rb) {
			t.Error("report differs between sharded and single-process ingestion")
		}
		if s, _ := sharded.Stats(ctx); s.Snapshots != 120 {
			t.Errorf("sharded store holds %d snapshots, want 120", s.Snapshots)
		}
	})
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// A writer killed mid-ingest leaves whole SBOMs only, and the next add
// resumes with the rest.
func TestCrashResume(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeMany(t, dir, 300)
		cmd := helper(t, "slow", location, dir, "0/1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("no snapshot stored within two minutes")
			}
			st, err := Open(ctx, location)
			if err == nil {
				s, _ := st.Stats(ctx)
				st.Close()
				if s.Snapshots > 0 {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		st := open(t, location)
		before, err := st.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before.Components != before.Snapshots*3 {
			t.Fatalf("after the crash: %d snapshots, %d components; want 3 per snapshot", before.Snapshots, before.Components)
		}
		t.Logf("killed after %d of 300 SBOMs", before.Snapshots)
		sum, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		if sum.Added+sum.Skipped != 300 || sum.Skipped != before.Snapshots {
			t.Errorf("resume: %+v after %d stored", sum, before.Snapshots)
		}
		after, _ := st.Stats(ctx)
		if after.Snapshots != 300 || after.Components != 900 {
			t.Errorf("after resume %+v", after)
		}
	})
}

// A store path holding URI characters stays that path (a '#' once cut
// the path short and opened another file).
func TestStorePathEscaping(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a#b.db", "c?d.db", "e%20f.db"} {
		st := open(t, filepath.Join(dir, name))
		st.Close()
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, stray := range []string{"a", "c", "e f.db"} {
		if _, err := os.Stat(filepath.Join(dir, stray)); err == nil {
			t.Errorf("a store was opened at %q", stray)
		}
	}
}
