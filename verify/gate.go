package verify

import (
	"log/slog"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// GateOptions configures Gate.
type GateOptions struct {
	Policy *policy.Policy // with its data files loaded (LoadPolicy)
	// VSAs are VSA files (DSSE envelope or Sigstore bundle); each counts
	// for the dependencies whose sha256 it names as a subject or whose
	// purl is its resourceUri.
	VSAs []string
	// CertifierKeys are PEM public key files of certifiers the policy names
	// by key id only.
	CertifierKeys []string
	// Baseline holds the dependencies accepted before, by the name a gate
	// result gives them (a purl with its version): not certified, they are
	// listed as baselined and do not fail the gate. BaselineFile names it.
	Baseline     map[string]bool
	BaselineFile string
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger
}

// Gate reads a dependency list (go.sum, package-lock.json, go.mod, or a
// CycloneDX or SPDX SBOM) and certifies each dependency under the policy:
// a PASSED VSA from a certifier key the policy trusts, or an unexpired
// entry of the policy's certification list. A dependency with neither
// purl nor sha256 cannot be certified. Unreadable input and VSA files
// are errors (no verdict); a VSA that does not verify is a finding.
func Gate(input string, o GateOptions) (*policy.GateResult, error) {
	if o.Policy == nil {
		return nil, &ConfigError{reason.New(reason.InputMalformed, "give --policy FILE", "gate without a policy")}
	}
	if !o.Policy.Certifies() {
		return nil, &ConfigError{reason.New(reason.PolicyInvalid,
			"add a certification section (a certification list pinned under data:, or trusted certifier keys); 'sovcheck policy init' shows one",
			"policy %s names no certification: the gate would certify no dependency", o.Policy.Name())}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pr, err := newPolicyRun(&PolicyOptions{Policy: o.Policy, VSAs: o.VSAs, CertifierKeys: o.CertifierKeys, Now: now})
	if err != nil {
		return nil, err
	}
	g, err := sbom.ReadFile(input, sbom.WithLogger(logger), sbom.WithClock(now))
	if err != nil {
		return nil, err
	}
	res := &policy.GateResult{Input: input, Policy: o.Policy.Name(), PolicySHA256: o.Policy.SHA256(), Baseline: o.BaselineFile}
	var vsas []*vsaResult
	for _, f := range o.VSAs {
		v := checkVSA(pr.certs, f)
		switch v.check.Status {
		case policy.StatusFail:
			res.Rejected = append(res.Rejected, v.check)
		case policy.StatusSkip:
			res.Unused = append(res.Unused, v.check)
		default:
			vsas = append(vsas, v)
		}
	}
	used := make([]bool, len(vsas))
	at := now()
	seen := map[string]bool{}
	for i, c := range g.Components {
		if i == g.Root {
			continue
		}
		sha := componentSHA256(c)
		id := dependencyName(c)
		if seen[id] {
			continue
		}
		seen[id] = true
		res.Dependencies++
		pc := policy.Component{Ref: c.Ref, Name: c.Name, Version: c.Version, PURL: c.PURL, SHA256: sha, Pointer: c.Location}
		for j, v := range vsas {
			if v.about(c.PURL, sha) {
				pc.VSAs = append(pc.VSAs, v.fact())
				used[j] = true
			}
		}
		var cert policy.Certification
		if c.PURL == "" && sha == "" {
			cert = policy.Certification{Reason: reason.PolicyUncertified, Message: "neither purl nor sha256: nothing to certify it by",
				Hint: "give the dependency a package URL or a sha256 in the SBOM, or replace it"}
		} else {
			cert = o.Policy.Certify(pc, at)
		}
		switch f := (policy.GateFinding{Dependency: id, Location: c.Location, Certification: cert}); {
		case cert.Certified:
		case o.Baseline[id]:
			res.Baselined = append(res.Baselined, f)
		default:
			res.Uncertified = append(res.Uncertified, f)
		}
	}
	for j, v := range vsas {
		if !used[j] {
			ch := v.check
			ch.Status, ch.Reason = policy.StatusSkip, reason.SubjectMismatch
			ch.Message = "VSA about no dependency of " + input + ": " + v.statement.SubjectSummary() + ", resource " + v.vsa.ResourceURI
			res.Unused = append(res.Unused, ch)
		}
	}
	return res, nil
}

// componentSHA256 is the component's sha256 digest, if the input gives one.
func componentSHA256(c sbom.Component) string {
	for _, h := range c.Hashes {
		if alg := strings.ToUpper(strings.ReplaceAll(h.Algorithm, "-", "")); alg == "SHA256" {
			return strings.ToLower(h.Value)
		}
	}
	return ""
}

func dependencyName(c sbom.Component) string {
	if c.PURL != "" {
		return c.PURL
	}
	if c.Version != "" {
		return c.Name + "@" + c.Version
	}
	return c.Name
}
