package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

const (
	benchIdentity = "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0"
	benchIssuer   = "https://token.actions.githubusercontent.com"
)

// writeSigned writes n signed artifacts with their bundles beside them and
// returns the artifact paths and the trusted root path.
func writeSigned(tb testing.TB, n int) ([]string, string) {
	tb.Helper()
	dir := tb.TempDir()
	ca, err := sigstoretest.New()
	if err != nil {
		tb.Fatal(err)
	}
	root, err := ca.TrustedRootJSON()
	if err != nil {
		tb.Fatal(err)
	}
	rootPath := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(rootPath, root, 0o644); err != nil {
		tb.Fatal(err)
	}
	var paths []string
	for i := range n {
		data := []byte(fmt.Sprintf("artifact %d", i))
		b, err := ca.SignBlob(data, sigstoretest.SignOptions{Identity: benchIdentity, Issuer: benchIssuer})
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("a%04d", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p+".sigstore.json", b, 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths, rootPath
}

func BenchmarkVerifyKeyless(b *testing.B) {
	paths, root := writeSigned(b, 100)
	r, err := New(WithTrustedRoot(root), WithIdentity(Identity{Subject: benchIdentity, Issuer: benchIssuer}))
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, r, paths)
}

// benchVerify verifies paths with r b.N times, fails on any verdict that
// does not pass, and reports bundles per second.
func benchVerify(b *testing.B, r *Runner, paths []string) {
	b.Helper()
	b.ResetTimer()
	for b.Loop() {
		vs, err := r.Verify(context.Background(), paths)
		if err != nil {
			b.Fatal(err)
		}
		for _, v := range vs {
			if !v.Passed() {
				b.Fatalf("%s: %s", v.Subject.Name, v.Reason)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(paths))/b.Elapsed().Seconds(), "bundles/s")
}
