package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestVerifyKeepsOrderAndIsolatesFailures(t *testing.T) {
	paths, root := writeSigned(t, 9)
	// Break the fifth artifact only.
	if err := os.WriteFile(paths[4], []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(withConfig(config{TrustedRoot: root, Identity: &Identity{Subject: benchIdentity, Issuer: benchIssuer}, Concurrency: 3}))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := r.Verify(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if v.Subject.Name != paths[i] {
			t.Fatalf("verdict %d is for %s, want %s", i, v.Subject.Name, paths[i])
		}
		if want := i != 4; v.Passed() != want {
			t.Fatalf("verdict %d passed = %v, want %v (%s)", i, v.Passed(), want, v.Reason)
		}
	}
	if vs[4].Reason != reason.DigestMismatch {
		t.Fatalf("broken artifact reason = %s, want %s", vs[4].Reason, reason.DigestMismatch)
	}
}

func TestVerifyCancelled(t *testing.T) {
	paths, root := writeSigned(t, 2)
	r, err := New(withConfig(config{TrustedRoot: root, Identity: &Identity{Subject: benchIdentity, Issuer: benchIssuer}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if vs, err := r.Verify(ctx, paths); !errors.Is(err, context.Canceled) || vs != nil {
		t.Fatalf("Verify on a cancelled context = %v, %v", vs, err)
	}
}

func TestNewConfigErrors(t *testing.T) {
	_, root := writeSigned(t, 1)
	id := &Identity{Subject: benchIdentity, Issuer: benchIssuer}
	for _, tc := range []struct {
		name string
		opts config
		code string
	}{
		{"no signer", config{TrustedRoot: root}, reason.EvidenceMissing},
		{"both signers", config{TrustedRoot: root, Identity: id, Key: "k.pub"}, reason.InputMalformed},
		{"offline without root", config{Offline: true, Identity: id}, reason.TrustRootMissing},
		{"unreadable root", config{TrustedRoot: filepath.Join(t.TempDir(), "nope.json"), Identity: id}, reason.TrustRootMissing},
		{"layout only with provenance flags", config{Layout: &Layout{}, Provenance: Provenance{SourceTag: "v1"}}, reason.EvidenceMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(withConfig(tc.opts))
			var ce *ConfigError
			if r != nil || !errors.As(err, &ce) || ce.Reason.Code != tc.code {
				t.Fatalf("New = %v, %v; want ConfigError %s", r, err, tc.code)
			}
		})
	}
}
