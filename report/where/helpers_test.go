package where

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sovcheck/sovcheck/internal/buildinfo"
	"github.com/sovcheck/sovcheck/report/internal/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The golden answers name a stamped release, as report's goldens do.
func init() {
	buildInfo = func() buildinfo.Info {
		return buildinfo.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", ModifiedKnown: true, GoVersion: "go1.26.0"}
	}
}

func golden(t *testing.T, name string, got []byte) { reporttest.Golden(t, name, got, *update) }

// sarifSchema is the SARIF 2.1.0 schema report's tests validate against.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	return reporttest.SARIFSchema(t, filepath.Join("..", "testdata", "sarif-schema-2.1.0.json"))
}

func validateSARIF(t *testing.T, s *jsonschema.Schema, out []byte) error {
	return reporttest.ValidateSARIF(t, s, out)
}
