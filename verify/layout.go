package verify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/attest/layout"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// layoutOutcome verifies the in-toto layout once per run: the supply chain
// is the same for every artifact, only the final product differs.
type layoutOutcome struct {
	once sync.Once
	res  *layout.Result
	err  *reason.Error
}

func (l *layoutOutcome) get(ctx context.Context, o layout.Options) (*layout.Result, *reason.Error) {
	l.once.Do(func() {
		res, err := layout.Verify(ctx, o)
		if err != nil {
			l.err = reason.As(err, reason.LayoutInvalid, "")
			return
		}
		l.res = res
	})
	return l.res, l.err
}

func (r *Runner) layoutCheck(ctx context.Context, subject policy.Subject, art attest.Artifact) policy.Check {
	o := r.opts.Layout.options(r.logger)
	res, rerr := r.layout.get(ctx, o)
	if rerr != nil {
		return failCheck(vocab.CheckLayout, subject, rerr, o.Path)
	}
	hexDigest := subjectOf(art)
	p, ok := res.Product(hexDigest)
	if !ok {
		var got []string
		for _, p := range res.Products {
			got = append(got, fmt.Sprintf("%s sha256:%s", p.Path, p.Digests["sha256"]))
		}
		return failCheck(vocab.CheckLayout, subject, &reason.Error{Code: reason.SubjectMismatch,
			Msg: "artifact is not a final product of the verified supply chain", Got: strings.Join(got, ", "), Want: "sha256:" + hexDigest,
			Hint: "the layout and links verify, but they describe other bytes; check that the artifact comes from this supply chain"}, o.Path)
	}
	msg := fmt.Sprintf("in-toto layout %s verified (%d steps, expires %s); artifact is final product %q",
		res.Name, len(res.Steps), res.Expires.UTC().Format("2006-01-02"), p.Path)
	return policy.Check{ID: vocab.CheckLayout, Subject: subject, Status: policy.StatusPass, Required: true, Message: msg, Evidence: o.Path}
}

// options are the options of package layout for l.
func (l *Layout) options(logger *slog.Logger) layout.Options {
	return layout.Options{Path: l.Path, KeyPaths: l.KeyPaths, LinkDir: l.LinkDir, AllowInspections: l.AllowInspections, Logger: logger}
}
