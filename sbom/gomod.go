package sbom

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// goSumEntry is one module's content hash from go.sum and where it sits.
type goSumEntry struct {
	hash string
	line int
}

// parseGoSum reads "path version h1:hash" lines. Lines for a module's
// go.mod alone ("version/go.mod") are skipped: they pin the module graph,
// not code that is built. Malformed lines are an error.
func parseGoSum(data []byte, name string, limit int) (map[module.Version]goSumEntry, error) {
	out := make(map[module.Version]goSumEntry)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 || !strings.Contains(f[2], ":") {
			return nil, malformed(nil, "regenerate go.sum with go mod tidy",
				"reading %s line %d: got %d fields, want \"module version hash\"", quoteName(name), line, len(f))
		}
		if strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		if err := module.Check(f[0], f[1]); err != nil {
			return nil, malformed(err, "regenerate go.sum with go mod tidy", "reading %s line %d", quoteName(name), line)
		}
		mv := module.Version{Path: f[0], Version: f[1]}
		if _, dup := out[mv]; !dup {
			if len(out) >= limit {
				return nil, tooMany("go.sum modules", limit, "raise the component limit")
			}
			out[mv] = goSumEntry{hash: f[2], line: line}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, malformed(err, "check the go.sum file; no line may exceed 1 MiB", "reading %s", quoteName(name))
	}
	return out, nil
}

func goComponent(path, version, ref, loc string) Component {
	ns, n := path, path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, n = path[:i], path[i+1:]
	} else {
		ns = ""
	}
	p := packageurl.NewPackageURL("golang", ns, n, version, nil, "")
	c := Component{Ref: ref, Location: loc, Kind: "library", Name: path, Version: version, PURL: p.ToString()}
	c.UpstreamHints = []UpstreamHint{{Key: versionlessPURL(*p), Rule: "purl", Field: loc}}
	return c
}

func addGoHash(c *Component, sum map[module.Version]goSumEntry, mv module.Version) {
	if e, ok := sum[mv]; ok {
		alg, val, _ := strings.Cut(e.hash, ":")
		c.Hashes = append(c.Hashes, Hash{Algorithm: alg, Value: val})
	}
}

// readGoMod turns a main module's requirements into a graph: the main
// module is the root and depends on every listed module. go.mod does not
// say which module needs which, so the listed modules' own dependencies
// are unknown (graph-incomplete), and a replace directive marks a module
// as locally modified.
func readGoMod(data, goSum []byte, name string, o *options) (*Graph, error) {
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return nil, malformed(err, "run go mod tidy and check the go.mod syntax", "parsing %s", quoteName(name))
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return nil, malformed(nil, "give the main module's go.mod", "reading %s: no module directive", quoteName(name))
	}
	var sum map[module.Version]goSumEntry
	if goSum != nil {
		if sum, err = parseGoSum(goSum, "go.sum", o.limits.MaxComponents); err != nil {
			return nil, err
		}
	}
	g := &Graph{Source: name, Format: FormatGoMod, Name: f.Module.Mod.Path, Dependencies: true}
	if f.Go != nil {
		g.SpecVersion = "go " + f.Go.Version
	}
	b := newGraphBuilder(g, o.limits)
	root := goComponent(f.Module.Mod.Path, "", f.Module.Mod.Path, lineLoc(name, f.Module.Syntax))
	root.Kind = "application"
	root.DependenciesKnown = true
	root.DependenciesField = name
	ri, err := b.add(root)
	if err != nil {
		return nil, err
	}
	g.Root = ri
	replaced := make(map[string]*modfile.Replace)
	for _, r := range f.Replace {
		key := r.Old.Path
		if r.Old.Version != "" {
			key += "@" + r.Old.Version
		}
		replaced[key] = r
	}
	reqs := append([]*modfile.Require(nil), f.Require...)
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].Mod.Path < reqs[j].Mod.Path })
	for _, req := range reqs {
		mv := req.Mod
		c := goComponent(mv.Path, mv.Version, mv.Path, lineLoc(name, req.Syntax))
		r := replaced[mv.Path+"@"+mv.Version]
		if r == nil {
			r = replaced[mv.Path]
		}
		switch {
		case r == nil:
			addGoHash(&c, sum, mv)
		case r.New.Version == "":
			// A directory replacement: the code built is local.
			c.Modified = true
			c.ModifiedBy = lineLoc(name, r.Syntax)
		default:
			// Another module stands in: its code is built and its hash
			// counts, while the upstream project stays the original.
			repl := goComponent(r.New.Path, r.New.Version, mv.Path, c.Location)
			c.PURL, c.Version = repl.PURL, r.New.Version
			c.Modified = true
			c.ModifiedBy = lineLoc(name, r.Syntax)
			c.UpstreamHints = append(c.UpstreamHints, repl.UpstreamHints...)
			addGoHash(&c, sum, r.New)
		}
		i, err := b.add(c)
		if err != nil {
			return nil, err
		}
		if err := b.edgeIndex(ri, i); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// readGoSum lists the modules whose code go.sum pins. go.sum carries no
// graph, so blast radius cannot be assessed from it alone.
func readGoSum(data []byte, name string, o *options) (*Graph, error) {
	sum, err := parseGoSum(data, name, o.limits.MaxComponents)
	if err != nil {
		return nil, err
	}
	g := &Graph{Source: name, Format: FormatGoSum, Name: name}
	b := newGraphBuilder(g, o.limits)
	mvs := make([]module.Version, 0, len(sum))
	for mv := range sum {
		mvs = append(mvs, mv)
	}
	sort.Slice(mvs, func(i, j int) bool {
		if mvs[i].Path != mvs[j].Path {
			return mvs[i].Path < mvs[j].Path
		}
		return mvs[i].Version < mvs[j].Version
	})
	for _, mv := range mvs {
		e := sum[mv]
		c := goComponent(mv.Path, mv.Version, mv.Path+"@"+mv.Version, fmt.Sprintf("%s:%d", name, e.line))
		addGoHash(&c, sum, mv)
		if _, err := b.add(c); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

func lineLoc(name string, l *modfile.Line) string {
	if l == nil {
		return name
	}
	return fmt.Sprintf("%s:%d", name, l.Start.Line)
}
