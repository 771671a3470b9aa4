package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

// Check ids of a rebuild.
const (
	CheckRebuild         = vocab.CheckRebuild
	CheckRebuildHermetic = vocab.CheckRebuildHermetic
)

// RebuildOptions asks verify to rebuild each artifact from the recipe in
// its verified provenance and compare the digests.
type RebuildOptions struct {
	Source   string // git checkout DIR or git URL holding the recipe's commit
	CacheDir string // toolchains, modules, build caches; default under the user cache dir
	// Timeout bounds each rebuild (0: rebuild.DefaultTimeout). Use a
	// negative value for no bound.
	Timeout time.Duration
}

// rebuilder is built on first use: most runs never rebuild.
type rebuilder struct {
	once sync.Once
	rb   *rebuild.Rebuilder
	err  error
}

func (r *Runner) rebuilder() (*rebuild.Rebuilder, error) {
	r.rebuild.once.Do(func() {
		opts := []rebuild.Option{rebuild.WithLogger(r.logger)}
		if r.opts.Rebuild.CacheDir != "" {
			opts = append(opts, rebuild.WithCacheDir(r.opts.Rebuild.CacheDir))
		}
		if r.opts.Offline {
			opts = append(opts, rebuild.WithOffline())
		}
		switch t := r.opts.Rebuild.Timeout; {
		case t > 0:
			opts = append(opts, rebuild.WithTimeout(t))
		case t < 0:
			opts = append(opts, rebuild.WithTimeout(0))
		}
		r.rebuild.rb, r.rebuild.err = rebuild.New(opts...)
	})
	return r.rebuild.rb, r.rebuild.err
}

// rebuildChecks rebuilds the artifact from the recipes of its verified
// attestations. Only provenance whose signature verified is read: an
// unsigned recipe is no evidence of how the published bytes were made.
// The result is nil when no rebuild could start.
func (r *Runner) rebuildChecks(ctx context.Context, subject policy.Subject, art attest.Artifact, verified []verifiedBundle) ([]policy.Check, *rebuild.Result) {
	if art.Path == "" && len(art.SHA256) != sha256.Size {
		return []policy.Check{failCheck(CheckRebuild, subject, reason.New(reason.EvidenceMissing,
			"a rebuild compares bytes: give the artifact file or its sha256 digest", "no artifact file or digest to compare a rebuild with"), "")}, nil
	}
	var recipes []*rebuild.Recipe
	var evidence []string
	var broken *policy.Check // a signed recipe that is unreadable, not just of another kind
	for _, vb := range verified {
		env := vb.res.Bundle.Bundle.GetDsseEnvelope()
		if env == nil {
			continue
		}
		rs, err := rebuild.ReadRecipes(bytes.NewReader(env.GetPayload()))
		if err != nil {
			if reason.CodeOf(err, "") != reason.RecipeUnsupported && broken == nil {
				c := failCheck(CheckRebuild, subject, reason.As(err, reason.RecipeUnsupported, ""), vb.evidence)
				broken = &c
			}
			r.logger.Info("no replayable recipe", "evidence", vb.evidence, "err", err)
			continue
		}
		recipes = append(recipes, rs...)
		evidence = append(evidence, vb.evidence)
	}
	if len(recipes) == 0 && broken != nil {
		return []policy.Check{*broken}, nil
	}
	if len(recipes) == 0 {
		return []policy.Check{failCheck(CheckRebuild, subject, reason.New(reason.RecipeUnsupported,
			"--rebuild needs a verified provenance with a replayable recipe: the SLSA GitHub generator's Go builder or a sovcheck recipe (sovcheck attest recipe)",
			"no verified provenance with a replayable recipe"), "")}, nil
	}
	rb, err := r.rebuilder()
	if err != nil {
		return []policy.Check{failCheck(CheckRebuild, subject, reason.As(err, reason.InputMalformed, ""), "")}, nil
	}
	req := rebuild.Request{Artifact: art.Path, Name: art.Name, Recipes: recipes, Source: r.opts.Rebuild.Source}
	if art.Path == "" {
		// Known by its digest only: the rebuild is compared with it.
		req.SHA256 = hex.EncodeToString(art.SHA256)
	}
	res, err := rb.Rebuild(ctx, req)
	if err != nil {
		return []policy.Check{failCheck(CheckRebuild, subject, reason.As(err, reason.InputUnreadable, ""), strings.Join(evidence, ", "))}, nil
	}
	return rebuildResultChecks(subject, res, strings.Join(evidence, ", ")), res
}

// rebuildResultChecks maps a rebuild result onto the verdict model: MATCH
// passes, MISMATCH fails, SKIP is a skipped required check (so the verdict
// fails: a rebuild that was asked for and not done is not a pass).
func rebuildResultChecks(subject policy.Subject, res *rebuild.Result, evidence string) []policy.Check {
	c := policy.Check{ID: CheckRebuild, Subject: subject, Required: true, Evidence: evidence}
	switch res.Status {
	case rebuild.StatusMatch:
		c.Status = policy.StatusPass
		c.Message = fmt.Sprintf("rebuilt bit for bit: sha256:%s", res.RebuiltSHA256)
		if res.Toolchain != nil {
			c.Message += " with " + res.Toolchain.Version
		}
		if w := res.SourceWarning(); w != "" {
			c.Message += "; warning: " + w
		}
	case rebuild.StatusMismatch:
		c.Status = policy.StatusFail
	case rebuild.StatusSkip:
		c.Status = policy.StatusSkip
	}
	if e := res.Reason; e != nil {
		c.Reason, c.Message, c.Hint, c.Got, c.Want = e.Code, e.Msg, e.Hint, e.Got, e.Want
		var causes []string
		for _, cause := range res.Causes {
			// Each code once: several settings may differ for one reason.
			if !slices.Contains(causes, cause.Code) {
				causes = append(causes, cause.Code)
			}
		}
		if len(causes) > 0 {
			c.Message = fmt.Sprintf("%s (causes: %s)", c.Message, strings.Join(causes, ", "))
		}
	}
	checks := []policy.Check{c}
	if res.Sandbox.Method != "" {
		h := policy.Check{ID: CheckRebuildHermetic, Subject: subject, Status: policy.StatusPass,
			Message: "built in " + res.Sandbox.Method + ": " + strings.Join(res.Sandbox.Namespaces, ", ")}
		if !res.Hermetic() {
			h.Status, h.Reason = policy.StatusSkip, reason.SandboxUnavailable
			h.Message = "the rebuild ran without the sandbox"
			h.Hint = "a match without the sandbox does not prove a hermetic build; the policy decides whether it counts"
		}
		checks = append(checks, h)
	}
	return checks
}
