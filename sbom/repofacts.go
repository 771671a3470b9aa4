package sbom

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RepositoryKey brings a source repository reference (a URL in any of the
// forms package metadata uses, or host/owner/repo) into the key of a
// snapshot's repositories: https://HOST/PATH in lower case, without
// scheme variants, credentials, ".git" or a trailing slash; "" when it
// names no repository. OWNER/REPO alone is read as a GitHub repository,
// as OpenSSF Scorecard writes it.
func RepositoryKey(s string) string {
	k := strings.TrimPrefix(normalizeVCS(s), "vcs:")
	if at := strings.LastIndex(k, "@"); at >= 0 && at < strings.Index(k+"/", "/") {
		k = k[at+1:] // user@host/...
	}
	parts := strings.Split(k, "/")
	if len(parts) < 2 || slices.Contains(parts, "") {
		return ""
	}
	if len(parts) == 2 && !strings.Contains(parts[0], ".") {
		parts = append([]string{"github.com"}, parts...)
	}
	return "https://" + strings.Join(parts, "/")
}

// forgeRepository cuts a path below a repository on the forges whose
// repositories are always HOST/OWNER/REPO (a Go module in a subdirectory,
// a /tree/main/... link).
func forgeRepository(key string) string {
	rest, ok := strings.CutPrefix(key, "https://")
	if !ok {
		return key
	}
	parts := strings.Split(rest, "/")
	switch parts[0] {
	case "github.com", "bitbucket.org", "codeberg.org":
		if len(parts) > 3 {
			return "https://" + strings.Join(parts[:3], "/")
		}
	}
	return key
}

// goModuleRepository is the repository of a Go module path where the path
// says it: the forges' own paths and the Go project's golang.org/x
// modules, which are mirrored at github.com/golang.
func goModuleRepository(path string) string {
	parts := strings.Split(path, "/")
	switch {
	case len(parts) >= 3 && (parts[0] == "github.com" || parts[0] == "gitlab.com" || parts[0] == "bitbucket.org" || parts[0] == "codeberg.org"):
		return forgeRepository("https://" + strings.ToLower(strings.Join(parts[:3], "/")))
	case len(parts) >= 3 && parts[0] == "golang.org" && parts[1] == "x":
		return "https://github.com/golang/" + strings.ToLower(parts[2])
	}
	return ""
}

// repositoryCandidates are the component's source repositories, best
// first, each with where it was read: the SBOM's VCS reference, the
// snapshot's repository and homepage of the package, a VCS upstream or the
// repositories a mapping file lists for the upstream, the module path of a
// Go purl.
func (x *ruleCtx) repositoryCandidates(p *PackageFacts, pi int) [][2]string {
	var out [][2]string
	add := func(ref, where string) {
		if k := RepositoryKey(ref); k != "" {
			out = append(out, [2]string{k, where}, [2]string{forgeRepository(k), where})
		}
	}
	if x.c.VCS != "" {
		add(x.c.VCS, fieldOf(x.g.Format, x.c, "vcs"))
	}
	if p != nil {
		rd := x.a.data.Risk
		add(p.Repository, fmt.Sprintf("%s#/packages/%d/repository", rd.source, pi))
		add(p.Homepage, fmt.Sprintf("%s#/packages/%d/homepage", rd.source, pi))
	}
	if v, ok := strings.CutPrefix(x.r.Upstream, "vcs:"); ok {
		add(v, "upstream "+x.r.Upstream)
	}
	if m := x.a.data.Mapping; m != nil {
		for _, k := range m.vcs[x.r.Upstream] {
			add(strings.TrimPrefix(k, "vcs:"), m.source+"#/upstreams/"+x.r.Upstream)
		}
	}
	if pu, ok := parsePURL(x.c.PURL); ok && pu.Type == "golang" {
		if k := goModuleRepository(joinNS(pu.Namespace, pu.Name, "/")); k != "" {
			out = append(out, [2]string{k, fieldOf(x.g.Format, x.c, "purl")})
		}
	}
	return out
}

// riskDataRepository fires weak-practices and critical-project from the
// OpenSSF Scorecard and criticality results a snapshot imported for the
// component's source repository, or leaves them unassessed, saying why.
func (x *ruleCtx) riskDataRepository() {
	labels := []Label{vocab.LabelWeakPractices, vocab.LabelCriticalProject}
	rd := x.a.data.Risk
	if rd == nil {
		x.unknown("no risk data given", labels...)
		return
	}
	if len(rd.Repositories) == 0 {
		x.unknown("the risk data holds no Scorecard or criticality results", labels...)
		return
	}
	p, pi := x.riskFacts()
	var facts *RepositoryFacts
	var ri int
	var via string
	for _, c := range x.repositoryCandidates(p, pi) {
		if i, ok := rd.byRepo[c[0]]; ok {
			facts, ri, via = &rd.Repositories[i], i, c[1]
			break
		}
	}
	if facts == nil {
		x.unknown("no Scorecard or criticality result for the component's repository", labels...)
		return
	}
	x.r.Repository = facts.Repository
	rec := func(f string) string { return fmt.Sprintf("%s#/repositories/%d/%s", rd.source, ri, f) }
	if sc := facts.Scorecard; sc == nil || sc.Score < 0 {
		x.unknown("no Scorecard score for the component's repository", vocab.LabelWeakPractices)
	} else if sc.Score < x.a.cfg.WeakPracticesBelow {
		x.fire(vocab.LabelWeakPractices, "stewardship/scorecard-below", "", rec("scorecard"),
			fmt.Sprintf("OpenSSF Scorecard %.1f/10 for %s on %s, below %.1f (repository from %s)%s",
				sc.Score, facts.Repository, dateOnly(sc.Date), x.a.cfg.WeakPracticesBelow, via, weakestChecks(sc.Checks)))
	}
	if cr := facts.Criticality; cr == nil {
		x.unknown("no criticality score for the component's repository", vocab.LabelCriticalProject)
	} else if cr.Score >= x.a.cfg.CriticalProjectAt {
		x.fire(vocab.LabelCriticalProject, "systemic/criticality-score", "", rec("criticality"),
			fmt.Sprintf("OpenSSF criticality score %.2f for %s, at least %.2f (repository from %s)",
				cr.Score, facts.Repository, x.a.cfg.CriticalProjectAt, via))
	}
}

// weakestChecks names up to three checks with the lowest scores, skipping
// inconclusive ones (-1).
func weakestChecks(checks []ScorecardCheck) string {
	var cs []ScorecardCheck
	for _, c := range checks {
		if c.Score >= 0 {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return ""
	}
	slices.SortStableFunc(cs, func(a, b ScorecardCheck) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Name, b.Name))
	})
	var parts []string
	for _, c := range cs[:min(3, len(cs))] {
		parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Score))
	}
	return "; weakest: " + strings.Join(parts, ", ")
}

func dateOnly(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}
