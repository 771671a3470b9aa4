package sbom

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestAssessInParallel judges a product above parallelFrom components,
// with advisories that match a share of them, on one CPU (in order) and
// on four (in chunks): the reports are byte for byte the same. Run with
// -race, it also shows that judging a component writes nothing shared.
func TestAssessInParallel(t *testing.T) {
	n := parallelFrom + 500
	g, err := Read(bytes.NewReader(benchBOM(t, n)), "bench.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := 0; i < n; i += 7 {
		body := fmt.Sprintf(`{"schema_version":"1.6.0","id":"GHSA-%06d","modified":"2024-05-01T12:00:00Z","summary":"advisory %d",`+
			`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:%s"}],`+
			`"affected":[{"package":{"ecosystem":"npm","name":"pkg-%06d"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.%d.0"}]}]}]}`,
			i, i, []string{"H", "L", "N"}[i%3], i, i%5)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("GHSA-%06d.json", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	report := func(procs int) []byte {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		db, err := LoadAdvisories(dir)
		if err != nil {
			t.Fatal(err)
		}
		a, err := NewAssessor(WithClock(testClock), WithData(Data{Advisories: db}))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, a.Assess(g)); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	serial, parallel := report(1), report(4)
	if !bytes.Contains(serial, []byte(`"GHSA-000014"`)) {
		t.Fatal("no advisory matched: the test proves nothing")
	}
	if !bytes.Equal(serial, parallel) {
		t.Errorf("the report judged on 4 CPUs differs from the one judged in order (%d vs %d bytes)", len(parallel), len(serial))
	}
}
