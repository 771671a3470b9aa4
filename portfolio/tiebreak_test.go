package portfolio

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Two SBOMs state the same product and are judged for the same date: the
// current one is the greater source (then digest), whichever was stored
// first. Adding them in both orders gives the same portfolio of today.
func TestCurrentTieBreak(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.cdx.json")
		b := filepath.Join(dir, "b.cdx.json")
		if err := os.WriteFile(a, cyclonedx("shop", "1.0", []string{"x"},
			comp{"x", "liblzma5", "5.4.1-0.2", "pkg:deb/debian/liblzma5@5.4.1-0.2?upstream=xz-utils", nil}), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(b, cyclonedx("shop", "1.1", []string{"x"},
			comp{"x", "liblzma5", "5.6.1-1", "pkg:deb/debian/liblzma5@5.6.1-1?upstream=xz-utils", nil}), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, order := range [][]string{{a, b}, {b, a}} {
			loc := location
			if !IsPostgres(location) {
				loc = filepath.Join(t.TempDir(), "store.db")
			} else if order[0] == b {
				loc = newPostgresDB(t)
			}
			st := open(t, loc)
			for _, f := range order {
				if _, err := st.AddFiles(ctx, Ingest{Assessor: assessor(t, "2026-11-15")}, []string{f}); err != nil {
					t.Fatal(err)
				}
			}
			r := where(t, st, "liblzma5", "", "")
			if len(r.Matches) != 1 || r.Matches[0].Source != b || r.Matches[0].ProductVersion != "1.1" {
				t.Errorf("added %q then %q: current %+v, want the snapshot of %q", filepath.Base(order[0]), filepath.Base(order[1]), r.Matches, b)
			}
			// The diff before a later date sees the same snapshot.
			d, err := st.Diff(ctx, "2026-11-16")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Changed) != 0 || len(d.Entered) != 0 {
				t.Errorf("added %q then %q: diff %+v, want nothing changed", filepath.Base(order[0]), filepath.Base(order[1]), d)
			}
		}
	})
}

// A store of schema 1 (current chosen by insertion) is upgraded: the
// migration chooses each product's current snapshot again by date, source
// and digest.
func TestMigrateCurrentTieBreak(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.cdx.json")
	b := filepath.Join(dir, "b.cdx.json")
	os.WriteFile(a, cyclonedx("shop", "1.0", nil), 0o644)
	os.WriteFile(b, cyclonedx("shop", "1.1", nil), 0o644)
	loc := filepath.Join(t.TempDir(), "store.db")
	st := open(t, loc)
	if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(t, "2026-11-15")}, []string{a, b}); err != nil {
		t.Fatal(err)
	}
	// Back to schema 1, with a's snapshot current.
	downgrade(t, st, 1, []string{
		`UPDATE current SET snapshot_id = (SELECT id FROM snapshots WHERE source = '` + a + `')`,
		`ALTER TABLE current DROP COLUMN source`, `ALTER TABLE current DROP COLUMN digest`, `DROP TABLE services`,
		`ALTER TABLE components DROP COLUMN path`,
	})
	st.Close()
	st = open(t, loc)
	var source string
	if err := st.db.QueryRow(`SELECT s.source FROM current c JOIN snapshots s ON s.id = c.snapshot_id`).Scan(&source); err != nil {
		t.Fatal(err)
	}
	if source != b {
		t.Errorf("current after migration: %q, want %q", source, b)
	}
}
