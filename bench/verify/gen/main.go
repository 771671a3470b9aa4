// Command gen writes N signed artifacts for sovcheck's verification
// benchmark: a trusted root of a fresh virtual Sigstore, and for each
// artifact its keyless Sigstore bundle beside it (ARTIFACT.sigstore.json).
// For the no-single-point-of-trust measurement it also writes the trusted
// roots of two more virtual Sigstores (roots/eu.json, roots/ch.json), a
// list of five witnesses of distinct operators (witnesses.txt) and, under
// witnessed/, the same artifacts with their bundles' checkpoints cosigned
// by three of the five.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

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
	for _, sub := range []string{"artifacts", "witnessed", "roots"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, name := range []string{"eu", "ch"} {
		other, err := sigstoretest.New()
		if err != nil {
			return err
		}
		root, err := other.TrustedRootJSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "roots", name+".json"), root, 0o644); err != nil {
			return err
		}
	}
	var list []byte
	var cosigners []note.Signer
	for i := range 5 {
		w, err := sigstoretest.NewWitness(fmt.Sprintf("witness-%d", i))
		if err != nil {
			return err
		}
		list = fmt.Appendf(list, "%s operator-%d\n", w.VerifierKey, i)
		if i < 3 {
			cosigners = append(cosigners, w.Signer())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "witnesses.txt"), list, 0o644); err != nil {
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
		cosigned, err := sigstoretest.Cosign(b, cosigners...)
		if err != nil {
			return err
		}
		path = filepath.Join(dir, "witnessed", fmt.Sprintf("a%04d", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(path+".sigstore.json", cosigned, 0o644); err != nil {
			return err
		}
	}
	return nil
}
