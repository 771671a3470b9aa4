package report

import (
	"fmt"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// maxHostingRows bounds the providers and jurisdictions of a portfolio's
// hosting section.
const maxHostingRows = 100_000

// checkHosting refuses a hosting section whose shares are out of range.
func checkHosting(h *sbom.HostingConcentration) *reason.Error {
	if h == nil {
		return nil
	}
	if n := len(h.Providers) + len(h.Jurisdictions); n > maxHostingRows {
		return tooMany("hosting providers and jurisdictions", n)
	}
	for _, rows := range [][]sbom.HostingShare{h.Providers, h.Jurisdictions} {
		for _, s := range rows {
			if err := checkShare(fmt.Sprintf("hosting share of %q", s.Name), s.Share); err != nil {
				return err
			}
		}
	}
	if h.HHI != nil {
		return checkShare("hosting concentration (HHI)", *h.HHI)
	}
	return nil
}
