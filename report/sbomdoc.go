package report

import (
	"fmt"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// AddLabels adds the assessment of one product, as package sbom made it in
// this process, to docs; name is how the user named the SBOM. It checks
// the document as ReadDocument checks one read from JSON, so a report
// renders the same page either way. On error docs is left as it was.
func (d *Documents) AddLabels(name string, r *sbom.Report) error {
	return d.addTyped(name, vocab.MediaTypeSBOMLabels, func() *reason.Error {
		if err := checkLabels(r); err != nil {
			return err
		}
		d.Labels = append(d.Labels, *r)
		return nil
	})
}

// AddPortfolio adds a portfolio, as package sbom made it in this process,
// to docs, checked as AddLabels checks one product.
func (d *Documents) AddPortfolio(name string, r *sbom.PortfolioReport) error {
	return d.addTyped(name, vocab.MediaTypeSBOMPortfolio, func() *reason.Error {
		if err := checkPortfolio(r); err != nil {
			return err
		}
		d.Portfolios = append(d.Portfolios, *r)
		return nil
	})
}

// addTyped records one document made in this process: add checks and
// appends it.
func (d *Documents) addTyped(name, mediaType string, add func() *reason.Error) error {
	if len(d.Inputs) >= MaxDocuments {
		return reason.Mismatch(reason.InputTooLarge, "render the results in smaller groups", fmt.Sprintf("adding %q: too many documents", name),
			fmt.Sprint(len(d.Inputs)+1), fmt.Sprintf("at most %d", MaxDocuments))
	}
	if err := add(); err != nil {
		err.Msg = fmt.Sprintf("adding %q: %s", name, err.Msg)
		return err
	}
	d.Inputs = append(d.Inputs, Input{Name: name, MediaType: mediaType})
	return nil
}

// labelNames spells labels as the reports print them.
func labelNames(ls []sbom.Label) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}
