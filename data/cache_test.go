package data

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// A pull run again with the cache asks the proxy nothing and writes the
// same snapshot; a run that failed half-way (the proxy went down) resumes:
// the second run asks only for what the first did not get.
func TestPullCache(t *testing.T) {
	dir := goProxyDir(t)
	var requests atomic.Int64
	var down atomic.Bool
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if down.Load() && strings.Contains(r.URL.Path, "golang.org/x/mod") {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return now })
	c, err := OpenCache(t.TempDir(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pull := func() []byte {
		t.Helper()
		gp, err := NewGoProxy(srv.URL, srv.Client(), clock, WithCache(c))
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"pkg:golang/example.com/old", "pkg:golang/golang.org/x/mod", "pkg:golang/example.com/nothere"}
		rd, err := Pull(context.Background(), keys, []Source{gp}, clock)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rd)
		return b
	}

	down.Store(true)
	partial := pull()
	if !strings.Contains(string(partial), reason.RiskDataLookupFailed) {
		t.Fatalf("the proxy was down for x/mod, yet: %s", partial)
	}
	first := requests.Load()
	down.Store(false)
	full := pull()
	// example.com/old (list, info, mod) and the unknown module's 404 came
	// from the cache; only x/mod's three requests went out.
	if got := requests.Load() - first; got != 3 {
		t.Errorf("resumed run made %d requests, want 3 (x/mod only)", got)
	}
	if hits, _ := c.Stats(); hits != 4 {
		t.Errorf("cache hits %d, want 4", hits)
	}
	before := requests.Load()
	again := pull()
	if requests.Load() != before {
		t.Errorf("hot run made %d requests, want none", requests.Load()-before)
	}
	if string(again) != string(full) {
		t.Errorf("hot run wrote another snapshot:\n%s\n%s", again, full)
	}

	// Stale entries are read again; no partial entry is ever left.
	now = now.Add(48 * time.Hour)
	pull()
	if requests.Load() == before {
		t.Error("stale cache entries were not read again")
	}
	filepath.WalkDir(c.dir, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(filepath.Base(p), ".partial-") {
			t.Errorf("partial entry left: %s", p)
		}
		return nil
	})
}

func TestOpenCache(t *testing.T) {
	if _, err := OpenCache(t.TempDir(), 0); reason.CodeOf(err, "") != reason.InputMalformed {
		t.Errorf("zero max age: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := OpenCache(filepath.Join(f, "sub"), time.Hour); reason.CodeOf(err, "") != reason.InputUnreadable {
		t.Errorf("cache under a file: %v", err)
	}
}
