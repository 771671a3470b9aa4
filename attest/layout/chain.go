package layout

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// acceptedLink is a link whose signer is a functionary of its step,
// with the key that verified it.
type acceptedLink struct {
	link linkFile
	key  in_toto.Key
}

// linkFile is a link file found for a step.
type linkFile struct {
	file  string // base name, <step>.<keyid prefix>.link
	keyID string // full key id of the signature the file name points at
	md    in_toto.Metadata
}

// verify verifies one layout (the root or a sublayout) and returns its
// result and the summary link that stands for it in a superlayout.
func (v *verifier) verify(md in_toto.Metadata, layout in_toto.Layout, keys []ownerKey, linkDir, name, stepName string, depth int) (*Result, in_toto.Metadata, error) {
	res := &Result{Name: name}
	if err := v.checkLayout(md, layout, keys, name, res); err != nil {
		return nil, nil, err
	}
	rootPool, intermediatePool, err := in_toto.LoadLayoutCertificates(layout, nil)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "loading layout certificate authorities")
	}
	links, err := v.loadLinks(layout, linkDir, depth)
	if err != nil {
		return nil, nil, err
	}
	accepted, err := acceptLinks(layout, links, rootPool, intermediatePool, linkDir, depth)
	if err != nil {
		return nil, nil, err
	}
	verified, err := v.verifySteps(layout, accepted, linkDir, name, depth, res)
	if err != nil {
		return nil, nil, err
	}
	reduced, err := in_toto.ReduceStepsMetadata(layout, verified)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.LinksInvalid,
			"the functionaries of a step must report the same materials and products; find out which of them differs", "comparing links")
	}
	steps := make([]any, len(layout.Steps))
	for i, s := range layout.Steps {
		steps[i] = s
	}
	if err := in_toto.VerifyArtifacts(steps, reduced); err != nil {
		return nil, nil, reason.Wrap(err, reason.LayoutRuleViolated,
			"an artifact was changed, added or removed between steps against the layout's rules; find out which step reported it", "verifying artifact rules")
	}
	if err := v.runInspections(layout, reduced); err != nil {
		return nil, nil, err
	}
	for _, in := range layout.Inspect {
		res.Inspections = append(res.Inspections, in.Name)
	}
	summary, err := in_toto.GetSummaryLink(layout, reduced, stepName, false)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.LinksInvalid, "ask the layout owner to check the links", "summarising links")
	}
	final, ok := summary.GetPayload().(in_toto.Link)
	if !ok {
		return nil, nil, reason.New(reason.LinksInvalid, "ask the layout owner to check the links", "summarising links: summary is not a link")
	}
	for p, h := range final.Products {
		d := make(map[string]string, len(h))
		for alg, hex := range h {
			d[alg] = hex
		}
		res.Products = append(res.Products, Product{Path: p, Digests: d})
	}
	sort.Slice(res.Products, func(i, j int) bool { return res.Products[i].Path < res.Products[j].Path })
	v.log.Debug("layout verified", "layout", name, "steps", len(res.Steps), "products", len(res.Products))
	return res, summary, nil
}

// checkLayout checks the layout itself: every owner key signed it, it is
// well formed and unexpired, and it asks for no inspection that was not
// allowed. It records the owner key ids and the expiry in res.
func (v *verifier) checkLayout(md in_toto.Metadata, layout in_toto.Layout, keys []ownerKey, name string, res *Result) error {
	for _, k := range keys {
		if err := md.VerifySignature(k.key); err != nil {
			// The library's messages are unhelpful here (a DSSE envelope
			// reports a threshold of 1 not met), so sovcheck says which.
			v.log.Debug("layout signature rejected", "layout", name, "key", k.label, "err", err)
			what := "the signature does not verify"
			if _, serr := md.GetSignatureForKeyID(k.key.KeyID); serr != nil {
				what = "the layout has no signature by this key"
			}
			return reason.New(reason.SignatureInvalid,
				"every --layout-key must have signed the layout; check that the key is the layout owner's and that the layout was not changed after signing",
				"verifying layout signature with key %s (keyid %.8s): %s", k.label, k.key.KeyID, what)
		}
		res.OwnerKeyIDs = append(res.OwnerKeyIDs, k.key.KeyID)
	}
	sort.Strings(res.OwnerKeyIDs)
	if err := validate(layout); err != nil {
		return reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "validating layout")
	}
	expires, err := time.Parse(in_toto.ISO8601DateSchema, layout.Expires)
	if err != nil {
		return reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "parsing layout expiry")
	}
	res.Expires = expires
	if v.now.After(expires) {
		return &reason.Error{Code: reason.LayoutExpired, Msg: "layout has expired",
			Got: expires.Format(time.RFC3339), Want: "later than " + v.now.UTC().Format(time.RFC3339),
			Hint: "ask the layout owner for a layout re-signed with a later expiry date"}
	}
	if len(layout.Inspect) > 0 && !v.allowInspections {
		names := make([]string, len(layout.Inspect))
		for i, in := range layout.Inspect {
			names[i] = fmt.Sprintf("%s (%s)", in.Name, strings.Join(in.Run, " "))
		}
		return reason.New(reason.InspectionsRefused,
			"inspections run programs named in the layout on this machine; review them and pass --allow-inspections to run them",
			"verifying layout: refusing to run %d inspection(s): %s", len(names), strings.Join(names, ", "))
	}
	return nil
}

// acceptLinks checks the thresholds of every step, as in-toto does,
// before anything below (sublayouts, their inspections) starts: each step
// needs enough links signed by its functionaries.
func acceptLinks(layout in_toto.Layout, links map[string][]linkFile, rootPool, intermediatePool *x509.CertPool, linkDir string, depth int) (map[string][]acceptedLink, error) {
	accepted := make(map[string][]acceptedLink, len(layout.Steps))
	for _, step := range layout.Steps {
		cands := links[step.Name]
		if len(cands) == 0 {
			where := "the --links directory"
			if depth > 0 {
				where = "the sublayout's directory <step>.<keyid prefix> beside its link file"
			}
			return nil, reason.New(reason.LayoutLinkMissing,
				fmt.Sprintf("the step needs links from %d functionary(ies); copy the link files in-toto-run wrote for it into %s", step.Threshold, where),
				"verifying step %q: no file named %s.<keyid prefix>.link in %s", step.Name, step.Name, dirLabel(linkDir, depth))
		}
		var rejected []string
		for _, c := range cands {
			key, err := functionaryKey(layout, step, c, rootPool, intermediatePool)
			if err != nil {
				rejected = append(rejected, fmt.Sprintf("%s: %v", c.file, err))
				continue
			}
			accepted[step.Name] = append(accepted[step.Name], acceptedLink{link: c, key: key})
		}
		if n := len(accepted[step.Name]); n < step.Threshold {
			msg := fmt.Sprintf("verifying step %q: too few links signed by its functionaries", step.Name)
			if len(rejected) > 0 {
				msg += " (rejected " + strings.Join(rejected, "; ") + ")"
			}
			return nil, &reason.Error{Code: reason.LayoutThresholdNotMet, Msg: msg,
				Got:  fmt.Sprintf("%d valid link(s)", n),
				Want: fmt.Sprintf("at least %d", step.Threshold),
				Hint: "each link must be signed by a distinct functionary the layout names for the step; collect the missing functionaries' links"}
		}
	}

	return accepted, nil
}

// verifySteps verifies the sublayouts among the accepted links and
// collects, per step, the link metadata that stands for each functionary.
// It records the steps and warnings in res.
func (v *verifier) verifySteps(layout in_toto.Layout, accepted map[string][]acceptedLink, linkDir, name string, depth int, res *Result) (map[string]map[string]in_toto.Metadata, error) {
	verified := make(map[string]map[string]in_toto.Metadata, len(layout.Steps))
	for _, step := range layout.Steps {
		rs := Step{Name: step.Name, Threshold: step.Threshold}
		mds := map[string]in_toto.Metadata{}
		for _, a := range accepted[step.Name] {
			c := a.link
			f := Functionary{KeyID: c.keyID, Link: c.file}
			linkMD := c.md
			switch p := c.md.GetPayload().(type) {
			case in_toto.Layout:
				if depth >= MaxDepth {
					return nil, reason.New(reason.LayoutInvalid, "ask the layout owner to flatten the supply chain",
						"verifying sublayout %s: sublayouts nest deeper than %d levels", c.file, MaxDepth)
				}
				subDir := filepath.Join(linkDir, fmt.Sprintf(in_toto.SublayoutLinkDirFormat, step.Name, c.keyID))
				subKeys := []ownerKey{{label: fmt.Sprintf("functionary %.8s", c.keyID), key: a.key}}
				sub, summary, err := v.verify(c.md, p, subKeys, subDir, c.file, step.Name, depth+1)
				if err != nil {
					return nil, withContext(err, fmt.Sprintf("verifying sublayout %s", c.file))
				}
				f.Sublayout, linkMD = sub, summary
				res.Warnings = append(res.Warnings, sub.Warnings...)
			case in_toto.Link:
				if got, want := strings.Join(p.Command, " "), strings.Join(step.ExpectedCommand, " "); got != want {
					w := fmt.Sprintf("%s: link %s ran %q, the layout expects %q", name, c.file, got, want)
					v.log.Warn("command differs from the layout", "layout", name, "link", c.file, "got", got, "want", want)
					res.Warnings = append(res.Warnings, w)
				}
			}
			mds[c.keyID] = linkMD
			rs.Functionaries = append(rs.Functionaries, f)
		}
		sort.Slice(rs.Functionaries, func(i, j int) bool { return rs.Functionaries[i].KeyID < rs.Functionaries[j].KeyID })
		res.Steps = append(res.Steps, rs)
		verified[step.Name] = mds
	}

	return verified, nil
}

// functionaryKey returns the key that authorises link c for step: one
// of the step's public keys, or a certificate meeting the step's
// certificate constraints. The signature must verify with it.
func functionaryKey(layout in_toto.Layout, step in_toto.Step, c linkFile, rootPool, intermediatePool *x509.CertPool) (in_toto.Key, error) {
	if slices.Contains(step.PubKeys, c.keyID) {
		key, ok := layout.Keys[c.keyID]
		if !ok {
			return in_toto.Key{}, fmt.Errorf("key %.8s is named by the step but missing from the layout's keys", c.keyID)
		}
		if err := c.md.VerifySignature(key); err != nil {
			return in_toto.Key{}, fmt.Errorf("signature does not verify: %w", err)
		}
		return key, nil
	}
	if len(step.CertificateConstraints) == 0 {
		return in_toto.Key{}, fmt.Errorf("signed by key %.8s, which is not a functionary of the step", c.keyID)
	}
	sig, err := c.md.GetSignatureForKeyID(c.keyID)
	if err != nil {
		return in_toto.Key{}, err
	}
	cert, err := sig.GetCertificate()
	if err != nil {
		return in_toto.Key{}, fmt.Errorf("key %.8s is not a functionary of the step and has no certificate: %w", c.keyID, err)
	}
	if err := step.CheckCertConstraints(cert, layout.RootCAIDs(), rootPool, intermediatePool); err != nil {
		return in_toto.Key{}, fmt.Errorf("certificate does not meet the step's constraints: %w", err)
	}
	if err := c.md.VerifySignature(cert); err != nil {
		return in_toto.Key{}, fmt.Errorf("signature does not verify: %w", err)
	}
	return cert, nil
}
