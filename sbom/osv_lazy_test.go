package sbom

import (
	"os"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// An advisory is decoded in full only when a component's package has it:
// one whose ranges are not OSV's shape leaves that component's question
// open, by name, in a directory and in a zip alike; a component of
// another package is answered as before.
func TestOSVDecodedOnUse(t *testing.T) {
	advs := map[string]string{
		"GHSA-bad.json":  `{"id":"GHSA-bad","modified":"2024-05-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"badpkg"},"ranges":{"type":"SEMVER"}}]}`,
		"GHSA-good.json": `{"id":"GHSA-good","modified":"2024-04-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"goodpkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`,
	}
	dir, zipPath := writeAdvisoryDir(t, advs)
	for _, path := range []string{dir, zipPath} {
		db, err := LoadAdvisories(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if got := db.AsOf().Format("2006-01-02"); got != "2024-05-01" {
			t.Errorf("%s: as-of %s, want 2024-05-01 (from the index, before any full decode)", path, got)
		}
		ids, open := matchIDs(t, db, "pkg:npm/badpkg@1.0.0")
		if len(ids) != 0 || !strings.Contains(open, "advisory GHSA-bad:") || !strings.Contains(open, reason.SBOMDataMalformed) {
			t.Errorf("%s: a malformed advisory must leave the question open with its code: matched %v, open %q", path, ids, open)
		}
		// Asked again (another component of the same package): same answer.
		if _, again := matchIDs(t, db, "pkg:npm/badpkg@1.0.0"); again != open {
			t.Errorf("%s: second lookup %q, first %q", path, again, open)
		}
		ids, open = matchIDs(t, db, "pkg:npm/goodpkg@1.0.0")
		if len(ids) != 1 || ids[0] != "GHSA-good" || open != "" {
			t.Errorf("%s: goodpkg matched %v, open %q", path, ids, open)
		}
	}
}

// A zip larger than the total advisory limit is refused before it is read.
func TestOSVZipOverTotalLimit(t *testing.T) {
	_, zipPath := writeAdvisoryDir(t, testAdvisories)
	st, err := os.Stat(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	lim.MaxAdvisoryTotalBytes = st.Size() - 1
	_, err = LoadAdvisories(zipPath, WithLimits(lim))
	wantCode(t, err, reason.InputTooLarge)
	if err == nil || !strings.Contains(err.Error(), "OSV zip") {
		t.Errorf("got %v, want the zip named", err)
	}
	lim.MaxAdvisoryTotalBytes = st.Size() * 10
	if _, err := LoadAdvisories(zipPath, WithLimits(lim)); err != nil {
		t.Errorf("within the limit: %v", err)
	}
}
