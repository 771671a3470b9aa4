package portfolio

import (
	"context"
	"reflect"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// Where reads the paths stored when a snapshot is added; a store whose
// rows predate them (path ”) is walked instead, with the same answers.
func TestStoredPathsEqualWalk(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		st := open(t, location)
		ctx := context.Background()
		if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := st.db.QueryRow(`SELECT COUNT(*) FROM components WHERE path LIKE '[%'`).Scan(&stored); err != nil || stored == 0 {
			t.Fatalf("no stored path (%d, %v)", stored, err)
		}
		queries := [][3]string{{"", "src:xz", ""}, {"pkg:deb/debian/liblzma5", "", ">=5.6.0, <5.6.2"}, {"xz-libs", "", ""}}
		var fromStore []*WhereResult
		for _, q := range queries {
			fromStore = append(fromStore, where(t, st, q[0], q[1], q[2]))
		}
		if _, err := st.db.Exec(`UPDATE components SET path = ''`); err != nil {
			t.Fatal(err)
		}
		for i, q := range queries {
			if walked := where(t, st, q[0], q[1], q[2]); !reflect.DeepEqual(walked.Matches, fromStore[i].Matches) {
				t.Errorf("%v: walked %+v, stored %+v", q, walked.Matches, fromStore[i].Matches)
			}
		}
		// Twin: a damaged stored path is a corrupt store, not a guess.
		if _, err := st.db.Exec(`UPDATE components SET path = '[broken' WHERE parent >= 0`); err != nil {
			t.Fatal(err)
		}
		q, _ := NewQuery("", "src:xz", "", false)
		if _, err := st.Where(ctx, q); reason.CodeOf(err, "") != reason.PortfolioStoreCorrupt {
			t.Errorf("damaged path: got %v, want %s", err, reason.PortfolioStoreCorrupt)
		}
	})
}

func TestPathsFromRoot(t *testing.T) {
	c := func(name, version string, parent int) sbom.ComponentRecord {
		return sbom.ComponentRecord{Name: name, Version: version, Parent: parent}
	}
	got := pathsFromRoot([]sbom.ComponentRecord{
		c("a", "1", sbom.ParentRoot), c("b", "", 0), c("c", "3", 1), c("d", "4", sbom.ParentUnreachable),
		c("e", "5", 4), // its own parent: no path
		c("f", "6", 2),
	})
	want := []string{"", `["a@1"]`, `["a@1","b"]`, "", "null", `["a@1","b","c@3"]`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
