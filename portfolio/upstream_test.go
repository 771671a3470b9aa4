package portfolio

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// An upstream is found however a person writes it: a distribution's own
// source name (src:xz-utils, stored as src:xz), any case, a repository URL
// (stored as vcs:HOST/PATH); an id that is not stored finds nothing.
func TestWhereUpstreamAsWritten(t *testing.T) {
	backends(t, func(t *testing.T, location string) {
		dir := t.TempDir()
		writeFixtures(t, dir)
		vcs := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "metadata": {"component": {"bom-ref": "root", "type": "application", "name": "packer", "version": "1"}},
 "components": [{"bom-ref": "lz", "type": "library", "name": "lzlib", "version": "5.6.1",
   "externalReferences": [{"type": "vcs", "url": "git+https://github.com/tukaani-project/xz.git"}]}],
 "dependencies": [{"ref": "root", "dependsOn": ["lz"]}]}`
		if err := os.WriteFile(filepath.Join(dir, "vcs.cdx.json"), []byte(vcs), 0o644); err != nil {
			t.Fatal(err)
		}
		st := open(t, location)
		if _, err := st.AddFiles(context.Background(), Ingest{Assessor: assessor(t, "2026-11-15")}, collect(t, dir)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			upstream string
			want     int
		}{
			{"src:xz", 4},
			{"src:xz-utils", 4},
			{"src:XZ-Utils", 4},
			{"vcs:github.com/tukaani-project/xz", 1},
			{"https://github.com/tukaani-project/xz", 1},
			{"git@github.com:tukaani-project/xz.git", 1},
			// Twins: near misses find nothing.
			{"src:xz-utilz", 0},
			{"https://github.com/tukaani-project/xz-java", 0},
		} {
			if r := where(t, st, "", c.upstream, ""); len(r.Matches) != c.want {
				t.Errorf("--upstream %q: %d matches, want %d", c.upstream, len(r.Matches), c.want)
			}
		}
	})
}
