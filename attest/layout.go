package attest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits on in-toto layout verification. Real layouts and links are a few
// KiB; a link that records a large source tree reaches a few MiB.
const (
	// LayoutMaxFileSize is the largest layout or link file read.
	LayoutMaxFileSize = 8 << 20
	// LayoutMaxTotalSize is the most metadata read by one verification,
	// sublayouts and their links included.
	LayoutMaxTotalSize = 64 << 20
	// LayoutMaxDirEntries is the most entries listed in one link directory.
	LayoutMaxDirEntries = 10_000
	// LayoutMaxSteps is the most steps in one layout.
	LayoutMaxSteps = 256
	// LayoutMaxInspections is the most inspections in one layout.
	LayoutMaxInspections = 64
	// LayoutMaxDepth is how deeply sublayouts may nest below the root layout.
	LayoutMaxDepth = 4
)

// Reason codes of layout verification, in addition to the shared codes
// LAYOUT_INVALID, LAYOUT_EXPIRED, LINKS_INVALID, INSPECTIONS_REFUSED,
// SIGNATURE_INVALID, KEY_INVALID and the INPUT_* codes.
const (
	// LayoutLinkMissing: no link file at all for a step of the layout.
	LayoutLinkMissing = "LAYOUT_LINK_MISSING"
	// LayoutThresholdNotMet: fewer links signed by the step's functionaries
	// than the step's threshold.
	LayoutThresholdNotMet = "LAYOUT_THRESHOLD_NOT_MET"
	// LayoutRuleViolated: an artifact rule of a step or inspection failed.
	LayoutRuleViolated = "LAYOUT_RULE_VIOLATED"
	// LayoutInspectionFailed: an inspection could not run or exited non-zero.
	LayoutInspectionFailed = "LAYOUT_INSPECTION_FAILED"
)

// LayoutOptions configures in-toto layout verification.
type LayoutOptions struct {
	LayoutPath       string    // layout file (signed Metablock JSON or DSSE envelope)
	LayoutKeyPaths   []string  // PEM public keys of the layout owners; at least one; every one must have signed
	LinkDir          string    // directory with the link metadata (<step>.<keyid-prefix>.link)
	AllowInspections bool      // inspections execute programs from the layout; refused unless true
	Now              time.Time // clock for the expiry check (injected; zero = time.Now())
	Logger           *slog.Logger
}

// LayoutResult summarises a successful verification.
type LayoutResult struct {
	Name        string          // base name of the layout file (of the link file, for a sublayout)
	Expires     time.Time       // the layout's expiry date
	OwnerKeyIDs []string        // in-toto key ids whose layout signatures were verified, sorted
	Steps       []LayoutStep    // in layout order
	Inspections []string        // inspections that ran and passed, in layout order
	Products    []LayoutProduct // final products: those of the last step, sorted by path
	Warnings    []string        // findings that do not fail verification, e.g. a command differing from the expected one
}

// LayoutStep is a step of a verified layout.
type LayoutStep struct {
	Name          string
	Threshold     int
	Functionaries []LayoutFunctionary // those whose links counted, sorted by key id
}

// LayoutFunctionary is a functionary whose signed link counted for a step.
type LayoutFunctionary struct {
	KeyID     string
	Link      string        // link file name, e.g. build.1a2b3c4d.link
	Sublayout *LayoutResult // set when the functionary's link was itself a layout
}

// LayoutProduct is a final product of the supply chain.
type LayoutProduct struct {
	Path    string            // as the last step's link reports it
	Digests map[string]string // algorithm (e.g. sha256) to hex digest
}

// Product returns the first final product (by path) whose sha256 digest is
// sha256Hex, so a caller can check that its artifact is what the supply
// chain produced.
func (r *LayoutResult) Product(sha256Hex string) (LayoutProduct, bool) {
	want := strings.ToLower(sha256Hex)
	for _, p := range r.Products {
		if strings.ToLower(p.Digests["sha256"]) == want {
			return p, true
		}
	}
	return LayoutProduct{}, false
}

// VerifyLayout verifies an in-toto supply chain: the layout's signatures by
// every owner key, its expiry against o.Now, each step's links (signatures
// by authorised functionaries, thresholds, sublayouts), the artifact rules,
// and, only with o.AllowInspections, the layout's inspections, which run the
// commands named in the layout in the current working directory.
//
// It follows in-toto-golang's InTotoVerify step by step, but drives the
// steps itself so that the injected clock is the only clock, every file is
// read with a size limit, links are matched to steps by exact file name
// (no globbing), thresholds are checked in a deterministic order, and
// inspections in sublayouts are refused too. Every error is a
// *reason.Error; a panic in the in-toto library is returned as
// LAYOUT_INVALID.
func VerifyLayout(ctx context.Context, o LayoutOptions) (res *LayoutResult, err error) {
	v := newLayoutVerifier(ctx, o)
	defer layoutRecover(&res, &err, v.log)
	return v.run(o)
}

// layoutRecover turns a panic of the in-toto library into LAYOUT_INVALID.
func layoutRecover(res **LayoutResult, err *error, log *slog.Logger) {
	r := recover()
	if r == nil {
		return
	}
	log.Error("in-toto library panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	*res = nil
	*err = reason.New(reason.LayoutInvalid,
		"the layout or its links are malformed in a way the in-toto library cannot handle; ask the layout owner to check them with in-toto-verify",
		"verifying layout: in-toto library failed: %v", r)
}

type layoutVerifier struct {
	ctx              context.Context
	log              *slog.Logger
	now              time.Time
	allowInspections bool
	budget           int64 // bytes of metadata that may still be read
}

func newLayoutVerifier(ctx context.Context, o LayoutOptions) *layoutVerifier {
	if ctx == nil {
		ctx = context.Background()
	}
	v := &layoutVerifier{ctx: ctx, log: o.Logger, now: o.Now, allowInspections: o.AllowInspections, budget: LayoutMaxTotalSize}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	return v
}

// layoutOwnerKey is a key that must have signed a layout.
type layoutOwnerKey struct {
	label string // for messages: the key file's base name, or "functionary <keyid>"
	key   in_toto.Key
}

func (v *layoutVerifier) run(o LayoutOptions) (*LayoutResult, error) {
	if o.LayoutPath == "" {
		return nil, reason.New(reason.EvidenceMissing, "give the layout with --layout", "verifying layout: no layout given")
	}
	if len(o.LayoutKeyPaths) == 0 {
		return nil, reason.New(reason.TrustRootMissing, "give the layout owner's public key with --layout-key", "verifying layout: no layout key given")
	}
	if o.LinkDir == "" {
		return nil, reason.New(reason.EvidenceMissing, "give the directory holding the link files with --links", "verifying layout: no link directory given")
	}
	keys, err := layoutReadOwnerKeys(o.LayoutKeyPaths)
	if err != nil {
		return nil, err
	}
	data, err := v.readFile(o.LayoutPath, "layout")
	if err != nil {
		return nil, err
	}
	md, layout, err := layoutParseLayout(data, filepath.Base(o.LayoutPath))
	if err != nil {
		return nil, err
	}
	res, _, err := v.verify(md, layout, keys, o.LinkDir, filepath.Base(o.LayoutPath), "", 0)
	return res, err
}

// layoutParseLayout parses a root layout file. Its signatures and
// structure are checked later, by verify.
func layoutParseLayout(data []byte, file string) (in_toto.Metadata, in_toto.Layout, error) {
	md, err := layoutParseMetadata(data)
	if err != nil {
		return nil, in_toto.Layout{}, reason.Wrap(err, reason.InputMalformed,
			"give an in-toto layout: a signed Metablock ({\"signed\":…,\"signatures\":…}) or a DSSE envelope",
			"parsing layout %q", file)
	}
	layout, ok := md.GetPayload().(in_toto.Layout)
	if !ok {
		return nil, in_toto.Layout{}, reason.New(reason.LayoutInvalid, "--layout takes the root layout, not a link file",
			"parsing layout %q: the metadata is a link, want a layout", file)
	}
	return md, layout, nil
}

// layoutReadOwnerKeys reads PEM public keys and converts them to in-toto
// keys (default scheme, key id over sha256 and sha512 as in-toto does).
func layoutReadOwnerKeys(paths []string) ([]layoutOwnerKey, error) {
	var keys []layoutOwnerKey
	seen := map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, "check the --layout-key path", "reading layout key %q", filepath.Base(p))
		}
		pub, err := ReadPublicKey(f)
		f.Close()
		if err != nil {
			return nil, layoutContext(err, fmt.Sprintf("reading layout key %q", filepath.Base(p)))
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, reason.Wrap(err, reason.KeyInvalid, "give an Ed25519, ECDSA or RSA public key", "encoding layout key %q", filepath.Base(p))
		}
		var k in_toto.Key
		if err := k.LoadKeyReaderDefaults(strings.NewReader(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))); err != nil {
			return nil, reason.Wrap(err, reason.KeyInvalid, "give an Ed25519, ECDSA or RSA public key", "loading layout key %q as an in-toto key", filepath.Base(p))
		}
		if seen[k.KeyID] {
			continue
		}
		seen[k.KeyID] = true
		keys = append(keys, layoutOwnerKey{label: filepath.Base(p), key: k})
	}
	return keys, nil
}

// readFile reads a regular file of at most LayoutMaxFileSize bytes,
// charging it to the verification's budget.
func (v *layoutVerifier) readFile(p, what string) ([]byte, error) {
	if err := v.ctx.Err(); err != nil {
		return nil, layoutCancelled(err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, "check that the "+what+" file exists and is readable", "reading %s %q", what, filepath.Base(p))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, "check that the "+what+" file is readable", "reading %s %q", what, filepath.Base(p))
	}
	if !fi.Mode().IsRegular() {
		return nil, &reason.Error{Code: reason.InputUnreadable, Msg: fmt.Sprintf("reading %s %q: not a regular file", what, filepath.Base(p)),
			Got: fi.Mode().Type().String(), Want: "regular file", Hint: "give the " + what + " as a plain file"}
	}
	limit := min(int64(LayoutMaxFileSize), v.budget)
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, "check that the "+what+" file is readable", "reading %s %q", what, filepath.Base(p))
	}
	if int64(len(data)) > limit {
		if limit < LayoutMaxFileSize {
			return nil, reason.New(reason.InputTooLarge, "check that --links names the directory of this supply chain's links",
				"reading %s %q: the layout and its links exceed the total size limit of %d bytes", what, filepath.Base(p), LayoutMaxTotalSize)
		}
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("reading %s %q: file exceeds the size limit", what, filepath.Base(p)),
			Got: fmt.Sprintf("more than %d bytes", LayoutMaxFileSize), Want: fmt.Sprintf("at most %d bytes", LayoutMaxFileSize),
			Hint: "in-toto " + what + " files are a few KiB; check that the right file was given"}
	}
	v.budget -= int64(len(data))
	return data, nil
}

// layoutParseMetadata parses in-toto metadata (a Metablock or a DSSE
// envelope holding a layout or a link) from data. in-toto-golang parses
// envelopes only from a path (its in-memory loader is unexported), so the
// bytes already read under the size limit go through a private temporary
// file: what is parsed is exactly what was read.
func layoutParseMetadata(data []byte) (in_toto.Metadata, error) {
	f, err := os.CreateTemp("", "sovcheck-intoto-*.json")
	if err != nil {
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	md, err := in_toto.LoadMetadata(f.Name())
	if err != nil {
		return nil, err
	}
	return md, nil
}

// layoutValidate checks a layout's structure before anything relies on it.
// in-toto-golang's verification never validates the layout (LoadMetadata
// does not call ValidateMetablock), and its rule parser panics on an empty
// rule, so sovcheck checks rules first and then runs the library's own
// validation.
func layoutValidate(l in_toto.Layout) error {
	if len(l.Steps) == 0 {
		return errors.New("the layout has no steps")
	}
	if len(l.Steps) > LayoutMaxSteps {
		return fmt.Errorf("the layout has %d steps, want at most %d", len(l.Steps), LayoutMaxSteps)
	}
	if len(l.Inspect) > LayoutMaxInspections {
		return fmt.Errorf("the layout has %d inspections, want at most %d", len(l.Inspect), LayoutMaxInspections)
	}
	checkItem := func(kind string, item in_toto.SupplyChainItem) error {
		if err := layoutCheckName(item.Name); err != nil {
			return fmt.Errorf("%s %q: %w", kind, item.Name, err)
		}
		for _, rules := range [][][]string{item.ExpectedMaterials, item.ExpectedProducts} {
			for _, rule := range rules {
				if err := layoutCheckRule(rule); err != nil {
					return fmt.Errorf("%s %q: rule %q: %w", kind, item.Name, rule, err)
				}
			}
		}
		return nil
	}
	for _, s := range l.Steps {
		if err := checkItem("step", s.SupplyChainItem); err != nil {
			return err
		}
		if s.Threshold < 1 {
			return fmt.Errorf("step %q: threshold %d, want at least 1", s.Name, s.Threshold)
		}
		if len(s.CertificateConstraints) == 0 {
			distinct := map[string]bool{}
			for _, id := range s.PubKeys {
				distinct[id] = true
			}
			if s.Threshold > len(distinct) {
				return fmt.Errorf("step %q: threshold %d, but only %d functionaries named", s.Name, s.Threshold, len(distinct))
			}
		}
	}
	for _, in := range l.Inspect {
		if err := checkItem("inspection", in.SupplyChainItem); err != nil {
			return err
		}
		if in.Type != "inspection" {
			return fmt.Errorf("inspection %q: type %q, want %q", in.Name, in.Type, "inspection")
		}
		if len(in.Run) == 0 {
			return fmt.Errorf("inspection %q: no command to run", in.Name)
		}
	}
	return in_toto.ValidateMetablock(in_toto.Metablock{Signed: l})
}

// layoutCheckName refuses step and inspection names that could reach
// outside the link directory when used in a file name.
func layoutCheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..", strings.ContainsAny(name, "/\\\x00"):
		return errors.New("name must not be a path")
	}
	return nil
}

// layoutCheckRule checks what in-toto-golang does not check before use:
// a rule has a type, and its pattern is well formed (a malformed pattern
// makes the library print a warning to stdout and match nothing).
func layoutCheckRule(rule []string) error {
	if len(rule) < 2 {
		return errors.New("want a rule type and a pattern")
	}
	if _, err := path.Match(rule[1], ""); err != nil {
		return fmt.Errorf("pattern %q: %w", rule[1], err)
	}
	_, err := in_toto.UnpackRule(rule)
	return err
}

// layoutAccepted is a link whose signer is a functionary of its step,
// with the key that verified it.
type layoutAccepted struct {
	link layoutLink
	key  in_toto.Key
}

// layoutLink is a link file found for a step.
type layoutLink struct {
	file  string // base name, <step>.<keyid prefix>.link
	keyID string // full key id of the signature the file name points at
	md    in_toto.Metadata
}

// verify verifies one layout (the root or a sublayout) and returns its
// result and the summary link that stands for it in a superlayout.
func (v *layoutVerifier) verify(md in_toto.Metadata, layout in_toto.Layout, keys []layoutOwnerKey, linkDir, name, stepName string, depth int) (*LayoutResult, in_toto.Metadata, error) {
	res := &LayoutResult{Name: name}
	for _, k := range keys {
		if err := md.VerifySignature(k.key); err != nil {
			// The library's messages are unhelpful here (a DSSE envelope
			// reports a threshold of 1 not met), so sovcheck says which.
			v.log.Debug("layout signature rejected", "layout", name, "key", k.label, "err", err)
			what := "the signature does not verify"
			if _, serr := md.GetSignatureForKeyID(k.key.KeyID); serr != nil {
				what = "the layout has no signature by this key"
			}
			return nil, nil, reason.New(reason.SignatureInvalid,
				"every --layout-key must have signed the layout; check that the key is the layout owner's and that the layout was not changed after signing",
				"verifying layout signature with key %s (keyid %.8s): %s", k.label, k.key.KeyID, what)
		}
		res.OwnerKeyIDs = append(res.OwnerKeyIDs, k.key.KeyID)
	}
	sort.Strings(res.OwnerKeyIDs)
	if err := layoutValidate(layout); err != nil {
		return nil, nil, reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "validating layout")
	}
	expires, err := time.Parse(in_toto.ISO8601DateSchema, layout.Expires)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "parsing layout expiry")
	}
	res.Expires = expires
	if v.now.After(expires) {
		return nil, nil, &reason.Error{Code: reason.LayoutExpired, Msg: "layout has expired",
			Got: expires.Format(time.RFC3339), Want: "later than " + v.now.UTC().Format(time.RFC3339),
			Hint: "ask the layout owner for a layout re-signed with a later expiry date"}
	}
	if len(layout.Inspect) > 0 && !v.allowInspections {
		names := make([]string, len(layout.Inspect))
		for i, in := range layout.Inspect {
			names[i] = fmt.Sprintf("%s (%s)", in.Name, strings.Join(in.Run, " "))
		}
		return nil, nil, reason.New(reason.InspectionsRefused,
			"inspections run programs named in the layout on this machine; review them and pass --allow-inspections to run them",
			"verifying layout: refusing to run %d inspection(s): %s", len(names), strings.Join(names, ", "))
	}
	rootPool, intermediatePool, err := in_toto.LoadLayoutCertificates(layout, nil)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner for a valid layout", "loading layout certificate authorities")
	}
	links, err := v.loadLinks(layout, linkDir, depth)
	if err != nil {
		return nil, nil, err
	}

	// Thresholds first, for every step, as in-toto does: nothing below
	// (sublayouts, their inspections) starts unless every step has enough
	// valid links.
	accepted := make(map[string][]layoutAccepted, len(layout.Steps))
	for _, step := range layout.Steps {
		cands := links[step.Name]
		if len(cands) == 0 {
			where := "the --links directory"
			if depth > 0 {
				where = "the sublayout's directory <step>.<keyid prefix> beside its link file"
			}
			return nil, nil, reason.New(LayoutLinkMissing,
				fmt.Sprintf("the step needs links from %d functionary(ies); copy the link files in-toto-run wrote for it into %s", step.Threshold, where),
				"verifying step %q: no file named %s.<keyid prefix>.link in %s", step.Name, step.Name, layoutDirLabel(linkDir, depth))
		}
		var rejected []string
		for _, c := range cands {
			key, err := layoutFunctionaryKey(layout, step, c, rootPool, intermediatePool)
			if err != nil {
				rejected = append(rejected, fmt.Sprintf("%s: %v", c.file, err))
				continue
			}
			accepted[step.Name] = append(accepted[step.Name], layoutAccepted{link: c, key: key})
		}
		if n := len(accepted[step.Name]); n < step.Threshold {
			msg := fmt.Sprintf("verifying step %q: too few links signed by its functionaries", step.Name)
			if len(rejected) > 0 {
				msg += " (rejected " + strings.Join(rejected, "; ") + ")"
			}
			return nil, nil, &reason.Error{Code: LayoutThresholdNotMet, Msg: msg,
				Got:  fmt.Sprintf("%d valid link(s)", n),
				Want: fmt.Sprintf("at least %d", step.Threshold),
				Hint: "each link must be signed by a distinct functionary the layout names for the step; collect the missing functionaries' links"}
		}
	}

	verified := make(map[string]map[string]in_toto.Metadata, len(layout.Steps))
	for _, step := range layout.Steps {
		rs := LayoutStep{Name: step.Name, Threshold: step.Threshold}
		mds := map[string]in_toto.Metadata{}
		for _, a := range accepted[step.Name] {
			c := a.link
			f := LayoutFunctionary{KeyID: c.keyID, Link: c.file}
			linkMD := c.md
			switch p := c.md.GetPayload().(type) {
			case in_toto.Layout:
				if depth >= LayoutMaxDepth {
					return nil, nil, reason.New(reason.LayoutInvalid, "ask the layout owner to flatten the supply chain",
						"verifying sublayout %s: sublayouts nest deeper than %d levels", c.file, LayoutMaxDepth)
				}
				subDir := filepath.Join(linkDir, fmt.Sprintf(in_toto.SublayoutLinkDirFormat, step.Name, c.keyID))
				subKeys := []layoutOwnerKey{{label: fmt.Sprintf("functionary %.8s", c.keyID), key: a.key}}
				sub, summary, err := v.verify(c.md, p, subKeys, subDir, c.file, step.Name, depth+1)
				if err != nil {
					return nil, nil, layoutContext(err, fmt.Sprintf("verifying sublayout %s", c.file))
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
		return nil, nil, reason.Wrap(err, LayoutRuleViolated,
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
		res.Products = append(res.Products, LayoutProduct{Path: p, Digests: d})
	}
	sort.Slice(res.Products, func(i, j int) bool { return res.Products[i].Path < res.Products[j].Path })
	v.log.Debug("layout verified", "layout", name, "steps", len(res.Steps), "products", len(res.Products))
	return res, summary, nil
}

// layoutFunctionaryKey returns the key that authorises link c for step: one
// of the step's public keys, or a certificate meeting the step's
// certificate constraints. The signature must verify with it.
func layoutFunctionaryKey(layout in_toto.Layout, step in_toto.Step, c layoutLink, rootPool, intermediatePool *x509.CertPool) (in_toto.Key, error) {
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

// loadLinks reads, for every step, the files in dir named
// <step>.<8 characters>.link, in file name order.
func (v *layoutVerifier) loadLinks(layout in_toto.Layout, dir string, depth int) (map[string][]layoutLink, error) {
	names, err := layoutListDir(dir, depth)
	if err != nil {
		return nil, err
	}
	links := map[string][]layoutLink{}
	for _, step := range layout.Steps {
		for _, n := range names {
			short, ok := layoutLinkKeyPrefix(n, step.Name)
			if !ok {
				continue
			}
			l, err := v.loadLink(filepath.Join(dir, n), step.Name, short)
			if err != nil {
				return nil, err
			}
			links[step.Name] = append(links[step.Name], l)
		}
	}
	return links, nil
}

// layoutLinkKeyPrefix returns the key id prefix in a link file name
// <step>.<8 characters>.link, the form in-toto-run writes.
func layoutLinkKeyPrefix(file, step string) (string, bool) {
	rest, ok := strings.CutPrefix(file, step+".")
	if !ok {
		return "", false
	}
	short, ok := strings.CutSuffix(rest, ".link")
	if !ok || len(short) != 8 {
		return "", false
	}
	return short, true
}

func layoutListDir(dir string, depth int) ([]string, error) {
	hint := "give the directory holding the link files with --links"
	if depth > 0 {
		hint = "the links of a sublayout go into the directory <step>.<keyid prefix> beside the sublayout's link file"
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, hint, "reading link directory %s", layoutDirLabel(dir, depth))
	}
	defer f.Close()
	entries, err := f.ReadDir(LayoutMaxDirEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, reason.Wrap(layoutPathErr(err), reason.InputUnreadable, hint, "reading link directory %s", layoutDirLabel(dir, depth))
	}
	if len(entries) > LayoutMaxDirEntries {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("reading link directory %s: too many entries", layoutDirLabel(dir, depth)),
			Got: fmt.Sprintf("more than %d", LayoutMaxDirEntries), Want: fmt.Sprintf("at most %d", LayoutMaxDirEntries),
			Hint: "give a directory that holds only this supply chain's links"}
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

// layoutDirLabel names a link directory in messages without exposing an
// absolute path: the root link directory by its base name, a sublayout's
// by its last two elements.
func layoutDirLabel(dir string, depth int) string {
	if depth == 0 {
		return fmt.Sprintf("%q", filepath.Base(dir))
	}
	return fmt.Sprintf("%q", filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir)))
}

// loadLink reads one link file for step and checks that it is signed by the
// key its name points at and that it is a link for this step (or a
// sublayout). in-toto-golang skips unreadable links and does not compare
// the link's name with the step's; sovcheck fails closed on both.
func (v *layoutVerifier) loadLink(p, step, short string) (layoutLink, error) {
	data, err := v.readFile(p, "link")
	if err != nil {
		return layoutLink{}, err
	}
	return layoutParseLink(data, filepath.Base(p), step, short)
}

// layoutParseLink parses the link file named file, found for step and
// naming the key id prefix short.
func layoutParseLink(data []byte, file, step, short string) (layoutLink, error) {
	const hint = "link files are written by in-toto-run and must not be edited; ask the functionary for the original"
	md, err := layoutParseMetadata(data)
	if err != nil {
		return layoutLink{}, reason.Wrap(err, reason.LinksInvalid, hint, "parsing link %s", file)
	}
	l := layoutLink{file: file, md: md}
	for _, s := range md.Sigs() {
		if strings.HasPrefix(s.KeyID, short) {
			l.keyID = s.KeyID
			break
		}
	}
	if l.keyID == "" {
		return layoutLink{}, reason.New(reason.LinksInvalid, hint, "parsing link %s: no signature by a key whose id starts with %q", file, short)
	}
	switch p := md.GetPayload().(type) {
	case in_toto.Link:
		if err := in_toto.ValidateMetablock(in_toto.Metablock{Signed: p}); err != nil {
			return layoutLink{}, reason.Wrap(err, reason.LinksInvalid, hint, "validating link %s", file)
		}
		if p.Name != step {
			return layoutLink{}, &reason.Error{Code: reason.LinksInvalid, Msg: fmt.Sprintf("validating link %s: link is for another step", file),
				Got: p.Name, Want: step, Hint: "a link counts only for the step it names; check that the file was not renamed"}
		}
	case in_toto.Layout:
		// A sublayout: verified as a layout once its signer is known to be
		// a functionary of the step.
	default:
		return layoutLink{}, reason.New(reason.LinksInvalid, hint, "parsing link %s: got %T, want a link or a layout", file, p)
	}
	return l, nil
}

// runInspections runs the layout's inspections in the current working
// directory (in-toto's convention) and checks their artifact rules against
// the steps' links. Unlike in-toto-golang's RunInspections it writes no
// inspection links into the working directory and never prints.
func (v *layoutVerifier) runInspections(layout in_toto.Layout, reduced map[string]in_toto.Metadata) error {
	if len(layout.Inspect) == 0 {
		return nil
	}
	items := make([]any, len(layout.Inspect))
	mds := make(map[string]in_toto.Metadata, len(layout.Inspect)+len(reduced))
	for i, in := range layout.Inspect {
		if err := v.ctx.Err(); err != nil {
			return layoutCancelled(err)
		}
		items[i] = in
		v.log.Info("running inspection", "name", in.Name, "command", in.Run)
		md, err := in_toto.InTotoRun(in.Name, "", []string{"."}, []string{"."}, in.Run, in_toto.Key{}, []string{"sha256"}, nil, nil, false, false, false)
		if err != nil {
			return reason.Wrap(err, LayoutInspectionFailed, "check that the inspection's program is installed and the working directory is readable",
				"running inspection %q", in.Name)
		}
		link, ok := md.GetPayload().(in_toto.Link)
		if !ok {
			return reason.New(LayoutInspectionFailed, "report this to the sovcheck maintainers", "running inspection %q: no link recorded", in.Name)
		}
		if rv := link.ByProducts["return-value"]; rv != float64(0) {
			stderr, _ := link.ByProducts["stderr"].(string)
			v.log.Debug("inspection failed", "name", in.Name, "stderr", stderr)
			return &reason.Error{Code: LayoutInspectionFailed,
				Msg: fmt.Sprintf("running inspection %q (%s): %s", in.Name, strings.Join(in.Run, " "), layoutExcerpt(stderr)),
				Got: fmt.Sprintf("exit status %v", rv), Want: "exit status 0",
				Hint: "the inspection rejected the final product, or needs files in the working directory that are not there"}
		}
		mds[in.Name] = md
	}
	for k, md := range reduced {
		mds[k] = md
	}
	if err := in_toto.VerifyArtifacts(items, mds); err != nil {
		return reason.Wrap(err, LayoutRuleViolated,
			"the files the inspection saw in the working directory do not meet its rules; run the verification where the final product was unpacked",
			"verifying inspection artifact rules")
	}
	return nil
}

// layoutExcerpt shortens an inspection's stderr for a message.
func layoutExcerpt(s string) string {
	const max = 512
	s = strings.TrimSpace(s)
	if s == "" {
		return "no output on stderr"
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// layoutContext prefixes the message of err's *reason.Error with context,
// keeping its code, hint and evidence.
func layoutContext(err error, context string) error {
	var re *reason.Error
	if !errors.As(err, &re) {
		return reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner to check the layout and its links", "%s", context)
	}
	c := *re
	c.Msg = context + ": " + re.Msg
	return &c
}

// layoutPathErr drops the path from an *fs.PathError, so that messages
// name files by base name only.
func layoutPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func layoutCancelled(err error) error {
	return reason.Wrap(err, reason.InternalError, "the verification was interrupted; run it again", "verifying layout")
}
