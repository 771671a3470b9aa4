package report

import "github.com/sovcheck/sovcheck/report/internal/sarif"

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
