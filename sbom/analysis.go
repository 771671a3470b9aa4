package sbom

import "slices"

// blastRadius holds, per component, how much of the product fails with it.
type blastRadius struct {
	// dependents counts the components that depend on it, directly or
	// transitively, the product root excluded, capped at limit; a value
	// equal to limit+1 means "more than limit".
	dependents []int32
	limit      int
	// dominated counts the components every path from the product to
	// which passes through it (its subtree in the dominator tree).
	dominated []int32
}

// analyzeBlast computes dependents (capped at limit) and dominator
// subtree sizes. Cycles (npm allows them) are collapsed into strongly
// connected components first. Cost is O(edges x limit) for dependents and
// near-linear for dominators on SBOM-shaped graphs.
func analyzeBlast(g *Graph, limit int) blastRadius {
	n := len(g.Components)
	br := blastRadius{dependents: make([]int32, n), dominated: make([]int32, n), limit: limit}
	if n == 0 {
		return br
	}
	adj := make([][]int, n)
	for i := range g.Components {
		adj[i] = g.Components[i].DependsOn
	}
	comp, order := tarjanSCC(adj)
	nscc := len(order)
	members := make([][]int32, nscc)
	for v := 0; v < n; v++ {
		members[comp[v]] = append(members[comp[v]], int32(v))
	}
	// Parent SCCs of each SCC, deduplicated.
	parents := make([][]int32, nscc)
	for u := 0; u < n; u++ {
		for _, v := range adj[u] {
			if cu, cv := comp[u], comp[v]; cu != cv {
				parents[cv] = append(parents[cv], int32(cu))
			}
		}
	}
	for i := range parents {
		slices.Sort(parents[i])
		parents[i] = slices.Compact(parents[i])
	}
	root := g.Root
	// Tarjan emits sinks first; sources come last. Walk sources first.
	sets := make([][]int32, nscc)
	saturated := make([]bool, nscc)
	mark := make([]int32, n)
	stamp := int32(0)
	for k := nscc - 1; k >= 0; k-- {
		s := order[k]
		stamp++
		var acc []int32
		sat := false
		add := func(v int32) {
			if int(v) == root || mark[v] == stamp {
				return
			}
			mark[v] = stamp
			acc = append(acc, v)
			if len(acc) > limit {
				sat = true
			}
		}
		for _, p := range parents[s] {
			if saturated[p] {
				sat = true
				break
			}
			for _, v := range members[p] {
				add(v)
				if sat {
					break
				}
			}
			for _, v := range sets[p] {
				if sat {
					break
				}
				add(v)
			}
			if sat {
				break
			}
		}
		saturated[s] = sat
		if !sat {
			sets[s] = acc
		}
		for _, v := range members[s] {
			cnt := len(acc)
			if sat {
				cnt = limit + 1
			} else {
				// The other members of a cycle depend on v too.
				others := len(members[s]) - 1
				if root >= 0 && comp[root] == s && int(v) != root {
					others--
				}
				cnt = min(cnt+others, limit+1)
			}
			if int(v) == root {
				cnt = 0
			}
			br.dependents[v] = int32(cnt)
		}
	}
	dominatorSizes(adj, root, br.dominated)
	return br
}

// tarjanSCC returns each node's component id and the component ids in the
// order Tarjan's algorithm completes them (sinks first). Iterative, so deep
// dependency chains cannot overflow the stack.
func tarjanSCC(adj [][]int) (comp []int, order []int) {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp = make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	type frame struct{ v, next int }
	var call []frame
	next := 0
	for s := 0; s < n; s++ {
		if index[s] >= 0 {
			continue
		}
		call = append(call, frame{s, 0})
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < len(adj[v]) {
				w := adj[v][f.next]
				f.next++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] == index[v] {
				id := len(order)
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = id
					if w == v {
						break
					}
				}
				order = append(order, id)
			}
		}
	}
	return comp, order
}

// dominatorSizes fills out[v] with the number of nodes v dominates (its
// dominator subtree minus itself), seen from the product root. A virtual
// entry reaches the root and every node nothing else reaches, so the
// dominator tree covers the whole graph. It uses the iterative algorithm
// of Cooper, Harvey and Kennedy over a reverse postorder.
func dominatorSizes(adj [][]int, root int, out []int32) {
	n := len(adj)
	entry := n
	indeg := make([]int, n)
	for v := 0; v < n; v++ {
		for _, w := range adj[v] {
			indeg[w]++
		}
	}
	var entryEdges []int
	if root >= 0 {
		entryEdges = append(entryEdges, root)
	}
	for v := 0; v < n; v++ {
		if indeg[v] == 0 && v != root {
			entryEdges = append(entryEdges, v)
		}
	}
	// Postorder DFS from the entry; nodes left unvisited (cycles nobody
	// enters) get an entry edge of their own.
	visited := make([]bool, n)
	post := make([]int, 0, n+1)
	type frame struct{ v, next int }
	var call []frame
	visit := func(s int) {
		visited[s] = true
		call = append(call[:0], frame{s, 0})
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.next < len(adj[f.v]) {
				w := adj[f.v][f.next]
				f.next++
				if !visited[w] {
					visited[w] = true
					call = append(call, frame{w, 0})
				}
				continue
			}
			post = append(post, f.v)
			call = call[:len(call)-1]
		}
	}
	for _, s := range entryEdges {
		if !visited[s] {
			visit(s)
		}
	}
	for v := 0; v < n; v++ {
		if !visited[v] {
			entryEdges = append(entryEdges, v)
			visit(v)
		}
	}
	post = append(post, entry)
	rpo := make([]int, n+1) // node -> reverse postorder number
	for i, v := range post {
		rpo[v] = len(post) - 1 - i
	}
	preds := make([][]int, n+1)
	for _, w := range entryEdges {
		preds[w] = append(preds[w], entry)
	}
	for v := 0; v < n; v++ {
		for _, w := range adj[v] {
			preds[w] = append(preds[w], v)
		}
	}
	idom := make([]int, n+1)
	for i := range idom {
		idom[i] = -1
	}
	idom[entry] = entry
	intersect := func(a, b int) int {
		for a != b {
			for rpo[a] > rpo[b] {
				a = idom[a]
			}
			for rpo[b] > rpo[a] {
				b = idom[b]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for i := len(post) - 2; i >= 0; i-- { // reverse postorder, entry skipped
			b := post[i]
			nd := -1
			for _, p := range preds[b] {
				if idom[p] < 0 {
					continue
				}
				if nd < 0 {
					nd = p
				} else {
					nd = intersect(p, nd)
				}
			}
			if nd >= 0 && idom[b] != nd {
				idom[b] = nd
				changed = true
			}
		}
	}
	size := make([]int32, n+1)
	for i := range size {
		size[i] = 1
	}
	for _, v := range post { // children before their dominators
		if v != entry && idom[v] >= 0 && idom[v] != v {
			size[idom[v]] += size[v]
		}
	}
	for v := 0; v < n; v++ {
		out[v] = size[v] - 1
	}
}
