package sbom

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// VEXFinding is what a VEX statement says about one finding.
type VEXFinding struct {
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Detail        string `json:"detail,omitempty"`
	// Source is the document (and statement) it was read from; Trusted
	// says whether that source may suppress findings.
	Source  string `json:"source"`
	Trusted bool   `json:"trusted"`
}

// Suppression is a finding removed by a trusted not_affected statement.
type Suppression struct {
	Component     string `json:"component"`
	PURL          string `json:"purl,omitempty"`
	Vulnerability string `json:"vulnerability"`
	Justification string `json:"justification"`
	Source        string `json:"source"`
}

// advisoriesStale reports whether the advisory data is older than the
// configured maximum age on the assessment date.
func (a *Assessor) advisoriesStale() (bool, string) {
	db := a.data.Advisories
	if db == nil || a.cfg.MaxAdvisoryAgeDays == 0 {
		return false, ""
	}
	if db.asOf.IsZero() {
		return true, "the advisory data states no modified date, so its age is unknown"
	}
	age := a.now.Sub(db.asOf)
	if age > time.Duration(a.cfg.MaxAdvisoryAgeDays)*24*time.Hour {
		return true, fmt.Sprintf("the advisory data as of %s is older than %d days", db.asOf.Format(time.DateOnly), a.cfg.MaxAdvisoryAgeDays)
	}
	return false, ""
}

func (x *ruleCtx) vulnerability() {
	c := x.c
	type hit struct {
		id, field, record, summary string
		aliases                    []string
		sev                        severityInfo
		notes                      []string
		declared                   *DeclaredVulnerability
	}
	var hits []hit
	for i := range c.Vulnerabilities {
		v := &c.Vulnerabilities[i]
		sev := severityInfo{Level: SeverityUnknown, Source: "none"}
		if v.Severity != "" {
			sev = severityInfo{Level: v.Severity, Source: v.Field + "/ratings"}
		}
		hits = append(hits, hit{id: v.ID, aliases: v.Aliases, field: v.Field, sev: sev, declared: v})
	}
	assessed := x.g.DeclaresVulnerabilities
	db := x.a.data.Advisories
	stale, staleWhy := x.a.advisoriesStale()
	switch {
	case db != nil && stale:
		if !assessed {
			x.unknown(staleWhy, vocab.LabelKnownVulnerable, vocab.LabelKnownExploited)
			return
		}
	case db != nil && db.Len() == 0:
		if !assessed {
			x.unknown("the advisory data holds no advisories", vocab.LabelKnownVulnerable, vocab.LabelKnownExploited)
			return
		}
	case db != nil:
		p, ok := parsePURL(c.PURL)
		if !ok {
			if !assessed {
				x.unknown("no purl to match OSV advisories", vocab.LabelKnownVulnerable, vocab.LabelKnownExploited)
				return
			}
			break
		}
		res := db.match(c.PURL, p)
		if res.uncovered != "" && !assessed {
			x.unknown(res.uncovered, vocab.LabelKnownVulnerable, vocab.LabelKnownExploited)
			return
		}
		for _, m := range res.matches {
			hits = append(hits, hit{id: m.ID, aliases: m.Aliases, record: m.Record, summary: m.Summary, sev: m.Severity, notes: m.SeverityNotes})
		}
		for _, why := range res.open {
			x.unknown(why, vocab.LabelKnownVulnerable)
		}
		assessed = assessed || res.uncovered == ""
	}
	if !assessed && len(hits) == 0 {
		x.unknown("no OSV advisories given", vocab.LabelKnownVulnerable, vocab.LabelKnownExploited)
		return
	}
	slices.SortFunc(hits, func(p, q hit) int { return cmp.Or(cmp.Compare(p.id, q.id), cmp.Compare(p.record, q.record)) })
	exploitedSeen := map[string]bool{}
	live := 0
	for _, h := range hits {
		rule := "vulnerability/osv-range"
		record := h.record
		if record == "" {
			rule, record = "vulnerability/declared-in-sbom", h.field
		}
		ids := append([]string{h.id}, h.aliases...)
		v := VulnerabilityResult{ID: h.id, Aliases: h.aliases, Severity: h.sev.Level, SeverityScore: h.sev.Score,
			SeveritySource: h.sev.Source, SeverityVector: h.sev.Vector, SeverityProblems: h.notes, Record: record}
		if h.record != "" && h.sev.Source != "none" {
			v.SeveritySource = strings.SplitN(h.record, "#", 2)[0] + "#" + h.sev.Source
		}
		v.VEX = x.a.vexFor(c, ids)
		if v.VEX == nil && h.declared != nil && h.declared.AnalysisState != "" {
			v.VEX = &VEXFinding{Status: cdxStateStatus(h.declared.AnalysisState), Justification: h.declared.Justification,
				Source: h.field + "/analysis (the SBOM under assessment)", Trusted: false}
		}
		if v.VEX != nil && v.VEX.Trusted && v.VEX.Status == VEXNotAffected {
			v.Suppressed = true
			x.r.Vulnerabilities = append(x.r.Vulnerabilities, v)
			continue
		}
		live++
		detail := h.id
		if len(h.aliases) > 0 {
			detail += " (" + strings.Join(h.aliases, ", ") + ")"
		}
		detail += " [" + v.Severity + "]"
		if h.summary != "" {
			detail += ": " + h.summary
		}
		if v.VEX != nil {
			trust := "untrusted"
			if v.VEX.Trusted {
				trust = "trusted"
			}
			detail += fmt.Sprintf("; VEX (%s, %s): %s", trust, v.VEX.Source, v.VEX.Status)
		}
		x.fire(vocab.LabelKnownVulnerable, rule, h.field, h.record, detail)
		for _, id := range ids {
			e, ki, ok := x.a.data.KEV.lookup(id)
			if !ok {
				continue
			}
			v.KnownExploited = true
			if !exploitedSeen[id] {
				exploitedSeen[id] = true
				x.fire(vocab.LabelKnownExploited, "vulnerability/kev-listed", "", fmt.Sprintf("%s#/%s/%d", x.a.data.KEV.source, x.a.data.KEV.list, ki),
					kevMessage(id, e))
			}
		}
		x.r.Vulnerabilities = append(x.r.Vulnerabilities, v)
	}
	if len(exploitedSeen) == 0 && live > 0 && x.a.data.KEV == nil {
		x.unknown("no KEV catalog given", vocab.LabelKnownExploited)
	}
}

// severityFloor lifts the risk to the floor of the worst unsuppressed
// vulnerability's severity; an unknown severity counts as configured.
func (a *Assessor) severityFloor(r *ComponentResult) {
	worst := ""
	for _, v := range r.Vulnerabilities {
		if v.Suppressed {
			continue
		}
		sev := v.Severity
		if _, known := severityRank[sev]; !known || sev == SeverityUnknown {
			sev = a.cfg.UnknownSeverity
		}
		if worst == "" || severityRank[sev] < severityRank[worst] {
			worst = sev
		}
	}
	if worst == "" {
		return
	}
	if f, ok := a.cfg.SeverityFloors[worst]; ok && f > r.Risk {
		r.Risk, r.RiskFloor = f, &RiskFloor{Label: vocab.LabelKnownVulnerable, Value: f, Severity: worst}
	}
}

// cdxSeverity is the worst qualitative rating of a CycloneDX
// vulnerability ("" when none is given).
func cdxSeverity(ratings *[]cdx.VulnerabilityRating) string {
	if ratings == nil {
		return ""
	}
	worst := ""
	for _, r := range *ratings {
		l, ok := qualitativeLevel(string(r.Severity))
		if !ok && r.Score != nil && *r.Score > 0 {
			l, ok = cvssLevel(*r.Score), true
		}
		if ok && (worst == "" || severityRank[l] < severityRank[worst]) {
			worst = l
		}
	}
	return worst
}

func (db *Advisories) asOfString() string {
	if db.asOf.IsZero() {
		return "unknown"
	}
	return db.asOf.Format(time.RFC3339)
}

// vulnerabilitySummary lists the suppressions of a product and warns
// when the vulnerability questions could not be answered: advisory data
// that is empty, stale or covers none of the product's ecosystems is no
// assessment.
func (a *Assessor) vulnerabilitySummary(rs []ComponentResult, warnings []string) ([]Suppression, []string) {
	var sup []Suppression
	for i := range rs {
		for _, v := range rs[i].Vulnerabilities {
			if v.Suppressed {
				sup = append(sup, Suppression{Component: rs[i].Name, PURL: rs[i].PURL, Vulnerability: v.ID,
					Justification: v.VEX.Justification, Source: v.VEX.Source})
			}
		}
	}
	slices.SortFunc(sup, func(p, q Suppression) int {
		return cmp.Or(cmp.Compare(p.Component, q.Component), cmp.Compare(p.PURL, q.PURL), cmp.Compare(p.Vulnerability, q.Vulnerability))
	})
	// Known-vulnerable is the question advisory data answers (known-exploited
	// needs KEV as well).
	open := 0
	for i := range rs {
		for _, u := range rs[i].Unassessed {
			if slices.Contains(u.Labels, vocab.LabelKnownVulnerable) {
				open++
				break
			}
		}
	}
	if len(rs) > 0 && open == len(rs) {
		why := "no advisory data given"
		if db := a.data.Advisories; db != nil {
			why = fmt.Sprintf("the advisory data (%d advisories, ecosystems: %s) answers no component", db.Len(), orNone(strings.Join(db.Ecosystems(), ", ")))
			if stale, s := a.advisoriesStale(); stale {
				why = s
			}
		}
		warnings = append(slices.Clone(warnings), "no vulnerability was assessed: "+why)
	}
	return sup, warnings
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// kevMessage says since when a CVE is in the KEV catalogue, with the
// catalogue's name for it when it gives one (a snapshot's entries do not).
func kevMessage(id string, e kevEntry) string {
	msg := fmt.Sprintf("%s is in the KEV catalog since %s", id, e.DateAdded)
	if e.VulnerabilityName != "" {
		msg += " (" + e.VulnerabilityName + ")"
	}
	return msg
}
