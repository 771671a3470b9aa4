package vocab

import "slices"

// Grade is a product's or component's label on the EU energy-label scale,
// A (best) to G.
type Grade string

// Grades, best first.
const (
	GradeA Grade = "A"
	GradeB Grade = "B"
	GradeC Grade = "C"
	GradeD Grade = "D"
	GradeE Grade = "E"
	GradeF Grade = "F"
	GradeG Grade = "G"
)

// Grades lists the scale, best first.
var Grades = []Grade{GradeA, GradeB, GradeC, GradeD, GradeE, GradeF, GradeG}

// Rank returns 0 for A up to 6 for G, and -1 for anything else.
func (g Grade) Rank() int { return slices.Index(Grades, g) }

// Worse reports whether g is a worse grade than h.
func (g Grade) Worse(h Grade) bool { return g.Rank() > h.Rank() }

// Valid reports whether g is a grade of the scale.
func (g Grade) Valid() bool { return g.Rank() >= 0 }

// GradeRank is Grade(s).Rank() for callers that hold grades as strings.
func GradeRank(s string) int { return Grade(s).Rank() }

// GradeNames returns the scale as strings, best first.
func GradeNames() []string {
	out := make([]string, len(Grades))
	for i, g := range Grades {
		out[i] = string(g)
	}
	return out
}
