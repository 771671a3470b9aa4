package sbom

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// sourceAliases unifies distribution source packages whose names differ
// between distributions for the same upstream project. It covers
// well-known renames only; a mapping file extends it.
var sourceAliases = map[string]string{
	"src:xz-utils":    "src:xz",         // Debian, Ubuntu
	"src:libpng1.6":   "src:libpng",     // Debian, Ubuntu
	"src:libgcrypt20": "src:libgcrypt",  // Debian, Ubuntu
	"src:gnutls28":    "src:gnutls",     // Debian, Ubuntu
	"src:sqlite3":     "src:sqlite",     // Debian, Ubuntu
	"src:glib2.0":     "src:glib",       // Debian, Ubuntu
	"src:glib2":       "src:glib",       // Fedora, RHEL, SUSE
	"src:libtiff":     "src:tiff",       // Fedora, RHEL
	"src:libzstd":     "src:zstd",       // Debian, Ubuntu
	"src:cyrus-sasl2": "src:cyrus-sasl", // Debian, Ubuntu
	"src:libtasn1-6":  "src:libtasn1",   // Debian, Ubuntu
	"src:libcap2":     "src:libcap",     // Debian, Ubuntu
	"src:db5.3":       "src:libdb",      // Debian, Ubuntu
}

// Mapping assigns upstream keys (source packages, versionless purls,
// repositories) to one upstream project id, for projects that appear under
// unrelated names in different ecosystems.
type Mapping struct {
	source string
	alias  map[string]string   // normalised key -> upstream id
	ids    map[string]bool     // upstream ids
	vcs    map[string][]string // upstream id -> its repository keys (vcs:...)
}

type mappingFile struct {
	Upstreams yaml.Node `yaml:"upstreams"`
}

// ReadMapping reads a mapping file:
//
//	upstreams:
//	  xz: [src:xz-utils, "pkg:github/tukaani-project/xz", "https://github.com/tukaani-project/xz"]
//
// Each key may appear under one upstream only.
func ReadMapping(r io.Reader, name string, opts ...Option) (*Mapping, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxDataFileBytes, "mapping "+quoteName(name), "keep the mapping file under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseMapping(data, name)
}

// LoadMapping reads the mapping file at path.
func LoadMapping(path string, opts ...Option) (*Mapping, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxDataFileBytes, "mapping "+quoteName(path), "keep the mapping file under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseMapping(data, path)
}

const hintMapping = "write the mapping as `upstreams: {ID: [KEY, ...]}` with keys src:NAME, versionless purls or repository URLs"

func parseMapping(data []byte, name string) (*Mapping, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f mappingFile
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return nil, dataMalformed(err, hintMapping, "decoding mapping %s", quoteName(name))
	}
	m := &Mapping{source: name, alias: map[string]string{}, ids: map[string]bool{}, vcs: map[string][]string{}}
	if f.Upstreams.Kind == 0 {
		return m, nil
	}
	if f.Upstreams.Kind != yaml.MappingNode {
		return nil, reason.New(reason.SBOMDataMalformed, hintMapping, "decoding mapping %s: upstreams is not a map", quoteName(name))
	}
	for i := 0; i+1 < len(f.Upstreams.Content); i += 2 {
		id := strings.TrimSpace(f.Upstreams.Content[i].Value)
		if id == "" {
			return nil, reason.New(reason.SBOMDataMalformed, hintMapping, "decoding mapping %s line %d: empty upstream id", quoteName(name), f.Upstreams.Content[i].Line)
		}
		if m.ids[id] {
			return nil, reason.New(reason.SBOMDataMalformed, hintMapping, "decoding mapping %s line %d: upstream %q listed twice", quoteName(name), f.Upstreams.Content[i].Line, id)
		}
		m.ids[id] = true
		var keys []string
		if err := f.Upstreams.Content[i+1].Decode(&keys); err != nil {
			return nil, dataMalformed(err, hintMapping, "decoding mapping %s: keys of %q", quoteName(name), id)
		}
		for _, k := range keys {
			nk, err := normalizeUpstreamKey(k)
			if err != nil {
				return nil, dataMalformed(err, hintMapping, "decoding mapping %s: key %q of %q", quoteName(name), k, id)
			}
			if prev, dup := m.alias[nk]; dup && prev != id {
				return nil, reason.New(reason.SBOMDataMalformed, "list each key under one upstream only",
					"decoding mapping %s: key %q is listed under both %q and %q", quoteName(name), k, prev, id)
			}
			m.alias[nk] = id
			if strings.HasPrefix(nk, "vcs:") {
				m.vcs[id] = append(m.vcs[id], nk)
			}
		}
	}
	return m, nil
}

// normalizeUpstreamKey brings a key written by a person into the form the
// readers produce.
func normalizeUpstreamKey(k string) (string, error) {
	k = strings.TrimSpace(k)
	switch {
	case k == "":
		return "", fmt.Errorf("empty key")
	case strings.HasPrefix(k, "src:"):
		return sourceKey(strings.TrimPrefix(k, "src:")), nil
	case strings.HasPrefix(k, "pkg:"):
		p, ok := parsePURL(k)
		if !ok {
			return "", fmt.Errorf("invalid package URL")
		}
		return versionlessPURL(p), nil
	case strings.HasPrefix(k, "vcs:"):
		return normalizeVCS(strings.TrimPrefix(k, "vcs:")), nil
	case strings.Contains(k, "://") || strings.HasPrefix(k, "git@"):
		return normalizeVCS(k), nil
	}
	return "", fmt.Errorf("want src:NAME, pkg:TYPE/NAME or a repository URL")
}

// CanonicalUpstream brings an upstream id as a person writes it (src:NAME,
// a purl, a repository URL) into the form components carry: normalised,
// with the well-known source renames applied (src:xz-utils is src:xz). An
// id in none of those forms, such as a mapping file's own id, is returned
// as given.
func CanonicalUpstream(id string) string {
	k, err := normalizeUpstreamKey(id)
	if err != nil {
		return id
	}
	if a, ok := sourceAliases[k]; ok {
		return a
	}
	return k
}

// resolvedUpstream is a component's upstream project and how it was found.
type resolvedUpstream struct {
	ID    string
	Rule  string
	Field string
}

// resolveUpstream picks a component's upstream: the first hint the mapping
// file knows, else the first hint (with well-known source renames applied),
// else the component's name.
func resolveUpstream(c *Component, m *Mapping) resolvedUpstream {
	hints := c.UpstreamHints
	if len(hints) == 0 {
		if p, ok := parsePURL(c.PURL); ok {
			hints = purlHints(p, c.Location)
		}
	}
	if m != nil {
		for _, h := range hints {
			if id, ok := m.alias[h.Key]; ok {
				return resolvedUpstream{ID: id, Rule: "mapping-file(" + h.Rule + ")", Field: h.Field}
			}
			if a, ok := sourceAliases[h.Key]; ok {
				if id, ok := m.alias[a]; ok {
					return resolvedUpstream{ID: id, Rule: "mapping-file(" + h.Rule + ")", Field: h.Field}
				}
			}
		}
	}
	if len(hints) > 0 {
		h := hints[0]
		if a, ok := sourceAliases[h.Key]; ok {
			return resolvedUpstream{ID: a, Rule: h.Rule + "+source-alias", Field: h.Field}
		}
		return resolvedUpstream{ID: h.Key, Rule: h.Rule, Field: h.Field}
	}
	n := c.Name
	if c.Group != "" {
		n = c.Group + "/" + c.Name
	}
	if n == "" {
		n = c.Ref
	}
	return resolvedUpstream{ID: "name:" + strings.ToLower(n), Rule: "name-only", Field: c.Location + "/name"}
}
