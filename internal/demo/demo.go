// Package demo writes the material of sovcheck's demo, made anew at demo
// time and offline: the source of a small Go program in a git repository,
// its release (the binary, a Sigstore-signed SLSA provenance with the
// replayable Go build recipe, and a CycloneDX SBOM bound to the binary by
// digest), the trusted root of the virtual Sigstore that signed the
// provenance, a pinned advisory set, and a procurement policy that asks
// for all of it, including a bit-for-bit rebuild.
//
// The repository is committed with a fixed author and dates, so the
// commit, and with the machine's Go toolchain the binary, are the same on
// every run. The keys of the virtual Sigstore are new on every run.
package demo

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

const (
	module     = "github.com/acme/tool"
	version    = "1.2.0"
	binaryName = "tool-linux-amd64"
	workflow   = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	issuer     = "https://token.actions.githubusercontent.com"
	builderID  = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"
	// commitDate is the author and committer date of the demo repository.
	commitDate = "2026-01-15T09:00:00Z"
)

// The program the demo releases.
var sources = map[string]string{
	"go.mod": "module " + module + "\n\ngo 1.21\n",
	"main.go": `// Command tool is the program sovcheck's demo releases and rebuilds.
package main

import "fmt"

var version = "dev"

func main() { fmt.Println("acme tool", version) }
`,
}

// Identity and Issuer are the signer of the demo release, as
// `sovcheck verify` is told to expect it.
const (
	Identity = workflow
	Issuer   = issuer
)

// Binary is the release binary's path below the demo directory; Source is
// the git checkout it is rebuilt from; Policy and TrustedRoot are the
// procurement policy and the virtual Sigstore's trusted root.
const (
	Binary      = "release/" + binaryName
	Source      = "src"
	Policy      = "procurement.yaml"
	TrustedRoot = "trusted_root.json"
)

// Generate writes the demo material to dir, which it first removes. now is
// the virtual Sigstore's clock: its certificates are valid for a year.
func Generate(dir string, now time.Time) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err = os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clearing %s: %w", dir, err)
	}
	src, release := filepath.Join(dir, Source), filepath.Join(dir, "release")
	for _, d := range []string{src, release} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	commit, err := commitSources(src)
	if err != nil {
		return err
	}
	goVersion, binary, err := build(src, release)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(binary)
	digest := hex.EncodeToString(sum[:])

	ca, err := sigstoretest.New(sigstoretest.WithNow(now), sigstoretest.WithValidity(now.Add(-time.Hour), now.AddDate(1, 0, 0)))
	if err != nil {
		return err
	}
	provenance, err := signProvenance(ca, commit, goVersion, digest)
	if err != nil {
		return err
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		return err
	}
	sbom, err := sbomFor(goVersion, digest)
	if err != nil {
		return err
	}
	advisories, err := advisoryZip()
	if err != nil {
		return err
	}
	advSum := sha256.Sum256(advisories)
	policy, err := policyText(hex.EncodeToString(advSum[:]))
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		filepath.Join(release, binaryName+".intoto.jsonl"): provenance,
		filepath.Join(release, binaryName+".cdx.json"):     sbom,
		filepath.Join(dir, TrustedRoot):                    root,
		filepath.Join(dir, Policy):                         policy,
		filepath.Join(dir, "go-advisories.zip"):            advisories,
	} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// commitSources writes the program into a new git repository at src and
// commits it with a fixed identity and date; it returns the commit.
func commitSources(src string) (string, error) {
	for name, text := range sources {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME=Acme Release", "GIT_AUTHOR_EMAIL=release@acme.example",
		"GIT_COMMITTER_NAME=Acme Release", "GIT_COMMITTER_EMAIL=release@acme.example",
		"GIT_AUTHOR_DATE="+commitDate, "GIT_COMMITTER_DATE="+commitDate,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"commit", "-q", "-m", "acme tool " + version},
		{"tag", "v" + version},
	} {
		if _, err := run(src, env, "git", args...); err != nil {
			return "", err
		}
	}
	commit, err := run(src, env, "git", "rev-parse", "HEAD")
	return strings.TrimSpace(commit), err
}

// build compiles the release binary as the provenance's recipe records
// it, and returns the toolchain's version (without "go") and the binary.
func build(src, release string) (string, []byte, error) {
	goVersion, err := run(src, nil, "go", "env", "GOVERSION")
	if err != nil {
		return "", nil, err
	}
	goVersion = strings.TrimPrefix(strings.TrimSpace(goVersion), "go")
	out := filepath.Join(release, binaryName)
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local",
		// As the Go builder builds: in the checkout, stamping its commit
		// (an empty GOFLAGS would fall back to the machine's go env file).
		"GOFLAGS=-buildvcs=true")
	if _, err := run(src, env, "go", recipeArgs(out)...); err != nil {
		return "", nil, err
	}
	binary, err := os.ReadFile(out)
	return goVersion, binary, err
}

// recipeArgs is the `go build` of the release, writing to out.
func recipeArgs(out string) []string {
	return []string{"build", "-trimpath", "-ldflags=-X main.version=" + version, "-o", out}
}

// signProvenance signs a provenance of the form the SLSA GitHub generator's
// Go builder issues, with the build step the rebuild replays.
func signProvenance(ca *sigstoretest.Authority, commit, goVersion, digest string) ([]byte, error) {
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		return nil, errors.New("the demo release is linux/amd64 and is rebuilt on linux/amd64 only")
	}
	source := "git+https://" + module + "@refs/tags/v" + version
	predicate := map[string]any{
		"builder":    map[string]any{"id": builderID},
		"buildType":  "https://github.com/slsa-framework/slsa-github-generator/go@v1",
		"invocation": map[string]any{"configSource": map[string]any{"uri": source, "digest": map[string]string{"sha1": commit}, "entryPoint": ".github/workflows/release.yml"}},
		"buildConfig": map[string]any{"version": 1, "steps": []any{map[string]any{
			"workingDir": "/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__",
			"command":    append([]string{"/opt/hostedtoolcache/go/" + goVersion + "/x64/bin/go"}, recipeArgs(binaryName)...),
			"env":        []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
		}}},
		"materials": []any{map[string]any{"uri": source, "digest": map[string]string{"sha1": commit}}},
	}
	statement, err := sigstoretest.Statement(map[string]string{binaryName: digest}, vocab.PredicateSLSAProvenanceV02, predicate)
	if err != nil {
		return nil, err
	}
	claims := &sigstoretest.GitHubClaims{
		BuildSignerURI:         workflow,
		RunnerEnvironment:      "github-hosted",
		SourceRepositoryURI:    "https://" + module,
		SourceRepositoryDigest: commit,
		SourceRepositoryRef:    "refs/tags/v" + version,
		BuildConfigURI:         workflow,
		BuildTrigger:           "push",
	}
	bundle, err := ca.SignDSSE(statement, sigstoretest.SignOptions{Identity: workflow, Issuer: issuer, GitHub: claims, TSA: sigstoretest.TSAWithCerts})
	if err != nil {
		return nil, fmt.Errorf("signing provenance: %w", err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, bundle); err != nil {
		return nil, err
	}
	return append(line.Bytes(), '\n'), nil
}

// sbomFor is the release's CycloneDX 1.6 SBOM: the program and the Go
// standard library it links, bound to the binary by its sha256.
func sbomFor(goVersion, digest string) ([]byte, error) {
	bom := map[string]any{
		"bomFormat":    "CycloneDX",
		"specVersion":  "1.6",
		"serialNumber": "urn:uuid:5f0c7a52-2b8e-4d3c-9a61-0d6f1c2b7e41",
		"version":      1,
		"metadata": map[string]any{
			"timestamp": commitDate,
			"tools":     map[string]any{"components": []any{map[string]any{"type": "application", "name": "gendemo", "group": "sovcheck"}}},
			"supplier":  map[string]any{"name": "Acme", "url": []string{"https://acme.example"}},
			"component": map[string]any{
				"type": "application", "bom-ref": "pkg:golang/" + module + "@v" + version,
				"name": module, "version": "v" + version, "purl": "pkg:golang/" + module + "@v" + version,
				"supplier": map[string]any{"name": "Acme"},
				"licenses": []any{map[string]any{"license": map[string]any{"id": "Apache-2.0"}}},
				"hashes":   []any{map[string]any{"alg": "SHA-256", "content": digest}},
			},
		},
		"components": []any{map[string]any{
			"type": "library", "bom-ref": "pkg:golang/stdlib@" + goVersion,
			"name": "stdlib", "version": goVersion, "purl": "pkg:golang/stdlib@" + goVersion,
			"supplier": map[string]any{"name": "The Go Authors"},
			"licenses": []any{map[string]any{"license": map[string]any{"id": "BSD-3-Clause"}}},
		}},
		"dependencies": []any{
			map[string]any{"ref": "pkg:golang/" + module + "@v" + version, "dependsOn": []string{"pkg:golang/stdlib@" + goVersion}},
			map[string]any{"ref": "pkg:golang/stdlib@" + goVersion, "dependsOn": []string{}},
		},
	}
	out, err := json.MarshalIndent(bom, "", "  ")
	return append(out, '\n'), err
}

var policyTemplate = template.Must(template.New("policy").Parse(`# The demo's procurement policy: signed by the release workflow, built by
# the SLSA Go builder from the tagged source, rebuilt bit for bit, and an
# SBOM bound to the binary.
apiVersion: sovcheck.dev/v1alpha1
kind: ProcurementPolicy
metadata:
  name: acme-demo-procurement
  owner: procurement@acme.example
artifacts:
  - match: ["*"]
    signature:
      required: true
      identities:
        - issuer: {{.Issuer}}
          subjectRegexp: https://github\.com/acme/tool/\.github/workflows/release\.yml@refs/tags/v.+
    attestations: [slsaprovenance]
    provenance:
      required: true
      builderIds: [{{.Builder}}]
      sourceRepos: [{{.Module}}]
      tags: ["v*"]
    rebuild:
      required: match
sbom:
  required: true
  maxProductGrade: D
  forbiddenLabels: [systemic-fragile, abandoned]
licences:
  deny: [AGPL-3.0-only, AGPL-3.0-or-later, SSPL-1.0]
vulnerabilities:
  knownExploited: knock-out
  maximum:
    critical: 0
    high: 0
# Points: the product grade earns them, and 60 of 100 are needed.
points:
  maximum: 100
  pass: 60
  grades: {A: 100, B: 90, C: 75, D: 60, E: 30, F: 10, G: 0}
data:
  - name: go-advisories
    kind: advisories
    path: go-advisories.zip
    sha256: {{.Advisories}}
`))

func policyText(advisoriesSHA256 string) ([]byte, error) {
	var b bytes.Buffer
	err := policyTemplate.Execute(&b, map[string]string{"Issuer": issuer, "Builder": strings.Split(builderID, "@")[0], "Module": module, "Advisories": advisoriesSHA256})
	return b.Bytes(), err
}

// advisory is a Go vulnerability database entry in the OSV schema, as
// osv.dev publishes it in the Go ecosystem's all.zip: the HTTP/2
// CONTINUATION flood in the standard library's net/http, fixed in Go
// 1.21.9 and 1.22.2.
const advisory = `{
  "schema_version": "1.3.1",
  "id": "GO-2024-2687",
  "modified": "2024-05-20T16:03:47Z",
  "published": "2024-04-03T21:12:01Z",
  "aliases": ["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"],
  "summary": "HTTP/2 CONTINUATION flood in net/http",
  "affected": [{
    "package": {"name": "stdlib", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.21.9"}, {"introduced": "1.22.0-0"}, {"fixed": "1.22.2"}]}],
    "ecosystem_specific": {"imports": [{"path": "net/http", "symbols": ["http2serverConn.processHeaders"]}]}
  }],
  "references": [{"type": "REPORT", "url": "https://go.dev/issue/65051"}, {"type": "FIX", "url": "https://go.dev/cl/576155"}],
  "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2024-2687", "review_status": "REVIEWED"}
}
`

// advisoryZip is the demo's advisory set: a zip as osv.dev publishes one
// per ecosystem, with fixed times so that its pinned sha256 holds.
func advisoryZip() ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "GO-2024-2687.json", Method: zip.Deflate, Modified: time.Date(2024, 5, 20, 16, 3, 47, 0, time.UTC)})
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, advisory); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// run runs a program in dir and returns its standard output.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
