package sbom

import (
	"fmt"
	"strings"
)

// Format is the kind of document a Graph was read from.
type Format string

// Formats sovcheck reads.
const (
	FormatCycloneDXJSON Format = "cyclonedx-json"
	FormatCycloneDXXML  Format = "cyclonedx-xml"
	FormatSPDXJSON      Format = "spdx-json"
	FormatSPDXTagValue  Format = "spdx-tag-value"
	FormatSPDX3JSON     Format = "spdx3-jsonld"
	FormatGoMod         Format = "go.mod"
	FormatGoSum         Format = "go.sum"
	FormatNPMLock       Format = "package-lock"
)

// Title returns the format's name as a person reads it.
func (f Format) Title() string {
	switch f {
	case FormatCycloneDXJSON:
		return "CycloneDX JSON"
	case FormatCycloneDXXML:
		return "CycloneDX XML"
	case FormatSPDXJSON:
		return "SPDX JSON"
	case FormatSPDXTagValue:
		return "SPDX tag-value"
	case FormatSPDX3JSON:
		return "SPDX 3 JSON-LD"
	case FormatGoMod:
		return "go.mod"
	case FormatGoSum:
		return "go.sum"
	case FormatNPMLock:
		return "package-lock.json"
	}
	return string(f)
}

// Graph is one product's components and dependency edges, the same shape
// whatever format they were read from.
type Graph struct {
	// Source is the input's name as the caller gave it (never resolved to
	// an absolute path, so reports stay stable).
	Source string `json:"source"`
	// Format and SpecVersion say what was read ("1.5", "SPDX-2.3",
	// "lockfileVersion 3", "go 1.22").
	Format      Format `json:"format"`
	SpecVersion string `json:"specVersion"`
	// Name and Version identify the product (the SBOM's subject).
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Components lists every component, the product's own root included
	// when the document names one. Root is its index, or -1.
	Components []Component `json:"components"`
	Root       int         `json:"root"`
	// Dependencies reports whether the document carries any dependency
	// information at all. Without it blast radius cannot be assessed.
	Dependencies bool `json:"dependencies"`
	// DeclaresVulnerabilities is set when the SBOM carries its own
	// vulnerability analysis (a CycloneDX vulnerabilities section).
	DeclaresVulnerabilities bool `json:"declaresVulnerabilities,omitempty"`
	// Warnings are deviations from the format's specification that were
	// read tolerantly, and dangling references that were dropped.
	Warnings []string `json:"warnings,omitempty"`
	// Services are the CycloneDX services the product calls (services.go).
	Services []Service `json:"services,omitempty"`
}

// Component is one package, library, file or image in a Graph.
type Component struct {
	// Ref is the document-local identifier (bom-ref, SPDXID, lockfile
	// path, module path).
	Ref string `json:"ref"`
	// Location is where the component sits in the document: a JSON
	// pointer, an XML path or file:line.
	Location string `json:"location"`
	// Kind is the component type, lower case (library, application,
	// file, firmware, operating-system, ...).
	Kind    string `json:"kind,omitempty"`
	Group   string `json:"group,omitempty"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Identity.
	PURL     string `json:"purl,omitempty"`
	CPE      string `json:"cpe,omitempty"`
	SWID     string `json:"swid,omitempty"`
	Hashes   []Hash `json:"hashes,omitempty"`
	FileName string `json:"fileName,omitempty"`
	MIMEType string `json:"mimeType,omitempty"`
	// Producer.
	Supplier string   `json:"supplier,omitempty"`
	Authors  []string `json:"authors,omitempty"`
	// Licences as written (SPDX expressions or names); NOASSERTION and
	// empty values are not kept.
	Licences []string `json:"licences,omitempty"`
	// VCS is a source repository reference, when the document gives one.
	VCS string `json:"vcs,omitempty"`
	// UpstreamHints are the document's statements about the component's
	// upstream project, best first; see Upstream resolution in doc.go.
	UpstreamHints []UpstreamHint `json:"upstreamHints,omitempty"`
	// Modified is set when the document says the component differs from
	// its upstream release; ModifiedBy says which field said so.
	Modified   bool   `json:"modified,omitempty"`
	ModifiedBy string `json:"modifiedBy,omitempty"`
	// InstallScript is set when the package runs its own code at install
	// time (npm hasInstallScript).
	InstallScript bool `json:"installScript,omitempty"`
	// Placeholder is set by a reader when the generator itself marks the
	// component as an application it found rather than a package it
	// identified; the value is the rule that said so (see placeholder.go).
	Placeholder string `json:"placeholder,omitempty"`
	// DependsOn holds indices into Graph.Components.
	DependsOn []int `json:"dependsOn,omitempty"`
	// DependenciesKnown is set when the document states this component's
	// dependencies, even as an empty list. DependenciesField says where.
	DependenciesKnown bool   `json:"dependenciesKnown"`
	DependenciesField string `json:"dependenciesField,omitempty"`
	// Vulnerabilities declared by the SBOM itself (CycloneDX
	// vulnerabilities section, VEX states other than not-affected).
	Vulnerabilities []DeclaredVulnerability `json:"vulnerabilities,omitempty"`
}

// Hash is one digest of a component's artifact.
type Hash struct {
	Algorithm string `json:"alg"`
	Value     string `json:"value"`
}

// UpstreamHint is one statement in the document about which upstream
// project a component is built from.
type UpstreamHint struct {
	// Key is an upstream key: "src:NAME" for a distribution source
	// package, a versionless purl, or a repository URL.
	Key string `json:"key"`
	// Rule names where the hint came from, e.g. "purl-upstream-qualifier".
	Rule string `json:"rule"`
	// Field is the document field that was read.
	Field string `json:"field"`
}

// DeclaredVulnerability is a vulnerability the SBOM itself attaches to a
// component.
type DeclaredVulnerability struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Field   string   `json:"field"`
	// Severity is the worst rating the SBOM gives ("" when none);
	// AnalysisState and Justification its own VEX analysis, shown but
	// never trusted.
	Severity      string `json:"severity,omitempty"`
	AnalysisState string `json:"analysisState,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// strongHash reports whether alg names a digest of SHA-256 strength or
// better. The Go module "h1" hash is a SHA-256 over the module tree.
func strongHash(alg string) bool {
	a := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(alg), "_", "-"))
	switch a {
	case "SHA-256", "SHA256", "SHA-384", "SHA384", "SHA-512", "SHA512",
		"SHA3-256", "SHA3-384", "SHA3-512",
		"BLAKE2B-256", "BLAKE2B-384", "BLAKE2B-512", "BLAKE3",
		"STREEBOG-256", "STREEBOG-512", "H1":
		return true
	}
	return false
}

// dedupeEdges sorts and removes duplicate and self edges.
func dedupeEdges(deps []int, self int) []int {
	if len(deps) < 2 {
		if len(deps) == 1 && deps[0] == self {
			return nil
		}
		return deps
	}
	out := deps[:0]
	seen := make(map[int]struct{}, len(deps))
	for _, d := range deps {
		if d == self {
			continue
		}
		if _, ok := seen[d]; ok {
			continue
		}
		seen[d] = struct{}{}
		out = append(out, d)
	}
	return out
}

// graphBuilder accumulates components and resolves references to indices,
// enforcing the component and edge limits.
type graphBuilder struct {
	g        *Graph
	limits   Limits
	byRef    map[string]int
	edges    int
	dangling int
	dupRefs  int
}

func newGraphBuilder(g *Graph, limits Limits) *graphBuilder {
	g.Root = -1
	return &graphBuilder{g: g, limits: limits, byRef: make(map[string]int)}
}

// add appends c and returns its index. A repeated non-empty ref keeps the
// first component for reference resolution and is counted as a warning.
func (b *graphBuilder) add(c Component) (int, error) {
	if len(b.g.Components) >= b.limits.MaxComponents {
		return -1, tooMany("components", b.limits.MaxComponents,
			"split the SBOM per image or product, or raise the component limit")
	}
	i := len(b.g.Components)
	b.g.Components = append(b.g.Components, c)
	if c.Ref != "" {
		if _, dup := b.byRef[c.Ref]; dup {
			b.dupRefs++
		} else {
			b.byRef[c.Ref] = i
		}
	}
	return i, nil
}

// edge records from -> to by reference; references that name no component
// are dropped and counted.
func (b *graphBuilder) edge(from int, toRef string) error {
	to, ok := b.byRef[toRef]
	if !ok {
		b.dangling++
		return nil
	}
	return b.edgeIndex(from, to)
}

func (b *graphBuilder) edgeIndex(from, to int) error {
	b.edges++
	if b.edges > b.limits.MaxEdges {
		return tooMany("dependency edges", b.limits.MaxEdges, "split the SBOM, or raise the edge limit")
	}
	b.g.Components[from].DependsOn = append(b.g.Components[from].DependsOn, to)
	return nil
}

func (b *graphBuilder) finish() *Graph {
	b.mergeDuplicates()
	for i := range b.g.Components {
		c := &b.g.Components[i]
		c.DependsOn = dedupeEdges(c.DependsOn, i)
	}
	if b.dangling > 0 {
		b.warnf("%d dependency references name no component and were dropped", b.dangling)
	}
	if b.dupRefs > 0 {
		b.warnf("%d components repeat an identifier already used; references resolve to the first", b.dupRefs)
	}
	return b.g
}

func (b *graphBuilder) warnf(format string, args ...any) {
	b.g.Warnings = append(b.g.Warnings, fmt.Sprintf(format, args...))
}

func itoa(i int) string { return fmt.Sprint(i) }
