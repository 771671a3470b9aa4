package verify

import (
	"io"
	"log/slog"

	"github.com/sovcheck/sovcheck/attest"
)

// Trust snapshots, for the trust command: the command line reaches attest
// only through verify. The snapshot is attest's; these are its names here.
type (
	TrustSnapshot   = attest.TrustSnapshot
	TUFRole         = attest.TUFRole
	SnapshotTarget  = attest.SnapshotTarget
	TrustPullOption = attest.PullOption
)

// PullTrustSnapshot refreshes a TUF repository and returns a trust
// snapshot (attest.PullTrustSnapshot).
func PullTrustSnapshot(cacheDir string, opts ...TrustPullOption) (*TrustSnapshot, error) {
	return attest.PullTrustSnapshot(cacheDir, opts...)
}

// ReadTrustSnapshot reads and validates a trust snapshot
// (attest.ReadTrustSnapshot).
func ReadTrustSnapshot(r io.Reader) (*TrustSnapshot, error) { return attest.ReadTrustSnapshot(r) }

// WithTUFRepository pulls from url trusting rootJSON (attest.WithTUFRepository).
func WithTUFRepository(url string, rootJSON []byte) TrustPullOption {
	return attest.WithTUFRepository(url, rootJSON)
}

// WithTrustPullLogger logs the pull to l (attest.WithPullLogger).
func WithTrustPullLogger(l *slog.Logger) TrustPullOption { return attest.WithPullLogger(l) }
