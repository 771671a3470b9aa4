package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_2"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// SPDX relationship types by direction. Forward types make A depend on B,
// reverse types make B depend on A.
var (
	spdxForward = map[string]bool{
		"DEPENDS_ON": true, "CONTAINS": true, "STATIC_LINK": true, "DYNAMIC_LINK": true, "HAS_PREREQUISITE": true,
	}
	spdxReverse = map[string]bool{
		"DEPENDENCY_OF": true, "BUILD_DEPENDENCY_OF": true, "DEV_DEPENDENCY_OF": true, "OPTIONAL_DEPENDENCY_OF": true,
		"PROVIDED_DEPENDENCY_OF": true, "TEST_DEPENDENCY_OF": true, "RUNTIME_DEPENDENCY_OF": true,
		"CONTAINED_BY": true, "PREREQUISITE_FOR": true, "PACKAGE_OF": true, "OPTIONAL_COMPONENT_OF": true,
	}
)

// readSPDX decodes with spdx/tools-golang first. Real documents often break
// small rules (an originator without "Person:", an SPDXID without
// "SPDXRef-"); when the strict decode fails, a tolerant decoder reads the
// fields sovcheck needs and every deviation becomes a Graph warning.
func readSPDX(data []byte, s Sniffed, name string, o *options) (*Graph, error) {
	doc, err := strictSPDX(data, s.SpecVersion)
	var warnings []string
	if err != nil {
		if !json.Valid(data) {
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				// The strict decoder failed on the structure; find the
				// syntax error itself.
				err = json.Unmarshal(data, new(any))
			}
			return nil, jsonError(err, data, name)
		}
		lenient, devs, lerr := lenientSPDX(data)
		if lerr != nil {
			return nil, malformed(lerr, "validate the document with the SPDX online validator or spdx-tools verify",
				"decoding SPDX %s (strict decode: %v)", quoteName(name), err)
		}
		o.logger.LogAttrs(context.Background(), slog.LevelWarn, "SPDX document deviates from the specification; read tolerantly",
			slog.String("input", name), slog.String("strict_error", err.Error()))
		doc = lenient
		warnings = append(warnings, "SPDX document deviates from the specification and was read tolerantly: "+err.Error())
		warnings = append(warnings, devs...)
	}
	g, err := spdxGraph(doc, s, name, o.limits)
	if err != nil {
		return nil, err
	}
	g.Warnings = append(warnings, g.Warnings...)
	return g, nil
}

func strictSPDX(data []byte, version string) (doc *v2_3.Document, err error) {
	defer func() {
		// The converter walks structures by reflection; refuse rather
		// than crash on a shape it does not expect.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("converting SPDX document: %v", r)
		}
	}()
	switch version {
	case v2_3.Version:
		var d v2_3.Document
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		return &d, nil
	case v2_2.Version:
		var d22 v2_2.Document
		if err := json.Unmarshal(data, &d22); err != nil {
			return nil, err
		}
		var d v2_3.Document
		if err := convert.Document(&d22, &d); err != nil {
			return nil, err
		}
		return &d, nil
	}
	return nil, fmt.Errorf("unsupported SPDX version %q", version)
}

func spdxGraph(doc *v2_3.Document, s Sniffed, name string, limits Limits) (*Graph, error) {
	g := &Graph{Source: name, Format: FormatSPDXJSON, SpecVersion: s.SpecVersion, Name: doc.DocumentName}
	b := newGraphBuilder(g, limits)
	for i, p := range doc.Packages {
		if p == nil {
			continue
		}
		if _, err := b.add(spdxComponent(p, i)); err != nil {
			return nil, err
		}
	}
	docID := "SPDXRef-" + string(doc.SPDXIdentifier)
	var described []int
	var upstreamOf [][2]int // [component, its upstream component]
	for i, r := range doc.Relationships {
		if r == nil || r.RefA.DocumentRefID != "" {
			continue
		}
		typ := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(r.Relationship), "-", "_"))
		refA := "SPDXRef-" + string(r.RefA.ElementRefID)
		refB := "SPDXRef-" + string(r.RefB.ElementRefID)
		field := fmt.Sprintf("/relationships/%d", i)
		a, aok := b.byRef[refA]
		bi, bok := b.byRef[refB]
		if typ == "DESCRIBES" && refA == docID && bok {
			described = append(described, bi)
			continue
		}
		if typ == "DESCRIBED_BY" && refB == docID && aok {
			described = append(described, a)
			continue
		}
		forward, reverse := spdxForward[typ], spdxReverse[typ]
		if (forward || reverse) && r.RefB.SpecialID != "" {
			// "A DEPENDS_ON NONE" states that A has no dependencies;
			// NOASSERTION states that nobody knows.
			g.Dependencies = true
			if aok && r.RefB.SpecialID == "NONE" && forward {
				g.Components[a].DependenciesKnown = true
				g.Components[a].DependenciesField = field
			}
			continue
		}
		if r.RefB.DocumentRefID != "" {
			if forward || reverse {
				b.dangling++
			}
			continue
		}
		switch {
		case forward || reverse:
			g.Dependencies = true
			if !aok || !bok {
				b.dangling++
				continue
			}
			from, to := a, bi
			if reverse {
				from, to = bi, a
			}
			c := &g.Components[from]
			c.DependenciesKnown = true
			if c.DependenciesField == "" {
				c.DependenciesField = field
			}
			if err := b.edgeIndex(from, to); err != nil {
				return nil, err
			}
		case typ == "DESCENDANT_OF" || typ == "VARIANT_OF" || typ == "GENERATED_FROM":
			if aok && bok {
				upstreamOf = append(upstreamOf, [2]int{a, bi})
			}
		case typ == "ANCESTOR_OF":
			if aok && bok {
				upstreamOf = append(upstreamOf, [2]int{bi, a})
			}
		case typ == "PATCH_APPLIED":
			if bok {
				g.Components[bi].Modified = true
				g.Components[bi].ModifiedBy = field
			}
		}
	}
	addAncestry(g, upstreamOf, "/externalRefs")
	if len(described) == 1 {
		g.Root = described[0]
		g.Name, g.Version = g.Components[g.Root].Name, g.Components[g.Root].Version
	} else if len(described) > 1 {
		g.Warnings = append(g.Warnings, fmt.Sprintf("the document describes %d packages; none is taken as the product root", len(described)))
	}
	if g.Name == "" {
		g.Name = name
	}
	return b.finish(), nil
}

func spdxComponent(p *v2_3.Package, i int) Component {
	loc := fmt.Sprintf("/packages/%d", i)
	c := Component{
		Ref:      "SPDXRef-" + string(p.PackageSPDXIdentifier),
		Location: loc,
		Kind:     strings.ToLower(strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-")),
		Name:     p.PackageName,
		Version:  p.PackageVersion,
		FileName: p.PackageFileName,
	}
	for _, h := range p.PackageChecksums {
		if v := strings.TrimSpace(h.Value); v != "" {
			c.Hashes = append(c.Hashes, Hash{Algorithm: string(h.Algorithm), Value: v})
		}
	}
	if p.PackageSupplier != nil && p.PackageSupplier.Supplier != "NOASSERTION" {
		c.Supplier = strings.TrimSpace(p.PackageSupplier.Supplier)
	}
	if p.PackageOriginator != nil && p.PackageOriginator.Originator != "NOASSERTION" {
		if a := strings.TrimSpace(p.PackageOriginator.Originator); a != "" {
			c.Authors = append(c.Authors, a)
		}
	}
	c.Licences = appendLicence(c.Licences, p.PackageLicenseConcluded)
	if len(c.Licences) == 0 {
		c.Licences = appendLicence(c.Licences, p.PackageLicenseDeclared)
	}
	var purlHintsFound []UpstreamHint
	for j, r := range p.PackageExternalReferences {
		if r == nil {
			continue
		}
		field := fmt.Sprintf("%s/externalRefs/%d", loc, j)
		switch strings.ToLower(r.RefType) {
		case "purl":
			if c.PURL == "" {
				c.PURL = strings.TrimSpace(r.Locator)
				if pu, ok := parsePURL(c.PURL); ok {
					purlHintsFound = purlHints(pu, field)
				}
			}
		case "cpe23type", "cpe22type":
			if c.CPE == "" {
				c.CPE = strings.TrimSpace(r.Locator)
			}
		case "swid":
			if c.SWID == "" {
				c.SWID = strings.TrimSpace(r.Locator)
			}
		}
	}
	var hints []UpstreamHint
	if src := sourceInfoPackage(p.PackageSourceInfo); src != "" {
		hints = append(hints, UpstreamHint{Key: sourceKey(src), Rule: "spdx-source-info", Field: loc + "/sourceInfo"})
	}
	if dl := strings.TrimSpace(p.PackageDownloadLocation); isVCSLocation(dl) {
		c.VCS = dl
		hints = append(hints, UpstreamHint{Key: normalizeVCS(dl), Rule: "vcs-reference", Field: loc + "/downloadLocation"})
	}
	// Explicit statements come first: the purl's upstream qualifier, then
	// sourceInfo and the repository; the plain purl is the fallback.
	if len(purlHintsFound) > 0 && purlHintsFound[0].Rule == "purl-upstream-qualifier" {
		hints = append(purlHintsFound[:1:1], hints...)
	}
	hints = append(hints, purlHintsFound...)
	c.UpstreamHints = dedupeHints(hints)
	return c
}

// sourceInfoPackage reads the source package from a sourceInfo text in
// the "built package from: NAME VERSION" convention.
func sourceInfoPackage(info string) string {
	info = strings.TrimSpace(info)
	lower := strings.ToLower(info)
	for _, prefix := range []string{"built package from:", "source package:"} {
		if strings.HasPrefix(lower, prefix) {
			f := strings.Fields(info[len(prefix):])
			if len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

func isVCSLocation(dl string) bool {
	l := strings.ToLower(dl)
	return strings.HasPrefix(l, "git+") || strings.HasPrefix(l, "git://") || strings.HasPrefix(l, "git@") ||
		strings.HasPrefix(l, "hg+") || strings.HasPrefix(l, "svn+") || strings.HasPrefix(l, "bzr+") ||
		(strings.HasPrefix(l, "https://github.com/") || strings.HasPrefix(l, "https://gitlab.com/")) && !strings.Contains(l, "/releases/download/")
}

// looseString accepts a JSON string, number, boolean or null as text, so
// one wrongly typed field does not lose the whole document.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		*s = ""
		return nil
	}
	if b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = looseString(v)
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		*s = ""
		return nil
	}
	*s = looseString(b)
	return nil
}

type lenientSPDXDoc struct {
	SPDXVersion       looseString   `json:"spdxVersion"`
	SPDXID            looseString   `json:"SPDXID"`
	Name              looseString   `json:"name"`
	DocumentDescribes []looseString `json:"documentDescribes"`
	Packages          []struct {
		Name             looseString `json:"name"`
		SPDXID           looseString `json:"SPDXID"`
		VersionInfo      looseString `json:"versionInfo"`
		PackageFileName  looseString `json:"packageFileName"`
		Supplier         looseString `json:"supplier"`
		Originator       looseString `json:"originator"`
		DownloadLocation looseString `json:"downloadLocation"`
		Checksums        []struct {
			Algorithm     looseString `json:"algorithm"`
			ChecksumValue looseString `json:"checksumValue"`
		} `json:"checksums"`
		SourceInfo       looseString `json:"sourceInfo"`
		LicenseConcluded looseString `json:"licenseConcluded"`
		LicenseDeclared  looseString `json:"licenseDeclared"`
		ExternalRefs     []struct {
			ReferenceCategory looseString `json:"referenceCategory"`
			ReferenceType     looseString `json:"referenceType"`
			ReferenceLocator  looseString `json:"referenceLocator"`
		} `json:"externalRefs"`
		PrimaryPackagePurpose looseString `json:"primaryPackagePurpose"`
	} `json:"packages"`
	Relationships []struct {
		SPDXElementID      looseString `json:"spdxElementId"`
		RelatedSPDXElement looseString `json:"relatedSpdxElement"`
		RelationshipType   looseString `json:"relationshipType"`
	} `json:"relationships"`
}

// lenientSPDX reads the fields sovcheck uses and lists each kind of
// deviation once, with a count and the first place it occurs.
func lenientSPDX(data []byte) (*v2_3.Document, []string, error) {
	var ld lenientSPDXDoc
	if err := json.Unmarshal(data, &ld); err != nil {
		return nil, nil, err
	}
	devs := map[string]*deviation{}
	note := func(kind, where string) {
		d := devs[kind]
		if d == nil {
			d = &deviation{first: where}
			devs[kind] = d
		}
		d.count++
	}
	elem := func(id, where string) common.ElementID {
		id = strings.TrimSpace(id)
		if rest, ok := strings.CutPrefix(id, "SPDXRef-"); ok && rest != "" {
			return common.ElementID(rest)
		}
		note("SPDXID without the SPDXRef- prefix", where)
		return common.ElementID(id)
	}
	docElem := func(id, where string) common.DocElementID {
		id = strings.TrimSpace(id)
		switch id {
		case "NONE", "NOASSERTION":
			return common.DocElementID{SpecialID: id}
		}
		if strings.HasPrefix(id, "DocumentRef-") {
			docRef, rest, _ := strings.Cut(id, ":")
			return common.DocElementID{DocumentRefID: common.DocumentID(strings.TrimPrefix(docRef, "DocumentRef-")), ElementRefID: elem(rest, where)}
		}
		return common.DocElementID{ElementRefID: elem(id, where)}
	}
	party := func(v, where, field string) (name, typ string) {
		v = strings.TrimSpace(v)
		if v == "" || v == "NOASSERTION" {
			return v, ""
		}
		if t, n, ok := strings.Cut(v, ":"); ok && (t == "Person" || t == "Organization" || t == "Tool") {
			return strings.TrimSpace(n), t
		}
		note(field+" without the Person:/Organization: prefix", where)
		return v, ""
	}
	doc := &v2_3.Document{
		SPDXVersion:    string(ld.SPDXVersion),
		DocumentName:   string(ld.Name),
		SPDXIdentifier: elem(string(ld.SPDXID), "/SPDXID"),
	}
	for i, p := range ld.Packages {
		where := fmt.Sprintf("/packages/%d", i)
		pkg := &v2_3.Package{
			PackageName:             string(p.Name),
			PackageSPDXIdentifier:   elem(string(p.SPDXID), where+"/SPDXID"),
			PackageVersion:          string(p.VersionInfo),
			PackageFileName:         string(p.PackageFileName),
			PackageDownloadLocation: string(p.DownloadLocation),
			PackageSourceInfo:       string(p.SourceInfo),
			PackageLicenseConcluded: string(p.LicenseConcluded),
			PackageLicenseDeclared:  string(p.LicenseDeclared),
			PrimaryPackagePurpose:   string(p.PrimaryPackagePurpose),
		}
		if n, t := party(string(p.Supplier), where+"/supplier", "supplier"); n != "" {
			pkg.PackageSupplier = &common.Supplier{Supplier: n, SupplierType: t}
		}
		if n, t := party(string(p.Originator), where+"/originator", "originator"); n != "" {
			pkg.PackageOriginator = &common.Originator{Originator: n, OriginatorType: t}
		}
		for _, c := range p.Checksums {
			pkg.PackageChecksums = append(pkg.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(c.Algorithm), Value: string(c.ChecksumValue)})
		}
		for _, r := range p.ExternalRefs {
			pkg.PackageExternalReferences = append(pkg.PackageExternalReferences, &v2_3.PackageExternalReference{
				Category: strings.ReplaceAll(string(r.ReferenceCategory), "_", "-"), RefType: string(r.ReferenceType), Locator: string(r.ReferenceLocator),
			})
		}
		doc.Packages = append(doc.Packages, pkg)
	}
	for i, r := range ld.Relationships {
		where := fmt.Sprintf("/relationships/%d", i)
		typ := strings.TrimSpace(string(r.RelationshipType))
		if up := strings.ToUpper(strings.ReplaceAll(typ, "-", "_")); up != typ {
			note("relationshipType not in upper case", where+"/relationshipType")
			typ = up
		}
		doc.Relationships = append(doc.Relationships, &v2_3.Relationship{
			RefA: docElem(string(r.SPDXElementID), where+"/spdxElementId"), RefB: docElem(string(r.RelatedSPDXElement), where+"/relatedSpdxElement"),
			Relationship: typ,
		})
	}
	for i, d := range ld.DocumentDescribes {
		doc.Relationships = append(doc.Relationships, &v2_3.Relationship{
			RefA:         common.DocElementID{ElementRefID: doc.SPDXIdentifier},
			RefB:         docElem(string(d), fmt.Sprintf("/documentDescribes/%d", i)),
			Relationship: "DESCRIBES",
		})
	}
	var out []string
	for kind, d := range devs {
		out = append(out, fmt.Sprintf("%s: %d times, first at %s", kind, d.count, d.first))
	}
	sort.Strings(out)
	return doc, out, nil
}

type deviation struct {
	count int
	first string
}

// addAncestry gives each pair of upstreamOf (a component, the component
// an SPDX relationship says it derives from) the upstream's identity as a
// hint, read from its purl (at purlField) or else its name.
func addAncestry(g *Graph, upstreamOf [][2]int, purlField string) {
	for _, e := range upstreamOf {
		up := g.Components[e[1]]
		var hints []UpstreamHint
		if p, ok := parsePURL(up.PURL); ok {
			hints = purlHints(p, up.Location+purlField)
		} else {
			hints = []UpstreamHint{{Key: sourceKey(up.Name), Field: up.Location + "/name"}}
		}
		for j := range hints {
			hints[j].Rule = "spdx-relationship-ancestor"
		}
		c := &g.Components[e[0]]
		c.UpstreamHints = dedupeHints(append(hints, c.UpstreamHints...))
	}
}
