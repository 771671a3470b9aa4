package report

import (
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// Besides the verify document, a report reads the JSON of `sovcheck sbom
// labels` (one product or a portfolio) and of `sovcheck rebuild`. Package
// report decodes only the fields it renders, so fields added to a version
// of these documents do not break it.
// Documents are the results one report renders, grouped by kind, each in
// the order it was read.
type Documents struct {
	// Inputs lists what was read, in order, for the report's record.
	Inputs []Input
	// Verify holds verdicts; a verdict carries its policy result (points,
	// rules and the evidence each used) when a policy was evaluated.
	Verify     []VerifyDocument
	Rebuilds   []RebuildDocument
	Labels     []sbom.Report
	Portfolios []sbom.PortfolioReport
}

// Input names one document a report was made from.
type Input struct {
	Name      string `json:"name"` // as the user gave it
	MediaType string `json:"mediaType"`
}

// RebuildDocument is the JSON of `sovcheck rebuild` (media type
// RebuildMediaType): artifact rebuilds, or module zip checks.
type RebuildDocument struct {
	MediaType string          `json:"mediaType"`
	Results   []RebuildResult `json:"results,omitempty"`
	Modules   []ModuleRebuild `json:"modules,omitempty"`
}

// Rebuild statuses: only MATCH passes.
const (
	RebuildMatch    = "MATCH"
	RebuildMismatch = "MISMATCH"
	RebuildSkip     = "SKIP"
)

// RebuildResult is the rebuild of one artifact.
type RebuildResult struct {
	Artifact       string            `json:"artifact"`
	ArtifactDigest map[string]string `json:"artifactDigest"`
	Status         string            `json:"status"`
	Reason         *RebuildReason    `json:"reason,omitempty"`
	Causes         []RebuildCause    `json:"causes,omitempty"`
	Toolchain      *RebuildToolchain `json:"toolchain,omitempty"`
	Sandbox        *RebuildSandbox   `json:"sandbox,omitempty"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest,omitempty"`
	Phases         []RebuildPhase    `json:"phases"`
	// SourceMissing: the objects of the commit the source lacked.
	SourceMissing *RebuildMissing `json:"sourceMissing,omitempty"`
}

// RebuildMissing is what a rebuild's source lacked of the commit's tree.
type RebuildMissing struct {
	Count   int      `json:"count"`
	Objects []string `json:"objects"`
}

// ModuleRebuild is the check of one Go module zip against its recorded
// hash.
type ModuleRebuild struct {
	Module  string         `json:"module"`
	Version string         `json:"version"`
	Commit  string         `json:"commit,omitempty"`
	Status  string         `json:"status"`
	Reason  *RebuildReason `json:"reason,omitempty"`
	GotH1   string         `json:"gotH1,omitempty"`
	WantH1  string         `json:"wantH1"`
	Causes  []RebuildCause `json:"causes,omitempty"`
}

// RebuildReason says why a rebuild did not match or was not tried.
type RebuildReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
}

// RebuildCause is one explained difference between the published and the
// rebuilt artifact.
type RebuildCause struct {
	Code string `json:"code"`
	What string `json:"what"`
	Got  string `json:"got,omitempty"`
	Want string `json:"want,omitempty"`
}

// RebuildToolchain is the toolchain a rebuild used.
type RebuildToolchain struct {
	Version string `json:"version"`
	Origin  string `json:"origin"`
}

// RebuildSandbox says how a rebuild was isolated.
type RebuildSandbox struct {
	Method   string `json:"method"`
	Hermetic bool   `json:"hermetic"`
}

// RebuildPhase is one line of a rebuild's PASS/FAIL/SKIP log.
type RebuildPhase struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Decision is what a set of documents decides, for the exit code.
type Decision struct {
	// Status is PASS only if something was decided and nothing failed.
	Status policy.Status
	// Decided counts verdicts, rebuilds and (with a minimum grade) graded
	// products. Zero means the documents hold grades only: no verdict.
	Decided int
	Failed  int
}

// Decide judges the documents, failing closed: a verdict passes only as
// policy.Decide says, a rebuild only on MATCH, and with minGrade (A to G,
// or "" to not judge grades) a product only when its grade is minGrade or
// better. A verify or rebuild document with no result at all counts as one
// failure, and so does an SBOM a portfolio could not read when grades are
// judged.
func (d *Documents) Decide(minGrade string) Decision {
	var dec Decision
	judge := func(pass bool) {
		dec.Decided++
		if !pass {
			dec.Failed++
		}
	}
	for _, doc := range d.Verify {
		if len(doc.Verdicts) == 0 {
			judge(false)
		}
		for _, v := range doc.Verdicts {
			judge(v.Passed())
		}
	}
	for _, doc := range d.Rebuilds {
		if len(doc.Results)+len(doc.Modules) == 0 {
			judge(false)
		}
		for _, r := range doc.Results {
			judge(r.Status == RebuildMatch)
		}
		for _, m := range doc.Modules {
			judge(m.Status == RebuildMatch)
		}
	}
	if minGrade != "" {
		limit := vocab.GradeRank(minGrade)
		for _, doc := range d.Labels {
			judge(limit >= 0 && doc.Product.Grade.Rank() >= 0 && doc.Product.Grade.Rank() <= limit)
		}
		for _, doc := range d.Portfolios {
			for _, p := range doc.Products {
				judge(limit >= 0 && p.Grade.Rank() >= 0 && p.Grade.Rank() <= limit)
			}
			for range doc.Failures {
				judge(false)
			}
		}
	}
	dec.Status = policy.StatusFail
	if dec.Decided > 0 && dec.Failed == 0 {
		dec.Status = policy.StatusPass
	}
	return dec
}
