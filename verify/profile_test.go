package verify

import (
	"slices"
	"testing"

	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// The policy admits the profiles the sbom package checks, no more.
func TestPolicyProfilesAreSBOMProfiles(t *testing.T) {
	if !slices.Equal(policy.SBOMProfiles, sbom.Profiles) {
		t.Fatalf("policy.SBOMProfiles %v, sbom.Profiles %v", policy.SBOMProfiles, sbom.Profiles)
	}
}
