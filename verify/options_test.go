package verify

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
)

// withConfig sets the whole configuration at once, so that tests can state
// a combination New must refuse without the option that would refuse it
// first.
func withConfig(c config) Option {
	return func(dst *config) error { *dst = c; return nil }
}

func TestOptionsValidate(t *testing.T) {
	for name, o := range map[string]Option{
		"half an identity":      WithIdentity(Identity{Subject: benchIdentity}),
		"two subjects":          WithIdentity(Identity{Subject: benchIdentity, SubjectRegexp: ".*", Issuer: benchIssuer}),
		"layout without keys":   WithLayout(Layout{Path: "root.layout", LinkDir: "links"}),
		"policy without policy": WithPolicy(PolicyOptions{}),
		"negative concurrency":  WithConcurrency(-1),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := New(WithKey("k.pub"), o)
			if r != nil || !IsConfigError(err) || reason.CodeOf(err, "") != reason.InputMalformed {
				t.Fatalf("New = %v, %v; want a ConfigError %s", r, err, reason.InputMalformed)
			}
		})
	}
}

// TestDecidedOnce: each artifact's verdict is decided once, with or
// without a policy, and an attested SBOM is parsed once for the label
// check and the policy.
func TestDecidedOnce(t *testing.T) {
	var calls atomic.Int64
	defer func(d func(policy.Subject, []policy.Check) policy.Verdict) { decide = d }(decide)
	decide = func(s policy.Subject, c []policy.Check) policy.Verdict {
		calls.Add(1)
		return policy.Decide(s, c)
	}
	paths, root := writeSigned(t, 3)
	p, data, err := LoadPolicy(DefaultPolicy, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Subject: benchIdentity, Issuer: benchIssuer}
	for name, opts := range map[string][]Option{
		"without a policy": {WithTrustedRoot(root), WithIdentity(id)},
		"with a policy": {WithTrustedRoot(root), WithIdentity(id),
			WithPolicy(PolicyOptions{Policy: p, Data: data, Now: func() time.Time { return testNow }})},
	} {
		t.Run(name, func(t *testing.T) {
			calls.Store(0)
			r, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Verify(context.Background(), paths); err != nil {
				t.Fatal(err)
			}
			if n := calls.Load(); n != int64(len(paths)) {
				t.Fatalf("policy.Decide ran %d times for %d artifacts, want once each", n, len(paths))
			}
		})
	}
}
