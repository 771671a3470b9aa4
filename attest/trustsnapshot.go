package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sovcheck/sovcheck/attest/trustdoc"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Limits of a trust snapshot: the file as a whole, and each TUF metadata
// file or target read while pulling one. The public-good trusted root and
// signing config are a few KiB each.
const (
	MaxTrustSnapshotSize = 16 << 20
	MaxTUFFileSize       = 8 << 20
)

// TUF target names of Sigstore's trust material.
const (
	TrustedRootTarget   = "trusted_root.json"
	SigningConfigTarget = "signing_config.v0.2.json"
)

// tufRoles are the top-level TUF roles a snapshot records, in this order.
var tufRoles = []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP}

// TrustSnapshot is Sigstore trust material fetched once through TUF, for
// offline and air-gapped verification: the trusted root, the signing config
// when the repository has one, when it was fetched, and the versions and
// expiry times of the TUF metadata that vouched for it.
type TrustSnapshot struct {
	MediaType  string           `json:"mediaType"`
	AsOf       time.Time        `json:"asOf"`
	Repository string           `json:"repository"`
	Metadata   []TUFRole        `json:"tufMetadata"`
	Targets    []SnapshotTarget `json:"targets"`
	// The targets' bytes exactly as TUF verified them (base64 in JSON), so
	// their sha256 stays the one the signed targets metadata gives.
	TrustedRoot   []byte `json:"trustedRoot"`
	SigningConfig []byte `json:"signingConfig,omitempty"`
}

// TUFRole and SnapshotTarget are the snapshot's records of its TUF
// metadata and targets (package trustdoc, which report renders).
type (
	TUFRole        = trustdoc.TUFRole
	SnapshotTarget = trustdoc.SnapshotTarget
)

// Expires is the earliest expiry of the snapshot's TUF metadata: after it,
// the repository no longer vouches for the trust material, and the role
// that expires first.
func (s *TrustSnapshot) Expires() (time.Time, string) {
	var at time.Time
	var role string
	for _, m := range s.Metadata {
		if role == "" || m.Expires.Before(at) {
			at, role = m.Expires, m.Role
		}
	}
	return at, role
}

// Check fails a snapshot whose TUF metadata has expired at now
// (TRUST_SNAPSHOT_EXPIRED), or, when maxAge is positive, one fetched longer
// than maxAge before now (TRUST_SNAPSHOT_STALE). A snapshot dated after now
// is TRUST_SNAPSHOT_INVALID: its clock cannot be believed.
func (s *TrustSnapshot) Check(now time.Time, maxAge time.Duration) error {
	if s.AsOf.After(now) {
		return reason.Mismatch(reason.TrustSnapshotInvalid, "check the clock of the machine that pulled the snapshot, then pull it again",
			"trust snapshot is dated in the future", s.AsOf.UTC().Format(time.RFC3339), "at most "+now.UTC().Format(time.RFC3339))
	}
	if at, role := s.Expires(); !now.Before(at) {
		return reason.Mismatch(reason.TrustSnapshotExpired, "pull a fresh snapshot with 'sovcheck trust pull' where the TUF repository is reachable",
			fmt.Sprintf("trust snapshot expired (TUF %s metadata)", role), at.UTC().Format(time.RFC3339), "after "+now.UTC().Format(time.RFC3339))
	}
	if maxAge > 0 && now.Sub(s.AsOf) > maxAge {
		return reason.Mismatch(reason.TrustSnapshotStale, "pull a fresh snapshot with 'sovcheck trust pull', or allow an older one with a larger --max-trust-age",
			"trust snapshot is older than the maximum age", now.Sub(s.AsOf).Truncate(time.Second).String(), "at most "+maxAge.String())
	}
	return nil
}

// CheckTrustAge is the --max-trust-age requirement on the trust material
// verification rests on: nothing when maxAge is zero; otherwise the
// snapshot must pass Check, and a plain trusted root (s nil), whose age
// nothing records, fails with TRUST_SNAPSHOT_INVALID.
func CheckTrustAge(s *TrustSnapshot, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return nil
	}
	if s == nil {
		return reason.New(reason.TrustSnapshotInvalid, "give a snapshot written by 'sovcheck trust pull' as --trusted-root, or drop --max-trust-age",
			"the trusted root records no as-of time, so its age is unknown")
	}
	return s.Check(now, maxAge)
}

// ParsedTrustedRoot parses the snapshot's trusted root.
func (s *TrustSnapshot) ParsedTrustedRoot() (*root.TrustedRoot, error) {
	return ReadTrustedRoot(bytes.NewReader(s.TrustedRoot))
}

// ReadTrustSnapshot reads and validates a snapshot written by
// PullTrustSnapshot: its media type, every TUF role with a version and an
// expiry, the targets' digests, and trust material that parses.
func ReadTrustSnapshot(r io.Reader) (*TrustSnapshot, error) {
	const hint = "give a snapshot written by 'sovcheck trust pull'"
	data, err := boundedio.ReadAll(r, MaxTrustSnapshotSize)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "trust snapshot exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxTrustSnapshotSize), Hint: hint}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustSnapshotInvalid, hint, "reading trust snapshot")
	}
	var s TrustSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, reason.Wrap(err, reason.TrustSnapshotInvalid, hint, "decoding trust snapshot")
	}
	if s.MediaType != vocab.MediaTypeTrustSnapshot {
		return nil, reason.Mismatch(reason.TrustSnapshotInvalid, hint, "trust snapshot media type", s.MediaType, vocab.MediaTypeTrustSnapshot)
	}
	if s.AsOf.IsZero() {
		return nil, reason.New(reason.TrustSnapshotInvalid, hint, "trust snapshot has no as-of time")
	}
	if len(s.Metadata) != len(tufRoles) {
		return nil, reason.Mismatch(reason.TrustSnapshotInvalid, hint, "trust snapshot TUF roles", fmt.Sprint(len(s.Metadata)), fmt.Sprint(len(tufRoles)))
	}
	for i, m := range s.Metadata {
		if m.Role != tufRoles[i] || m.Version < 1 || m.Expires.IsZero() {
			return nil, reason.Mismatch(reason.TrustSnapshotInvalid, hint, fmt.Sprintf("trust snapshot TUF role %d", i),
				fmt.Sprintf("%s version %d expiring %s", m.Role, m.Version, m.Expires.Format(time.RFC3339)), tufRoles[i]+" with a version and an expiry")
		}
	}
	material := map[string][]byte{TrustedRootTarget: s.TrustedRoot, SigningConfigTarget: s.SigningConfig}
	if len(s.Targets) != 1+min(len(s.SigningConfig), 1) {
		return nil, reason.Mismatch(reason.TrustSnapshotInvalid, hint, "trust snapshot targets", fmt.Sprint(len(s.Targets)), fmt.Sprint(1+min(len(s.SigningConfig), 1)))
	}
	for _, t := range s.Targets {
		got := sha256.Sum256(material[t.Name])
		if len(material[t.Name]) == 0 || hex.EncodeToString(got[:]) != t.SHA256 || int64(len(material[t.Name])) != t.Length {
			return nil, reason.Mismatch(reason.TrustSnapshotInvalid, "the snapshot was edited after it was pulled; pull it again",
				fmt.Sprintf("trust snapshot target %s digest", t.Name), "sha256:"+hex.EncodeToString(got[:]), "sha256:"+t.SHA256)
		}
	}
	if _, err := s.ParsedTrustedRoot(); err != nil {
		return nil, err
	}
	if len(s.SigningConfig) > 0 {
		if _, err := root.NewSigningConfigFromJSON(s.SigningConfig); err != nil {
			return nil, reason.Wrap(err, reason.TrustSnapshotInvalid, hint, "parsing the snapshot's signing config")
		}
	}
	return &s, nil
}

// ReadTrustedRootOrSnapshotFile reads path as either a Sigstore
// trusted_root.json or a trust snapshot, told apart by their media types.
// The snapshot is nil for a plain trusted root; a snapshot is returned
// unchecked (call Check with the verification time and maximum age).
func ReadTrustedRootOrSnapshotFile(path string) (*root.TrustedRoot, *TrustSnapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.TrustRootMissing, "check the --trusted-root path", "opening trusted root")
	}
	defer f.Close()
	// One byte past the larger limit is read on purpose and not judged
	// here: ReadTrustSnapshot or ReadTrustedRoot, whichever the bytes turn
	// out to be, refuses them with its own message.
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustSnapshotSize+1))
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.TrustRootInvalid, "check that the trusted root file is readable", "reading trusted root %q", path)
	}
	return ReadTrustedRootOrSnapshot(data)
}

// ReadTrustedRootOrSnapshot is ReadTrustedRootOrSnapshotFile for bytes
// already read (and checked against a pin) by the caller.
func ReadTrustedRootOrSnapshot(data []byte) (*root.TrustedRoot, *TrustSnapshot, error) {
	var head struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(data, &head) == nil && head.MediaType == vocab.MediaTypeTrustSnapshot {
		s, err := ReadTrustSnapshot(bytes.NewReader(data))
		if err != nil {
			return nil, nil, err
		}
		tr, err := s.ParsedTrustedRoot()
		return tr, s, err
	}
	tr, err := ReadTrustedRoot(bytes.NewReader(data))
	return tr, nil, err
}

// PullOption configures PullTrustSnapshot.
type PullOption func(*pullConfig) error

type pullConfig struct {
	url    string
	root   []byte
	now    func() time.Time
	logger *slog.Logger
}

// WithTUFRepository pulls from the TUF repository at url, trusting the
// given initial root.json (version 1, or any later version the caller
// already trusts). Without it, Sigstore's public-good repository and the
// root embedded in sigstore-go are used.
func WithTUFRepository(url string, rootJSON []byte) PullOption {
	return func(c *pullConfig) error {
		if url == "" {
			return errors.New("TUF repository URL is empty")
		}
		if _, err := (&metadata.Metadata[metadata.RootType]{}).FromBytes(rootJSON); err != nil {
			return reason.Wrap(err, reason.TrustRootInvalid, "give the repository's TUF root.json with --tuf-root", "parsing TUF root")
		}
		c.url, c.root = url, rootJSON
		return nil
	}
}

// WithPullClock sets the clock that dates the snapshot (default time.Now).
// TUF expiry during the pull is checked by go-tuf against the system clock.
func WithPullClock(now func() time.Time) PullOption {
	return func(c *pullConfig) error {
		if now == nil {
			return errors.New("clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithPullLogger logs the pull's progress to l.
func WithPullLogger(l *slog.Logger) PullOption {
	return func(c *pullConfig) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		c.logger = l
		return nil
	}
}

// PullTrustSnapshot refreshes a TUF repository with sigstore-go's TUF
// client, keeping its metadata under cacheDir (so a later pull refuses a
// rollback to older metadata), and returns a snapshot of the trusted root,
// the signing config if the repository lists one, and the metadata
// versions and expiries. Every TUF failure is a *reason.Error: expired
// metadata, a version rollback, a bad signature, a target whose bytes do not
// match its signed digest, or an unreachable repository.
func PullTrustSnapshot(cacheDir string, opts ...PullOption) (*TrustSnapshot, error) {
	cfg := pullConfig{url: tuf.DefaultMirror, root: tuf.DefaultRoot(), now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cacheDir == "" {
		return nil, errors.New("pulling trust snapshot: cache directory is empty")
	}
	topts := tuf.DefaultOptions().WithRepositoryBaseURL(cfg.url).WithRoot(cfg.root).WithCachePath(cacheDir)
	cfg.logger.Info("refreshing TUF repository", "url", cfg.url)
	client, err := tuf.New(topts)
	if err != nil {
		return nil, tufError(err, "refreshing TUF repository %s", cfg.url)
	}
	metaDir := filepath.Join(cacheDir, tuf.URLToPath(cfg.url))
	s := &TrustSnapshot{MediaType: vocab.MediaTypeTrustSnapshot, AsOf: cfg.now().UTC().Truncate(time.Second), Repository: cfg.url}
	targets, err := s.readRoles(metaDir)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{TrustedRootTarget, SigningConfigTarget} {
		tf, ok := targets[name]
		if !ok {
			if name == TrustedRootTarget {
				return nil, reason.New(reason.TrustRootMissing, "give the URL of a Sigstore TUF repository", "TUF repository %s lists no %s target", cfg.url, name)
			}
			cfg.logger.Info("TUF repository has no signing config", "target", name)
			continue
		}
		data, err := client.GetTarget(name)
		if err != nil {
			return nil, tufError(err, "fetching TUF target %s", name)
		}
		sum := sha256.Sum256(data)
		s.Targets = append(s.Targets, SnapshotTarget{Name: name, SHA256: hex.EncodeToString(sum[:]), Length: tf.Length})
		if name == TrustedRootTarget {
			s.TrustedRoot = data
		} else {
			s.SigningConfig = data
		}
	}
	// The snapshot must read back as it will be read offline.
	out, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding trust snapshot: %w", err)
	}
	return ReadTrustSnapshot(bytes.NewReader(out))
}

// readRoles records the version and expiry of each top-level role from the
// metadata the TUF client verified and stored in dir, and returns the
// targets the targets role lists.
func (s *TrustSnapshot) readRoles(dir string) (map[string]*metadata.TargetFiles, error) {
	var targets map[string]*metadata.TargetFiles
	for _, role := range tufRoles {
		data, err := readLimited(filepath.Join(dir, role+".json"), MaxTUFFileSize)
		if err != nil {
			return nil, reason.Wrap(err, reason.TUFFetchFailed, "pull again; the TUF client left no verified metadata", "reading TUF %s metadata", role)
		}
		var version int64
		var expires time.Time
		switch role {
		case metadata.ROOT:
			m, err := metadata.Root().FromBytes(data)
			if err != nil {
				return nil, tufError(err, "parsing TUF %s metadata", role)
			}
			version, expires = m.Signed.Version, m.Signed.Expires
		case metadata.TARGETS:
			m, err := metadata.Targets().FromBytes(data)
			if err != nil {
				return nil, tufError(err, "parsing TUF %s metadata", role)
			}
			version, expires, targets = m.Signed.Version, m.Signed.Expires, m.Signed.Targets
		case metadata.SNAPSHOT:
			m, err := metadata.Snapshot().FromBytes(data)
			if err != nil {
				return nil, tufError(err, "parsing TUF %s metadata", role)
			}
			version, expires = m.Signed.Version, m.Signed.Expires
		case metadata.TIMESTAMP:
			m, err := metadata.Timestamp().FromBytes(data)
			if err != nil {
				return nil, tufError(err, "parsing TUF %s metadata", role)
			}
			version, expires = m.Signed.Version, m.Signed.Expires
		}
		s.Metadata = append(s.Metadata, TUFRole{Role: role, Version: version, Expires: expires.UTC()})
	}
	return targets, nil
}

// readLimited reads a file of at most limit bytes; past it, the error
// names the file.
func readLimited(path string, limit int64) ([]byte, error) {
	data, err := boundedio.ReadFile(path, limit)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, fmt.Errorf("%s exceeds %d bytes", path, limit)
	}
	return data, err
}

// tufError gives a go-tuf failure its reason code.
func tufError(err error, format string, args ...any) *reason.Error {
	var (
		expired  *metadata.ErrExpiredMetadata
		rollback *metadata.ErrBadVersionNumber
		equal    *metadata.ErrEqualVersionNumber
		unsigned *metadata.ErrUnsignedMetadata
		mismatch *metadata.ErrLengthOrHashMismatch
		length   *metadata.ErrDownloadLengthMismatch
	)
	switch {
	case errors.As(err, &expired):
		return reason.Wrap(err, reason.TUFMetadataExpired, "the repository's metadata has expired: ask its operator to re-sign it, or use a mirror that is up to date", format, args...)
	case errors.As(err, &rollback), errors.As(err, &equal):
		return reason.Wrap(err, reason.TUFRollback, "the repository serves older metadata than this cache has seen: a rollback or freeze attack, or a stale mirror; do not trust it", format, args...)
	case errors.As(err, &unsigned):
		return reason.Wrap(err, reason.TUFSignatureInvalid, "the metadata is not signed by the keys the trusted TUF root names; check --tuf-root and the repository", format, args...)
	case errors.As(err, &mismatch), errors.As(err, &length):
		return reason.Wrap(err, reason.TUFTargetMismatch, "a file does not match the digest its signed metadata gives: the repository or the path to it was tampered with", format, args...)
	}
	return reason.Wrap(err, reason.TUFFetchFailed, "check --tuf-url and the network; on an air-gapped machine, copy a snapshot made elsewhere", format, args...)
}
