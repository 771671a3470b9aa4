package portfolio

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// pathsFromRoot is each component's stored path: for a component below a
// direct dependency, the names (name@version) from the direct dependency
// down to its parent on the shortest path from the product, as a JSON
// list; "null" when that path does not reach the product; "" for a direct
// dependency or a component no path reaches, which need none.
func pathsFromRoot(comps []sbom.ComponentRecord) []string {
	out := make([]string, len(comps))
	chains := make([][]string, len(comps)) // up(p), for each parent p walked
	reached := make([]bool, len(comps))
	state := make([]byte, len(comps)) // 0 new, 1 on the walk, 2 done
	display := func(i int) string {
		if v := comps[i].Version; v != "" {
			return comps[i].Name + "@" + v
		}
		return comps[i].Name
	}
	// up is the names from the direct dependency down to i's parent.
	var up func(i, depth int) ([]string, bool)
	up = func(i, depth int) ([]string, bool) {
		p := comps[i].Parent
		if p == sbom.ParentRoot {
			return []string{}, true
		}
		if p < 0 || p >= len(comps) || depth > maxPathDepth {
			return nil, false
		}
		switch state[p] {
		case 1:
			return nil, false // a cycle: no path from the product
		case 0:
			state[p] = 1
			chains[p], reached[p] = up(p, depth+1)
			state[p] = 2
		}
		if !reached[p] {
			return nil, false
		}
		return append(slices.Clip(chains[p]), display(p)), true
	}
	for i := range comps {
		if comps[i].Parent < 0 {
			continue
		}
		c, ok := up(i, 0)
		if !ok {
			out[i] = "null"
			continue
		}
		b, _ := json.Marshal(c)
		out[i] = string(b)
	}
	return out
}

// setPaths checks the path of each hit kept that the store wrote when its
// snapshot was added (a path that does not decode is a corrupt store),
// and walks up the stored shortest-path tree for rows from before that,
// storing what it finds as such a path.
func (s *Store) setPaths(ctx context.Context, q Query, kept []*hit, src matchSource) error {
	at := map[key]*hit{}
	versions := map[string]bool{}
	for _, h := range kept {
		switch {
		case h.parent >= 0 && h.path != "":
			if err := checkPath(h.path); err != nil {
				return reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup, or add the SBOMs to a new one",
					"reading the path of %s@%s in %s from portfolio store %s: %v", h.id.name, h.version, h.sn.source, s.Location(), err)
			}
		case h.parent >= 0:
			// A row from before paths were stored: walked.
			at[key{h.snapshot, h.idx}] = h
			versions[h.version] = true
		}
	}
	if len(at) > 0 {
		// A range (or an advisory) keeps some versions of the package: the walk starts
		// from those versions only (a superset of the matches kept).
		if (len(q.Versions) > 0 || q.affects != nil) && len(versions) <= maxWalkVersions {
			walked := slices.Sorted(maps.Keys(versions))
			src.args = append(slices.Clone(src.args), anys(walked)...)
			src.where += " AND c.version IN (" + list("?", len(walked)) + ")"
		}
		if err := s.paths(ctx, src, at); err != nil {
			return err
		}
	}
	return nil
}

// decodePath reads a stored path, a JSON list of strings or null, and
// returns it between title (the product) and ref (the component), in
// buf's array when that is large enough; nil for null. The common case,
// names without a backslash (the only escape character), is split without
// a JSON decoder: where reads one path per match.
func decodePath(buf []string, p, title, ref string) ([]string, error) {
	if p == "null" {
		return nil, nil
	}
	path := append(buf[:0], title)
	if names, ok := plainPath(p); ok {
		for name := range strings.SplitSeq(names, `","`) {
			path = append(path, name)
		}
		return append(path, ref), nil
	}
	var chain []string
	if err := json.Unmarshal([]byte(p), &chain); err != nil || chain == nil {
		return nil, err
	}
	return append(append(path, chain...), ref), nil
}

// plainPath is a stored path's names, between its first and last quote,
// when none holds a backslash (the only escape character): split at
// "," without a JSON decoder. decodePath and checkPath both take this
// case first, so a path checkPath lets through decodes.
func plainPath(p string) (string, bool) {
	inner, ok := strings.CutPrefix(p, `["`)
	if !ok || !strings.HasSuffix(inner, `"]`) || strings.ContainsRune(inner, '\\') {
		return "", false
	}
	return inner[:len(inner)-2], true
}

// checkPath reports whether a stored path decodes, without making it.
func checkPath(p string) error {
	if _, ok := plainPath(p); ok {
		return nil
	}
	_, err := decodePath(nil, p, "", "")
	return err
}

// paths walks each hit deeper than a direct dependency up its stored
// shortest-path tree, in one recursive query, and sets its Path.
func (s *Store) paths(ctx context.Context, src matchSource, at map[key]*hit) error {
	rows, err := s.db.QueryContext(ctx, s.d.q(src.with(`chain (snapshot_id, start, node, depth) AS (
			SELECT c.snapshot_id, c.idx, c.parent, 1 FROM `+src.from+` WHERE `+src.where+` AND c.parent >= 0 AND c.path = ''
			UNION ALL
			SELECT ch.snapshot_id, ch.start, p.parent, ch.depth + 1
			FROM chain ch JOIN components p ON p.snapshot_id = ch.snapshot_id AND p.idx = ch.node
			WHERE p.parent >= 0 AND ch.depth < `+itoa(maxPathDepth)+`)`)+`
		SELECT ch.snapshot_id, ch.start, ch.depth, tn.term, c.version, c.parent
		FROM chain ch JOIN components c ON c.snapshot_id = ch.snapshot_id AND c.idx = ch.node
		JOIN terms tn ON tn.id = c.name_id`), src.args...)
	if err != nil {
		return s.classify(err, "querying paths in")
	}
	type hop struct {
		depth  int
		name   string
		parent int
	}
	chains := map[key][]hop{}
	for rows.Next() {
		var k key
		var h hop
		var version string
		if err := rows.Scan(&k.snap, &k.idx, &h.depth, &h.name, &version, &h.parent); err != nil {
			rows.Close()
			return s.classify(err, "reading paths from")
		}
		if version != "" {
			h.name += "@" + version
		}
		chains[k] = append(chains[k], h)
	}
	if err := rows.Err(); err != nil {
		return s.classify(err, "reading paths from")
	}
	rows.Close()
	for k, h := range at {
		hops := chains[k]
		slices.SortFunc(hops, func(x, y hop) int { return cmp.Compare(y.depth, x.depth) })
		// Complete only when the walk ended at a direct dependency of the
		// product root; hops run from the match's parent up. The chain is
		// kept as a path stored at add would be.
		h.path = "null"
		if len(hops) == 0 || hops[0].parent != sbom.ParentRoot {
			continue
		}
		names := make([]string, len(hops))
		for i, hp := range hops {
			names[i] = hp.name
		}
		b, err := json.Marshal(names)
		if err != nil {
			return err
		}
		h.path = string(b)
	}
	return nil
}
