package sbom

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Severity levels of a vulnerability, worst first. SeverityUnknown is an
// advisory that states none: policies count it as they choose
// (fail-closed by default), never as harmless.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityUnknown  = "unknown"
)

// severityRank orders levels, worst first; unknown ranks after low here
// and is mapped by the caller's unknown-severity setting.
var severityRank = map[string]int{SeverityCritical: 0, SeverityHigh: 1, SeverityMedium: 2, SeverityLow: 3, SeverityUnknown: 4}

// SeverityRank orders severity levels, worst first: critical is 0,
// unknown 4, and anything else after it.
func SeverityRank(level string) int {
	if r, ok := severityRank[level]; ok {
		return r
	}
	return len(severityRank)
}

// maxCVSSVectorBytes bounds a CVSS vector string (a v4.0 vector with
// every metric is under 400 bytes).
const maxCVSSVectorBytes = 512

// osvSeverity is one entry of an OSV severity list.
type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// severityInfo is the severity of one advisory for one affected package,
// and where it was read.
type severityInfo struct {
	Level  string
	Score  float64 // CVSS base score, 0 when not from CVSS
	Source string  // e.g. "severity[0] CVSS_V3", "database_specific.severity"
	Vector string
}

// ScoreCVSS scores a CVSS vector with go-cvss and returns its base score
// and qualitative level. typ is the OSV severity type (CVSS_V2, CVSS_V3,
// CVSS_V4); v3.0 and v3.1 are told apart by the vector's prefix.
func ScoreCVSS(typ, vector string) (float64, string, error) {
	if len(vector) > maxCVSSVectorBytes {
		return 0, "", fmt.Errorf("reading CVSS vector: %d bytes, want at most %d", len(vector), maxCVSSVectorBytes)
	}
	var score float64
	switch {
	case typ == "CVSS_V2":
		c, err := gocvss20.ParseVector(vector)
		if err != nil {
			return 0, "", fmt.Errorf("reading CVSS v2 vector %q: %w", vector, err)
		}
		score = c.BaseScore()
		// CVSS v2 has no qualitative scale of its own; NVD's is used.
		switch {
		case score >= 7:
			return score, SeverityHigh, nil
		case score >= 4:
			return score, SeverityMedium, nil
		}
		return score, SeverityLow, nil
	case typ == "CVSS_V3" && strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, "", fmt.Errorf("reading CVSS v3.0 vector %q: %w", vector, err)
		}
		score = c.BaseScore()
	case typ == "CVSS_V3":
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, "", fmt.Errorf("reading CVSS v3.1 vector %q: %w", vector, err)
		}
		score = c.BaseScore()
	case typ == "CVSS_V4":
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, "", fmt.Errorf("reading CVSS v4.0 vector %q: %w", vector, err)
		}
		score = c.Score()
	default:
		return 0, "", fmt.Errorf("reading severity: type %q, want CVSS_V2, CVSS_V3 or CVSS_V4", typ)
	}
	return score, cvssLevel(score), nil
}

// cvssLevel is the CVSS v3/v4 qualitative rating; a score of 0.0
// ("none") counts as low: the advisory still names a vulnerability.
func cvssLevel(score float64) string {
	switch {
	case score >= 9:
		return SeverityCritical
	case score >= 7:
		return SeverityHigh
	case score >= 4:
		return SeverityMedium
	}
	return SeverityLow
}

// qualitativeLevel reads a database's own severity word (GHSA's
// CRITICAL/HIGH/MODERATE/LOW, Debian's urgency, Go's and others').
func qualitativeLevel(s string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return SeverityCritical, true
	case "HIGH", "IMPORTANT":
		return SeverityHigh, true
	case "MODERATE", "MEDIUM":
		return SeverityMedium, true
	case "LOW", "NEGLIGIBLE", "UNIMPORTANT":
		return SeverityLow, true
	}
	return "", false
}

// errNoSeverity marks an advisory that states no usable severity.
var errNoSeverity = errors.New("no severity stated")

// severityOf decides an advisory's severity for one affected entry, best
// source first: the CVSS vectors of the affected entry, then of the
// advisory (the worst score when several are given; an unreadable vector
// is skipped and named), then affected[].ecosystem_specific.severity,
// then database_specific.severity. notes names vectors that could not be
// read.
func severityOf(vectors []osvSeverity, vectorsAt string, ecoSpecific, dbSpecific []byte, affectedAt string) (info severityInfo, notes []string) {
	best := -1.0
	for i, s := range vectors {
		score, level, err := ScoreCVSS(s.Type, s.Score)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s/%d: %v", vectorsAt, i, err))
			continue
		}
		if score > best {
			best = score
			info = severityInfo{Level: level, Score: score, Source: fmt.Sprintf("%s/%d %s", vectorsAt, i, s.Type), Vector: s.Score}
		}
	}
	if best >= 0 {
		return info, notes
	}
	if l, err := fieldSeverity(ecoSpecific); err == nil {
		return severityInfo{Level: l, Source: affectedAt + "/ecosystem_specific/severity"}, notes
	}
	if l, err := fieldSeverity(dbSpecific); err == nil {
		return severityInfo{Level: l, Source: "/database_specific/severity"}, notes
	}
	return severityInfo{Level: SeverityUnknown, Source: "none"}, notes
}

// fieldSeverity reads {"severity": "HIGH"} from a database- or
// ecosystem-specific object.
func fieldSeverity(raw []byte) (string, error) {
	if len(raw) == 0 {
		return "", errNoSeverity
	}
	var ds struct {
		Severity looseString `json:"severity"`
	}
	if err := json.Unmarshal(raw, &ds); err != nil {
		return "", errNoSeverity
	}
	if l, ok := qualitativeLevel(string(ds.Severity)); ok {
		return l, nil
	}
	return "", errNoSeverity
}
