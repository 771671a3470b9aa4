package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// VEX statuses (OpenVEX's words; CycloneDX analysis states and CSAF
// product_status lists are mapped onto them).
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// VEX formats sovcheck reads.
const (
	VEXFormatOpenVEX   = "openvex"
	VEXFormatCycloneDX = "cyclonedx-vex"
	VEXFormatCSAF      = "csaf-vex"
)

// MaxVEXStatements bounds the statements one VEX document may hold (after
// expanding products and vulnerabilities).
const MaxVEXStatements = 200_000

const hintVEX = "give an OpenVEX, CycloneDX VEX or CSAF 2.0 VEX JSON document"

// VEX is one VEX document, read into statements. Only a document the
// caller trusts (Trust) suppresses findings; the others are shown.
type VEX struct {
	source     string
	format     string
	trust      string
	statements []vexStatement
}

type vexStatement struct {
	vulns         []string // id and aliases
	products      []string // purls or document-local ids
	status        string
	justification string
	detail        string
	pointer       string
}

// Format is the document's format (openvex, cyclonedx-vex, csaf-vex).
func (v *VEX) Format() string { return v.format }

// Len is the number of statements read.
func (v *VEX) Len() int { return len(v.statements) }

// Trusted says why the document may suppress findings ("" when it may
// not).
func (v *VEX) Trusted() string { return v.trust }

// Trust returns a copy of the document that suppresses findings; why says
// what vouches for it (a pin in the policy, a verified attestation, the
// operator's flag) and is shown with every suppression.
func (v *VEX) Trust(why string) *VEX {
	c := *v
	c.trust = why
	return &c
}

// ReadVEX reads a VEX document (OpenVEX, CycloneDX VEX or CSAF 2.0 VEX
// JSON, told apart by content). It is untrusted until Trust is called.
func ReadVEX(r io.Reader, name string, opts ...Option) (*VEX, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxDataFileBytes, "VEX document "+quoteName(name), "keep the VEX document under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseVEX(data, name)
}

// LoadVEX reads the VEX document at path.
func LoadVEX(path string, opts ...Option) (*VEX, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxDataFileBytes, "VEX document "+quoteName(path), "keep the VEX document under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseVEX(data, path)
}

func parseVEX(data []byte, name string) (*VEX, error) {
	var probe struct {
		Context   any    `json:"@context"`
		BOMFormat string `json:"bomFormat"`
		Document  *struct {
			Category    string `json:"category"`
			CSAFVersion string `json:"csaf_version"`
		} `json:"document"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, vexMalformed(err, "decoding VEX document %s", quoteName(name))
	}
	v := &VEX{source: name}
	var err error
	switch {
	case probe.Context != nil:
		v.format = VEXFormatOpenVEX
		err = v.readOpenVEX(data)
	case probe.BOMFormat == "CycloneDX":
		v.format = VEXFormatCycloneDX
		err = v.readCycloneDX(data)
	case probe.Document != nil && probe.Document.CSAFVersion != "":
		v.format = VEXFormatCSAF
		if probe.Document.Category != "csaf_vex" {
			return nil, reason.Mismatch(reason.VEXMalformed, hintVEX, "reading CSAF document "+quoteName(name)+" document.category", probe.Document.Category, "csaf_vex")
		}
		err = v.readCSAF(data)
	default:
		return nil, reason.New(reason.VEXMalformed, hintVEX, "reading VEX document %s: neither OpenVEX (@context), CycloneDX (bomFormat) nor CSAF (document.csaf_version)", quoteName(name))
	}
	if err != nil {
		return nil, vexMalformed(err, "reading %s document %s", v.format, quoteName(name))
	}
	if len(v.statements) > MaxVEXStatements {
		return nil, tooMany("VEX statements in "+quoteName(name), MaxVEXStatements, "split the VEX document")
	}
	return v, nil
}

func vexMalformed(err error, format string, args ...any) *reason.Error {
	return reason.Wrap(err, reason.VEXMalformed, hintVEX, format, args...)
}

func (v *VEX) readOpenVEX(data []byte) error {
	doc, err := vex.Parse(data)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(doc.Context, vex.TypeURI) {
		return fmt.Errorf("@context %q is not OpenVEX's", doc.Context)
	}
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if err := st.Validate(); err != nil {
			return fmt.Errorf("statements[%d]: %w", i, err)
		}
		s := vexStatement{status: string(st.Status), justification: string(st.Justification),
			detail: cmpOr(st.ImpactStatement, st.ActionStatement, st.StatusNotes), pointer: fmt.Sprintf("#/statements/%d", i)}
		for _, id := range append([]vex.VulnerabilityID{st.Vulnerability.Name}, st.Vulnerability.Aliases...) {
			if id != "" {
				s.vulns = append(s.vulns, string(id))
			}
		}
		if st.Vulnerability.ID != "" {
			s.vulns = append(s.vulns, st.Vulnerability.ID)
		}
		for _, p := range st.Products {
			s.products = append(s.products, p.ID)
			for _, id := range p.Identifiers {
				s.products = append(s.products, id)
			}
		}
		if len(s.vulns) == 0 || len(s.products) == 0 {
			return fmt.Errorf("statements[%d]: names no vulnerability or no product", i)
		}
		v.statements = append(v.statements, s)
	}
	return nil
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// cdxStateStatus maps a CycloneDX analysis state onto a VEX status.
func cdxStateStatus(state string) string {
	switch cdx.ImpactAnalysisState(state) {
	case cdx.IASNotAffected, cdx.IASFalsePositive:
		return VEXNotAffected
	case cdx.IASExploitable:
		return VEXAffected
	case cdx.IASResolved, cdx.IASResolvedWithPedigree:
		return VEXFixed
	}
	return VEXUnderInvestigation
}

func (v *VEX) readCycloneDX(data []byte) error {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return err
	}
	if bom.Vulnerabilities == nil {
		return fmt.Errorf("no vulnerabilities list")
	}
	// bom-refs of the document's own components resolve to their purls.
	refs := map[string]string{}
	if bom.Components != nil {
		var walk func([]cdx.Component)
		walk = func(cs []cdx.Component) {
			for _, c := range cs {
				if c.BOMRef != "" && c.PackageURL != "" {
					refs[c.BOMRef] = c.PackageURL
				}
				if c.Components != nil {
					walk(*c.Components)
				}
			}
		}
		walk(*bom.Components)
	}
	for i, vu := range *bom.Vulnerabilities {
		if vu.Analysis == nil || vu.Analysis.State == "" || vu.Affects == nil {
			continue // a plain finding, not a VEX statement
		}
		s := vexStatement{status: cdxStateStatus(string(vu.Analysis.State)), justification: string(vu.Analysis.Justification),
			detail: vu.Analysis.Detail, pointer: fmt.Sprintf("#/vulnerabilities/%d", i)}
		if vu.Analysis.State == cdx.IASFalsePositive && s.justification == "" {
			s.justification = string(cdx.IASFalsePositive)
		}
		if vu.ID != "" {
			s.vulns = append(s.vulns, vu.ID)
		}
		if vu.References != nil {
			for _, r := range *vu.References {
				if r.ID != "" {
					s.vulns = append(s.vulns, r.ID)
				}
			}
		}
		for _, a := range *vu.Affects {
			ref := a.Ref
			// A BOM-Link "urn:cdx:SERIAL/VERSION#REF" names a component
			// of another BOM by its bom-ref, which is often its purl.
			if strings.HasPrefix(ref, "urn:cdx:") {
				if _, frag, ok := strings.Cut(ref, "#"); ok {
					ref = frag
				}
			}
			if p, ok := refs[ref]; ok {
				ref = p
			}
			s.products = append(s.products, ref)
		}
		if len(s.vulns) == 0 || len(s.products) == 0 {
			return fmt.Errorf("vulnerabilities[%d]: names no vulnerability or no product", i)
		}
		v.statements = append(v.statements, s)
	}
	return nil
}

// csafDoc is the part of a CSAF 2.0 document the VEX profile needs.
type csafDoc struct {
	ProductTree struct {
		Branches         []csafBranch      `json:"branches"`
		FullProductNames []csafProductName `json:"full_product_names"`
		Relationships    []struct {
			FullProductName csafProductName `json:"full_product_name"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE string `json:"cve"`
		IDs []struct {
			Text string `json:"text"`
		} `json:"ids"`
		ProductStatus map[string][]string `json:"product_status"`
		Flags         []struct {
			Label      string   `json:"label"`
			ProductIDs []string `json:"product_ids"`
		} `json:"flags"`
		Threats []struct {
			Category   string   `json:"category"`
			Details    string   `json:"details"`
			ProductIDs []string `json:"product_ids"`
		} `json:"threats"`
	} `json:"vulnerabilities"`
}

type csafBranch struct {
	Branches []csafBranch     `json:"branches"`
	Product  *csafProductName `json:"product"`
}

type csafProductName struct {
	ProductID string `json:"product_id"`
	Helper    struct {
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

// csafStatuses maps CSAF product_status lists onto VEX statuses.
var csafStatuses = []struct{ list, status string }{
	{"known_not_affected", VEXNotAffected},
	{"known_affected", VEXAffected},
	{"first_affected", VEXAffected},
	{"last_affected", VEXAffected},
	{"fixed", VEXFixed},
	{"first_fixed", VEXFixed},
	{"under_investigation", VEXUnderInvestigation},
}

func (v *VEX) readCSAF(data []byte) error {
	var doc csafDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	purls := map[string]string{}
	add := func(p csafProductName) {
		if p.ProductID != "" && p.Helper.PURL != "" {
			purls[p.ProductID] = p.Helper.PURL
		}
	}
	var walk func([]csafBranch, int) error
	walk = func(bs []csafBranch, depth int) error {
		if depth > 64 {
			return fmt.Errorf("product_tree branches nested deeper than 64")
		}
		for _, b := range bs {
			if b.Product != nil {
				add(*b.Product)
			}
			if err := walk(b.Branches, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.ProductTree.Branches, 0); err != nil {
		return err
	}
	for _, p := range doc.ProductTree.FullProductNames {
		add(p)
	}
	for _, r := range doc.ProductTree.Relationships {
		add(r.FullProductName)
	}
	for i, vu := range doc.Vulnerabilities {
		var ids []string
		if vu.CVE != "" {
			ids = append(ids, vu.CVE)
		}
		for _, id := range vu.IDs {
			if id.Text != "" {
				ids = append(ids, id.Text)
			}
		}
		if len(ids) == 0 {
			return fmt.Errorf("vulnerabilities[%d]: no cve and no ids", i)
		}
		why := map[string]string{}
		for _, f := range vu.Flags {
			for _, pid := range f.ProductIDs {
				why[pid] = f.Label
			}
		}
		detail := map[string]string{}
		for _, t := range vu.Threats {
			if t.Category != "impact" {
				continue
			}
			for _, pid := range t.ProductIDs {
				detail[pid] = t.Details
				if why[pid] == "" && t.Details != "" {
					why[pid] = "impact statement"
				}
			}
		}
		for _, cs := range csafStatuses {
			for _, pid := range vu.ProductStatus[cs.list] {
				s := vexStatement{vulns: ids, status: cs.status, pointer: fmt.Sprintf("#/vulnerabilities/%d/product_status/%s", i, cs.list),
					products: []string{pid}}
				if p, ok := purls[pid]; ok {
					s.products = append(s.products, p)
				}
				if cs.status == VEXNotAffected {
					s.justification, s.detail = why[pid], detail[pid]
				}
				v.statements = append(v.statements, s)
				if len(v.statements) > MaxVEXStatements {
					return nil
				}
			}
		}
	}
	return nil
}

// vexStatusRank: when several statements speak about one finding, the
// most cautious wins (affected over under_investigation over fixed over
// not_affected), so conflicting documents never suppress.
var vexStatusRank = map[string]int{VEXAffected: 0, VEXUnderInvestigation: 1, VEXFixed: 2, VEXNotAffected: 3}

// vexFor finds what the VEX documents say about a finding (one of ids)
// on component c. Trusted documents win over untrusted ones; among
// statements of equal trust the most cautious status wins. A
// not_affected statement without a justification is shown as untrusted
// for suppression.
func (a *Assessor) vexFor(c *Component, ids []string) *VEXFinding {
	var best *VEXFinding
	bestRank := 0
	for _, doc := range a.data.VEX {
		for i := range doc.statements {
			s := &doc.statements[i]
			if !vexNamesAny(s.vulns, ids) || !vexNamesComponent(s.products, c) {
				continue
			}
			f := &VEXFinding{Status: s.status, Justification: s.justification, Detail: s.detail,
				Source: doc.source + s.pointer, Trusted: doc.trust != ""}
			if f.Trusted {
				f.Source += " (" + doc.trust + ")"
			}
			if f.Status == VEXNotAffected && f.Justification == "" {
				f.Trusted = false
				f.Source += "; no justification, not suppressed"
			}
			r := vexStatusRank[f.Status]
			if f.Trusted {
				r -= 10
			}
			if best == nil || (f.Trusted && !best.Trusted) || (f.Trusted == best.Trusted && r < bestRank) {
				best, bestRank = f, r
			}
		}
	}
	return best
}

func vexNamesAny(vulns, ids []string) bool {
	for _, v := range vulns {
		for _, id := range ids {
			if strings.EqualFold(v, id) {
				return true
			}
		}
	}
	return false
}

func vexNamesComponent(products []string, c *Component) bool {
	for _, p := range products {
		switch {
		case p == "":
		case c.Ref != "" && p == c.Ref:
			return true
		case strings.HasPrefix(p, "pkg:") && c.PURL != "" && vex.PurlMatches(p, c.PURL):
			return true
		}
	}
	return false
}

// vexSources lists the VEX documents read, for the report.
func (a *Assessor) vexSources() []DataSource {
	var ds []DataSource
	for _, d := range a.data.VEX {
		trusted := d.trust != ""
		ds = append(ds, DataSource{Kind: "vex/" + d.format, Source: d.source, Records: len(d.statements), Trusted: &trusted})
	}
	slices.SortStableFunc(ds, func(p, q DataSource) int { return strings.Compare(p.Source, q.Source) })
	return ds
}
