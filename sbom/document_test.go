package sbom

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// TestDocumentReadOnceAssessOnce reads an SBOM once and checks that its
// graph can be assessed by two assessors without one assessment reaching
// into the other, and that the profile check of the kept bytes equals the
// one of a fresh read.
func TestDocumentReadOnceAssessOnce(t *testing.T) {
	data := encodeCDX(t, shopBOM(), cdx.SpecVersion1_6, cdx.BOMFileFormatJSON)
	// Named like SPDX: the reader warns, so the graph carries a warning
	// that every report copies.
	doc, err := ReadDocument(bytes.NewReader(data), "shop.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Graph.Warnings) == 0 {
		t.Fatal("got no warning for a misnamed SBOM, want one")
	}
	before := slices.Clone(doc.Graph.Warnings)
	plain, err := NewAssessor(WithClock(testClock))
	if err != nil {
		t.Fatal(err)
	}
	first := plain.Assess(doc.Graph)
	firstJSON := jsonOf(t, first)
	newTestAssessor(t, testData(t)).Assess(doc.Graph)
	if again := jsonOf(t, plain.Assess(doc.Graph)); !bytes.Equal(again, firstJSON) {
		t.Errorf("assessing the same graph again gave another report:\n%s\nwant\n%s", again, firstJSON)
	}
	if !bytes.Equal(jsonOf(t, first), firstJSON) {
		t.Error("a later assessment changed an earlier report")
	}
	if !slices.Equal(doc.Graph.Warnings, before) {
		t.Errorf("assessing changed the graph's warnings: got %q, want %q", doc.Graph.Warnings, before)
	}

	kept, err := doc.CheckProfile(ProfileBSITR031832)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := CheckProfile(bytes.NewReader(data), "shop.spdx.json", ProfileBSITR031832)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonOf(t, kept), jsonOf(t, fresh)) {
		t.Errorf("profile of the kept document differs from a fresh read:\n%s\nwant\n%s", jsonOf(t, kept), jsonOf(t, fresh))
	}
	if _, err := doc.CheckProfile("nist"); err == nil {
		t.Error("an unknown profile was accepted")
	}
}

func TestReadDocumentRefusesWhatReadRefuses(t *testing.T) {
	if _, err := ReadDocument(bytes.NewReader([]byte(`{"hello": "world"}`)), "x.json"); err == nil {
		t.Fatal("a JSON object that is no SBOM was read")
	}
	if _, err := ReadDocumentFile("testdata/does-not-exist.cdx.json"); err == nil {
		t.Fatal("a missing file was read")
	}
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
