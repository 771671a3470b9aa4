package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// TestProducersStillWriteWhatReportReads reads the golden JSON of the
// commands whose results a report renders (sbom labels, rebuild) and checks
// that every field the report decodes is still there: a renamed field
// would otherwise render as empty without an error.
func TestProducersStillWriteWhatReportReads(t *testing.T) {
	for _, c := range []struct {
		path string
		view func() any
	}{
		{"../sbom/testdata/golden/shop.json", func() any { return &sbom.Report{} }},
		{"../sbom/testdata/golden/portfolio.json", func() any { return &sbom.PortfolioReport{} }},
		{"testdata/rebuild-results.golden.json", func() any { return &rebuild.Document{} }},
		{"testdata/rebuild-modules.golden.json", func() any { return &rebuild.Document{} }},
		{"testdata/verify.golden.json", func() any { return &VerifyDocument{} }},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			data, err := os.ReadFile(c.path)
			if os.IsNotExist(err) {
				t.Skipf("%s is gone; point this test at the producer's golden JSON", c.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ReadDocument(c.path, data, &Documents{}); err != nil {
				t.Fatalf("report cannot read the producer's output: %v", err)
			}
			view := c.view()
			if err := json.Unmarshal(data, view); err != nil {
				t.Fatal(err)
			}
			var theirs, ours any
			if err := json.Unmarshal(data, &theirs); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(mustJSON(t, view), &ours); err != nil {
				t.Fatal(err)
			}
			if err := subsetOf(ours, theirs, ""); err != nil {
				t.Errorf("report reads a field the producer no longer writes: %v", err)
			}
		})
	}
}

// subsetOf reports the first field of ours that theirs lacks. Fields the
// producer leaves empty (omitempty) are absent from ours too, so they do
// not count.
func subsetOf(ours, theirs any, path string) error {
	switch o := ours.(type) {
	case map[string]any:
		th, ok := theirs.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object in report's view, %T in the producer's JSON", path, theirs)
		}
		for k, v := range o {
			tv, ok := th[k]
			if !ok {
				if isZero(v) {
					continue
				}
				return fmt.Errorf("%s/%s is missing", path, k)
			}
			if err := subsetOf(v, tv, path+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		th, ok := theirs.([]any)
		if !ok {
			return fmt.Errorf("%s: an array in report's view, %T in the producer's JSON", path, theirs)
		}
		for i := range o {
			if err := subsetOf(o[i], th[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// isZero reports whether a decoded JSON value is the zero value a view
// field has when the producer did not write it.
func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}

func TestSubsetOfCatchesRenames(t *testing.T) {
	var theirs, ours any
	json.Unmarshal([]byte(`{"product": {"grade": "G", "risk": 3}}`), &theirs)
	json.Unmarshal([]byte(`{"product": {"grade": "G", "riskScore": 3}}`), &ours)
	if err := subsetOf(ours, theirs, ""); err == nil {
		t.Error("a renamed field went unnoticed")
	}
	json.Unmarshal([]byte(`{"product": {"grade": "G", "caps": null}}`), &ours)
	if err := subsetOf(ours, theirs, ""); err != nil {
		t.Errorf("an empty field counted as missing: %v", err)
	}
}
