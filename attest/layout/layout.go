package layout

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits on in-toto layout verification. Real layouts and links are a few
// KiB; a link that records a large source tree reaches a few MiB.
const (
	// MaxFileSize is the largest layout or link file read.
	MaxFileSize = 8 << 20
	// MaxTotalSize is the most metadata read by one verification,
	// sublayouts and their links included.
	MaxTotalSize = 64 << 20
	// MaxDirEntries is the most entries listed in one link directory.
	MaxDirEntries = 10_000
	// MaxSteps is the most steps in one layout.
	MaxSteps = 256
	// MaxInspections is the most inspections in one layout.
	MaxInspections = 64
	// MaxDepth is how deeply sublayouts may nest below the root layout.
	MaxDepth = 4
)

// Options configures in-toto layout verification.
type Options struct {
	Path             string    // layout file (signed Metablock JSON or DSSE envelope)
	KeyPaths         []string  // PEM public keys of the layout owners; at least one; every one must have signed
	LinkDir          string    // directory with the link metadata (<step>.<keyid-prefix>.link)
	AllowInspections bool      // inspections execute programs from the layout; refused unless true
	Now              time.Time // clock for the expiry check (injected; zero = time.Now())
	Logger           *slog.Logger
}

// Result summarises a successful verification.
type Result struct {
	Name        string    // base name of the layout file (of the link file, for a sublayout)
	Expires     time.Time // the layout's expiry date
	OwnerKeyIDs []string  // in-toto key ids whose layout signatures were verified, sorted
	Steps       []Step    // in layout order
	Inspections []string  // inspections that ran and passed, in layout order
	Products    []Product // final products: those of the last step, sorted by path
	Warnings    []string  // findings that do not fail verification, e.g. a command differing from the expected one
}

// Step is a step of a verified layout.
type Step struct {
	Name          string
	Threshold     int
	Functionaries []Functionary // those whose links counted, sorted by key id
}

// Functionary is a functionary whose signed link counted for a step.
type Functionary struct {
	KeyID     string
	Link      string  // link file name, e.g. build.1a2b3c4d.link
	Sublayout *Result // set when the functionary's link was itself a layout
}

// Product is a final product of the supply chain.
type Product struct {
	Path    string            // as the last step's link reports it
	Digests map[string]string // algorithm (e.g. sha256) to hex digest
}

// Product returns the first final product (by path) whose sha256 digest is
// sha256Hex, so a caller can check that its artifact is what the supply
// chain produced.
func (r *Result) Product(sha256Hex string) (Product, bool) {
	want := strings.ToLower(sha256Hex)
	for _, p := range r.Products {
		if strings.ToLower(p.Digests["sha256"]) == want {
			return p, true
		}
	}
	return Product{}, false
}

// Verify verifies an in-toto supply chain: the layout's signatures by
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
func Verify(ctx context.Context, o Options) (res *Result, err error) {
	v := newVerifier(ctx, o)
	defer recoverPanic(&res, &err, v.log)
	return v.run(o)
}

// recoverPanic turns a panic of the in-toto library into LAYOUT_INVALID.
func recoverPanic(res **Result, err *error, log *slog.Logger) {
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

type verifier struct {
	ctx              context.Context
	log              *slog.Logger
	now              time.Time
	allowInspections bool
	budget           int64 // bytes of metadata that may still be read
}

func newVerifier(ctx context.Context, o Options) *verifier {
	if ctx == nil {
		ctx = context.Background()
	}
	v := &verifier{ctx: ctx, log: o.Logger, now: o.Now, allowInspections: o.AllowInspections, budget: MaxTotalSize}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	if v.now.IsZero() {
		v.now = time.Now()
	}
	return v
}

// ownerKey is a key that must have signed a layout.
type ownerKey struct {
	label string // for messages: the key file's base name, or "functionary <keyid>"
	key   in_toto.Key
}

func (v *verifier) run(o Options) (*Result, error) {
	if o.Path == "" {
		return nil, reason.New(reason.EvidenceMissing, "give the layout with --layout", "verifying layout: no layout given")
	}
	if len(o.KeyPaths) == 0 {
		return nil, reason.New(reason.TrustRootMissing, "give the layout owner's public key with --layout-key", "verifying layout: no layout key given")
	}
	if o.LinkDir == "" {
		return nil, reason.New(reason.EvidenceMissing, "give the directory holding the link files with --links", "verifying layout: no link directory given")
	}
	keys, err := readOwnerKeys(o.KeyPaths)
	if err != nil {
		return nil, err
	}
	data, err := v.readFile(o.Path, "layout")
	if err != nil {
		return nil, err
	}
	md, layout, err := parseLayout(data, filepath.Base(o.Path))
	if err != nil {
		return nil, err
	}
	res, _, err := v.verify(md, layout, keys, o.LinkDir, filepath.Base(o.Path), "", 0)
	return res, err
}
