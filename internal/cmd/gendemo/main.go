// Command gendemo writes sovcheck's demo material: an artifact, its
// Sigstore signature bundle, a signed SLSA v1 provenance, and the trusted
// root of the virtual Sigstore that signed them. The material is committed
// under testdata/demo so that `make demo` runs offline on a fresh clone;
// this generator is how it was made (`make demo-material` makes it anew,
// with new keys).
//
// The virtual Sigstore's windows run for ten years from generation, and
// verification rests on the transparency log time, so the committed
// material keeps verifying long after it was made.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

const (
	artifactName = "tool-linux-amd64"
	repo         = "github.com/acme/tool"
	ref          = "refs/tags/v1.2.0"
	workflow     = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	issuer       = "https://token.actions.githubusercontent.com"
	commit       = "0c1b2a3d4e5f60718293a4b5c6d7e8f901234567"
)

var artifact = []byte("#!/bin/sh\n# acme tool v1.2.0: the demo artifact of sovcheck\necho 'acme tool v1.2.0'\n")

func main() {
	out := flag.String("out", "testdata/demo", "directory to write the demo material to")
	flag.Parse()
	if err := generate(*out, time.Now()); err != nil {
		fmt.Fprintf(os.Stderr, "gendemo: error: %v\n", err)
		os.Exit(1)
	}
}

func generate(dir string, now time.Time) error {
	ca, err := sigstoretest.New(sigstoretest.WithNow(now), sigstoretest.WithValidity(now.Add(-time.Hour), now.AddDate(10, 0, 0)))
	if err != nil {
		return err
	}
	claims := &sigstoretest.GitHubClaims{
		BuildSignerURI:         workflow,
		RunnerEnvironment:      "github-hosted",
		SourceRepositoryURI:    "https://" + repo,
		SourceRepositoryDigest: commit,
		SourceRepositoryRef:    ref,
		BuildConfigURI:         workflow,
		BuildTrigger:           "push",
	}
	opts := sigstoretest.SignOptions{Identity: workflow, Issuer: issuer, GitHub: claims, TSA: sigstoretest.TSAWithCerts}
	signature, err := ca.SignBlob(artifact, opts)
	if err != nil {
		return fmt.Errorf("signing artifact: %w", err)
	}
	sum := sha256.Sum256(artifact)
	predicate := map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"ref": ref, "repository": "https://" + repo, "path": ".github/workflows/release.yml"}},
			"resolvedDependencies": []any{map[string]any{
				"uri": "git+https://" + repo + "@" + ref, "digest": map[string]string{"gitCommit": commit}}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": workflow}},
	}
	statement, err := sigstoretest.Statement(map[string]string{artifactName: hex.EncodeToString(sum[:])}, "https://slsa.dev/provenance/v1", predicate)
	if err != nil {
		return err
	}
	provenance, err := ca.SignDSSE(statement, opts)
	if err != nil {
		return fmt.Errorf("signing provenance: %w", err)
	}
	var compact json.RawMessage = provenance
	line, err := json.Marshal(compact)
	if err != nil {
		return err
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		artifactName:                    artifact,
		artifactName + ".sigstore.json": signature,
		artifactName + ".intoto.jsonl":  append(line, '\n'),
		"trusted_root.json":             root,
	}
	for name, data := range files {
		mode := os.FileMode(0o644)
		if name == artifactName {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			return err
		}
	}
	return nil
}
