package portfolio

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkAddFiles stores 200 small SBOMs into a fresh SQLite store per
// iteration; bench/portfolio/run.sh measures realistic sizes end to end.
func BenchmarkAddFiles(b *testing.B) {
	dir := b.TempDir()
	writeMany(b, dir, 200)
	files := collect(b, dir)
	a := assessor(b, "2026-11-15")
	for i := 0; b.Loop(); i++ {
		st, err := Open(context.Background(), filepath.Join(b.TempDir(), "store.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.AddFiles(context.Background(), Ingest{Assessor: a}, files); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "SBOMs/s")
}

// BenchmarkWhere asks one upstream held by every product, with paths.
func BenchmarkWhere(b *testing.B) {
	dir := b.TempDir()
	writeMany(b, dir, 500)
	st := open(b, filepath.Join(b.TempDir(), "store.db"))
	if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(b, "2026-11-15")}, collect(b, dir)); err != nil {
		b.Fatal(err)
	}
	q, err := NewQuery("", "src:xz", ">=5.3.0", false)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.Where(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
