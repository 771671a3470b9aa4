package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
	"github.com/sovcheck/sovcheck/sbom"
)

// DefaultPolicy is the policy name that selects the embedded default
// policy (`sovcheck policy show-default`) instead of a file.
const DefaultPolicy = "default"

// Check ids a policy run adds to a verdict.
const (
	CheckSBOMAssessed = "sbom.assessed" // the SBOM the policy judges, read and assessed
	CheckVSA          = "vsa"           // a Verification Summary Attestation from a certifier
	CheckProvenance   = "provenance"    // a verified SLSA provenance that cannot be read
)

// SBOMSuffixes are the names, appended to an artifact's path, under which
// its SBOM is discovered when a policy is applied, in the order tried.
var SBOMSuffixes = []string{".cdx.json", ".spdx.json"}

// VSASuffixes are the names, appended to an artifact's path, under which
// its VSAs are discovered when a policy is applied: the DSSE envelope and
// the Sigstore bundle `sovcheck attest vsa` writes.
var VSASuffixes = []string{".vsa.json", ".vsa.sigstore.json"}

// PolicyOptions applies a procurement policy to every verdict: the facts
// verify established are evaluated, and the policy's checks join the
// verdict.
type PolicyOptions struct {
	Policy *policy.Policy
	// Data is what the policy's data files hold (LoadPolicy reads them):
	// the SBOM is assessed with it.
	Data sbom.Data
	// SBOM is the SBOM file of the one artifact verified; empty means
	// discover ARTIFACT.cdx.json or ARTIFACT.spdx.json, or else take a
	// verified SBOM attestation.
	SBOM string
	// VSAs are VSA files (DSSE envelope or Sigstore bundle) given for the
	// artifacts, besides those discovered (VSASuffixes).
	VSAs []string
	// CertifierKeys are PEM public key files of certifiers that the policy
	// names by key id only; each must be one of the policy's certifiers.
	CertifierKeys []string
	// Now is the evaluation time; default time.Now.
	Now func() time.Time
}

// Outcome is one artifact's verdict and, when a policy was applied, the
// facts it was evaluated on.
type Outcome struct {
	Verdict policy.Verdict
	Facts   *policy.Facts // nil without a policy
	// Name names the artifact in a statement about it: a file's base name,
	// or the image reference.
	Name string
	// Inputs are the verified attestations the verdict rests on, for a
	// VSA's inputAttestations; each digest is the sha256 of the signed
	// statement (or, for a message signature, of the signature).
	Inputs []attest.ResourceDescriptor
}

// gathered is what verifying one artifact established beyond its checks.
type gathered struct {
	art      attest.Artifact // Path empty for digests and images
	verified []verifiedBundle
	rebuild  *rebuild.Result
	wasm     policy.Wasm // what a WebAssembly artifact imports (wasm.go)
}

// add records verified bundles once each: an image index's evidence
// covers every platform it pins.
func (g *gathered) add(vbs []verifiedBundle) {
	for _, vb := range vbs {
		if !slices.ContainsFunc(g.verified, func(x verifiedBundle) bool { return x.res == vb.res }) {
			g.verified = append(g.verified, vb)
		}
	}
}

// LoadPolicy reads a policy file, or the embedded default for
// DefaultPolicy, and the data files it pins (paths relative to the policy
// file), each checked against its sha256. A certification list is
// handed to the policy; a trust registry, advisories (a zip file) and a
// KEV catalogue are read for the SBOM assessment. Problems with the
// policy or a pin are a *policy.FileError with line and column.
func LoadPolicy(path string, now time.Time, opts ...sbom.Option) (*policy.Policy, sbom.Data, error) {
	if path == DefaultPolicy {
		p, err := policy.Default(now)
		return p, sbom.Data{}, err
	}
	// One byte over the limit, so that Load reports an oversized policy.
	data, err := readUpTo(path, policy.MaxPolicyBytes+1)
	if err != nil {
		return nil, sbom.Data{}, reason.Wrap(err, reason.InputUnreadable, "check the policy path", "reading policy")
	}
	p, err := policy.Load(data, path, now)
	if err != nil {
		return nil, sbom.Data{}, err
	}
	var d sbom.Data
	limits := sbom.DefaultLimits()
	for _, df := range p.DataFiles() {
		file := df.Path
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(path), file)
		}
		unreadable := func(err error) error {
			return &policy.FileError{Name: path, Problems: []policy.Problem{{Pos: df.Pos, Code: reason.InputUnreadable,
				Path: "data[" + df.Name + "]", Msg: fmt.Sprintf("reading data file %s: %v", df.Name, err),
				Hint: "put the file at its path, relative to the policy file, or fix the path in the policy"}}}
		}
		if df.Kind == policy.DataAdvisories {
			// OSV databases can be large: hashed while streaming, then
			// read by package sbom.
			sum, err := hashRegularFile(file)
			if err != nil {
				return nil, sbom.Data{}, unreadable(err)
			}
			if err := p.CheckDataDigest(df.Name, sum); err != nil {
				return nil, sbom.Data{}, err
			}
			if d.Advisories, err = sbom.LoadAdvisories(file, opts...); err != nil {
				return nil, sbom.Data{}, err
			}
			continue
		}
		limit := limits.MaxDataFileBytes
		if df.Kind == policy.DataCertifications {
			limit = policy.MaxDataListBytes
		}
		content, err := readUpTo(file, limit+1)
		if err != nil {
			return nil, sbom.Data{}, unreadable(err)
		}
		if int64(len(content)) > limit {
			return nil, sbom.Data{}, unreadable(fmt.Errorf("larger than %d bytes", limit))
		}
		if p, err = p.WithData(df.Name, content); err != nil {
			return nil, sbom.Data{}, err
		}
		switch df.Kind {
		case policy.DataTrustRegistry:
			d.Registry, err = sbom.ReadRegistry(bytes.NewReader(content), file, opts...)
		case policy.DataKEV:
			d.KEV, err = sbom.ReadKEV(bytes.NewReader(content), file, opts...)
		case policy.DataVEX:
			var v *sbom.VEX
			if v, err = sbom.ReadVEX(bytes.NewReader(content), file, opts...); err == nil {
				d.VEX = append(d.VEX, v.Trust("pinned by sha256 in the policy"))
			}
		case policy.DataRiskData:
			d.Risk, err = readRiskData(path, df, content, file, now, opts)
		}
		if err != nil {
			return nil, sbom.Data{}, err
		}
	}
	return p, d, nil
}

// policyRun is the policy state of a Runner.
type policyRun struct {
	opts PolicyOptions
	// certs are the certifier keys at hand (those the policy gives in full
	// and those of CertifierKeys) and the ids of all the policy trusts.
	certs certifiers
}

func newPolicyRun(o *PolicyOptions) (*policyRun, error) {
	if o == nil {
		return nil, nil
	}
	if o.Policy == nil {
		return nil, &ConfigError{reason.New(reason.InputMalformed, "load the policy with LoadPolicy", "policy options without a policy")}
	}
	pr := &policyRun{opts: *o, certs: certifiers{keys: map[string]crypto.PublicKey{}, ids: map[string]bool{}, fps: map[string]string{}}}
	if pr.opts.Now == nil {
		pr.opts.Now = time.Now
	}
	for _, c := range o.Policy.Certifiers() {
		pr.certs.ids[c.KeyID] = true
		if c.Key != nil {
			if err := pr.certs.add(c.KeyID, c.Key); err != nil {
				return nil, err
			}
		}
	}
	for _, path := range o.CertifierKeys {
		pub, err := readKey(path)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "give the certifier's PEM public key with --certifier-key")
		}
		id, err := attest.KeyID(pub)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
		if !pr.certs.ids[id] {
			return nil, &ConfigError{reason.New(reason.KeyMismatch,
				"add the key's sha256 to certification.certifiers in the policy, or give the key of a certifier the policy names",
				"certifier key %s (sha256:%s) is not one of the certifiers of policy %s", path, id, o.Policy.Name())}
		}
		if err := pr.certs.add(id, pub); err != nil {
			return nil, err
		}
	}
	for _, f := range append(slices.Clone(o.VSAs), o.SBOM) {
		if f == "" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return nil, &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the path of the VSA or SBOM file", "opening %s", f)}
		}
		if !fi.Mode().IsRegular() {
			return nil, &ConfigError{reason.New(reason.InputUnreadable, "give a file", "%s is not a regular file", f)}
		}
	}
	return pr, nil
}

// preflight refuses what cannot be judged before any work starts.
func (pr *policyRun) preflight(artifacts []string) error {
	if pr == nil || pr.opts.SBOM == "" || len(artifacts) == 1 {
		return nil
	}
	return &ConfigError{reason.New(reason.InputMalformed,
		"--sbom names the SBOM of one artifact; for several, put ARTIFACT.cdx.json or ARTIFACT.spdx.json beside each artifact and omit --sbom",
		"--sbom given with %d artifacts", len(artifacts))}
}

// VerifyOutcomes verifies each artifact as Verify does and returns, per
// artifact, the verdict with what it was decided on.
func (r *Runner) VerifyOutcomes(ctx context.Context, artifacts []string) ([]Outcome, error) {
	return r.run(ctx, artifacts)
}

// verifyArtifact verifies one artifact and applies the policy, if any.
func (r *Runner) verifyArtifact(ctx context.Context, arg string) Outcome {
	var g gathered
	v := r.verifyOne(ctx, arg, &g)
	o := Outcome{Verdict: v, Name: arg, Inputs: inputsOf(g.verified)}
	if g.art.Path != "" {
		o.Name = filepath.Base(g.art.Path)
	}
	if r.policy == nil {
		return o
	}
	return r.policy.apply(r, o, &g)
}

// apply gathers the facts of one verdict, evaluates the policy on them
// and adds its checks to the verdict.
func (pr *policyRun) apply(r *Runner, o Outcome, g *gathered) Outcome {
	v := o.Verdict
	subject := v.Subject
	now := pr.opts.Now()
	f := policy.NewFacts(v)
	var extra []policy.Check
	seen := map[policy.Signer]bool{}
	types := map[string]bool{}
	for _, vb := range g.verified {
		sg := policy.Signer{KeyID: vb.res.KeyID}
		if c := vb.res.Certificate; c != nil {
			sg = policy.Signer{Issuer: c.Issuer, Subject: c.SubjectAlternativeName}
		}
		if !seen[sg] {
			seen[sg] = true
			sg.Evidence = vb.evidence
			f.Signers = append(f.Signers, sg)
		}
		st := vb.res.Statement
		if st == nil {
			continue
		}
		types[st.PredicateType] = true
		switch st.PredicateType {
		case attest.PredicateSLSAProvenanceV02, attest.PredicateSLSAProvenanceV1:
			pv, err := attest.ParseProvenance(st)
			if err != nil {
				extra = append(extra, failCheck(CheckProvenance, subject, reason.As(err, reason.ProvenanceMalformed, "ask the publisher for valid provenance"), vb.evidence))
				continue
			}
			f.Provenance = append(f.Provenance, policy.Provenance{PredicateType: pv.PredicateType, BuilderID: pv.BuilderID, BuildType: pv.BuildType,
				SourceURI: pv.SourceURI, SourceRef: pv.SourceRef, SourceDigest: pv.SourceDigest, Evidence: vb.evidence})
		case attest.PredicateVSA:
			// A VSA signed by the publisher's key counts when that key is a
			// certifier the policy trusts; policy.Certify decides.
			if vb.res.KeyID == "" {
				continue
			}
			if vsa, err := attest.ParseVSA(st); err == nil {
				f.VSAs = append(f.VSAs, vsaFact(vsa, vb.res.KeyID, vb.evidence))
			}
		}
	}
	for t := range types {
		f.PredicateTypes = append(f.PredicateTypes, t)
	}
	sort.Strings(f.PredicateTypes)
	f.Rebuild = rebuildFact(g, v.Checks)
	f.Wasm = g.wasm

	sbomCheck, vulns, sum := pr.sbomFacts(r, subject, g)
	if sbomCheck != nil {
		extra = append(extra, *sbomCheck)
		f.SBOM, f.Vulnerabilities = sum, vulns
	}
	for _, res := range pr.vsas(g) {
		ch := res.check
		ch.Subject = subject
		if res.vsa != nil {
			matched := false
			if _, ok := res.statement.MatchSubject(subject.Digest["sha256"]); ok {
				f.VSAs = append(f.VSAs, res.fact())
				o.Inputs = append(o.Inputs, res.input())
				matched = true
			}
			for i := range f.SBOM.Components {
				if c := &f.SBOM.Components[i]; res.about(c.PURL, c.SHA256) {
					c.VSAs = append(c.VSAs, res.fact())
					matched = true
				}
			}
			switch {
			case !matched && res.beside:
				ch = failCheck(CheckVSA, subject, &reason.Error{Code: reason.SubjectMismatch, Msg: "the VSA beside the artifact is about other artifacts",
					Got: res.statement.SubjectSummary(), Want: "sha256:" + subject.Digest["sha256"],
					Hint: "the VSA certifies other bytes; check that the artifact and the VSA belong together"}, res.file)
			case !matched:
				ch = policy.Check{ID: CheckVSA, Subject: subject, Status: policy.StatusSkip, Reason: reason.SubjectMismatch, Evidence: res.file,
					Message: "VSA about neither the artifact nor a component of its SBOM: " + res.statement.SubjectSummary()}
			}
		}
		extra = append(extra, ch)
	}

	if len(extra) > 0 {
		v = policy.Decide(subject, append(slices.Clone(v.Checks), extra...))
	}
	f.Checks = slices.Clone(v.Checks)
	res := policy.Evaluate(pr.opts.Policy, f, now)
	o.Verdict, o.Facts = res.Apply(v), f
	return o
}

// rebuildFact is the rebuild outcome as the policy reads it. A rebuild
// that was asked for and could not start is a SKIP with the reason of its
// failing check.
func rebuildFact(g *gathered, checks []policy.Check) policy.Rebuild {
	if res := g.rebuild; res != nil {
		rb := policy.Rebuild{Status: string(res.Status), Causes: []string{}}
		if res.Reason != nil {
			rb.Reason = res.Reason.Code
		}
		for _, c := range res.Causes {
			rb.Causes = append(rb.Causes, c.Code)
		}
		for _, c := range checks {
			if c.ID == CheckRebuild {
				rb.Evidence = c.Evidence
			}
		}
		return rb
	}
	for _, c := range checks {
		if c.ID == CheckRebuild && c.Status == policy.StatusFail {
			return policy.Rebuild{Status: policy.RebuildSkip, Reason: c.Reason, Causes: []string{}, Evidence: c.Evidence}
		}
	}
	return policy.Rebuild{}
}

// inputsOf describes the verified attestations for a VSA.
func inputsOf(verified []verifiedBundle) []attest.ResourceDescriptor {
	var out []attest.ResourceDescriptor
	for _, vb := range verified {
		var sum [sha256.Size]byte
		if env := vb.res.Bundle.Bundle.GetDsseEnvelope(); env != nil {
			sum = sha256.Sum256(env.GetPayload())
		} else {
			sum = sha256.Sum256(vb.res.Bundle.Bundle.GetMessageSignature().GetSignature())
		}
		out = append(out, attest.ResourceDescriptor{URI: vb.evidence, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	return out
}

// sbomFacts finds the SBOM the policy judges, assesses it with the
// policy's data and returns the check that reports it, or nil when the
// artifact has no SBOM.
func (pr *policyRun) sbomFacts(r *Runner, subject policy.Subject, g *gathered) (*policy.Check, []policy.Vulnerability, policy.SBOM) {
	now := pr.opts.Now
	opts := []sbom.Option{sbom.WithLogger(r.logger), sbom.WithClock(now)}
	var graph *sbom.Graph
	var err error
	var attested *attest.Statement
	source := pr.opts.SBOM
	switch {
	case source != "":
		graph, err = sbom.ReadFile(source, opts...)
	case g.art.Path != "":
		for _, s := range SBOMSuffixes {
			if fi, statErr := os.Stat(g.art.Path + s); statErr == nil && fi.Mode().IsRegular() {
				source = g.art.Path + s
				break
			}
		}
		if source != "" {
			graph, err = sbom.ReadFile(source, opts...)
		}
	}
	if source == "" {
		// A signed SBOM attestation, as cosign attest --type cyclonedx
		// makes them.
		for _, vb := range g.verified {
			if st := vb.res.Statement; st != nil && (st.PredicateType == attest.PredicateCycloneDX || st.PredicateType == attest.PredicateSPDX) {
				source, attested = vb.evidence, st
				graph, err = sbom.Read(bytes.NewReader(st.Predicate), vb.evidence, opts...)
				break
			}
		}
	}
	if source == "" {
		return nil, nil, policy.SBOM{}
	}
	if err != nil {
		c := failCheck(CheckSBOMAssessed, subject, reason.As(err, sbom.CodeMalformed, "give the artifact's SBOM as CycloneDX or SPDX JSON"), source)
		return &c, nil, policy.SBOM{}
	}
	bound := sbomBinding(subject, g.art.Name, graph, source, attested)
	if bound.Status != policy.StatusPass {
		return &bound, nil, policy.SBOM{}
	}
	if strings.HasPrefix(bound.Message, "warning:") {
		r.logger.Warn(bound.Message, "sbom", source)
	}
	data, err := pr.vexData(g)
	if err != nil {
		c := failCheck(CheckSBOMAssessed, subject, reason.As(err, sbom.CodeVEXMalformed, "give an OpenVEX, CycloneDX VEX or CSAF VEX document"), source)
		return &c, nil, policy.SBOM{}
	}
	a, err := sbom.NewAssessor(pr.assessConfig(), data, opts...)
	if err != nil {
		c := failCheck(CheckSBOMAssessed, subject, reason.As(err, reason.InternalError, ""), source)
		return &c, nil, policy.SBOM{}
	}
	rep := a.Assess(graph)
	sum := policy.SBOM{Present: true, Source: source, Quality: 1 - rep.Coverage.Unassessed, ProductGrade: string(rep.Product.Grade), Components: []policy.Component{}}
	if profile := pr.opts.Policy.SBOMProfile(); profile != "" {
		if c := sbomProfileFacts(subject, &sum, profile, source, attested, opts); c != nil {
			return c, nil, policy.SBOM{}
		}
	}
	var vulns []policy.Vulnerability
	for _, cr := range rep.Components {
		c := policy.Component{Ref: cr.Ref, Name: cr.Name, Version: cr.Version, PURL: cr.PURL, SHA256: cr.SHA256, Upstream: cr.Upstream,
			Supplier: cr.Supplier, Jurisdiction: cr.Jurisdiction, Licence: licenceExpression(cr.Licences), Grade: string(cr.Grade),
			Labels: []string{}, Pointer: cr.Location, VSAs: []policy.VSA{}}
		for _, l := range cr.Labels {
			c.Labels = append(c.Labels, string(l.Label))
		}
		sum.Components = append(sum.Components, c)
		for _, vr := range cr.Vulnerabilities {
			if vr.Suppressed {
				continue // a trusted VEX statement says not_affected: listed in the report
			}
			vulns = append(vulns, policy.Vulnerability{ID: vr.ID, Component: cr.Ref, Severity: vr.Severity, KnownExploited: vr.KnownExploited, Record: vr.Record})
		}
	}
	sum.Advisories = advisoryFacts(rep)
	sum.Services = serviceFacts(rep.Services)
	c := policy.Check{ID: CheckSBOMAssessed, Subject: subject, Status: policy.StatusPass, Evidence: source,
		Message: fmt.Sprintf("SBOM (%s %s, %d component%s): product grade %s, %.0f%% assessed; %s", rep.Product.Format.Title(), rep.Product.SpecVersion,
			rep.Product.Components, map[bool]string{true: "", false: "s"}[rep.Product.Components == 1], orUngraded(rep.Product.Grade), 100*sum.Quality,
			bound.Message)}
	c.Message += vulnerabilityNote(rep)
	return &c, vulns, sum
}

func orUngraded(g sbom.Grade) string {
	if g == "" {
		return "none"
	}
	return string(g)
}

// licenceExpression joins the licences an SBOM gives a component into one
// SPDX expression: all of them apply.
func licenceExpression(ls []string) string {
	if len(ls) == 1 {
		return ls[0]
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = "(" + l + ")"
	}
	return strings.Join(parts, " AND ")
}

func readUpTo(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func hashRegularFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file: a pinned data file is one file (an OSV database as a zip)", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
