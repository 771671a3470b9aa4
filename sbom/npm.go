package sbom

import (
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
)

type npmLockFile struct {
	Name     looseString               `json:"name"`
	Version  looseString               `json:"version"`
	Packages map[string]npmLockPackage `json:"packages"`
}

type npmLockPackage struct {
	Name                 looseString       `json:"name"`
	Version              looseString       `json:"version"`
	Resolved             looseString       `json:"resolved"`
	Integrity            looseString       `json:"integrity"`
	License              looseString       `json:"license"`
	Link                 bool              `json:"link"`
	HasInstallScript     bool              `json:"hasInstallScript"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
}

// sriAlgorithms maps Subresource Integrity prefixes to hash names.
var sriAlgorithms = map[string]string{"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}

// readNPMLock reads a package-lock.json v2/v3 "packages" map. Every entry's
// dependencies are resolved the way Node resolves require(): the nearest
// node_modules folder up the path wins.
func readNPMLock(data []byte, s Sniffed, name string, o *options) (*Graph, error) {
	var lock npmLockFile
	if err := json.Unmarshal(data, &lock); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, jsonError(err, data, name)
		}
		return nil, malformed(err, "regenerate the lockfile with npm install", "decoding package-lock %s", quoteName(name))
	}
	g := &Graph{Source: name, Format: FormatNPMLock, SpecVersion: s.SpecVersion, Name: string(lock.Name), Version: string(lock.Version), Dependencies: true}
	b := newGraphBuilder(g, o.limits)
	keys := make([]string, 0, len(lock.Packages))
	for k := range lock.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	index := make(map[string]int, len(keys))
	for _, k := range keys {
		p := lock.Packages[k]
		if p.Link {
			continue // resolved to its target below
		}
		c := npmComponent(k, p)
		if k == "" {
			c.Kind = "application"
			if c.Name == "" {
				c.Name = string(lock.Name)
			}
			if c.Version == "" {
				c.Version = string(lock.Version)
			}
			c.PURL, c.UpstreamHints = "", nil
			if c.Name != "" {
				pu := npmPURL(c.Name, c.Version)
				c.PURL = pu.ToString()
			}
		}
		i, err := b.add(c)
		if err != nil {
			return nil, err
		}
		index[k] = i
		if k == "" {
			g.Root = i
		}
	}
	// Links (workspaces, file: dependencies) stand for their target.
	for _, k := range keys {
		p := lock.Packages[k]
		if !p.Link {
			continue
		}
		if t, ok := index[string(p.Resolved)]; ok {
			index[k] = t
		}
	}
	missing := 0
	for _, k := range keys {
		p := lock.Packages[k]
		if p.Link {
			continue
		}
		from := index[k]
		g.Components[from].DependenciesKnown = true
		g.Components[from].DependenciesField = g.Components[from].Location
		required := [](map[string]string){p.Dependencies, p.PeerDependencies}
		if k == "" || !strings.Contains(k, "node_modules/") {
			required = append(required, p.DevDependencies) // installed for the root and workspaces only
		}
		for ri, deps := range append(required, p.OptionalDependencies) {
			optional := ri == len(required)
			for _, dep := range sortedKeys(deps) {
				to, ok := resolveNodeModule(index, k, dep)
				if !ok {
					if !optional {
						missing++
					}
					continue
				}
				if err := b.edgeIndex(from, to); err != nil {
					return nil, err
				}
			}
		}
	}
	if missing > 0 {
		b.warnf("%d required dependencies are not in the lockfile's packages", missing)
	}
	if g.Name == "" {
		g.Name = name
	}
	return b.finish(), nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// resolveNodeModule finds dep as Node would from the package at key.
func resolveNodeModule(index map[string]int, key, dep string) (int, bool) {
	base := key
	for {
		cand := dep
		if base != "" {
			cand = base + "/node_modules/" + dep
		} else {
			cand = "node_modules/" + dep
		}
		if i, ok := index[cand]; ok {
			return i, true
		}
		if base == "" {
			return 0, false
		}
		// Climb out of the innermost node_modules folder.
		j := strings.LastIndex(base, "node_modules/")
		if j < 0 {
			base = ""
			continue
		}
		base = strings.TrimSuffix(base[:j], "/")
	}
}

func npmComponent(key string, p npmLockPackage) Component {
	name := string(p.Name)
	if name == "" {
		if j := strings.LastIndex(key, "node_modules/"); j >= 0 {
			name = key[j+len("node_modules/"):]
		} else {
			name = key
		}
	}
	loc := "/packages/" + jsonPointerEscape(key)
	c := Component{Ref: key, Location: loc, Kind: "library", Name: name, Version: string(p.Version), InstallScript: p.HasInstallScript}
	pu := npmPURL(name, c.Version)
	c.PURL = pu.ToString()
	for _, sri := range strings.Fields(string(p.Integrity)) {
		alg, val, ok := strings.Cut(sri, "-")
		if a := sriAlgorithms[strings.ToLower(alg)]; ok && a != "" && val != "" {
			c.Hashes = append(c.Hashes, Hash{Algorithm: a, Value: val})
		}
	}
	c.Licences = appendLicence(nil, string(p.License))
	var hints []UpstreamHint
	if r := string(p.Resolved); strings.HasPrefix(r, "git+") || strings.HasPrefix(r, "git://") || strings.HasPrefix(r, "github:") {
		c.VCS = r
		hints = append(hints, UpstreamHint{Key: normalizeVCS(strings.Replace(r, "github:", "https://github.com/", 1)), Rule: "vcs-reference", Field: loc + "/resolved"})
	}
	c.UpstreamHints = dedupeHints(append([]UpstreamHint{{Key: versionlessPURL(pu), Rule: "purl", Field: loc}}, hints...))
	return c
}

func npmPURL(name, version string) packageurl.PackageURL {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if a, b, ok := strings.Cut(name, "/"); ok {
			ns, n = a, b
		}
	}
	return *packageurl.NewPackageURL("npm", ns, n, version, nil, "")
}

func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
