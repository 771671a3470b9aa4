package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Component properties that name a distribution source package, written by
// common SBOM generators (syft, trivy). Each maps to the rule name reported.
var sourceProperties = map[string]string{
	"syft:metadata:source":        "property-syft-source",
	"syft:metadata:originPackage": "property-syft-origin",
	"syft:metadata:sourceRpm":     "property-syft-source-rpm",
	"aquasecurity:trivy:SrcName":  "property-trivy-source",
	"sovcheck:upstream":           "property-sovcheck-upstream",
}

// cdxLoc builds locations in the document's own syntax: JSON pointers for
// JSON, 1-based XML paths for XML.
type cdxLoc struct{ xml bool }

func (l cdxLoc) root() string {
	if l.xml {
		return "/bom"
	}
	return ""
}

func (l cdxLoc) item(parent, list, elem string, i int) string {
	if l.xml {
		return fmt.Sprintf("%s/%s/%s[%d]", parent, list, elem, i+1)
	}
	return fmt.Sprintf("%s/%s/%d", parent, list, i)
}

func (l cdxLoc) field(loc, name string) string { return loc + "/" + name }

// decodeCycloneDX decodes a CycloneDX document into cyclonedx-go's types.
// JSON is decoded with JSON v2 in its encoding/json mode (the types' own
// UnmarshalJSON methods run as with encoding/json), in a third of the time
// and allocations; a document it refuses is decoded again by
// cyclonedx-go's own decoder, whose verdict and error stand, so that what
// is accepted and why a document is refused do not change
// (FuzzCycloneDXDecodeSame holds the two decodes equal).
func decodeCycloneDX(data []byte, f Format) (*cdx.BOM, error) {
	bom := new(cdx.BOM)
	if f == FormatCycloneDXJSON {
		if jsonv2.Unmarshal(data, bom, jsonv1.DefaultOptionsV1()) == nil {
			return bom, nil
		}
		bom = new(cdx.BOM)
	}
	format := cdx.BOMFileFormatJSON
	if f == FormatCycloneDXXML {
		format = cdx.BOMFileFormatXML
	}
	return bom, cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(bom)
}

func readCycloneDX(data []byte, s Sniffed, name string, o *options) (*Graph, error) {
	bom, err := decodeCycloneDX(data, s.Format)
	if err != nil {
		var se *json.SyntaxError
		if s.Format == FormatCycloneDXJSON && errors.As(err, &se) {
			return nil, jsonError(err, data, name)
		}
		return nil, malformed(err, "validate the SBOM against the CycloneDX schema (cyclonedx-cli validate)", "decoding CycloneDX %s", quoteName(name))
	}
	g := &Graph{Source: name, Format: s.Format, SpecVersion: s.SpecVersion}
	b := newGraphBuilder(g, o.limits)
	r := &cdxReader{b: b, loc: cdxLoc{xml: s.Format == FormatCycloneDXXML}, limits: o.limits}
	if m := bom.Metadata; m != nil && m.Component != nil {
		idx, err := r.walk(m.Component, r.loc.root()+"/metadata/component", 0)
		if err != nil {
			return nil, err
		}
		g.Root = idx
		g.Name, g.Version = m.Component.Name, m.Component.Version
		if m.Component.Group != "" {
			g.Name = m.Component.Group + "/" + m.Component.Name
		}
		if g.Components[idx].Supplier == "" {
			if m.Supplier != nil && m.Supplier.Name != "" {
				g.Components[idx].Supplier = m.Supplier.Name
			} else if m.Manufacturer != nil && m.Manufacturer.Name != "" {
				g.Components[idx].Supplier = m.Manufacturer.Name
			}
		}
	}
	if bom.Components != nil {
		for i := range *bom.Components {
			if _, err := r.walk(&(*bom.Components)[i], r.loc.item(r.loc.root(), "components", "component", i), 0); err != nil {
				return nil, err
			}
		}
	}
	// Nested components are parts of their parent: if a part fails, so
	// does the assembly, so the containment counts as an edge.
	for _, e := range r.contains {
		if err := b.edgeIndex(e[0], e[1]); err != nil {
			return nil, err
		}
	}
	if bom.Dependencies != nil && len(*bom.Dependencies) > 0 {
		g.Dependencies = true
		for i, d := range *bom.Dependencies {
			from, ok := b.byRef[d.Ref]
			if !ok {
				b.dangling++
				continue
			}
			c := &g.Components[from]
			c.DependenciesKnown = true
			c.DependenciesField = r.loc.item(r.loc.root(), "dependencies", "dependency", i)
			if d.Dependencies == nil {
				continue
			}
			for _, to := range *d.Dependencies {
				if err := b.edge(from, to); err != nil {
					return nil, err
				}
			}
		}
	}
	if bom.Vulnerabilities != nil {
		g.DeclaresVulnerabilities = true
		r.vulnerabilities(*bom.Vulnerabilities)
	}
	if g.Name == "" {
		g.Name = name
	}
	if g.Services, err = readServices(bom.Services, r.loc, o.limits); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

type cdxReader struct {
	b        *graphBuilder
	loc      cdxLoc
	limits   Limits
	contains [][2]int
}

func (r *cdxReader) walk(c *cdx.Component, loc string, depth int) (int, error) {
	if depth >= r.limits.MaxNesting {
		return -1, tooMany("levels of nested components", r.limits.MaxNesting, "flatten the SBOM's component tree")
	}
	idx, err := r.b.add(r.component(c, loc))
	if err != nil {
		return -1, err
	}
	if c.Components != nil {
		for i := range *c.Components {
			child, err := r.walk(&(*c.Components)[i], r.loc.item(loc, "components", "component", i), depth+1)
			if err != nil {
				return -1, err
			}
			r.contains = append(r.contains, [2]int{idx, child})
		}
	}
	return idx, nil
}

func (r *cdxReader) component(c *cdx.Component, loc string) Component {
	out := Component{
		Ref:      c.BOMRef,
		Location: loc,
		Kind:     string(c.Type),
		Group:    c.Group,
		Name:     c.Name,
		Version:  c.Version,
		PURL:     strings.TrimSpace(c.PackageURL),
		CPE:      strings.TrimSpace(c.CPE),
		MIMEType: c.MIMEType,
	}
	if c.SWID != nil {
		out.SWID = c.SWID.TagID
	}
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			if v := strings.TrimSpace(h.Value); v != "" {
				out.Hashes = append(out.Hashes, Hash{Algorithm: string(h.Algorithm), Value: v})
			}
		}
	}
	switch {
	case c.Supplier != nil && strings.TrimSpace(c.Supplier.Name) != "":
		out.Supplier = strings.TrimSpace(c.Supplier.Name)
	case c.Manufacturer != nil && strings.TrimSpace(c.Manufacturer.Name) != "":
		out.Supplier = strings.TrimSpace(c.Manufacturer.Name)
	case strings.TrimSpace(c.Publisher) != "":
		out.Supplier = strings.TrimSpace(c.Publisher)
	}
	if a := strings.TrimSpace(c.Author); a != "" {
		out.Authors = append(out.Authors, a)
	}
	if c.Authors != nil {
		for _, a := range *c.Authors {
			if n := strings.TrimSpace(a.Name); n != "" {
				out.Authors = append(out.Authors, n)
			} else if e := strings.TrimSpace(a.Email); e != "" {
				out.Authors = append(out.Authors, e)
			}
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case strings.TrimSpace(l.Expression) != "":
				out.Licences = appendLicence(out.Licences, l.Expression)
			case l.License != nil && l.License.ID != "":
				out.Licences = appendLicence(out.Licences, l.License.ID)
			case l.License != nil && l.License.Name != "":
				out.Licences = appendLicence(out.Licences, l.License.Name)
			}
		}
	}
	var hints []UpstreamHint
	purlField := r.loc.field(loc, "purl")
	p, purlOK := parsePURL(out.PURL)
	if purlOK {
		if name, _ := sourcePackage(p); name != "" {
			hints = append(hints, UpstreamHint{Key: sourceKey(name), Rule: "purl-upstream-qualifier", Field: purlField})
		}
	}
	if c.Properties != nil {
		for i, prop := range *c.Properties {
			if prop.Name == "aquasecurity:trivy:Type" && out.PURL == "" && strings.TrimSpace(prop.Value) != "" {
				out.Placeholder = RulePlaceholderTrivyApp
			}
			rule := sourceProperties[prop.Name]
			if rule == "" || strings.TrimSpace(prop.Value) == "" {
				continue
			}
			field := r.loc.item(loc, "properties", "property", i)
			if prop.Name == "sovcheck:upstream" {
				hints = append(hints, UpstreamHint{Key: strings.TrimSpace(prop.Value), Rule: rule, Field: field})
				continue
			}
			name, _ := splitSourceRef(prop.Value)
			hints = append(hints, UpstreamHint{Key: sourceKey(name), Rule: rule, Field: field})
		}
	}
	if c.Pedigree != nil {
		if c.Pedigree.Ancestors != nil {
			for i, a := range *c.Pedigree.Ancestors {
				field := r.loc.item(r.loc.field(loc, "pedigree"), "ancestors", "component", i)
				if ap, ok := parsePURL(strings.TrimSpace(a.PackageURL)); ok {
					for _, h := range purlHints(ap, field+"/purl") {
						h.Rule = "cyclonedx-pedigree-ancestor"
						hints = append(hints, h)
					}
				} else if a.Name != "" {
					hints = append(hints, UpstreamHint{Key: sourceKey(a.Name), Rule: "cyclonedx-pedigree-ancestor", Field: field + "/name"})
				}
			}
		}
		if c.Pedigree.Patches != nil && len(*c.Pedigree.Patches) > 0 {
			out.Modified = true
			out.ModifiedBy = r.loc.field(r.loc.field(loc, "pedigree"), "patches")
		}
	}
	if c.Modified != nil && *c.Modified {
		out.Modified = true
		out.ModifiedBy = r.loc.field(loc, "modified")
	}
	if c.ExternalReferences != nil {
		for i, ref := range *c.ExternalReferences {
			if ref.Type == cdx.ERTypeVCS && strings.TrimSpace(ref.URL) != "" {
				out.VCS = strings.TrimSpace(ref.URL)
				hints = append(hints, UpstreamHint{Key: normalizeVCS(out.VCS), Rule: "vcs-reference",
					Field: r.loc.item(loc, "externalReferences", "reference", i)})
				break
			}
		}
	}
	if purlOK {
		hints = append(hints, purlHints(p, purlField)...)
	}
	out.UpstreamHints = dedupeHints(hints)
	return out
}

func (r *cdxReader) vulnerabilities(vs []cdx.Vulnerability) {
	dangling := 0
	defer func() {
		if dangling > 0 {
			r.b.warnf("%d vulnerability targets name no component and were dropped", dangling)
		}
	}()
	for i, v := range vs {
		if v.ID == "" || v.Affects == nil {
			continue
		}
		// The SBOM's own analysis is shown, never trusted: only a VEX
		// source the caller trusts suppresses a finding.
		var state, justification string
		if v.Analysis != nil {
			state, justification = string(v.Analysis.State), string(v.Analysis.Justification)
		}
		var aliases []string
		if v.References != nil {
			for _, ref := range *v.References {
				if ref.ID != "" && ref.ID != v.ID {
					aliases = append(aliases, ref.ID)
				}
			}
		}
		field := r.loc.item(r.loc.root(), "vulnerabilities", "vulnerability", i)
		for _, a := range *v.Affects {
			idx, ok := r.b.byRef[a.Ref]
			if !ok {
				dangling++
				continue
			}
			c := &r.b.g.Components[idx]
			c.Vulnerabilities = append(c.Vulnerabilities, DeclaredVulnerability{ID: v.ID, Aliases: aliases, Field: field,
				Severity: cdxSeverity(v.Ratings), AnalysisState: state, Justification: justification})
		}
	}
}

// appendLicence keeps meaningful licence values only.
func appendLicence(ls []string, v string) []string {
	v = strings.TrimSpace(v)
	switch strings.ToUpper(v) {
	case "", "NOASSERTION", "UNKNOWN", "NONE":
		return ls
	}
	return append(ls, v)
}

// normalizeVCS turns the usual spellings of one repository into one key.
func normalizeVCS(u string) string {
	u = strings.TrimSpace(u)
	u = strings.TrimPrefix(u, "git+")
	if rest, ok := strings.CutPrefix(u, "git@"); ok {
		u = "https://" + strings.Replace(rest, ":", "/", 1)
	}
	u = strings.TrimPrefix(u, "git://")
	u = strings.TrimPrefix(u, "ssh://")
	u = strings.TrimPrefix(u, "https://")
	u = strings.TrimPrefix(u, "http://")
	if i := strings.IndexAny(u, "#?"); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	return "vcs:" + strings.ToLower(u)
}

func dedupeHints(hs []UpstreamHint) []UpstreamHint {
	if len(hs) < 2 {
		return hs
	}
	out := hs[:0]
	seen := make(map[string]bool, len(hs))
	for _, h := range hs {
		if h.Key == "" || h.Key == "src:" || seen[h.Key] {
			continue
		}
		seen[h.Key] = true
		out = append(out, h)
	}
	return out
}
