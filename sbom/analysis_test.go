package sbom

import (
	"fmt"
	"testing"
)

// graphOf builds a graph from "a>b" edges; the first name is the root
// unless root is "".
func graphOf(root string, names []string, edges ...string) *Graph {
	g := &Graph{Root: -1, Dependencies: true}
	idx := map[string]int{}
	for i, n := range names {
		idx[n] = i
		g.Components = append(g.Components, Component{Name: n, Ref: n, DependenciesKnown: true})
	}
	if root != "" {
		g.Root = idx[root]
	}
	for _, e := range edges {
		var a, b string
		fmt.Sscanf(e, "%1s>%1s", &a, &b)
		g.Components[idx[a]].DependsOn = append(g.Components[idx[a]].DependsOn, idx[b])
	}
	return g
}

func TestBlastRadius(t *testing.T) {
	// r -> a -> x, r -> b -> x, b -> y, y -> z: x has dependents a, b;
	// b dominates y and z; nothing dominates x but the root.
	g := graphOf("r", []string{"r", "a", "b", "x", "y", "z"}, "r>a", "r>b", "a>x", "b>x", "b>y", "y>z")
	br := analyzeBlast(g, 100)
	want := map[string][2]int32{"r": {0, 5}, "a": {0, 0}, "b": {0, 2}, "x": {2, 0}, "y": {1, 1}, "z": {2, 0}}
	for i, c := range g.Components {
		if got := [2]int32{br.dependents[i], br.dominated[i]}; got != want[c.Name] {
			t.Errorf("%s: dependents, dominated = %v, want %v", c.Name, got, want[c.Name])
		}
	}
}

func TestBlastRadiusCycleAndNoRoot(t *testing.T) {
	// No root; a -> b -> c -> b (cycle), d -> c. Every member of a cycle
	// depends on the others.
	g := graphOf("", []string{"a", "b", "c", "d"}, "a>b", "b>c", "c>b", "d>c")
	br := analyzeBlast(g, 100)
	want := map[string][2]int32{"a": {0, 0}, "b": {3, 0}, "c": {3, 0}, "d": {0, 0}}
	for i, c := range g.Components {
		if got := [2]int32{br.dependents[i], br.dominated[i]}; got != want[c.Name] {
			t.Errorf("%s: dependents, dominated = %v, want %v", c.Name, got, want[c.Name])
		}
	}
	// A cycle nothing enters still gets a dominator tree.
	g = graphOf("", []string{"p", "q"}, "p>q", "q>p")
	br = analyzeBlast(g, 100)
	if br.dependents[0] != 1 || br.dependents[1] != 1 || br.dominated[0] != 1 {
		t.Errorf("isolated cycle: dependents %v dominated %v", br.dependents, br.dominated)
	}
}

func TestBlastRadiusSaturates(t *testing.T) {
	// A chain of 50 nodes: the last one has 49 dependents; with a limit of
	// 10 the count stops at 11 ("more than 10").
	var names []string
	for i := 0; i < 50; i++ {
		names = append(names, fmt.Sprintf("n%02d", i))
	}
	g := &Graph{Root: -1, Dependencies: true}
	for i, n := range names {
		c := Component{Name: n}
		if i+1 < len(names) {
			c.DependsOn = []int{i + 1}
		}
		g.Components = append(g.Components, c)
	}
	br := analyzeBlast(g, 10)
	if br.dependents[49] != 11 || br.dependents[5] != 5 {
		t.Errorf("dependents of the tail %d (want 11), of n05 %d (want 5)", br.dependents[49], br.dependents[5])
	}
	if br.dominated[0] != 49 || br.dominated[48] != 1 {
		t.Errorf("chain dominators: head %d (want 49), n48 %d (want 1)", br.dominated[0], br.dominated[48])
	}
}

func TestBlastRadiusDeepChainNoStackOverflow(t *testing.T) {
	const n = 200_000
	g := &Graph{Root: 0, Dependencies: true, Components: make([]Component, n)}
	for i := 0; i+1 < n; i++ {
		g.Components[i].DependsOn = []int{i + 1}
	}
	br := analyzeBlast(g, 100)
	if br.dependents[n-1] != 101 || br.dominated[1] != n-2 {
		t.Fatalf("deep chain: tail dependents %d, dominated by n1 %d", br.dependents[n-1], br.dominated[1])
	}
}
