package data

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// Source answers lookups for the packages it handles.
type Source interface {
	// Kind names the source in snapshots: goproxy, debian-index, ...
	Kind() string
	// Handles reports whether key (a versionless purl) is this source's.
	Handles(key string) bool
	// Lookup returns the facts of key and every source record it read. A
	// package the source does not know is an error with code
	// reason.RiskDataNotFound.
	Lookup(ctx context.Context, key string) (*sbom.PackageFacts, []sbom.RiskDataSource, error)
}

// Limits bound what a pull reads.
type Limits struct {
	// MaxResponseBytes is the largest registry response read.
	MaxResponseBytes int64
	// MaxIndexBytes is the largest index file read, uncompressed.
	MaxIndexBytes int64
	// MaxPackages is the most packages one pull asks about.
	MaxPackages int
}

// DefaultLimits admit a full Debian main index (some 400 MiB
// uncompressed for Sources) and the largest npm packuments.
func DefaultLimits() Limits {
	return Limits{MaxResponseBytes: 64 << 20, MaxIndexBytes: 1 << 30, MaxPackages: 1_000_000}
}

// Option configures Pull.
type Option func(*options) error

type options struct {
	concurrency int
	timeout     time.Duration
	logger      *slog.Logger
	now         func() time.Time
	progress    func(done, total int)
	limits      Limits
	cache       *Cache
}

// WithConcurrency bounds the lookups in flight (default 8).
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("concurrency %d, want at least 1", n)
		}
		o.concurrency = n
		return nil
	}
}

// WithTimeout bounds each lookup (default 30s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("timeout %v, want a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}

// WithLogger logs each lookup.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithClock sets the clock that dates the snapshot and its sources.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("nil clock")
		}
		o.now = now
		return nil
	}
}

// WithProgress is called after each lookup.
func WithProgress(f func(done, total int)) Option {
	return func(o *options) error { o.progress = f; return nil }
}

// WithLimits replaces the default limits.
func WithLimits(l Limits) Option {
	return func(o *options) error {
		if l.MaxResponseBytes <= 0 || l.MaxIndexBytes <= 0 || l.MaxPackages <= 0 {
			return errors.New("data limits must be positive")
		}
		o.limits = l
		return nil
	}
}

// WithCache keeps registry responses in c, so that a rerun reuses them and
// a killed run resumes.
func WithCache(c *Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("nil cache")
		}
		o.cache = c
		return nil
	}
}

func newOptions(opts []Option) (*options, error) {
	o := &options{concurrency: 8, timeout: 30 * time.Second, logger: slog.New(slog.DiscardHandler), now: time.Now, limits: DefaultLimits()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Pull looks up every key (versionless purls, see sbom.PackageKey) in the
// first source that handles it and returns the snapshot. Keys no source
// handles are counted unknown. ctx cancels lookups not yet done; their
// packages are recorded as failures.
func Pull(ctx context.Context, keys []string, sources []Source, opts ...Option) (*sbom.RiskData, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	if len(keys) > 0 && keys[0] == "" {
		keys = keys[1:]
	}
	if len(keys) > o.limits.MaxPackages {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "too many packages to look up",
			Got: fmt.Sprint(len(keys)), Want: fmt.Sprintf("at most %d", o.limits.MaxPackages), Hint: "pull for fewer SBOMs at a time"}
	}
	rd := &sbom.RiskData{MediaType: vocab.MediaTypeRiskData, AsOf: o.now().UTC().Format(time.RFC3339),
		Sources: []sbom.RiskDataSource{}, Packages: []sbom.PackageFacts{}}
	rd.Counts.Packages = len(keys)
	var mu sync.Mutex
	seen := map[string]bool{}
	done := 0
	record := func(key string, f *sbom.PackageFacts, srcs []sbom.RiskDataSource, err error, kind string) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range srcs {
			if !seen[s.ID] {
				seen[s.ID] = true
				rd.Sources = append(rd.Sources, s)
			}
		}
		switch {
		case err != nil:
			rd.Counts.Unknown++
			re := reason.As(err, reason.RiskDataLookupFailed, "")
			rd.Failures = append(rd.Failures, sbom.RiskDataFailure{Key: key, Source: kind, Code: re.Code, Message: re.Error()})
			o.logger.Info("lookup failed", "package", key, "source", kind, "code", re.Code)
		case f != nil:
			rd.Counts.Found++
			rd.Packages = append(rd.Packages, *f)
		default:
			rd.Counts.Unknown++
		}
		done++
		if o.progress != nil {
			o.progress(done, len(keys))
		}
	}
	sem := make(chan struct{}, o.concurrency)
	var wg sync.WaitGroup
	for _, key := range keys {
		var handlers []Source
		for _, s := range sources {
			if s.Handles(key) {
				handlers = append(handlers, s)
			}
		}
		if len(handlers) == 0 {
			record(key, nil, nil, nil, "")
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			record(key, nil, nil, reason.Wrap(ctx.Err(), reason.RiskDataLookupFailed, "run the pull again", "looking up %s", key), handlers[0].Kind())
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			f, srcs, kind, err := lookupIn(ctx, o.timeout, key, handlers)
			record(key, f, srcs, err, kind)
		})
	}
	wg.Wait()
	slices.SortFunc(rd.Sources, func(a, b sbom.RiskDataSource) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(rd.Packages, func(a, b sbom.PackageFacts) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(rd.Failures, func(a, b sbom.RiskDataFailure) int { return cmp.Compare(a.Key, b.Key) })
	return rd, nil
}

// lookupIn asks the sources that handle key in the order given: the first
// that knows the package answers, and one that does not
// (reason.RiskDataNotFound) passes it on, as the index of a suite's
// security updates passes a package to the index of the suite itself. A
// lookup that fails otherwise stops there: the package stays unknown
// rather than answered by a source the user ranked lower.
func lookupIn(ctx context.Context, timeout time.Duration, key string, handlers []Source) (*sbom.PackageFacts, []sbom.RiskDataSource, string, error) {
	var read []sbom.RiskDataSource
	var notFound []*reason.Error
	for _, s := range handlers {
		lctx, cancel := context.WithTimeout(ctx, timeout)
		f, srcs, err := s.Lookup(lctx, key)
		cancel()
		read = append(read, srcs...)
		if err == nil || reason.CodeOf(err, "") != reason.RiskDataNotFound {
			return f, read, s.Kind(), err
		}
		notFound = append(notFound, reason.As(err, reason.RiskDataNotFound, ""))
	}
	if len(notFound) == 1 {
		return nil, read, handlers[0].Kind(), notFound[0]
	}
	msgs := make([]string, len(notFound))
	for i, e := range notFound {
		msgs[i] = e.Error()
	}
	return nil, read, handlers[0].Kind(), reason.New(reason.RiskDataNotFound, notFound[0].Hint, "%s", strings.Join(msgs, "; "))
}

// sourceRecord describes bytes read from url at t.
func sourceRecord(kind, url string, t time.Time, body []byte) sbom.RiskDataSource {
	sum := sha256.Sum256(body)
	return sbom.RiskDataSource{ID: url, Kind: kind, URL: url, FetchedAt: t.UTC().Format(time.RFC3339), SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(body))}
}
