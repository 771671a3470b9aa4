// Package release makes sovcheck's own release, so that sovcheck vouches
// for itself with its own means: for each platform a reproducible binary,
// the replayable recipe it was built by (sovcheck's SLSA provenance v1,
// recorded as 'sovcheck attest recipe' records it) signed with the
// release key as a Sigstore bundle beside the binary, and a CycloneDX SBOM
// of the modules linked into it, bound to it by its sha256; the release's
// public key, its checksums and the procurement policy that verifies it;
// and, given a registry, an OCI image of sovcheck built with
// go-containerregistry, pushed and signed as cosign signs images.
//
// The release is built from the commit checked out in a git clone (with a
// .git directory, so that each binary carries its commit); it refuses
// uncommitted changes to tracked files. Anyone can then check it:
//
//	sovcheck verify bin/release/sovcheck-linux-amd64 --key bin/release/release.pub \
//	  --insecure-ignore-tlog --rebuild --source . --policy bin/release/policy.yaml
package release

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/template"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/rebuild"
)

// Module is sovcheck's module path, the source the recipes name.
const Module = "github.com/sovcheck/sovcheck"

// Commands are the binaries of a release, each built from ./cmd/NAME:
// sovcheck, and sovcheck-where (the portfolio's where question alone).
var Commands = []string{"sovcheck", "sovcheck-where"}

// DefaultPlatforms are the platforms of a release.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// Options configures a release.
type Options struct {
	// Source is the git clone to release, at the commit to release.
	Source string
	// Out is the directory the release is written to, inside Source
	// (the recipes name the binaries relative to it).
	Out string
	// Platforms are GOOS/GOARCH pairs; empty: DefaultPlatforms.
	Platforms []string
	// Key signs the release; KeyPEM is its public half, written beside it.
	Key crypto.Signer
	// Registry, when set, is where the image goes: HOST[:PORT]/REPO.
	Registry string
	// Tag is the image's tag; empty: the release's module version.
	Tag string
	// Insecure reaches the registry over plain HTTP.
	Insecure bool
	// Log receives the builds' output and progress.
	Log io.Writer
}

// Artifact is one binary of the release and the files beside it.
type Artifact struct {
	Command  string // sovcheck or sovcheck-where
	Platform string
	Path     string // the binary, relative to Source
	SHA256   string
	Version  string // the module version the binary names
}

// Result is what a release wrote.
type Result struct {
	Commit    string
	Version   string
	Artifacts []Artifact
	Image     string // REGISTRY/REPO@sha256:..., when an image was pushed
	Tag       string // the image's tag
}

// Make builds the release described by o.
func Make(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	if o.Key == nil {
		return nil, errors.New("no release key given")
	}
	if st, err := os.Stat(filepath.Join(o.Source, ".git")); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not a git clone with a .git directory: release from a clone (git clone), where each binary records its commit", o.Source)
	}
	out, err := filepath.Rel(o.Source, o.Out)
	if err != nil || out == ".." || strings.HasPrefix(out, "../") {
		return nil, fmt.Errorf("the release directory %s is not inside the source %s", o.Out, o.Source)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	commit, err := git(ctx, o.Source, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	res := &Result{Commit: commit}
	for _, p := range o.Platforms {
		for _, cmd := range Commands {
			a, err := buildOne(ctx, o, out, p, cmd)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", cmd, p, err)
			}
			if res.Version == "" {
				res.Version = a.Version
			}
			res.Artifacts = append(res.Artifacts, a)
		}
	}
	if err := writeSums(o.Out, res.Artifacts); err != nil {
		return nil, err
	}
	if err := writeKeyAndPolicy(o.Out, o.Key.Public()); err != nil {
		return nil, err
	}
	if o.Registry != "" {
		when, err := git(ctx, o.Source, "show", "-s", "--format=%cI", "HEAD")
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339, when)
		if err != nil {
			return nil, fmt.Errorf("reading the commit time: %w", err)
		}
		if res.Image, res.Tag, err = pushImage(ctx, o, res, t.UTC()); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// buildOne builds the binary of one command for one platform as 'sovcheck
// attest recipe' does, and writes its signed recipe and its SBOM beside it.
func buildOne(ctx context.Context, o Options, out, platform, command string) (Artifact, error) {
	goos, goarch, ok := strings.Cut(platform, "/")
	if !ok || goos == "" || goarch == "" {
		return Artifact{}, fmt.Errorf("platform %q is not GOOS/GOARCH", platform)
	}
	name := command + "-" + goos + "-" + goarch
	rel := filepath.ToSlash(filepath.Join(out, name))
	fmt.Fprintf(o.Log, "release: building %s\n", rel)
	statement, err := rebuild.RecordRecipe(ctx, rebuild.LocalBuild{
		Source: o.Source, SourceURI: "https://" + Module, Output: rel,
		Env: []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch},
		// -buildvcs=true stamps the commit, its time and a clean tree, all
		// functions of the commit: the replay's clone stamps the same.
		Command: []string{"go", "build", "-trimpath", "-buildvcs=true", "-tags", "urfave_cli_no_docs", "-o", rel, "./cmd/" + command},
		Log:     o.Log,
	})
	if err != nil {
		return Artifact{}, err
	}
	_, bundle, err := attest.SignStatementWithKey(statement, o.Key)
	if err != nil {
		return Artifact{}, err
	}
	bin := filepath.Join(o.Out, name)
	if err := os.WriteFile(bin+".sigstore.json", bundle, 0o644); err != nil {
		return Artifact{}, err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return Artifact{}, err
	}
	sum := sha256.Sum256(data)
	a := Artifact{Command: command, Platform: platform, Path: rel, SHA256: hex.EncodeToString(sum[:])}
	sbom, version, err := SBOM(bin, a.SHA256)
	if err != nil {
		return Artifact{}, err
	}
	a.Version = version
	return a, os.WriteFile(bin+".cdx.json", sbom, 0o644)
}

// writeSums writes SHA256SUMS, as sha256sum -c reads it.
func writeSums(dir string, arts []Artifact) error {
	var b strings.Builder
	for _, a := range arts {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, filepath.Base(a.Path))
	}
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644)
}

// policyTemplate is the procurement policy that sovcheck's release meets:
// signed with the release key, built by sovcheck's recipe from sovcheck's
// repository, rebuilt bit for bit, with an SBOM bound to the binary.
var policyTemplate = template.Must(template.New("policy").Parse(`# The procurement policy of sovcheck's own release (written by make release):
# each binary is signed with the release key, carries sovcheck's replayable
# recipe (SLSA provenance v1) from sovcheck's repository, is rebuilt bit for
# bit, and comes with a CycloneDX SBOM of the modules linked into it.
#   sovcheck verify sovcheck-linux-amd64 --key release.pub --insecure-ignore-tlog \
#     --rebuild --source SOVCHECK-CLONE --policy policy.yaml
apiVersion: sovcheck.dev/v1alpha1
kind: ProcurementPolicy
metadata:
  name: sovcheck-release
  owner: the sovcheck maintainers
artifacts:
  - match: ["sovcheck-*"]
    signature:
      required: true
      keys: [sha256:{{.KeyID}}]
    attestations: [slsaprovenance1]
    provenance:
      required: true
      builderIds: [{{.Builder}}]
      sourceRepos: [{{.Module}}]
    rebuild:
      required: match
sbom:
  required: true
  maxProductGrade: D
vulnerabilities:
  knownExploited: knock-out
points:
  maximum: 100
  pass: 60
  grades: {A: 100, B: 90, C: 75, D: 60, E: 30, F: 10, G: 0}
`))

// writeKeyAndPolicy writes release.pub and policy.yaml.
func writeKeyAndPolicy(dir string, pub crypto.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "release.pub"), pemKey, 0o644); err != nil {
		return err
	}
	id, err := vocab.KeyID(pub)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := policyTemplate.Execute(&b, map[string]string{"KeyID": id, "Builder": vocab.RecipeBuilderID, "Module": Module}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "policy.yaml"), b.Bytes(), 0o644)
}

// git runs git in dir and returns its trimmed output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// HostPlatform is the GOOS/GOARCH of the running program.
func HostPlatform() string { return runtime.GOOS + "/" + runtime.GOARCH }
