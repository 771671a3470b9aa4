// Command gen pushes N random images to a registry and signs each one in
// cosign's format (a .sig tag) with a key of a fresh virtual Sigstore, for
// sovcheck's container image benchmark. It writes, under -out: the trusted
// root (trusted_root.json), the key pair (k.key, k.pub), the Rekor public
// key of the virtual log (rekor.pub, for cosign's SIGSTORE_REKOR_PUBLIC_KEY)
// and the image references, one per line (refs.txt).
package main

import (
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/oci/ocitest"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

func main() {
	registry := flag.String("registry", "", "registry host:port, reached over plain HTTP (required)")
	repo := flag.String("repo", "bench/app", "repository")
	n := flag.Int("n", 100, "number of images")
	layers := flag.Int("layers", 3, "layers per image")
	size := flag.Int64("size", 64<<10, "bytes per layer")
	noTlog := flag.Bool("notlog", false, "sign without a transparency log entry")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if err := run(*registry, *repo, *out, *n, *layers, *size, *noTlog); err != nil {
		fmt.Fprintf(os.Stderr, "gen: error: %v\n", err)
		os.Exit(1)
	}
}

func run(registry, repo, dir string, n, layers int, size int64, noTlog bool) error {
	if registry == "" || dir == "" {
		return fmt.Errorf("-registry and -out are required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
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
	key, err := sigstoretest.NewKey(sigstoretest.KeyECDSAP256)
	if err != nil {
		return err
	}
	priv, err := sigstoretest.PrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pub, err := sigstoretest.PublicKeyPEM(key)
	if err != nil {
		return err
	}
	rekor, err := rekorKey(root)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"trusted_root.json": root, "k.key": priv, "k.pub": pub, "rekor.pub": rekor} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	place, err := ocitest.NewRegistryPlace(registry, repo)
	if err != nil {
		return err
	}
	signer := ocitest.Signer{Authority: ca, Key: key, NoTlog: noTlog}
	var refs []string
	for i := range n {
		img, err := ocitest.RandomImage("linux/amd64", layers, size)
		if err != nil {
			return err
		}
		tag := fmt.Sprintf("v%04d", i)
		d, err := place.PutImage(tag, img)
		if err != nil {
			return err
		}
		if err := signer.Sign(place, d); err != nil {
			return err
		}
		refs = append(refs, fmt.Sprintf("%s/%s:%s", registry, repo, tag))
	}
	return os.WriteFile(filepath.Join(dir, "refs.txt"), []byte(strings.Join(refs, "\n")+"\n"), 0o644)
}

// rekorKey returns the PEM public key of the trusted root's Rekor v1 log.
func rekorKey(root []byte) ([]byte, error) {
	var tr struct {
		Tlogs []struct {
			BaseURL   string `json:"baseUrl"`
			PublicKey struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"tlogs"`
	}
	if err := json.Unmarshal(root, &tr); err != nil {
		return nil, fmt.Errorf("reading trusted root: %w", err)
	}
	for _, l := range tr.Tlogs {
		if !strings.Contains(l.BaseURL, "log2025") {
			return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: l.PublicKey.RawBytes}), nil
		}
	}
	return nil, fmt.Errorf("trusted root has no Rekor v1 log")
}
