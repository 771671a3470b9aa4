package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

const testSigningConfig = `{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json"}`

// virtualTrustedRoot returns the trusted root of a fresh virtual Sigstore,
// and the Authority that made it.
func virtualTrustedRoot(t *testing.T) ([]byte, *sigstoretest.Authority) {
	t.Helper()
	auth, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := auth.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	return trJSON, auth
}

// serveTUF serves a fresh TUF repository holding targets on loopback.
func serveTUF(t *testing.T, targets map[string][]byte) (*sigstoretest.TUFRepo, *httptest.Server) {
	t.Helper()
	repo, err := sigstoretest.NewTUFRepo(time.Now(), targets)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(repo)
	t.Cleanup(srv.Close)
	return repo, srv
}

// newTUFServer serves a fresh TUF repository holding a trusted root from a
// fresh virtual Sigstore, and a signing config, on loopback.
func newTUFServer(t *testing.T) (*sigstoretest.TUFRepo, *httptest.Server, []byte) {
	t.Helper()
	trJSON, _ := virtualTrustedRoot(t)
	repo, srv := serveTUF(t, map[string][]byte{TrustedRootTarget: trJSON, SigningConfigTarget: []byte(testSigningConfig)})
	return repo, srv, trJSON
}

func pull(t *testing.T, repo *sigstoretest.TUFRepo, srv *httptest.Server, cache string) (*TrustSnapshot, error) {
	t.Helper()
	return PullTrustSnapshot(cache, WithTUFRepository(srv.URL, repo.RootJSON()))
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var re *reason.Error
	if !errors.As(err, &re) || re.Code != code {
		t.Fatalf("got error %v (code %q), want code %s", err, reason.CodeOf(err, ""), code)
	}
	if re.Hint == "" {
		t.Errorf("%s error without a hint", code)
	}
}

func TestPullTrustSnapshot(t *testing.T) {
	repo, srv, trJSON := newTUFServer(t)
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.TrustedRoot, trJSON) || string(s.SigningConfig) != testSigningConfig {
		t.Errorf("snapshot holds other trust material than the repository serves")
	}
	if s.Repository != srv.URL || s.MediaType != vocab.MediaTypeTrustSnapshot {
		t.Errorf("got repository %q media type %q", s.Repository, s.MediaType)
	}
	for i, role := range []string{"root", "targets", "snapshot", "timestamp"} {
		if s.Metadata[i].Role != role || s.Metadata[i].Version != 1 {
			t.Errorf("metadata %d: got %s v%d, want %s v1", i, s.Metadata[i].Role, s.Metadata[i].Version, role)
		}
	}
	if at, role := s.Expires(); role != "timestamp" || at.Before(time.Now().Add(6*24*time.Hour)) {
		t.Errorf("got expiry %s (%s), want the timestamp's, in 7 days", at, role)
	}
	if _, err := s.ParsedTrustedRoot(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(time.Now(), time.Hour); err != nil {
		t.Errorf("fresh snapshot: %v", err)
	}
}

func TestPullTrustSnapshotWithoutSigningConfig(t *testing.T) {
	trJSON, _ := virtualTrustedRoot(t)
	repo, srv := serveTUF(t, map[string][]byte{TrustedRootTarget: trJSON})
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.SigningConfig != nil || len(s.Targets) != 1 {
		t.Errorf("got signing config %q and %d targets, want none and 1", s.SigningConfig, len(s.Targets))
	}
	// The twin: a repository without a trusted root gives no snapshot.
	empty, srv2 := serveTUF(t, map[string][]byte{SigningConfigTarget: []byte(testSigningConfig)})
	_, err = pull(t, empty, srv2, t.TempDir())
	wantCode(t, err, reason.TrustRootMissing)
}

func TestPullTrustSnapshotRootRotation(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	if err := repo.RotateRoot(); err != nil {
		t.Fatal(err)
	}
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if s.Metadata[0].Version != 2 {
		t.Errorf("got root version %d, want 2 after the rotation", s.Metadata[0].Version)
	}
	// The twin: a new root not signed by the old root key is refused.
	repo2, srv2, _ := newTUFServer(t)
	if err := repo2.RotateRootUnsigned(); err != nil {
		t.Fatal(err)
	}
	_, err = pull(t, repo2, srv2, t.TempDir())
	wantCode(t, err, reason.TUFSignatureInvalid)
}

func TestPullTrustSnapshotExpired(t *testing.T) {
	for name, expire := range map[string]func(*sigstoretest.TUFRepo) error{
		"timestamp": (*sigstoretest.TUFRepo).ExpireTimestamp,
		"snapshot":  (*sigstoretest.TUFRepo).ExpireSnapshot,
	} {
		t.Run(name, func(t *testing.T) {
			repo, srv, _ := newTUFServer(t)
			if _, err := pull(t, repo, srv, t.TempDir()); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			if err := expire(repo); err != nil {
				t.Fatal(err)
			}
			_, err := pull(t, repo, srv, t.TempDir())
			wantCode(t, err, reason.TUFMetadataExpired)
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name the %s role", err, name)
			}
		})
	}
}

func TestPullTrustSnapshotTamperedTarget(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	if err := repo.TamperTarget(TrustedRootTarget); err != nil {
		t.Fatal(err)
	}
	_, err := pull(t, repo, srv, t.TempDir())
	wantCode(t, err, reason.TUFTargetMismatch)
}

func TestPullTrustSnapshotRollback(t *testing.T) {
	repo, srv, trJSON := newTUFServer(t)
	cache := t.TempDir()
	if _, err := pull(t, repo, srv, cache); err != nil {
		t.Fatal(err)
	}
	if err := repo.SetTarget(SigningConfigTarget, []byte(strings.Replace(testSigningConfig, " ", "  ", 1))); err != nil {
		t.Fatal(err)
	}
	s, err := pull(t, repo, srv, cache)
	if err != nil {
		t.Fatal(err)
	}
	if s.Metadata[3].Version != 2 || !bytes.Equal(s.TrustedRoot, trJSON) {
		t.Fatalf("got timestamp version %d, want 2", s.Metadata[3].Version)
	}
	if err := repo.ServeTimestamp(1); err != nil {
		t.Fatal(err)
	}
	_, err = pull(t, repo, srv, cache)
	wantCode(t, err, reason.TUFRollback)
	// A client without the cache has no memory of version 2: the older
	// but still valid repository state is what it trusts.
	if s, err := pull(t, repo, srv, t.TempDir()); err != nil || s.Metadata[3].Version != 1 {
		t.Fatalf("fresh cache: got %v, want timestamp version 1", err)
	}
}

func TestPullTrustSnapshotUnreachable(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	url := srv.URL
	srv.Close()
	_, err := PullTrustSnapshot(t.TempDir(), WithTUFRepository(url, repo.RootJSON()))
	wantCode(t, err, reason.TUFFetchFailed)
	if _, err := PullTrustSnapshot(t.TempDir(), WithTUFRepository(url, []byte("{}"))); err == nil {
		t.Error("a TUF root that is not one was accepted")
	}
}

func TestTrustSnapshotCheck(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expires, _ := s.Expires()
	for _, tc := range []struct {
		name   string
		now    time.Time
		maxAge time.Duration
		code   string
	}{
		{"fresh", s.AsOf.Add(time.Hour), 0, ""},
		{"within max age", s.AsOf.Add(time.Hour), 2 * time.Hour, ""},
		{"older than max age", s.AsOf.Add(3 * time.Hour), 2 * time.Hour, reason.TrustSnapshotStale},
		{"expired", expires, 0, reason.TrustSnapshotExpired},
		{"expired beats stale", expires.Add(time.Hour), time.Hour, reason.TrustSnapshotExpired},
		{"dated in the future", s.AsOf.Add(-time.Minute), 0, reason.TrustSnapshotInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Check(tc.now, tc.maxAge)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

func TestCheckTrustAge(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTrustAge(nil, time.Now(), 0); err != nil {
		t.Errorf("no requirement, plain root: %v", err)
	}
	if err := CheckTrustAge(s, s.AsOf.Add(time.Hour), 2*time.Hour); err != nil {
		t.Errorf("young snapshot: %v", err)
	}
	wantCode(t, CheckTrustAge(s, s.AsOf.Add(3*time.Hour), 2*time.Hour), reason.TrustSnapshotStale)
	wantCode(t, CheckTrustAge(nil, time.Now(), time.Hour), reason.TrustSnapshotInvalid)
}

func TestReadTrustSnapshot(t *testing.T) {
	repo, srv, _ := newTUFServer(t)
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "trust.json")
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	tr, snap, err := ReadTrustedRootOrSnapshotFile(path)
	if err != nil || tr == nil || snap == nil {
		t.Fatalf("snapshot file: got %v, %v, %v", tr, snap, err)
	}
	plain := filepath.Join(dir, "root.json")
	if err := os.WriteFile(plain, s.TrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	if tr, snap, err := ReadTrustedRootOrSnapshotFile(plain); err != nil || tr == nil || snap != nil {
		t.Fatalf("plain trusted root: got %v, %v, %v", tr, snap, err)
	}
	edit := func(f func(*TrustSnapshot)) []byte {
		var c TrustSnapshot
		if err := json.Unmarshal(good, &c); err != nil {
			t.Fatal(err)
		}
		f(&c)
		out, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for name, data := range map[string][]byte{
		"not json":         []byte("{"),
		"other media type": edit(func(c *TrustSnapshot) { c.MediaType = "application/json" }),
		"no as-of":         edit(func(c *TrustSnapshot) { c.AsOf = time.Time{} }),
		"role missing":     edit(func(c *TrustSnapshot) { c.Metadata = c.Metadata[:3] }),
		"roles reordered":  edit(func(c *TrustSnapshot) { c.Metadata[0], c.Metadata[1] = c.Metadata[1], c.Metadata[0] }),
		"version zero":     edit(func(c *TrustSnapshot) { c.Metadata[2].Version = 0 }),
		"root edited": edit(func(c *TrustSnapshot) {
			c.TrustedRoot = []byte(strings.Replace(string(c.TrustedRoot), "{", "{ ", 1))
		}),
		"target dropped":  edit(func(c *TrustSnapshot) { c.Targets = c.Targets[:1] }),
		"signing config":  edit(func(c *TrustSnapshot) { c.SigningConfig = nil }),
		"root not a root": edit(func(c *TrustSnapshot) { c.TrustedRoot = []byte(`{}`) }),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := ReadTrustSnapshot(bytes.NewReader(data))
			if s != nil {
				t.Error("got a snapshot with the error")
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if c := reason.CodeOf(err, ""); c != reason.TrustSnapshotInvalid && c != reason.TrustRootInvalid {
				t.Errorf("got code %s, want %s", c, reason.TrustSnapshotInvalid)
			}
		})
	}
	_, err = ReadTrustSnapshot(bytes.NewReader(append(good, bytes.Repeat([]byte(" "), MaxTrustSnapshotSize)...)))
	wantCode(t, err, reason.InputTooLarge)
}

func FuzzReadTrustSnapshot(f *testing.F) {
	f.Add([]byte(`{"mediaType":"` + vocab.MediaTypeTrustSnapshot + `","asOf":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadTrustSnapshot(bytes.NewReader(data))
		if (s == nil) == (err == nil) {
			t.Fatalf("got snapshot %v and error %v", s, err)
		}
	})
}

// TestPullTrustSnapshotInterop carries the real public-good trusted root
// through a TUF repository on loopback and back out of the snapshot, and
// reads sigstore-go's embedded public-good TUF root as --tuf-root.
func TestPullTrustSnapshotInterop(t *testing.T) {
	dir := interopDir(t)
	trJSON, err := os.ReadFile(filepath.Join(dir, "public-good-trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	repo, srv := serveTUF(t, map[string][]byte{TrustedRootTarget: trJSON})
	s, err := pull(t, repo, srv, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.ParsedTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 || len(tr.RekorLogs()) == 0 || len(tr.CTLogs()) == 0 {
		t.Errorf("public-good root lost material: %d CAs, %d Rekor logs, %d CT logs", len(tr.FulcioCertificateAuthorities()), len(tr.RekorLogs()), len(tr.CTLogs()))
	}
	// The embedded public-good TUF root is accepted as a trust anchor; the
	// pull then fails only because nothing serves it here.
	_, err = PullTrustSnapshot(t.TempDir(), WithTUFRepository("http://127.0.0.1:1", tuf.DefaultRoot()))
	wantCode(t, err, reason.TUFFetchFailed)
}
