package portfolio

import (
	"encoding/json"
	"slices"

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
