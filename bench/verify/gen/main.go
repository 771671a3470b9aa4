// Command gen writes N signed artifacts for sovcheck's verification
// benchmark: a trusted root of a fresh virtual Sigstore, and for each
// artifact its keyless Sigstore bundle beside it (ARTIFACT.sigstore.json).
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

const (
	identity = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	issuer   = "https://token.actions.githubusercontent.com"
)

func main() {
	n := flag.Int("n", 1000, "number of artifacts")
	size := flag.Int("size", 64<<10, "bytes per artifact")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if err := run(*out, *n, *size); err != nil {
		fmt.Fprintf(os.Stderr, "gen: error: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, n, size int) error {
	if dir == "" {
		return fmt.Errorf("-out is required")
	}
	if err := os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755); err != nil {
		return err
	}
	ca, err := sigstoretest.New()
	if err != nil {
		return err
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), root, 0o644); err != nil {
		return err
	}
	for i := range n {
		data := make([]byte, size)
		if _, err := rand.Read(data); err != nil {
			return err
		}
		b, err := ca.SignBlob(data, sigstoretest.SignOptions{Identity: identity, Issuer: issuer})
		if err != nil {
			return err
		}
		path := filepath.Join(dir, "artifacts", fmt.Sprintf("a%04d", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(path+".sigstore.json", b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
