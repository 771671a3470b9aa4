package sbom

import "github.com/sovcheck/sovcheck/internal/vocab"

// The grades under the short names the vulnerability tests of this
// package use.
const (
	GradeA = vocab.GradeA
	GradeC = vocab.GradeC
	GradeD = vocab.GradeD
	GradeE = vocab.GradeE
	GradeG = vocab.GradeG
)
