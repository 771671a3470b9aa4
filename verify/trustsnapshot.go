package verify

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/attest/trustdoc"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
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

// ShowTrustSnapshot reads the trust snapshot at path and checks it at now
// (its TUF metadata unexpired; with maxAge > 0, pulled at most maxAge
// before now). The document says what the snapshot holds and the check's
// verdict; a failed check is also returned as failure, with its reason
// code and hint. An unreadable or malformed snapshot is err.
func ShowTrustSnapshot(path string, now time.Time, maxAge time.Duration) (doc *trustdoc.Show, failure *reason.Error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.InputUnreadable, "check the path of the trust snapshot", "opening trust snapshot")
	}
	defer f.Close()
	s, err := attest.ReadTrustSnapshot(f)
	if err != nil {
		return nil, nil, err
	}
	tr, err := s.ParsedTrustedRoot()
	if err != nil {
		return nil, nil, err
	}
	expires, role := s.Expires()
	doc = &trustdoc.Show{MediaType: vocab.MediaTypeTrustShow, File: filepath.Base(path), Repository: s.Repository, AsOf: s.AsOf,
		Expires: expires, ExpiresRole: role, CheckedAt: now, Status: "PASS", Metadata: s.Metadata, Targets: s.Targets,
		TrustedRoot: trustdoc.RootSummary{
			CertificateAuthorities:  len(tr.FulcioCertificateAuthorities()),
			TransparencyLogs:        len(tr.RekorLogs()),
			CTLogs:                  len(tr.CTLogs()),
			TimestampingAuthorities: len(tr.TimestampingAuthorities()),
		}}
	if checkErr := s.Check(now, maxAge); checkErr != nil {
		failure = reason.As(checkErr, reason.TrustSnapshotInvalid, "pull the snapshot again")
		doc.Status, doc.Reason, doc.Message = "FAIL", failure.Code, failure.Error()
	}
	return doc, failure, nil
}
