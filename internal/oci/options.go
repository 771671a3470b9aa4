package oci

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Option configures a Client. Options validate their values: NewClient
// fails with the first invalid one.
type Option func(*config) error

type config struct {
	insecure   []string
	timeout    time.Duration
	attempts   int
	retryDelay time.Duration
	offline    bool
	logger     *slog.Logger
}

// WithInsecureRegistries names the registry hosts (host or host:port,
// exactly as in image references) that may be reached over plain HTTP. It
// replaces the hosts of an earlier WithInsecureRegistries.
func WithInsecureRegistries(hosts ...string) Option {
	return func(c *config) error {
		for _, h := range hosts {
			if h == "" || strings.ContainsAny(h, "/ ") {
				return fmt.Errorf("invalid insecure registry %q: want HOST or HOST:PORT", h)
			}
		}
		c.insecure = hosts
		return nil
	}
}

// WithTimeout bounds the registry work for one image (see Client.Timeout);
// zero keeps DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("negative timeout, attempts or retry delay")
		}
		if d > 0 {
			c.timeout = d
		}
		return nil
	}
}

// WithRetries sets how often a request that failed with a transient error
// is tried in all, and the wait before the first retry (it doubles for
// each further one); zero keeps DefaultAttempts or DefaultRetryDelay.
func WithRetries(attempts int, delay time.Duration) Option {
	return func(c *config) error {
		if attempts < 0 || delay < 0 {
			return errors.New("negative timeout, attempts or retry delay")
		}
		if attempts > 0 {
			c.attempts = attempts
		}
		if delay > 0 {
			c.retryDelay = delay
		}
		return nil
	}
}

// WithOffline makes the Client refuse registry references when offline is
// true (--offline); layouts and archives still open.
func WithOffline(offline bool) Option {
	return func(c *config) error {
		c.offline = offline
		return nil
	}
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}
