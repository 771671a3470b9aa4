package sbom

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Grade is a grade of the EU energy-label scale, A (best) to G;
// internal/vocab defines the scale.
type Grade = vocab.Grade

// Config holds every weight and cut-off of the scores. DefaultConfig gives
// the defaults; a policy overrides them field by field (ParseConfig).
type Config struct {
	// Weights are each fragility label's weight in the noisy-OR:
	// fragility = 1 - prod(1 - weight) over the labels that fired.
	Weights map[Label]float64 `yaml:"weights" json:"weights"`
	// RiskFloors lift a component's risk to at least this value when the
	// label fires, whatever its impact (a known-exploited leaf is still
	// urgent).
	RiskFloors map[Label]int `yaml:"riskFloors" json:"riskFloors"`
	// GradeCutoffs are the lowest risks of grades B, C, D, E, F and G;
	// a risk below the first is an A.
	GradeCutoffs []int `yaml:"gradeCutoffs" json:"gradeCutoffs"`
	// ImpactFloor is the share of risk a component carries just by being
	// in the product: risk = 100 x fragility x (floor + (1-floor) x impact).
	ImpactFloor float64 `yaml:"impactFloor" json:"impactFloor"`
	// ImpactWeights weigh blast radius against pervasiveness. Each signal
	// is log(1+x)/log(1+max(x,T)) as in the OpenSSF criticality score;
	// blast radius is the larger of the dependents and dominated signals.
	ImpactWeights ImpactWeights `yaml:"impactWeights" json:"impactWeights"`
	// DependentsThreshold and DominatedThreshold are T for transitive
	// dependents and dominated components; a product with fewer components
	// uses its own size, so "everything depends on it" always scores 1.
	DependentsThreshold int `yaml:"dependentsThreshold" json:"dependentsThreshold"`
	DominatedThreshold  int `yaml:"dominatedThreshold" json:"dominatedThreshold"`
	// UnknownImpact is assumed when the SBOM has no dependency graph.
	UnknownImpact float64 `yaml:"unknownImpact" json:"unknownImpact"`
	// HighBlastRadius: the blast signal (the larger of the dependents and
	// dominated signals) at which high-blast-radius fires.
	HighBlastRadius float64 `yaml:"highBlastRadius" json:"highBlastRadius"`
	// PervasiveShare and PervasiveMinProducts: portfolio-pervasive fires
	// when an upstream is in at least this share and number of products.
	PervasiveShare       float64 `yaml:"pervasiveShare" json:"pervasiveShare"`
	PervasiveMinProducts int     `yaml:"pervasiveMinProducts" json:"pervasiveMinProducts"`
	// SupplierConcentrationShare: supplier-concentration fires when one
	// supplier delivers at least this share of a product's components with
	// a known supplier, in products of at least
	// SupplierConcentrationMinComponents components.
	SupplierConcentrationShare         float64 `yaml:"supplierConcentrationShare" json:"supplierConcentrationShare"`
	SupplierConcentrationMinComponents int     `yaml:"supplierConcentrationMinComponents" json:"supplierConcentrationMinComponents"`
	// HighImpact and HighFragility: systemic-fragile fires when both are
	// reached.
	HighImpact    float64 `yaml:"highImpact" json:"highImpact"`
	HighFragility float64 `yaml:"highFragility" json:"highFragility"`
	// AbandonedAfterDays: abandoned fires when the last release is older.
	AbandonedAfterDays int `yaml:"abandonedAfterDays" json:"abandonedAfterDays"`
	// WeakPracticesBelow: weak-practices fires when the repository's
	// OpenSSF Scorecard aggregate score (0 to 10) is below it.
	WeakPracticesBelow float64 `yaml:"weakPracticesBelow" json:"weakPracticesBelow"`
	// CriticalProjectAt: critical-project fires when the repository's
	// OpenSSF criticality score (0 to 1) reaches it; with fragility at
	// HighFragility it makes the component systemic-fragile, as high
	// impact does.
	CriticalProjectAt float64 `yaml:"criticalProjectAt" json:"criticalProjectAt"`
	// AllowedJurisdictions (ISO 3166-1 alpha-2, or EU) for
	// foreign-single-source; empty leaves that label unassessed.
	AllowedJurisdictions []string `yaml:"allowedJurisdictions" json:"allowedJurisdictions"`
	// HostCertifications are the certification schemes a hosting
	// provider needs to escape uncertified-host; empty means
	// DefaultHostCertifications.
	HostCertifications []string `yaml:"hostCertifications" json:"hostCertifications,omitempty"`
	// SandboxImpactFactor multiplies the impact of sandboxed components.
	SandboxImpactFactor float64 `yaml:"sandboxImpactFactor" json:"sandboxImpactFactor"`
	// Caps bound the product grade when the SBOM is too poor to assess.
	Caps CapConfig `yaml:"caps" json:"caps"`
	// SeverityFloors lift a component's risk to at least this value for
	// its worst known (unsuppressed) vulnerability's severity: by default
	// a critical one is never better than E, a high one than D.
	SeverityFloors map[string]int `yaml:"severityFloors" json:"severityFloors"`
	// UnknownSeverity is how a vulnerability whose advisory states no
	// severity counts (default high: fail closed, never harmless).
	UnknownSeverity string `yaml:"unknownSeverity" json:"unknownSeverity"`
	// MaxAdvisoryAgeDays: advisory data whose newest record is older than
	// this many days is stale and answers no vulnerability question
	// (0: no limit).
	MaxAdvisoryAgeDays int `yaml:"maxAdvisoryAgeDays" json:"maxAdvisoryAgeDays"`
}

// ImpactWeights weigh the impact signals in a portfolio; a single product
// has no pervasiveness, so its impact is its blast radius.
type ImpactWeights struct {
	BlastRadius   float64 `yaml:"blastRadius" json:"blastRadius"`
	Pervasiveness float64 `yaml:"pervasiveness" json:"pervasiveness"`
}

// CapConfig holds the best grades a poor SBOM can earn.
type CapConfig struct {
	// MinIdentifiedShare is the share of components that must be
	// identifiable; below it the grade is at best PoorSBOM.
	MinIdentifiedShare float64 `yaml:"minIdentifiedShare" json:"minIdentifiedShare"`
	PoorSBOM           Grade   `yaml:"poorSBOM" json:"poorSBOM"`
	// NoGraph is the best grade of an SBOM without dependency information.
	NoGraph Grade `yaml:"noGraph" json:"noGraph"`
	// Empty is the grade of an SBOM that lists no components.
	Empty Grade `yaml:"empty" json:"empty"`
}

// DefaultConfig returns sovcheck's default weights and cut-offs.
func DefaultConfig() Config {
	return Config{
		Weights: map[Label]float64{
			vocab.LabelUnidentifiable:        0.30,
			vocab.LabelUnverifiableArtifact:  0.10,
			vocab.LabelOpaqueBinary:          0.25,
			vocab.LabelUnknownProducer:       0.15,
			vocab.LabelUnknownLicence:        0.05,
			vocab.LabelGraphIncomplete:       0.05,
			vocab.LabelNoProvenance:          0.15,
			vocab.LabelUnsigned:              0.15,
			vocab.LabelNotReproducible:       0.15,
			vocab.LabelLocallyModified:       0.10,
			vocab.LabelSingleMaintainer:      0.35,
			vocab.LabelAnonymousMaintainer:   0.35,
			vocab.LabelAbandoned:             0.40,
			vocab.LabelUncertifiedSteward:    0.10,
			vocab.LabelDeprecated:            0.30,
			vocab.LabelRetracted:             0.50,
			vocab.LabelWeakPractices:         0.20,
			vocab.LabelForeignSingleSource:   0.25,
			vocab.LabelUnsandboxedNative:     0.05,
			vocab.LabelAmbientAuthority:      0.10,
			vocab.LabelKnownVulnerable:       0.50,
			vocab.LabelKnownExploited:        0.90,
			vocab.LabelSupplierConcentration: 0.05,
		},
		RiskFloors:                         map[Label]int{vocab.LabelKnownExploited: 75},
		GradeCutoffs:                       []int{10, 20, 30, 45, 60, 75},
		ImpactFloor:                        0.3,
		ImpactWeights:                      ImpactWeights{BlastRadius: 1, Pervasiveness: 1},
		DependentsThreshold:                100,
		DominatedThreshold:                 100,
		UnknownImpact:                      0.5,
		HighBlastRadius:                    0.6,
		PervasiveShare:                     0.25,
		PervasiveMinProducts:               2,
		SupplierConcentrationShare:         0.5,
		SupplierConcentrationMinComponents: 10,
		HighImpact:                         0.6,
		HighFragility:                      0.5,
		AbandonedAfterDays:                 730,
		WeakPracticesBelow:                 4,
		CriticalProjectAt:                  0.6,
		SandboxImpactFactor:                0.5,
		Caps:                               CapConfig{MinIdentifiedShare: 0.5, PoorSBOM: vocab.GradeD, NoGraph: vocab.GradeC, Empty: vocab.GradeG},
		SeverityFloors:                     map[string]int{SeverityCritical: 45, SeverityHigh: 30, SeverityMedium: 20, SeverityLow: 10},
		UnknownSeverity:                    SeverityHigh,
	}
}

const hintConfig = "fix the scoring configuration; see DefaultConfig for the fields and their ranges"

// ParseConfig reads YAML overrides on top of DefaultConfig: fields not
// named keep their defaults, and weights named replace only those labels.
func ParseConfig(r io.Reader, name string) (Config, error) {
	data, err := readLimited(r, 1<<20, "scoring configuration "+quoteName(name), "a scoring configuration is a few KiB")
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig()
	weights, floors, sevFloors := cfg.Weights, cfg.RiskFloors, cfg.SeverityFloors
	cfg.Weights, cfg.RiskFloors, cfg.SeverityFloors = nil, nil, nil
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err != io.EOF {
		return Config{}, reason.Wrap(err, reason.SBOMConfigInvalid, hintConfig, "decoding scoring configuration %s", quoteName(name))
	}
	for l, w := range cfg.Weights {
		weights[l] = w
	}
	for l, f := range cfg.RiskFloors {
		floors[l] = f
	}
	for sev, f := range cfg.SeverityFloors {
		sevFloors[sev] = f
	}
	cfg.Weights, cfg.RiskFloors, cfg.SeverityFloors = weights, floors, sevFloors
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks every weight and cut-off against its range.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return reason.New(reason.SBOMConfigInvalid, hintConfig, "validating scoring configuration: %s", fmt.Sprintf(format, args...))
	}
	unit := func(name string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return bad("%s: got %v, want 0 to 1", name, v)
		}
		return nil
	}
	for l, w := range c.Weights {
		i, ok := labelIndex[l]
		if !ok {
			return bad("weights: unknown label %q", l)
		}
		if labelCatalogue[i].kind != kindFragility && w != 0 {
			return bad("weights: %s explains impact and takes no fragility weight", l)
		}
		if math.IsNaN(w) || w < 0 || w >= 1 {
			return bad("weights[%s]: got %v, want at least 0 and below 1", l, w)
		}
	}
	for l, f := range c.RiskFloors {
		if _, ok := labelIndex[l]; !ok {
			return bad("riskFloors: unknown label %q", l)
		}
		if f < 0 || f > 100 {
			return bad("riskFloors[%s]: got %d, want 0 to 100", l, f)
		}
	}
	for sev, f := range c.SeverityFloors {
		if _, ok := severityRank[sev]; !ok || sev == SeverityUnknown {
			return bad("severityFloors: unknown severity %q, want critical, high, medium or low", sev)
		}
		if f < 0 || f > 100 {
			return bad("severityFloors[%s]: got %d, want 0 to 100", sev, f)
		}
	}
	if r, ok := severityRank[c.UnknownSeverity]; !ok || r == severityRank[SeverityUnknown] {
		return bad("unknownSeverity: got %q, want critical, high, medium or low", c.UnknownSeverity)
	}
	if math.IsNaN(c.WeakPracticesBelow) || c.WeakPracticesBelow < 0 || c.WeakPracticesBelow > 10 {
		return bad("weakPracticesBelow: got %v, want a Scorecard score, 0 to 10", c.WeakPracticesBelow)
	}
	if c.MaxAdvisoryAgeDays < 0 {
		return bad("maxAdvisoryAgeDays: got %d, want 0 (no limit) or more", c.MaxAdvisoryAgeDays)
	}
	if len(c.GradeCutoffs) != len(vocab.Grades)-1 {
		return bad("gradeCutoffs: got %d values, want %d (lowest risk of B..G)", len(c.GradeCutoffs), len(vocab.Grades)-1)
	}
	for i, v := range c.GradeCutoffs {
		if v <= 0 || v > 100 || (i > 0 && v <= c.GradeCutoffs[i-1]) {
			return bad("gradeCutoffs: got %v, want strictly ascending values in 1..100", c.GradeCutoffs)
		}
	}
	for name, v := range map[string]float64{
		"impactFloor": c.ImpactFloor, "unknownImpact": c.UnknownImpact, "highBlastRadius": c.HighBlastRadius,
		"pervasiveShare": c.PervasiveShare, "supplierConcentrationShare": c.SupplierConcentrationShare,
		"highImpact": c.HighImpact, "highFragility": c.HighFragility, "sandboxImpactFactor": c.SandboxImpactFactor,
		"caps.minIdentifiedShare": c.Caps.MinIdentifiedShare, "criticalProjectAt": c.CriticalProjectAt,
	} {
		if err := unit(name, v); err != nil {
			return err
		}
	}
	w := c.ImpactWeights
	if !(w.BlastRadius > 0) || !(w.Pervasiveness >= 0) || math.IsInf(w.BlastRadius+w.Pervasiveness, 0) {
		return bad("impactWeights: got %+v, want blastRadius > 0 and pervasiveness >= 0", w)
	}
	if c.DependentsThreshold < 1 || c.DominatedThreshold < 1 {
		return bad("dependentsThreshold and dominatedThreshold: got %d and %d, want at least 1", c.DependentsThreshold, c.DominatedThreshold)
	}
	if c.PervasiveMinProducts < 1 || c.SupplierConcentrationMinComponents < 1 || c.AbandonedAfterDays < 1 {
		return bad("pervasiveMinProducts, supplierConcentrationMinComponents and abandonedAfterDays must be at least 1")
	}
	for _, g := range []Grade{c.Caps.PoorSBOM, c.Caps.NoGraph, c.Caps.Empty} {
		if g.Rank() < 0 {
			return bad("caps: grade %q is not one of A..G", g)
		}
	}
	for i, j := range c.AllowedJurisdictions {
		u := strings.ToUpper(strings.TrimSpace(j))
		if !jurisdictionRE().MatchString(u) {
			return bad("allowedJurisdictions[%d]: got %q, want an ISO 3166-1 alpha-2 code or EU", i, j)
		}
		c.AllowedJurisdictions[i] = u
	}
	return nil
}

// gradeOf maps a risk to a grade.
func (c *Config) gradeOf(risk int) Grade {
	for i, cut := range c.GradeCutoffs {
		if risk < cut {
			return vocab.Grades[i]
		}
	}
	return vocab.GradeG
}

// lognorm is the OpenSSF criticality normalisation: 0 at x=0, 1 at x>=t.
func lognorm(x, t float64) float64 {
	if x <= 0 {
		return 0
	}
	return math.Log1p(x) / math.Log1p(math.Max(x, t))
}

// fragility combines label weights by noisy-OR.
func (c *Config) fragility(bits labelBits) float64 {
	keep := 1.0
	for i, info := range labelCatalogue {
		if info.kind == kindFragility && bits&(1<<i) != 0 {
			keep *= 1 - c.Weights[info.label]
		}
	}
	return 1 - keep
}

// risk turns fragility and impact into 0..100, before floors.
func (c *Config) risk(fragility, impact float64) int {
	return int(math.Round(100 * fragility * (c.ImpactFloor + (1-c.ImpactFloor)*impact)))
}
