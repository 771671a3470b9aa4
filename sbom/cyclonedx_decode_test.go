package sbom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// FuzzCycloneDXDecodeSame: the fast JSON decode gives the BOM that
// cyclonedx-go's own decoder (encoding/json) gives, and accepts exactly
// what it accepts.
func FuzzCycloneDXDecodeSame(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.cdx.json"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","licenses":[{"expression":"MIT"}],"hashes":[{"alg":"SHA-256","content":"00"}]}],"metadata":{"tools":[{"name":"t"}]}}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":{"components":[{"type":"application","name":"t"}]}},"COMPONENTS":[{"NAME":"x"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"name":"a","name":"b"}]} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gerr := decodeCycloneDX(data, FormatCycloneDXJSON)
		want := new(cdx.BOM)
		werr := json.Unmarshal(data, want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("fast decode error %v, cyclonedx-go's %v", gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("fast decode %+v, cyclonedx-go's %+v", got, want)
		}
	})
}
