package sbom

import (
	"encoding/json"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// A portfolio rebuilt from stored records equals the one built from the
// graphs: the store keeps everything the portfolio view needs.
func TestRecordRoundTrip(t *testing.T) {
	a := newTestAssessor(t, testData(t))
	graphs := []*Graph{
		readBytes(t, encodeCDX(t, shopBOM(), cdx.SpecVersion1_5, cdx.BOMFileFormatJSON), "shop.cdx.json"),
		readBytes(t, encodeCDX(t, alpineBOM(), cdx.SpecVersion1_4, cdx.BOMFileFormatXML), "bom.xml"),
		readBytes(t, rhelSPDX(), "billing.spdx.json"),
		readBytes(t, npmLock(3), "package-lock.json"),
	}
	fromGraphs, fromRecords := a.NewPortfolio(), a.NewPortfolio()
	for _, g := range graphs {
		if err := fromGraphs.Add(g); err != nil {
			t.Fatal(err)
		}
		rec := a.Record(g)
		single := a.Assess(g).Product
		if rec.Risk != single.Risk || rec.Grade != single.Grade || rec.ComputedGrade != single.ComputedGrade {
			t.Errorf("%s: record risk %d grade %s/%s, want %d %s/%s", g.Source, rec.Risk, rec.ComputedGrade, rec.Grade,
				single.Risk, single.ComputedGrade, single.Grade)
		}
		if err := fromRecords.AddRecord(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := fromRecords.AddRecord(a.Record(graphs[0])); err == nil {
		t.Error("the same source added twice was accepted")
	}
	got, _ := json.Marshal(fromRecords.Report(0))
	want, _ := json.Marshal(fromGraphs.Report(0))
	if string(got) != string(want) {
		t.Fatalf("portfolio from records differs:\n got %s\nwant %s", got, want)
	}
	if err := fromRecords.AddRecord(&ProductRecord{Source: "x", Components: []ComponentRecord{{Labels: []Label{"no-such-label"}}}}); err == nil {
		t.Error("an unknown label was accepted")
	}
}

// Parents trace a shortest path from the root: in the Alpine image xz-libs
// is reached through libcurl, and libcurl from the root.
func TestRecordParents(t *testing.T) {
	a := newTestAssessor(t, Data{})
	rec := a.Record(readBytes(t, encodeCDX(t, alpineBOM(), cdx.SpecVersion1_4, cdx.BOMFileFormatXML), "bom.xml"))
	idx := map[string]int{}
	for i, c := range rec.Components {
		idx[c.Name] = i
	}
	if p := rec.Components[idx["xz-libs"]].Parent; p != idx["libcurl"] {
		t.Errorf("xz-libs parent %d, want libcurl (%d)", p, idx["libcurl"])
	}
	if p := rec.Components[idx["libcurl"]].Parent; p != ParentRoot {
		t.Errorf("libcurl parent %d, want the root", p)
	}
	noGraph := readBytes(t, rhelSPDX(), "billing.spdx.json")
	noGraph.Dependencies = false
	for _, c := range a.Record(noGraph).Components {
		if c.Parent != ParentUnreachable {
			t.Errorf("%s: parent %d without a dependency graph, want unreachable", c.Name, c.Parent)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		typ, a, b string
		want      int
		err       bool
	}{
		{"deb", "5.6.0-0.1", "5.6.2", -1, false},
		{"deb", "1:1.0", "2.0", 1, false},
		{"apk", "5.4.5-r0", "5.4.5-r1", -1, false},
		{"rpm", "5.2.5-8.el9", "5.2.5-8.el9", 0, false},
		{"npm", "1.10.0", "1.9.0", 1, false},
		{"npm", "not a version", "1.0.0", 0, true},
		{"generic", "1", "2", 0, true},
	} {
		got, err := VersionOrder(tc.typ, tc.a, tc.b)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("VersionOrder(%s, %s, %s) = %d, %v; want %d, error %v", tc.typ, tc.a, tc.b, got, err, tc.want, tc.err)
		}
	}
}
