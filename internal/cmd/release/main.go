// Command release makes sovcheck's own release (package internal/release);
// 'make release' runs it.
//
// Usage:
//
//	go run ./internal/cmd/release [-out bin/release] [-key FILE] [-platforms linux/amd64,...|host]
//	  [-registry HOST[:PORT]/REPO [-insecure]]
//
// Without -key a throwaway ECDSA P-256 key is made and kept in the release
// directory (release.key): fine for trying a release, never for publishing
// one.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/release"
	"github.com/sovcheck/sovcheck/rebuild"
)

func main() {
	out := flag.String("out", "bin/release", "release directory, inside the clone")
	keyPath := flag.String("key", "", "PEM private key FILE (ECDSA or Ed25519) that signs the release")
	platforms := flag.String("platforms", strings.Join(release.DefaultPlatforms, ","), "comma-separated GOOS/GOARCH, or host")
	registry := flag.String("registry", "", "push the image to HOST[:PORT]/REPO")
	insecure := flag.Bool("insecure", false, "reach the registry over plain HTTP")
	tag := flag.String("tag", "", "the image's tag (default: the release's module version)")
	flag.Parse()
	if err := run(*out, *keyPath, *platforms, *registry, *tag, *insecure); err != nil {
		fmt.Fprintln(os.Stderr, "release: error:", err)
		os.Exit(1)
	}
}

func run(out, keyPath, platforms, registry, tag string, insecure bool) error {
	src, err := os.Getwd()
	if err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	key, err := signingKey(keyPath, out)
	if err != nil {
		return err
	}
	var ps []string
	for _, p := range strings.Split(platforms, ",") {
		if p = strings.TrimSpace(p); p == "host" {
			p = release.HostPlatform()
		}
		ps = append(ps, p)
	}
	res, err := release.Make(context.Background(), release.Options{Source: src, Out: out, Platforms: ps, Key: key,
		Registry: registry, Tag: tag, Insecure: insecure, Log: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Printf("release %s (commit %s) in %s\n", res.Version, res.Commit, out)
	for _, a := range res.Artifacts {
		fmt.Printf("  %s  sha256:%s\n", a.Path, a.SHA256)
	}
	if res.Image != "" {
		fmt.Printf("image %s (tag %s)\n", res.Image, res.Tag)
	}
	return nil
}

// signingKey reads the release key, or makes a throwaway one in out.
func signingKey(path, out string) (crypto.Signer, error) {
	if path != "" {
		return rebuild.ReadSigningKey(path)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(out, "release.key")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "release: WARNING: no KEY given: signed with a throwaway key made now, %s; fine for trying a release, never for publishing one (make release KEY=FILE)\n", p)
	return k, nil
}
