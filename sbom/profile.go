package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"golang.org/x/mod/semver"
)

// Conformance profiles check that an SBOM carries the fields a regulation
// or guideline requires, field by field and component by component. They
// judge the document, not the risk of what it lists.
//
// ProfileBSITR031832 is BSI TR-03183-2 version 2.1.0 (2025-08-20), "Cyber
// Resilience Requirements for Manufacturers and Products, Part 2: Software
// Bill of Materials", the German guideline that reads the EU Cyber
// Resilience Act's SBOM duty. Its section 4 admits CycloneDX 1.6 or later
// and SPDX 3.0.1 or later (SPDX 2 no longer); section 5.2.1 requires of
// the SBOM its creator (an e-mail address or URL), a timestamp and its URI;
// section 5.2.2 requires of every component its creator, name, version,
// file name, dependencies, distribution licence, the SHA-512 hash of the
// deployable component, the executable, archive and structured properties
// and its other unique identifiers (purl, CPE, SWID); section 3.1 forbids
// vulnerability information in the SBOM. Fields are found where the
// guideline's appendix 8.2 maps them: CycloneDX properties in the
// bsi:component: namespace, licences by their acknowledgement, hashes of
// the "distribution" external reference (a SHA-512 component hash is
// accepted too); SPDX 3 File additionalPurpose, hasConcludedLicense and
// verifiedUsing.
const ProfileBSITR031832 = "bsi-tr-03183-2"

// Profiles lists the conformance profiles sovcheck checks.
var Profiles = []string{ProfileBSITR031832}

// ProfileReport lists every gap between one SBOM and a profile.
type ProfileReport struct {
	MediaType   string `json:"mediaType"`
	Profile     string `json:"profile"`
	Guideline   string `json:"guideline"`
	Source      string `json:"source"`
	Format      Format `json:"format"`
	SpecVersion string `json:"specVersion"`
	Conformant  bool   `json:"conformant"`
	// Components is the number of components checked; WithGaps how many
	// of them lack a required field.
	Components int `json:"components"`
	WithGaps   int `json:"withGaps"`
	// Gaps, SBOM-level first, then by component in document order.
	Gaps []ProfileGap `json:"gaps"`
	// Fields counts the gaps per field.
	Fields map[string]int `json:"fields"`
}

// ProfileGap is one required field that is missing or does not meet the
// profile.
type ProfileGap struct {
	// Field is the profile's name of the data field ("sbom.creator",
	// "component.hash").
	Field string `json:"field"`
	// Section is where the guideline requires it.
	Section string `json:"section"`
	// Component names the component ("" for the SBOM itself); Location
	// is where it sits in the document.
	Component string `json:"component,omitempty"`
	Location  string `json:"location"`
	Detail    string `json:"detail"`
}

const guidelineBSI = "BSI TR-03183-2 v2.1.0"

// CheckProfile reads one SBOM from r and checks it against profile.
func CheckProfile(r io.Reader, name, profile string, opts ...Option) (*ProfileReport, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := checkProfileName(profile, name); err != nil {
		return nil, err
	}
	data, err := readLimitedSized(r, -1, o.limits.MaxSBOMBytes, true, "SBOM "+quoteName(name), "split the SBOM or raise the size limit")
	if err != nil {
		return nil, err
	}
	return checkProfileData(data, name, o)
}

// CheckProfileFile checks the SBOM at path against profile.
func CheckProfileFile(path, profile string, opts ...Option) (*ProfileReport, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := checkProfileName(profile, path); err != nil {
		return nil, err
	}
	data, err := readFileLimitedAs(path, o.limits.MaxSBOMBytes, true, "SBOM "+quoteName(path), "split the SBOM or raise the size limit")
	if err != nil {
		return nil, err
	}
	return checkProfileData(data, path, o)
}

func checkProfileData(data []byte, name string, o *options) (*ProfileReport, error) {
	s, err := Sniff(data, name)
	if err != nil {
		return nil, err
	}
	if err := checkBudget(data, s.Format, name, o.limits); err != nil {
		return nil, err
	}
	rep := &ProfileReport{MediaType: vocab.MediaTypeSBOMProfile, Profile: ProfileBSITR031832, Guideline: guidelineBSI,
		Source: name, Format: s.Format, SpecVersion: s.SpecVersion, Fields: map[string]int{}}
	pc := &profileCheck{rep: rep}
	switch s.Format {
	case FormatCycloneDXJSON, FormatCycloneDXXML:
		err = pc.cyclonedx(data, s, name)
	case FormatSPDX3JSON:
		err = pc.spdx3(data, name)
	case FormatSPDXJSON, FormatSPDXTagValue:
		pc.gap("sbom.format", "4", "", "", "SPDX "+strings.TrimPrefix(s.SpecVersion, "SPDX-")+
			" is not admitted: the guideline requires CycloneDX 1.6 or later, or SPDX 3.0.1 or later, and maps no SPDX 2 field")
	default:
		pc.gap("sbom.format", "4", "", "", s.Format.Title()+" is not an SBOM format the guideline admits (CycloneDX 1.6+, SPDX 3.0.1+)")
	}
	if err != nil {
		return nil, err
	}
	rep.Conformant = len(rep.Gaps) == 0
	for _, g := range rep.Gaps {
		rep.Fields[g.Field]++
	}
	return rep, nil
}

type profileCheck struct {
	rep *ProfileReport
}

func (pc *profileCheck) gap(field, section, component, loc, detail string) {
	pc.rep.Gaps = append(pc.rep.Gaps, ProfileGap{Field: field, Section: section, Component: component, Location: loc, Detail: detail})
}

// component starts checking one component and returns a function that
// records its gaps.
func (pc *profileCheck) component(title, loc string) func(field, detail string) {
	pc.rep.Components++
	counted := false
	return func(field, detail string) {
		if !counted {
			counted = true
			pc.rep.WithGaps++
		}
		pc.gap(field, "5.2.2", title, loc, detail)
	}
}

// Properties that carry BSI data fields in CycloneDX (the BSI CycloneDX
// property taxonomy).
const (
	bsiFilename         = "bsi:component:filename"
	bsiExecutable       = "bsi:component:executable"
	bsiArchive          = "bsi:component:archive"
	bsiStructured       = "bsi:component:structured"
	bsiEffectiveLicence = "bsi:component:effectiveLicense"
)

var bsiPropertyValues = map[string][]string{
	bsiExecutable: {"executable", "non-executable"},
	bsiArchive:    {"archive", "no archive"},
	bsiStructured: {"structured", "unstructured"},
}

func (pc *profileCheck) cyclonedx(data []byte, s Sniffed, name string) error {
	bom := new(cdx.BOM)
	format := cdx.BOMFileFormatJSON
	if s.Format == FormatCycloneDXXML {
		format = cdx.BOMFileFormatXML
	}
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(bom); err != nil {
		return malformed(err, "validate the SBOM against the CycloneDX schema (cyclonedx-cli validate)", "decoding CycloneDX %s", quoteName(name))
	}
	loc := cdxLoc{xml: s.Format == FormatCycloneDXXML}
	if semver.Compare("v"+s.SpecVersion, "v1.6") < 0 {
		pc.gap("sbom.format", "4", "", loc.root()+"/specVersion", "CycloneDX "+s.SpecVersion+" is older than 1.6, the oldest version the guideline admits")
	}
	m := bom.Metadata
	if m == nil || !(entityReachable(m.Manufacturer) || entityReachable(m.Supplier) || contactsReachable(m.Authors)) {
		pc.gap("sbom.creator", "5.2.1", "", loc.root()+"/metadata", "no e-mail address or URL of the SBOM's creator (metadata.manufacturer, supplier or authors)")
	}
	if m == nil || strings.TrimSpace(m.Timestamp) == "" {
		pc.gap("sbom.timestamp", "5.2.1", "", loc.root()+"/metadata/timestamp", "no timestamp of the SBOM's compilation")
	}
	if strings.TrimSpace(bom.SerialNumber) == "" {
		pc.gap("sbom.uri", "5.2.1", "", loc.root()+"/serialNumber", "no SBOM-URI: the serialNumber (urn:uuid:...) that makes the BOM-Link urn:cdx:SERIAL/VERSION")
	}
	if bom.Vulnerabilities != nil && len(*bom.Vulnerabilities) > 0 {
		pc.gap("sbom.no-vulnerabilities", "3.1", "", loc.root()+"/vulnerabilities",
			fmt.Sprintf("the SBOM carries %d vulnerabilities; the guideline keeps them out of the SBOM (give them as CSAF or VEX)", len(*bom.Vulnerabilities)))
	}
	hasDeps := map[string]bool{}
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			hasDeps[d.Ref] = true
		}
	}
	var walk func(c *cdx.Component, at string, depth int)
	walk = func(c *cdx.Component, at string, depth int) {
		if depth > 64 {
			return
		}
		pc.cdxComponent(c, at, loc, hasDeps)
		if c.Components != nil {
			for i := range *c.Components {
				walk(&(*c.Components)[i], loc.item(at, "components", "component", i), depth+1)
			}
		}
	}
	if m != nil && m.Component != nil {
		walk(m.Component, loc.root()+"/metadata/component", 0)
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			walk(&(*bom.Components)[i], loc.item(loc.root(), "components", "component", i), 0)
		}
	}
	return nil
}

func (pc *profileCheck) cdxComponent(c *cdx.Component, at string, loc cdxLoc, hasDeps map[string]bool) {
	title := c.Name
	if c.Group != "" {
		title = c.Group + "/" + title
	}
	if c.Version != "" {
		title += "@" + c.Version
	}
	miss := pc.component(title, at)
	if !(entityReachable(c.Manufacturer) || entityReachable(c.Supplier) || contactsReachable(c.Authors)) {
		miss("component.creator", "no e-mail address or URL of the component's creator (manufacturer, supplier or authors)")
	}
	if strings.TrimSpace(c.Name) == "" {
		miss("component.name", "no name")
	}
	if strings.TrimSpace(c.Version) == "" {
		miss("component.version", "no version (or file modification date)")
	}
	props := map[string]string{}
	if c.Properties != nil {
		for _, p := range *c.Properties {
			if _, seen := props[p.Name]; !seen {
				props[p.Name] = strings.TrimSpace(p.Value)
			}
		}
	}
	if props[bsiFilename] == "" {
		miss("component.filename", "no "+bsiFilename+" property")
	}
	if !hasDeps[c.BOMRef] && (c.Components == nil || len(*c.Components) == 0) {
		miss("component.dependencies", "not listed in dependencies (even with an empty dependsOn) and no nested components")
	}
	concluded, declared := false, false
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			ack := ""
			if l.Acknowledgement != nil {
				ack = string(*l.Acknowledgement)
			} else if l.License != nil {
				ack = string(l.License.Acknowledgement)
			}
			switch ack {
			case "concluded":
				concluded = true
			case "declared":
				declared = true
			}
		}
	}
	switch {
	case concluded || props[bsiEffectiveLicence] != "":
	case declared || (c.Licenses != nil && len(*c.Licenses) > 0):
		miss("component.licence", "licences given, but none marked acknowledgement \"concluded\" (the distribution licence) and no "+bsiEffectiveLicence+" property")
	default:
		miss("component.licence", "no distribution licence")
	}
	sha512 := hasAlg(c.Hashes, "SHA-512")
	if c.ExternalReferences != nil {
		for _, r := range *c.ExternalReferences {
			if r.Type == cdx.ERTypeDistribution && hasAlg(r.Hashes, "SHA-512") {
				sha512 = true
			}
		}
	}
	if !sha512 {
		miss("component.hash", "no SHA-512 hash of the deployable component (externalReferences type distribution, or hashes)")
	}
	for _, name := range []string{bsiExecutable, bsiArchive, bsiStructured} {
		v, ok := props[name]
		switch {
		case !ok || v == "":
			miss("component."+strings.TrimPrefix(name, "bsi:component:"), "no "+name+" property")
		case !slices.Contains(bsiPropertyValues[name], v):
			miss("component."+strings.TrimPrefix(name, "bsi:component:"), fmt.Sprintf("%s is %q, want %s", name, v, strings.Join(bsiPropertyValues[name], " or ")))
		}
	}
	if strings.TrimSpace(c.PackageURL) == "" && strings.TrimSpace(c.CPE) == "" && (c.SWID == nil || c.SWID.TagID == "") {
		miss("component.identifiers", "no purl, CPE or SWID tag")
	}
}

func hasAlg(hs *[]cdx.Hash, alg string) bool {
	if hs == nil {
		return false
	}
	for _, h := range *hs {
		if string(h.Algorithm) == alg && strings.TrimSpace(h.Value) != "" {
			return true
		}
	}
	return false
}

func entityReachable(e *cdx.OrganizationalEntity) bool {
	if e == nil {
		return false
	}
	if e.URL != nil {
		for _, u := range *e.URL {
			if strings.TrimSpace(u) != "" {
				return true
			}
		}
	}
	return e.Contact != nil && contactsReachable(e.Contact)
}

func contactsReachable(cs *[]cdx.OrganizationalContact) bool {
	if cs == nil {
		return false
	}
	for _, c := range *cs {
		if strings.Contains(c.Email, "@") {
			return true
		}
	}
	return false
}

// spdx3 checks an SPDX 3.0.1 document. Files carry the file name, the
// SHA-512 and the purposes; a package has them through the File its
// hasDistributionArtifact relationship names.
func (pc *profileCheck) spdx3(data []byte, name string) error {
	var doc spdx3Doc
	if err := json.Unmarshal(data, &doc); err != nil {
		return jsonError(err, data, name)
	}
	byID := map[string]int{}
	for i := range doc.Graph {
		if id := string(doc.Graph[i].SPDXID); id != "" {
			byID[id] = i
		}
	}
	creation := -1
	sbomElem := -1
	rels := map[string]map[string][]string{} // from -> type -> to
	for i := range doc.Graph {
		e := &doc.Graph[i]
		switch string(e.Type) {
		case "CreationInfo":
			if creation < 0 {
				creation = i
			}
		case "software_Sbom":
			if sbomElem < 0 {
				sbomElem = i
			}
		case "Relationship", "LifecycleScopedRelationship":
			from := string(e.From)
			if rels[from] == nil {
				rels[from] = map[string][]string{}
			}
			t := string(e.RelationshipType)
			for _, to := range e.To {
				rels[from][t] = append(rels[from][t], string(to))
			}
			if len(e.To) == 0 {
				rels[from][t] = append(rels[from][t], "")
			}
		}
	}
	if creation < 0 || len(doc.Graph[creation].CreatedBy) == 0 {
		pc.gap("sbom.creator", "5.2.1", "", "/@graph", "no CreationInfo createdBy naming the SBOM's creator")
	}
	if creation < 0 || strings.TrimSpace(string(doc.Graph[creation].Created)) == "" {
		pc.gap("sbom.timestamp", "5.2.1", "", "/@graph", "no CreationInfo created timestamp")
	}
	if sbomElem < 0 || string(doc.Graph[sbomElem].SPDXID) == "" {
		pc.gap("sbom.uri", "5.2.1", "", "/@graph", "no software_Sbom element whose spdxId is the SBOM-URI")
	}
	for i := range doc.Graph {
		e := &doc.Graph[i]
		if string(e.Type) == "security_Vulnerability" {
			pc.gap("sbom.no-vulnerabilities", "3.1", "", fmt.Sprintf("/@graph/%d", i), "the SBOM carries vulnerability elements; the guideline keeps them out of the SBOM")
			break
		}
	}
	for i := range doc.Graph {
		if string(doc.Graph[i].Type) == "software_Package" {
			pc.spdx3Package(&doc, i, byID, rels)
		}
	}
	return nil
}

// spdx3Package checks one software_Package of an SPDX 3 graph; byID
// indexes the graph's elements and rels its relationships (from -> type ->
// to).
func (pc *profileCheck) spdx3Package(doc *spdx3Doc, i int, byID map[string]int, rels map[string]map[string][]string) {
	e := &doc.Graph[i]
	id := string(e.SPDXID)
	title := string(e.Name)
	if e.PackageVersion != "" {
		title += "@" + string(e.PackageVersion)
	}
	miss := pc.component(title, fmt.Sprintf("/@graph/%d", i))
	if len(e.OriginatedBy) == 0 && e.SuppliedBy == "" {
		miss("component.creator", "no originatedBy (or suppliedBy) agent")
	}
	if strings.TrimSpace(string(e.Name)) == "" {
		miss("component.name", "no name")
	}
	if strings.TrimSpace(string(e.PackageVersion)) == "" {
		miss("component.version", "no software_packageVersion")
	}
	var file *spdx3Element
	for _, f := range rels[id]["hasDistributionArtifact"] {
		if j, ok := byID[f]; ok && string(doc.Graph[j].Type) == "software_File" {
			file = &doc.Graph[j]
			break
		}
	}
	if file == nil || strings.TrimSpace(string(file.Name)) == "" {
		miss("component.filename", "no software_File named by a hasDistributionArtifact relationship")
	}
	if len(rels[id]["dependsOn"]) == 0 && len(rels[id]["contains"]) == 0 {
		miss("component.dependencies", "no dependsOn or contains relationship from it (even one with completeness and no targets)")
	}
	if len(rels[id]["hasConcludedLicense"]) == 0 {
		miss("component.licence", "no hasConcludedLicense relationship (the distribution licence)")
	}
	sha512 := false
	for _, el := range []*spdx3Element{e, file} {
		if el == nil {
			continue
		}
		for _, h := range el.VerifiedUsing {
			if strings.EqualFold(string(h.Algorithm), "sha512") && h.HashValue != "" {
				sha512 = true
			}
		}
	}
	if !sha512 {
		miss("component.hash", "no sha512 in verifiedUsing of the distribution file")
	}
	var purposes []string
	if file != nil {
		for _, p := range file.AdditionalPurpose {
			purposes = append(purposes, string(p))
		}
		purposes = append(purposes, string(file.PrimaryPurpose))
	}
	if !slices.Contains(purposes, "executable") {
		miss("component.executable", "the distribution file's additionalPurpose does not say executable")
	}
	if !slices.Contains(purposes, "archive") {
		miss("component.archive", "the distribution file's additionalPurpose does not say archive")
	}
	if !slices.Contains(purposes, "container") && !slices.Contains(purposes, "firmware") {
		miss("component.structured", "the distribution file's additionalPurpose says neither container (structured) nor firmware (unstructured)")
	}
	ids := e.PackageURL != ""
	for _, x := range e.ExternalIDs {
		switch string(x.Type) {
		case "packageUrl", "cpe22", "cpe23", "swid":
			ids = true
		}
	}
	if !ids {
		miss("component.identifiers", "no purl, CPE or SWID external identifier")
	}
}
