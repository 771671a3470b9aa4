package sbom

// mergeDuplicates folds components that repeat the purl (version
// included) of an earlier component into that one, so a package listed
// twice in one SBOM (Trivy lists a jar once per path it was found at;
// merged SBOMs repeat shared packages) counts once. Edges, hashes and
// declared vulnerabilities of the repeats move to the first; references
// to a repeat resolve to the first. The product root is never merged.
func (b *graphBuilder) mergeDuplicates() {
	g := b.g
	first := make(map[string]int, len(g.Components))
	remap := make([]int, len(g.Components))
	merged := 0
	for i := range g.Components {
		remap[i] = i
		if i == g.Root {
			continue
		}
		p := g.Components[i].PURL
		if p == "" {
			continue
		}
		if j, ok := first[p]; ok {
			remap[i] = j
			merged++
			continue
		}
		first[p] = i
	}
	if merged == 0 {
		return
	}
	// New positions of the components kept.
	pos := make([]int, len(g.Components))
	n := 0
	for i := range g.Components {
		if remap[i] == i {
			pos[i] = n
			n++
		}
	}
	for i := range g.Components {
		if remap[i] != i {
			pos[i] = pos[remap[i]]
		}
	}
	out := make([]Component, 0, n)
	for i := range g.Components {
		c := &g.Components[i]
		for k, d := range c.DependsOn {
			c.DependsOn[k] = pos[d]
		}
		if remap[i] == i {
			out = append(out, *c)
			continue
		}
		keep := &out[pos[i]]
		keep.DependsOn = append(keep.DependsOn, c.DependsOn...)
		keep.Vulnerabilities = append(keep.Vulnerabilities, c.Vulnerabilities...)
		keep.Hashes = appendNewHashes(keep.Hashes, c.Hashes)
		if c.DependenciesKnown && !keep.DependenciesKnown {
			keep.DependenciesKnown, keep.DependenciesField = true, c.DependenciesField
		}
	}
	if g.Root >= 0 {
		g.Root = pos[g.Root]
	}
	for ref, i := range b.byRef {
		b.byRef[ref] = pos[i]
	}
	g.Components = out
	b.warnf("%d components repeat the purl of an earlier component and were counted once", merged)
}

func appendNewHashes(have, more []Hash) []Hash {
	for _, h := range more {
		dup := false
		for _, k := range have {
			if k == h {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, h)
		}
	}
	return have
}
