package sbom

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"
)

// ErrNoVersionOrder is returned for an ecosystem whose version order
// sovcheck does not know; ErrBadVersion for a version its ecosystem's
// order cannot read. Both leave a vulnerability question open: never
// "not affected".
var (
	ErrNoVersionOrder = errors.New("no version order for the ecosystem")
	ErrBadVersion     = errors.New("version cannot be ordered")
)

// semanticEcosystem maps an OSV ecosystem (without its ":release" suffix)
// to the ecosystem whose order osv-scalibr's semantic package applies.
// Mariner and Azure Linux are RPM distributions: rpm's order.
func semanticEcosystem(eco string) string {
	switch eco {
	case "Mariner", "Azure Linux", "openEuler":
		return "Red Hat"
	}
	return eco
}

// parseVersion parses v in ecosystem eco ("SEMVER" for OSV's SEMVER
// ranges).
func parseVersion(eco, v string) (semantic.Version, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty version", ErrBadVersion)
	}
	switch eco {
	case "SEMVER", "Go", "npm", "crates.io":
		// These ecosystems use Semantic Versioning; the semantic package
		// reads any string, so versions are checked to be SemVer first
		// (a leading "v" as Go writes it is allowed).
		if !semver.IsValid("v" + strings.TrimPrefix(v, "v")) {
			return nil, fmt.Errorf("%w in %s: %q is not a semantic version", ErrBadVersion, eco, v)
		}
		if eco == "SEMVER" {
			return semantic.ParseSemverVersion(v), nil
		}
	}
	sv, err := semantic.Parse(v, semanticEcosystem(eco))
	switch {
	case errors.Is(err, semantic.ErrUnsupportedEcosystem):
		return nil, fmt.Errorf("%w %s", ErrNoVersionOrder, eco)
	case err != nil:
		return nil, fmt.Errorf("%w in %s: %q", ErrBadVersion, eco, v)
	}
	return sv, nil
}

// CompareVersions orders two versions of one OSV ecosystem ("Go", "npm",
// "PyPI", "Maven", "NuGet", "RubyGems", "crates.io", "Packagist",
// "Debian", "Ubuntu", "Alpine", "Red Hat", ...; a ":release" suffix is
// ignored) the way vulnerability matching does: -1, 0 or +1. The order is
// osv-scalibr's semantic package, the one osv-scanner uses.
func CompareVersions(ecosystem, a, b string) (int, error) {
	eco := baseEcosystem(ecosystem)
	va, err := parseVersion(eco, a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(eco, b)
	if err != nil {
		return 0, err
	}
	c, err := va.Compare(vb)
	if err != nil {
		return 0, fmt.Errorf("%w in %s: %q and %q: %v", ErrBadVersion, eco, a, b, err)
	}
	return c, nil
}

// RangeEvent is one event of an OSV range: exactly one field is set.
type RangeEvent struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

func (e RangeEvent) version() string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	}
	return e.Limit
}

// InRange reports whether version lies in an OSV range of the given
// ecosystem ("SEMVER" for a SEMVER range) with OSV's event semantics:
// events are sorted by version, "introduced" opens (the version "0"
// opens at the start), "fixed" closes at that version, "last_affected"
// closes after it, and "limit" caps the range. An error means the
// question stays open.
func InRange(ecosystem, version string, events []RangeEvent) (bool, error) {
	eco := baseEcosystem(ecosystem)
	v, err := parseVersion(eco, version)
	if err != nil {
		return false, err
	}
	type point struct {
		ev  RangeEvent
		ver semantic.Version // nil for introduced "0" and limit "*"
	}
	pts := make([]point, 0, len(events))
	for _, e := range events {
		s := e.version()
		if s == "" {
			continue
		}
		p := point{ev: e}
		if !(e.Introduced == "0" || e.Limit == "*") {
			if p.ver, err = parseVersion(eco, s); err != nil {
				return false, err
			}
		}
		pts = append(pts, p)
	}
	cmpTo := func(p point) (int, error) { // version relative to the event
		c, err := v.Compare(p.ver)
		if err != nil {
			return 0, fmt.Errorf("%w in %s: %v", ErrBadVersion, eco, err)
		}
		return c, nil
	}
	for _, p := range pts {
		if p.ev.Limit != "" && p.ver != nil {
			c, err := cmpTo(p)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				return false, nil
			}
		}
	}
	// Sort by version (insertion sort: ranges have a handful of events);
	// introduced "0" is the smallest.
	var sortErr error
	less := func(a, b point) bool {
		if a.ver == nil || b.ver == nil {
			return a.ver == nil && b.ver != nil
		}
		c, err := a.ver.Compare(b.ver)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c < 0
	}
	for i := 1; i < len(pts); i++ {
		for j := i; j > 0 && less(pts[j], pts[j-1]); j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
	if sortErr != nil {
		return false, fmt.Errorf("%w in %s: %v", ErrBadVersion, eco, sortErr)
	}
	affected := false
	for _, p := range pts {
		switch {
		case p.ev.Introduced != "":
			if p.ver == nil {
				affected = true
				continue
			}
			c, err := cmpTo(p)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				affected = true
			}
		case p.ev.Fixed != "":
			c, err := cmpTo(p)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				affected = false
			}
		case p.ev.LastAffected != "":
			c, err := cmpTo(p)
			if err != nil {
				return false, err
			}
			if c > 0 {
				affected = false
			}
		}
	}
	return affected, nil
}

// baseEcosystem drops an OSV ecosystem's ":release" suffix.
func baseEcosystem(eco string) string {
	for i := 0; i < len(eco); i++ {
		if eco[i] == ':' {
			return eco[:i]
		}
	}
	return eco
}
