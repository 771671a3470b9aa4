package policy

import (
	"errors"
	"sync/atomic"
)

// WithEvaluationCostLimit sets the CEL cost budget of one evaluation, all
// CEL rules together (default DefaultEvaluationCost). Once it is spent,
// the rules not yet started fail with POLICY_EVALUATION_COST_EXCEEDED.
func WithEvaluationCostLimit(limit uint64) Option {
	return func(c *config) error {
		if limit == 0 {
			return errors.New("CEL evaluation cost limit must be positive")
		}
		c.evalCostLimit = limit
		return nil
	}
}

// costBudget is the CEL cost an evaluation may still spend, shared by
// the goroutines that evaluate its rules.
type costBudget struct {
	limit uint64
	spent atomic.Uint64
}

// open reports whether a rule may still start.
func (b *costBudget) open() bool { return b.spent.Load() < b.limit }

func (b *costBudget) charge(cost uint64) { b.spent.Add(cost) }
