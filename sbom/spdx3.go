package sbom

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SPDX 3.0.1 serialises a document as JSON-LD: an "@context" naming the
// SPDX 3 context and an "@graph" of elements, each with a "type". sovcheck
// reads the compacted form the specification's context defines (the form
// every SPDX 3 generator writes): packages and files become components,
// relationships become edges, licences come from hasDeclaredLicense and
// hasConcludedLicense relationships to licence expressions, suppliers from
// suppliedBy agents. Other element types are read for what they name and
// otherwise ignored.

// spdx3Element holds the fields of any SPDX 3 element sovcheck reads.
type spdx3Element struct {
	Type   looseString `json:"type"`
	SPDXID looseString `json:"spdxId"`
	ID     looseString `json:"@id"`
	Name   looseString `json:"name"`

	// Packages and files.
	PackageVersion    looseString        `json:"software_packageVersion"`
	PackageURL        looseString        `json:"software_packageUrl"`
	DownloadLocation  looseString        `json:"software_downloadLocation"`
	SourceInfo        looseString        `json:"software_sourceInfo"`
	PrimaryPurpose    looseString        `json:"software_primaryPurpose"`
	AdditionalPurpose looseList          `json:"software_additionalPurpose"`
	VerifiedUsing     []spdx3Hash        `json:"verifiedUsing"`
	SuppliedBy        looseString        `json:"suppliedBy"`
	OriginatedBy      looseList          `json:"originatedBy"`
	ExternalIDs       []spdx3ExternalID  `json:"externalIdentifier"`
	ExternalRefs      []spdx3ExternalRef `json:"externalRef"`

	// Relationships.
	From             looseString `json:"from"`
	To               looseList   `json:"to"`
	RelationshipType looseString `json:"relationshipType"`
	Completeness     looseString `json:"completeness"`

	// Licence expressions.
	LicenseExpression looseString `json:"simplelicensing_licenseExpression"`

	// Documents and SBOMs.
	RootElement looseList `json:"rootElement"`

	// CreationInfo.
	SpecVersion looseString `json:"specVersion"`
	Created     looseString `json:"created"`
	CreatedBy   looseList   `json:"createdBy"`
}

type spdx3Hash struct {
	Algorithm looseString `json:"algorithm"`
	HashValue looseString `json:"hashValue"`
}

type spdx3ExternalID struct {
	Type       looseString `json:"externalIdentifierType"`
	Identifier looseString `json:"identifier"`
}

type spdx3ExternalRef struct {
	Type    looseString   `json:"externalRefType"`
	Locator []looseString `json:"locator"`
}

// looseList is a list of strings that may be written as one string.
type looseList []looseString

func (l *looseList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]looseString)(l))
	}
	var one looseString
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*l = looseList{one}
	return nil
}

type spdx3Doc struct {
	Context json.RawMessage `json:"@context"`
	Graph   []spdx3Element  `json:"@graph"`
}

// SPDX 3 relationship types by direction (camelCase in 3.0).
var (
	spdx3Forward = map[string]bool{"dependsOn": true, "contains": true, "hasStaticLink": true, "hasDynamicLink": true,
		"hasPrerequisite": true, "hasProvidedDependency": true, "hasOptionalDependency": true}
	spdx3Ancestry = map[string]bool{"descendantOf": true, "variantOf": true}
)

// spdx3Version returns the SPDX 3 version a JSON-LD @context names, or "".
func spdx3Version(ctx json.RawMessage) string {
	var urls []string
	var one string
	if json.Unmarshal(ctx, &one) == nil {
		urls = []string{one}
	} else {
		var many []any
		if json.Unmarshal(ctx, &many) == nil {
			for _, m := range many {
				if s, ok := m.(string); ok {
					urls = append(urls, s)
				}
			}
		}
	}
	for _, u := range urls {
		if rest, ok := strings.CutPrefix(u, "https://spdx.org/rdf/"); ok {
			if v, _, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(v, "3.") {
				return v
			}
		}
	}
	return ""
}

func readSPDX3(data []byte, s Sniffed, name string, o *options) (*Graph, error) {
	var doc spdx3Doc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(err, data, name)
	}
	g := &Graph{Source: name, Format: FormatSPDX3JSON, SpecVersion: s.SpecVersion}
	b := newGraphBuilder(g, o.limits)
	agents, licences, creation := spdx3Catalogue(&doc)
	if creation != nil && string(creation.SpecVersion) != "" && !strings.HasPrefix(string(creation.SpecVersion), "3.0") {
		g.Warnings = append(g.Warnings, fmt.Sprintf("CreationInfo specVersion %q differs from the context's %s", creation.SpecVersion, s.SpecVersion))
	}
	for i := range doc.Graph {
		e := &doc.Graph[i]
		typ := string(e.Type)
		if typ != "software_Package" && typ != "software_File" {
			continue
		}
		c := spdx3Component(e, i, agents)
		if _, err := b.add(c); err != nil {
			return nil, err
		}
	}
	var roots []string
	var upstreamOf [][2]int
	for i := range doc.Graph {
		e := &doc.Graph[i]
		switch string(e.Type) {
		case "SpdxDocument", "software_Sbom":
			if string(e.Type) == "software_Sbom" || len(roots) == 0 {
				roots = roots[:0]
				for _, r := range e.RootElement {
					roots = append(roots, string(r))
				}
			}
			if g.Name == "" {
				g.Name = string(e.Name)
			}
			continue
		case "Relationship", "LifecycleScopedRelationship":
		default:
			continue
		}
		typ := string(e.RelationshipType)
		field := fmt.Sprintf("/@graph/%d", i)
		from, fok := b.byRef[string(e.From)]
		switch {
		case typ == "hasDeclaredLicense" || typ == "hasConcludedLicense":
			if !fok {
				continue
			}
			for _, t := range e.To {
				if l, ok := licences[string(t)]; ok {
					c := &g.Components[from]
					if typ == "hasConcludedLicense" || len(c.Licences) == 0 {
						c.Licences = appendLicence(c.Licences, l)
					}
				}
			}
		case spdx3Forward[typ]:
			g.Dependencies = true
			if !fok {
				b.dangling++
				continue
			}
			c := &g.Components[from]
			if len(e.To) > 0 || string(e.Completeness) == "complete" {
				c.DependenciesKnown = true
				if c.DependenciesField == "" {
					c.DependenciesField = field
				}
			}
			for _, t := range e.To {
				if err := b.edge(from, string(t)); err != nil {
					return nil, err
				}
			}
		case spdx3Ancestry[typ], typ == "ancestorOf":
			for _, t := range e.To {
				to, ok := b.byRef[string(t)]
				if !ok || !fok {
					continue
				}
				if typ == "ancestorOf" {
					upstreamOf = append(upstreamOf, [2]int{to, from})
				} else {
					upstreamOf = append(upstreamOf, [2]int{from, to})
				}
			}
		case typ == "patchedBy":
			if fok {
				g.Components[from].Modified = true
				g.Components[from].ModifiedBy = field
			}
		}
	}
	addAncestry(g, upstreamOf, "/software_packageUrl")
	var described []int
	for _, r := range roots {
		if i, ok := b.byRef[r]; ok {
			described = append(described, i)
		}
	}
	if len(described) == 1 {
		g.Root = described[0]
		g.Name, g.Version = g.Components[g.Root].Name, g.Components[g.Root].Version
	} else if len(described) > 1 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("the document has %d root elements; none is taken as the product root", len(described)))
	}
	if g.Name == "" {
		g.Name = name
	}
	return b.finish(), nil
}

// spdx3Catalogue is the first pass over an SPDX 3 graph: the names of its
// agents and licences by element id, and its first CreationInfo.
func spdx3Catalogue(doc *spdx3Doc) (agents, licences map[string]string, creation *spdx3Element) {
	agents, licences = map[string]string{}, map[string]string{}
	for i := range doc.Graph {
		e := &doc.Graph[i]
		id := string(e.SPDXID)
		switch typ := string(e.Type); typ {
		case "Person", "Organization", "Agent", "SoftwareAgent", "Tool":
			agents[id] = strings.TrimSpace(string(e.Name))
		case "simplelicensing_LicenseExpression":
			licences[id] = string(e.LicenseExpression)
		case "CreationInfo":
			if creation == nil {
				creation = e
			}
		}
		if strings.HasPrefix(string(e.Type), "expandedlicensing_") && e.Name != "" {
			licences[id] = string(e.Name)
		}
	}
	return agents, licences, creation
}

func spdx3Component(e *spdx3Element, i int, agents map[string]string) Component {
	loc := fmt.Sprintf("/@graph/%d", i)
	kind := strings.ToLower(strings.ReplaceAll(string(e.PrimaryPurpose), "_", "-"))
	if kind == "" && string(e.Type) == "software_File" {
		kind = "file"
	}
	c := Component{
		Ref:      string(e.SPDXID),
		Location: loc,
		Kind:     kind,
		Name:     string(e.Name),
		Version:  string(e.PackageVersion),
		PURL:     strings.TrimSpace(string(e.PackageURL)),
	}
	if string(e.Type) == "software_File" {
		c.FileName = c.Name
	}
	for _, h := range e.VerifiedUsing {
		if v := strings.TrimSpace(string(h.HashValue)); v != "" {
			c.Hashes = append(c.Hashes, Hash{Algorithm: strings.ToUpper(string(h.Algorithm)), Value: v})
		}
	}
	if s, ok := agents[string(e.SuppliedBy)]; ok && s != "" {
		c.Supplier = s
	}
	for _, o := range e.OriginatedBy {
		if a := agents[string(o)]; a != "" {
			c.Authors = append(c.Authors, a)
		}
	}
	for _, x := range e.ExternalIDs {
		v := strings.TrimSpace(string(x.Identifier))
		switch string(x.Type) {
		case "packageUrl":
			if c.PURL == "" {
				c.PURL = v
			}
		case "cpe23", "cpe22":
			if c.CPE == "" {
				c.CPE = v
			}
		case "swid":
			if c.SWID == "" {
				c.SWID = v
			}
		}
	}
	var hints []UpstreamHint
	if src := sourceInfoPackage(string(e.SourceInfo)); src != "" {
		hints = append(hints, UpstreamHint{Key: sourceKey(src), Rule: "spdx-source-info", Field: loc + "/software_sourceInfo"})
	}
	if dl := strings.TrimSpace(string(e.DownloadLocation)); isVCSLocation(dl) {
		c.VCS = dl
		hints = append(hints, UpstreamHint{Key: normalizeVCS(dl), Rule: "vcs-reference", Field: loc + "/software_downloadLocation"})
	}
	for j, r := range e.ExternalRefs {
		if string(r.Type) == "vcs" && len(r.Locator) > 0 && c.VCS == "" {
			c.VCS = strings.TrimSpace(string(r.Locator[0]))
			hints = append(hints, UpstreamHint{Key: normalizeVCS(c.VCS), Rule: "vcs-reference", Field: fmt.Sprintf("%s/externalRef/%d", loc, j)})
		}
	}
	if p, ok := parsePURL(c.PURL); ok {
		ph := purlHints(p, loc+"/software_packageUrl")
		if len(ph) > 0 && ph[0].Rule == "purl-upstream-qualifier" {
			hints = append(ph[:1:1], hints...)
		}
		hints = append(hints, ph...)
	}
	c.UpstreamHints = dedupeHints(hints)
	return c
}
