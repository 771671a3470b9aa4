package policy

import (
	_ "embed"
	"slices"
	"time"
)

var (
	//go:embed embed/default.yaml
	defaultPolicy []byte
	//go:embed embed/init.yaml
	initTemplate []byte
)

// DefaultName is the name the embedded default policy is loaded under.
const DefaultName = "sovcheck-default.yaml"

// DefaultSource returns the embedded default policy, as `sovcheck policy
// show-default` prints it.
func DefaultSource() []byte { return slices.Clone(defaultPolicy) }

// Default loads the embedded default policy, which applies when the user
// gives none: signatures and provenance required, known-exploited
// vulnerabilities knock out.
func Default(now time.Time) (*Policy, error) { return Load(defaultPolicy, DefaultName, now) }

// InitTemplate returns the commented starting point `sovcheck policy init`
// prints. It is itself a valid policy.
func InitTemplate() []byte { return slices.Clone(initTemplate) }
