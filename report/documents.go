package report

import (
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
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
	Rebuilds   []rebuild.Document
	Labels     []sbom.Report
	Portfolios []sbom.PortfolioReport
}

// Input names one document a report was made from.
type Input struct {
	Name      string `json:"name"` // as the user gave it
	MediaType string `json:"mediaType"`
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
			judge(r.Status == rebuild.StatusMatch)
		}
		for _, m := range doc.Modules {
			judge(m.Status == rebuild.StatusMatch)
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
