package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// kevCatalogue is CISA's Known Exploited Vulnerabilities catalogue, as
// its JSON feed (known_exploited_vulnerabilities.json) writes it.
type kevCatalogue struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Count           int    `json:"count"`
	Vulnerabilities *[]struct {
		CVEID         string `json:"cveID"`
		VendorProject string `json:"vendorProject"`
		Product       string `json:"product"`
		DateAdded     string `json:"dateAdded"`
		DueDate       string `json:"dueDate"`
		Ransomware    string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

var kevCVE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })

// parseKEVCatalogue reads the catalogue: every entry a CVE id with the
// date it was added; the catalogue's release time is its as-of.
func parseKEVCatalogue(b []byte) (*imported, error) {
	var c kevCatalogue
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "decoding the catalogue")
	}
	if c.Vulnerabilities == nil {
		return nil, reason.New(reason.RiskDataMalformed, "", "the catalogue has no \"vulnerabilities\" list")
	}
	vs := *c.Vulnerabilities
	if len(vs) > MaxImportRecords {
		return nil, tooMany("catalogue entries", MaxImportRecords)
	}
	if c.Count != 0 && c.Count != len(vs) {
		return nil, reason.Mismatch(reason.RiskDataMalformed, "", "the catalogue's count", fmt.Sprint(c.Count), fmt.Sprintf("%d (the entries listed)", len(vs)))
	}
	in := &imported{records: len(vs)}
	if t, err := time.Parse(time.RFC3339, c.DateReleased); err == nil {
		in.asOf = t
	} else if c.DateReleased != "" {
		return nil, reason.New(reason.RiskDataMalformed, "", "dateReleased: got %q, want an RFC 3339 time", c.DateReleased)
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if !kevCVE().MatchString(v.CVEID) {
			return nil, reason.Mismatch(reason.RiskDataMalformed, "", fmt.Sprintf("vulnerabilities[%d].cveID", i), v.CVEID, "CVE-YYYY-NNNN")
		}
		if _, err := time.Parse(time.DateOnly, v.DateAdded); err != nil {
			return nil, reason.Mismatch(reason.RiskDataMalformed, "", fmt.Sprintf("vulnerabilities[%d].dateAdded (%s)", i, v.CVEID), v.DateAdded, "YYYY-MM-DD")
		}
		if seen[v.CVEID] {
			continue // the first entry of a CVE is the one labelling reads
		}
		seen[v.CVEID] = true
		in.exploited = append(in.exploited, sbom.ExploitedFact{ID: v.CVEID, Record: fmt.Sprintf("#/vulnerabilities/%d", i),
			Vendor: v.VendorProject, Product: v.Product, DateAdded: v.DateAdded, DueDate: v.DueDate, Ransomware: v.Ransomware})
	}
	return in, nil
}
