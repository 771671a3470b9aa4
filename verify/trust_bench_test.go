package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

// BenchmarkVerifyTrustRootsWitnesses verifies the bundles of
// BenchmarkVerifyKeyless, their checkpoints cosigned by 3 of 5 witnesses,
// against 3 named roots (the validating one last) with a 3-of-5 witness
// quorum; bench/verify/run.sh prints the ratio to the single-root verify.
func BenchmarkVerifyTrustRootsWitnesses(b *testing.B) {
	paths, root := writeSigned(b, 100)
	dir := b.TempDir()
	var roots []Option
	for _, name := range []string{"eu", "ch"} {
		other, err := sigstoretest.New()
		if err != nil {
			b.Fatal(err)
		}
		data, err := other.TrustedRootJSON()
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		roots = append(roots, WithNamedTrustedRoot(TrustRoot{Name: name, Path: p}))
	}
	roots = append(roots, WithNamedTrustedRoot(TrustRoot{Name: "pgi", Path: root}))
	var list []byte
	var cosigners []note.Signer
	for i := range 5 {
		w, err := sigstoretest.NewWitness(fmt.Sprintf("witness-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		list = fmt.Appendf(list, "%s operator-%d\n", w.VerifierKey, i)
		if i < 3 {
			cosigners = append(cosigners, w.Signer())
		}
	}
	witnesses := filepath.Join(dir, "witnesses.txt")
	if err := os.WriteFile(witnesses, list, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p + ".sigstore.json")
		if err != nil {
			b.Fatal(err)
		}
		cosigned, err := sigstoretest.Cosign(data, cosigners...)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p+".sigstore.json", cosigned, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	opts := append(roots, WithWitnesses(witnesses, 3), WithIdentity(Identity{Subject: benchIdentity, Issuer: benchIssuer}))
	r, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, r, paths)
}
