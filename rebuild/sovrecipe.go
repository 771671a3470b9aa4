package rebuild

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// sovcheck's replayable recipe is SLSA provenance v1 whose buildType is
// vocab.BuildTypeSovcheckGo. Its external parameters are everything a replay
// needs; its internal parameters record where the original build ran, so
// that builds without -trimpath can match too:
//
//	"buildDefinition": {
//	  "buildType": "https://sovcheck.dev/rebuild/go@v1",
//	  "externalParameters": {
//	    "source":     {"uri": "git+https://example.com/tool", "commit": "<40 or 64 hex>"},
//	    "toolchain":  "go1.26.8",
//	    "command":    ["go", "build", "-trimpath", "-o", "tool", "./cmd/tool"],
//	    "workingDir": "",                 // relative to the checkout root
//	    "env":        ["CGO_ENABLED=0"],  // KEY=VALUE, from the sandbox allowlist
//	    "output":     "tool"              // relative to the checkout root
//	  },
//	  "internalParameters": {"checkoutDir": "/src/tool", "goroot": "/usr/local/go"},
//	  "resolvedDependencies": [{"uri": "git+https://example.com/tool", "digest": {"gitCommit": "<hex>"}}]
//	},
//	"runDetails": {"builder": {"id": "https://sovcheck.dev/attest-recipe@v1"}}
type sovcheckParams struct {
	Source struct {
		URI    string `json:"uri"`
		Commit string `json:"commit"`
	} `json:"source"`
	Toolchain  string   `json:"toolchain"`
	Command    []string `json:"command"`
	WorkingDir string   `json:"workingDir,omitempty"`
	Env        []string `json:"env,omitempty"`
	Output     string   `json:"output"`
}

type sovcheckInternal struct {
	CheckoutDir string `json:"checkoutDir,omitempty"`
	GOROOT      string `json:"goroot,omitempty"`
}

type slsaV1Predicate struct {
	BuildDefinition struct {
		BuildType            string           `json:"buildType"`
		ExternalParameters   sovcheckParams   `json:"externalParameters"`
		InternalParameters   sovcheckInternal `json:"internalParameters"`
		ResolvedDependencies []resourceDesc   `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

type resourceDesc struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

func parseSovcheckRecipe(raw json.RawMessage) (*Recipe, error) {
	var p slsaV1Predicate
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&p); err != nil {
		return nil, reason.Wrap(err, reason.ProvenanceMalformed, provenanceReadHint, "parsing sovcheck recipe")
	}
	x := p.BuildDefinition.ExternalParameters
	rec := &Recipe{
		BuildType: vocab.BuildTypeSovcheckGo,
		Source:    Source{URI: strings.TrimPrefix(x.Source.URI, "git+"), Commit: strings.ToLower(x.Source.Commit)},
		Toolchain: x.Toolchain,
		Steps:     []Step{{Command: x.Command, Dir: x.WorkingDir, Env: x.Env}},
		Output:    x.Output,
	}
	if x.Output == "" {
		return nil, malformed("sovcheck recipe has no output")
	}
	in := p.BuildDefinition.InternalParameters
	if in.CheckoutDir != "" && !isReserved(in.CheckoutDir) {
		rec.CheckoutDir = in.CheckoutDir
	}
	if in.GOROOT != "" && !isReserved(in.GOROOT) {
		rec.GOROOT = in.GOROOT
	}
	return rec, nil
}

// RecipeSpec describes a local build for which `sovcheck attest recipe`
// writes a replayable recipe.
type RecipeSpec struct {
	SourceDir  string   // git checkout the artifact was built from, at the commit to record
	SourceURI  string   // repository URI to record; empty: the checkout's origin remote
	Command    []string // the build command as run, e.g. go build -trimpath -o tool ./cmd/tool
	WorkingDir string   // where the command ran, relative to SourceDir ("" for the root)
	Env        []string // KEY=VALUE the command ran with, from the sandbox allowlist
	Artifact   string   // path of the built artifact; it must be inside SourceDir
	GOROOT     string   // toolchain directory of the build, recorded for builds without -trimpath; optional
}

// NewRecipeStatement returns an in-toto statement (SLSA provenance v1 with
// sovcheck's build type) that lets anyone replay a local Go build, and the
// recipe it holds. The toolchain is read from the artifact's build info; the
// commit is the checkout's HEAD, which must have no uncommitted changes to
// tracked files. The statement is unsigned: sign it with SignStatement.
func NewRecipeStatement(ctx context.Context, spec RecipeSpec) ([]byte, *Recipe, error) {
	src, err := filepath.Abs(spec.SourceDir)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.InputUnreadable, "give the git checkout the artifact was built from", "resolving source dir")
	}
	g := newGit(nil)
	commit, err := g.output(ctx, src, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.SourceUnavailable, "give the git checkout the artifact was built from", "reading HEAD of %s", spec.SourceDir)
	}
	dirty, err := g.output(ctx, src, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.SourceUnavailable, "give the git checkout the artifact was built from", "reading status of %s", spec.SourceDir)
	}
	if dirty != "" {
		return nil, nil, reason.New(reason.SourceUnavailable, "commit your changes and rebuild, so the recipe names a commit that holds the source",
			"checkout %s has uncommitted changes to tracked files", spec.SourceDir)
	}
	uri := spec.SourceURI
	if uri == "" {
		uri, err = g.output(ctx, src, "config", "--get", "remote.origin.url")
		if err != nil || uri == "" {
			return nil, nil, reason.New(reason.InputMalformed, "give the repository URI with --source-uri", "checkout %s has no origin remote", spec.SourceDir)
		}
	}
	art, err := filepath.Abs(spec.Artifact)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.InputUnreadable, "give the path of the built artifact", "resolving artifact path")
	}
	rel, err := filepath.Rel(src, art)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, nil, reason.New(reason.InputMalformed, "build the artifact inside the checkout (go build -o inside the source tree)",
			"artifact %s is not inside the checkout %s", spec.Artifact, spec.SourceDir)
	}
	bi, err := buildinfo.ReadFile(art)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.InputMalformed, "sovcheck writes recipes for Go binaries", "reading Go build info of %s", spec.Artifact)
	}
	toolchain, _, _ := strings.Cut(bi.GoVersion, " ")
	sum, err := fileSHA256(art)
	if err != nil {
		return nil, nil, err
	}
	var p slsaV1Predicate
	p.BuildDefinition.BuildType = vocab.BuildTypeSovcheckGo
	x := &p.BuildDefinition.ExternalParameters
	x.Source.URI = uri
	x.Source.Commit = commit
	x.Toolchain = toolchain
	x.Command = spec.Command
	x.WorkingDir = filepath.ToSlash(spec.WorkingDir)
	x.Env = spec.Env
	x.Output = filepath.ToSlash(rel)
	p.BuildDefinition.InternalParameters = sovcheckInternal{CheckoutDir: filepath.ToSlash(src), GOROOT: spec.GOROOT}
	p.BuildDefinition.ResolvedDependencies = []resourceDesc{{URI: gitURI(uri), Digest: map[string]string{"gitCommit": commit}}}
	p.RunDetails.Builder.ID = vocab.RecipeBuilderID

	raw, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding recipe predicate: %w", err)
	}
	rec, err := parseSovcheckRecipe(raw)
	if err != nil {
		return nil, nil, err
	}
	rec.Subjects = []Subject{{Name: path.Base(x.Output), SHA256: sum}}
	if err := rec.Validate(); err != nil {
		return nil, nil, err
	}
	st := map[string]any{
		"_type":         vocab.StatementTypeV1,
		"subject":       []map[string]any{{"name": path.Base(x.Output), "digest": map[string]string{"sha256": sum}}},
		"predicateType": vocab.PredicateSLSAProvenanceV1,
		"predicate":     p,
	}
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("encoding recipe statement: %w", err)
	}
	return append(out, '\n'), rec, nil
}

func gitURI(uri string) string {
	if strings.HasPrefix(uri, "git+") {
		return uri
	}
	return "git+" + uri
}
