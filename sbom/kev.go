package sbom

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"sync"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// KEV is CISA's Known Exploited Vulnerabilities catalog (its JSON feed).
type KEV struct {
	source  string
	version string
	// list is the JSON pointer of the entries in source: "vulnerabilities"
	// in CISA's feed, "exploited" in a risk data snapshot.
	list    string
	byCVE   map[string]int
	entries []kevEntry
}

type kevEntry struct {
	CVEID             string `json:"cveID"`
	VendorProject     string `json:"vendorProject"`
	Product           string `json:"product"`
	VulnerabilityName string `json:"vulnerabilityName"`
	DateAdded         string `json:"dateAdded"`
	Ransomware        string `json:"knownRansomwareCampaignUse"`
}

type kevFile struct {
	CatalogVersion  string      `json:"catalogVersion"`
	Vulnerabilities *[]kevEntry `json:"vulnerabilities"`
}

var cveRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`) })

const hintKEV = "give CISA's known_exploited_vulnerabilities.json feed"

// ReadKEV reads a KEV catalog in CISA's JSON format.
func ReadKEV(r io.Reader, name string, opts ...Option) (*KEV, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxDataFileBytes, "KEV catalog "+quoteName(name), "keep the KEV catalog under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseKEV(data, name)
}

// LoadKEV reads the KEV catalog at path.
func LoadKEV(path string, opts ...Option) (*KEV, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxDataFileBytes, "KEV catalog "+quoteName(path), "keep the KEV catalog under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseKEV(data, path)
}

func parseKEV(data []byte, name string) (*KEV, error) {
	var f kevFile
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil, dataMalformed(err, hintKEV, "decoding KEV catalog %s", quoteName(name))
	}
	if f.Vulnerabilities == nil {
		return nil, reason.New(reason.SBOMDataMalformed, hintKEV, "decoding KEV catalog %s: no \"vulnerabilities\" list", quoteName(name))
	}
	k := &KEV{source: name, version: f.CatalogVersion, list: "vulnerabilities", byCVE: map[string]int{}, entries: *f.Vulnerabilities}
	for i, e := range k.entries {
		if !cveRE().MatchString(e.CVEID) {
			return nil, reason.Mismatch(reason.SBOMDataMalformed, hintKEV, "reading KEV catalog "+quoteName(name)+" vulnerabilities["+itoa(i)+"].cveID", e.CVEID, "CVE-YYYY-NNNN")
		}
		if _, dup := k.byCVE[e.CVEID]; !dup {
			k.byCVE[e.CVEID] = i
		}
	}
	return k, nil
}

// kevFromRiskData is the catalogue a risk data snapshot carries: the
// entries 'sovcheck data import --kev' stored under "exploited", each
// traceable to the snapshot's source it came from. Nil when it has none.
func kevFromRiskData(rd *RiskData) *KEV {
	if rd == nil || len(rd.Exploited) == 0 {
		return nil
	}
	k := &KEV{source: rd.source, list: "exploited", byCVE: map[string]int{}, entries: make([]kevEntry, len(rd.Exploited))}
	for i, e := range rd.Exploited {
		k.entries[i] = kevEntry{CVEID: e.ID, VendorProject: e.Vendor, Product: e.Product, DateAdded: e.DateAdded, Ransomware: e.Ransomware}
		if _, dup := k.byCVE[e.ID]; !dup {
			k.byCVE[e.ID] = i
		}
	}
	return k
}

// Len reports the number of catalog entries.
func (k *KEV) Len() int { return len(k.entries) }

// lookup returns the catalog entry for a CVE id.
func (k *KEV) lookup(id string) (kevEntry, int, bool) {
	if k == nil {
		return kevEntry{}, -1, false
	}
	i, ok := k.byCVE[id]
	if !ok {
		return kevEntry{}, -1, false
	}
	return k.entries[i], i, true
}
