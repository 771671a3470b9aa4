package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/sovcheck/sovcheck/internal/atomicfile"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Cache keeps registry responses on disk, keyed by source kind and request
// URL, so that a pull run again reuses what an earlier run read, and a run
// that was killed resumes where it stopped: every response is written
// whole (a temporary file renamed into place) or not at all. A response
// older than the cache's maximum age is read again. Failed lookups are not
// kept, so a rerun asks again; "not found" answers are kept as such.
type Cache struct {
	dir     string
	maxAge  time.Duration
	hits    atomic.Int64
	fetched atomic.Int64
}

// OpenCache opens (and makes) the cache directory dir; entries older than
// maxAge are stale.
func OpenCache(dir string, maxAge time.Duration) (*Cache, error) {
	if maxAge <= 0 {
		return nil, reason.New(reason.InputMalformed, "give a positive maximum age, e.g. 24h", "cache maximum age %v is not positive", maxAge)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the cache directory can be made and written", "making cache %s", dir)
	}
	return &Cache{dir: dir, maxAge: maxAge}, nil
}

// Stats returns the responses read from the cache and from the sources.
func (c *Cache) Stats() (hits, fetched int) {
	return int(c.hits.Load()), int(c.fetched.Load())
}

// cache is the unexported face sources hold; a nil *cache fetches.
type cache = Cache

// suffixes of cache entries: a response body, or a "not found" answer.
const (
	cacheBody     = ".body"
	cacheNotFound = ".notfound"
)

// get returns the response to url, from the cache when it holds a fresh
// one, else from fetch (and keeps it), with the time it was read.
func (c *Cache) get(ctx context.Context, kind, url string, limit int64, fetch func(context.Context) ([]byte, error), now func() time.Time) ([]byte, time.Time, error) {
	if c == nil {
		body, err := fetch(ctx)
		return body, now(), err
	}
	sum := sha256.Sum256([]byte(kind + "\x00" + url))
	name := hex.EncodeToString(sum[:])
	base := filepath.Join(c.dir, kind, name[:2], name)
	t := now()
	if fi, err := os.Stat(base + cacheBody); err == nil && t.Sub(fi.ModTime()) <= c.maxAge {
		if f, err := os.Open(base + cacheBody); err == nil {
			body, err := readBounded(f, limit, base+cacheBody)
			f.Close()
			if err == nil {
				c.hits.Add(1)
				return body, fi.ModTime(), nil
			}
		}
	}
	if fi, err := os.Stat(base + cacheNotFound); err == nil && t.Sub(fi.ModTime()) <= c.maxAge {
		c.hits.Add(1)
		return nil, fi.ModTime(), reason.New(reason.RiskDataNotFound, "the source did not know the package when it was last asked; clear the cache to ask again",
			"requesting %s: not found (cached %s)", url, fi.ModTime().UTC().Format(time.RFC3339))
	}
	body, err := fetch(ctx)
	c.fetched.Add(1)
	switch {
	case err == nil:
		return body, t, c.put(base+cacheBody, body, t)
	case reason.CodeOf(err, "") == reason.RiskDataNotFound:
		if perr := c.put(base+cacheNotFound, nil, t); perr != nil {
			return nil, t, perr
		}
	}
	return body, t, err
}

// put writes an entry whole, then dates it t.
func (c *Cache) put(path string, body []byte, t time.Time) error {
	fail := func(err error) error {
		return reason.Wrap(err, reason.InputUnreadable, "check that the cache directory is writable, or pull without --cache", "writing cache entry %s", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fail(err)
	}
	if err := atomicfile.Write(path, body, t); err != nil {
		return fail(err)
	}
	return nil
}
