// Package reporttest holds what the tests of report and report/where
// share: golden files and the SARIF 2.1.0 schema their logs are checked
// against.
package reporttest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sovcheck/sovcheck/report/internal/sarif"
)

// Golden compares got with testdata/NAME, or writes it there when update
// is set (go test -update).
func Golden(t testing.TB, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// SARIFSchema compiles the official SARIF 2.1.0 schema at path
// (report/testdata/README.md says where it comes from), with format
// assertions on, so that URIs and dates are checked too.
func SARIFSchema(t testing.TB, path string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarif.Schema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(sarif.Schema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ValidateSARIF checks a SARIF log against the schema s.
func ValidateSARIF(t testing.TB, s *jsonschema.Schema, out []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}
