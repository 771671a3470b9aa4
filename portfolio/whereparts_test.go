package portfolio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// partsStore is a store of n products (writeMany), so n/256 + 1 segments.
func partsStore(t *testing.T, n int) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	writeMany(t, dir, n)
	location := filepath.Join(t.TempDir(), "store.db")
	st := open(t, location)
	if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
		t.Fatal(err)
	}
	return st, location
}

// A question read in parts, on several connections, answers as the same
// question read as one part.
func TestWhereInParts(t *testing.T) {
	st, _ := partsStore(t, 600)
	questions := [][3]string{{"", "src:xz", ""}, {"pkg:deb/debian/liblzma5", "", ">=5.3.0"}, {"libc6", "", ""}, {"pkg:npm/lib450", "", ""}}
	var whole []*WhereResult
	st.whereParts = 1
	for _, q := range questions {
		whole = append(whole, where(t, st, q[0], q[1], q[2]))
	}
	if len(whole[0].Matches) != 600 || whole[0].Products != 600 {
		t.Fatalf("src:xz in one part: %d matches in %d products, want 600 in 600", len(whole[0].Matches), whole[0].Products)
	}
	for _, parts := range []int{2, 3, 4} {
		st.whereParts = parts
		for i, q := range questions {
			if got := where(t, st, q[0], q[1], q[2]); !reflect.DeepEqual(got, whole[i]) {
				t.Errorf("%v in %d parts differs from one part:\n%+v\nwant\n%+v", q, parts, got, whole[i])
			}
		}
	}
}

// An add that commits between the parts' reads would give an answer from
// two states of the store: a product whose current snapshot moved from the
// first part's segments to the last one's would be listed twice. The parts
// see different last snapshots, so the question is read again as one part.
func TestWherePartsSeeOneStore(t *testing.T) {
	st, _ := partsStore(t, 600)
	next := t.TempDir()
	if err := os.WriteFile(filepath.Join(next, "p000.cdx.json"), cyclonedx("product-000", "1.1", []string{"xz"},
		comp{"xz", "liblzma5", "5.6.2-1", "pkg:deb/debian/liblzma5@5.6.2-1?upstream=xz-utils", nil}), 0o644); err != nil {
		t.Fatal(err)
	}
	added := false
	st.whereParts = 2
	st.partsInTurn = func(part int, err error) error {
		if part == 0 && !added {
			added = true
			if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(t, "2026-11-20")}, collect(t, next)); err != nil {
				t.Fatal(err)
			}
		}
		return err
	}
	got := where(t, st, "", "src:xz", "")
	if !added {
		t.Fatal("the add between the parts did not run")
	}
	var versions []string
	for _, m := range got.Matches {
		if m.Product == "product-000" {
			versions = append(versions, m.ProductVersion)
		}
	}
	if got.Products != 600 || len(got.Matches) != 600 || !reflect.DeepEqual(versions, []string{"1.1"}) {
		t.Errorf("after an add between the parts: %d products, %d matches, product-000 at %v; want 600, 600, [1.1]",
			got.Products, len(got.Matches), versions)
	}
	st.partsInTurn = nil
	if again := where(t, st, "", "src:xz", ""); !reflect.DeepEqual(again, got) {
		t.Errorf("asked again after the add, the answer differs")
	}
}

// WriteJSON writes the bytes sbom.WriteJSON writes, whatever the answer
// holds: several pieces of matches, undetermined versions, hosted
// services, characters that JSON escapes, and nothing at all.
func TestWhereJSONSameBytes(t *testing.T) {
	st, _ := partsStore(t, 600)
	results := []*WhereResult{
		where(t, st, "", "src:xz", ""),                         // 600 matches: one piece
		where(t, st, "", "src:glibc", ""),                      // libc6, in every product
		where(t, st, "pkg:deb/debian/liblzma5", "", ">=5.4.0"), // a range
		where(t, st, "", "src:nothing-holds-this", ""),
	}
	many := &WhereResult{MediaType: results[0].MediaType, Query: results[0].Query}
	for range 4 {
		many.Matches = append(many.Matches, results[0].Matches...) // 2,400 matches: three pieces
	}
	odd := *results[0].Matches[0]
	odd.Product, odd.Component, odd.Version = "a\u2028b<c>&\"d\\", "\xffname\x00", ""
	odd.Path, odd.Reason = []string{"x\ty", "\u00e9"}, "not a version: \u2029"
	results = append(results, many, &WhereResult{MediaType: many.MediaType, Matches: []*Match{&odd}, Undetermined: []*Match{&odd, &odd}},
		&WhereResult{MediaType: many.MediaType}, &WhereResult{MediaType: many.MediaType, Matches: []*Match{},
			Services: []ServiceMatch{{Product: "p", AsOf: "2026-12-01"}}})
	for i, r := range results {
		var want, got bytes.Buffer
		if err := sbom.WriteJSON(&want, (*plainResult)(r)); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("answer %d (%d matches): WriteJSON differs from sbom.WriteJSON:\n%.600s\nwant\n%.600s", i, len(r.Matches), got.String(), want.String())
		}
	}
}

// plainResult is WhereResult without its methods: the JSON library
// encodes it field by field, the reference WriteJSON is held to.
type plainResult WhereResult

// WriteJSON writes the fields of WhereResult and Match it knows of, with
// their omitempty: a field added to either type must be added there too.
func TestWhereJSONKnowsEveryField(t *testing.T) {
	tags := func(typ reflect.Type) []string {
		var out []string
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				out = append(out, f.Tag.Get("json"))
			}
		}
		return out
	}
	if got, want := tags(reflect.TypeFor[WhereResult]()), []string{"mediaType", "query", "products", "matches",
		"undetermined,omitempty", "services,omitempty"}; !reflect.DeepEqual(got, want) {
		t.Errorf("WhereResult's JSON fields are %v; WriteJSON writes %v", got, want)
	}
	if got, want := tags(reflect.TypeFor[Match]()), []string{"product", "productVersion,omitempty", "source", "digest", "asOf", "grade",
		"component", "version,omitempty", "purl,omitempty", "upstream", "path,omitempty", "reason,omitempty"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Match's JSON fields are %v; appendMatch writes %v", got, want)
	}
}

// A column that holds a value of another type than the schema's (a store
// edited by hand, or written by another program) is a corrupt store; the
// twin, the store before the damage, answers.
func TestWhereWrongColumnTypeIsCorrupt(t *testing.T) {
	for _, damage := range []string{`UPDATE components SET parent = 'x'`, `UPDATE components SET idx = 'y' WHERE idx = 0`} {
		st, _ := filledStore(t)
		if r := where(t, st, "", "src:xz", ""); len(r.Matches) == 0 {
			t.Fatal("before the damage: no match")
		}
		if _, err := st.db.Exec(damage); err != nil {
			t.Fatal(err)
		}
		q, _ := NewQuery("", "src:xz", "", false)
		if _, err := st.Where(context.Background(), q); reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt || !errors.Is(err, errColumnType) {
			t.Errorf("after %s: %v, want %s", damage, err, reason.PortfolioStoreCorrupt)
		}
	}
}

// scanRow reads integers and text into their destinations, and refuses a
// value of another type.
func TestScanRow(t *testing.T) {
	var id int64
	var n int
	var s string
	if err := scanRow(driverRow{int64(7), int64(-1), "a"}, &id, &n, &s); err != nil || id != 7 || n != -1 || s != "a" {
		t.Errorf("scanRow: %d %d %q %v", id, n, s, err)
	}
	if err := scanRow(driverRow{[]byte("b")}, &s); err != nil || s != "b" {
		t.Errorf("scanRow of bytes: %q %v", s, err)
	}
	for _, row := range []driverRow{{"7"}, {nil}, {3.5}} {
		if err := scanRow(row, &id); !errors.Is(err, errColumnType) {
			t.Errorf("scanRow(%v) into an integer: %v, want a type error", row, err)
		}
	}
	if err := scanRow(driverRow{int64(1)}, &s); !errors.Is(err, errColumnType) {
		t.Errorf("an integer into text: %v, want a type error", err)
	}
	if err := scanRow(driverRow{int64(1), int64(2)}, &id); err == nil {
		t.Error("two columns into one destination: no error")
	}
}

// A streamed answer (WhereStream) holds the matches Where lists, in the
// same order, and writes the same JSON; its twin check is Where's own
// answer, asked of the same store.
func TestWhereStreamSameAnswer(t *testing.T) {
	st, _ := filledStore(t)
	many, _ := partsStore(t, 1100) // src:xz and src:glibc: 1,100 matches, two chunks
	ctx := context.Background()
	for _, c := range []struct {
		st                          *Store
		subject, upstream, versions string
	}{
		{st, "", "src:xz", ""}, {st, "pkg:deb/debian/liblzma5", "", ">=5.6.0, <5.6.2"}, {st, "libc6", "", ""},
		{many, "", "src:xz", ""}, {many, "", "src:glibc", ""}, {many, "", "src:none", ""},
	} {
		q, err := NewQuery(c.subject, c.upstream, c.versions, false)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := c.st.Where(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		streamed, err := c.st.WhereStream(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all := streamed.All()
		if streamed.Len() != len(whole.Matches) || len(all) > 0 && !reflect.DeepEqual(all, whole.Matches) || streamed.Products != whole.Products ||
			!reflect.DeepEqual(streamed.Undetermined, whole.Undetermined) {
			t.Errorf("%+v: streamed %d matches in %d products, Where %d in %d, or they differ", c, streamed.Len(), streamed.Products, len(whole.Matches), whole.Products)
		}
		var a, b bytes.Buffer
		if err := whole.WriteJSON(&a); err != nil {
			t.Fatal(err)
		}
		if err := streamed.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%+v: the streamed answer's JSON differs from Where's", c)
		}
		// Any JSON encoder lists a streamed answer's matches (MarshalJSON).
		var viaLibrary bytes.Buffer
		if err := sbom.WriteJSON(&viaLibrary, streamed); err != nil || !bytes.Equal(viaLibrary.Bytes(), a.Bytes()) {
			t.Errorf("%+v: sbom.WriteJSON of the streamed answer differs from Where's: %v", c, err)
		}
		line := func(b []byte, m *Match) []byte {
			return fmt.Appendf(b, "%s %s %s %v\n", m.Title(), m.ComponentRef(), m.Reason, m.Path)
		}
		a.Reset()
		b.Reset()
		if err := whole.AppendEach(&a, line); err != nil {
			t.Fatal(err)
		}
		if err := streamed.AppendEach(&b, line); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Count(a.Bytes(), []byte("\n")) != len(whole.Matches) {
			t.Errorf("%+v: AppendEach of the streamed answer differs from Where's, or misses matches", c)
		}
	}
}

// A store of fewer segments than minPartSegments per part is read as one
// part, whatever the cores; its twin, asked for three parts, reads three.
func TestSmallStoreReadAsOnePart(t *testing.T) {
	st, _ := partsStore(t, 600) // 3 segments
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	parts := 0
	st.partsInTurn = func(_ int, err error) error { parts++; return err }
	q, _ := NewQuery("", "src:xz", "", false)
	for _, c := range []struct{ asked, want int }{{0, 0}, {3, 3}} {
		st.whereParts, parts = c.asked, 0
		if r, err := st.Where(context.Background(), q); err != nil || len(r.Matches) == 0 || parts != c.want {
			t.Errorf("%d parts asked: %d read in turn (%v, %d matches), want %d", c.asked, parts, err, len(r.Matches), c.want)
		}
	}
}

// The first part to fail stops the others: a part read after it finds its
// context cancelled, and the question fails with the first part's error,
// not with a cancellation. Its twin, with no part failing, reads every part
// to its end.
func TestFirstFailingPartStopsTheOthers(t *testing.T) {
	st, _ := partsStore(t, 600)
	st.whereParts = 3
	failed := errors.New("part 1 failed")
	var got []error
	st.partsInTurn = func(part int, err error) error {
		got = append(got, err)
		if part == 1 && err == nil {
			return failed
		}
		return err
	}
	q, _ := NewQuery("", "src:xz", "", false)
	_, err := st.Where(context.Background(), q)
	if !errors.Is(err, failed) {
		t.Errorf("where with part 1 failing: got %v, want part 1's error", err)
	}
	if len(got) != 3 || got[0] != nil || got[1] != nil || !errors.Is(got[2], context.Canceled) {
		t.Errorf("errors of the parts read in turn: got %v, want [<nil> <nil> context canceled]", got)
	}

	// A part that ends cancelled before the failing one (as a part running
	// alongside it may) does not hide the failure.
	st.partsInTurn = func(part int, err error) error {
		switch part {
		case 0:
			return fmt.Errorf("reading part 0: %w", context.Canceled)
		case 1:
			return failed
		}
		return err
	}
	if _, err := st.Where(context.Background(), q); !errors.Is(err, failed) {
		t.Errorf("where with part 0 cancelled and part 1 failing: got %v, want part 1's error", err)
	}

	got = nil
	st.partsInTurn = func(_ int, err error) error { got = append(got, err); return err }
	if r, err := st.Where(context.Background(), q); err != nil || len(r.Matches) != 600 || !slices.Equal(got, []error{nil, nil, nil}) {
		t.Errorf("where with no part failing: %v, %d matches, errors of the parts %v; want no error, 600, [<nil> <nil> <nil>]", err, len(r.Matches), got)
	}
}

// A cancelled question stops reading rows (eachRow looks at the context
// every 1,024 rows); its twin, not cancelled, reads them all.
func TestEachRowStopsWhenCancelled(t *testing.T) {
	st, _ := partsStore(t, 600)
	count := func(cancelAt int) (int, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		err := st.eachRow(ctx, `SELECT snapshot_id FROM components`, nil, func(rowValues) error {
			if n++; n == cancelAt {
				cancel()
			}
			return nil
		})
		return n, err
	}
	all, err := count(-1)
	if err != nil || all != 1800 {
		t.Fatalf("not cancelled: %d rows, %v; want 1800", all, err)
	}
	if n, err := count(1); !errors.Is(err, context.Canceled) || n > 1024 {
		t.Errorf("cancelled at the first row: %d rows read, %v; want at most 1024 and context.Canceled", n, err)
	}
}

// failingWriter fails every write after the first.
type failingWriter struct{ writes int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.writes++; w.writes > 1 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// A failed write ends AppendEach with its error and stops the chunks not
// yet started; the twin, a writer that takes everything, gets them all.
func TestAppendEachStopsOnWriteError(t *testing.T) {
	m := &Match{Product: "p", Component: "c"}
	r := &WhereResult{Matches: slices.Repeat([]*Match{m}, 40*matchChunk)}
	var appended atomic.Int64
	one := func(b []byte, m *Match) []byte {
		appended.Add(1)
		return append(b, m.Product...)
	}
	var all bytes.Buffer
	if err := r.AppendEach(&all, one); err != nil || all.Len() != 40*matchChunk || appended.Load() != 40*matchChunk {
		t.Fatalf("to a buffer: %d bytes, %d appended, %v", all.Len(), appended.Load(), err)
	}
	appended.Store(0)
	if err := r.AppendEach(&failingWriter{}, one); err == nil || err.Error() != "disk full" {
		t.Errorf("to a failing writer: %v, want its error", err)
	}
	if n := appended.Load(); n >= 40*matchChunk {
		t.Errorf("to a failing writer: all %d matches appended, want the chunks after the failure left", n)
	}
}
