package report

import (
	"io"

	"github.com/sovcheck/sovcheck/report/internal/sarif"
)

// SARIFSchema is the JSON schema the SARIF output follows (SARIF 2.1.0
// with errata 01).
const SARIFSchema = sarif.Schema

// The SARIF log, as report/internal/sarif writes it for every output.
type (
	sarifLog      = sarif.Log
	sarifRun      = sarif.Run
	sarifResult   = sarif.Result
	sarifRule     = sarif.Rule
	sarifLocation = sarif.Location
	sarifPhysical = sarif.Physical
	sarifArtifact = sarif.Artifact
	sarifRegion   = sarif.Region
	sarifLogical  = sarif.Logical
)

var (
	artifactLocation = sarif.ArtifactLocation
	sbomLocation     = sarif.SBOMLocation
	sarifURI         = sarif.URI
	relativePath     = sarif.RelativePath
)

// sarifBuilder is a SARIF builder that writes as the running build
// (buildInfo, which tests pin).
type sarifBuilder struct{ *sarif.Builder }

func newSARIFBuilder() *sarifBuilder { return &sarifBuilder{sarif.NewBuilder()} }

func (s *sarifBuilder) add(ruleID, description, hint, level, message string, locs []sarifLocation, related []sarifLocation, key ...string) {
	s.Add(ruleID, description, hint, level, message, locs, related, key...)
}

func (s *sarifBuilder) write(w io.Writer, props map[string]any) error {
	return s.Write(w, props, buildInfo())
}
