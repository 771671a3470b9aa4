package sigstoretest

// A TUFRepo is the TUF repository through which a Sigstore deployment
// publishes its trusted root and signing config: fresh Ed25519 keys for the
// four top-level roles, metadata made and signed with go-tuf v2's metadata
// API, served over HTTP (consistent snapshots, targets prefixed with their
// sha256) so that a TUF client fetches it exactly as it fetches Sigstore's
// public-good repository.
//
// Besides publishing, a TUFRepo can do what an attacker or a careless
// operator does: rotate the root key (with or without the old key's
// signature), let timestamp or snapshot metadata expire, change a target's
// bytes behind its metadata, and serve an older timestamp again (a
// rollback).

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TUFRepo is a TUF repository held in memory. It is safe for concurrent use.
type TUFRepo struct {
	mu         sync.Mutex
	now        time.Time
	keys       map[string]ed25519.PrivateKey
	root       *metadata.Metadata[metadata.RootType]
	targets    *metadata.Metadata[metadata.TargetsType]
	snapshot   *metadata.Metadata[metadata.SnapshotType]
	timestamp  *metadata.Metadata[metadata.TimestampType]
	rootV1     []byte
	files      map[string][]byte // served path -> bytes
	timestamps map[int64][]byte  // every timestamp.json published, by version
}

var tufRoles = []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP}

// NewTUFRepo makes a repository whose metadata is valid from now (root for a year,
// targets and snapshot for 30 days, timestamp for 7 days), holding the
// given targets, and publishes version 1 of every role.
func NewTUFRepo(now time.Time, targets map[string][]byte) (*TUFRepo, error) {
	r := &TUFRepo{
		now:        now.UTC().Truncate(time.Second),
		keys:       map[string]ed25519.PrivateKey{},
		files:      map[string][]byte{},
		timestamps: map[int64][]byte{},
	}
	r.root = metadata.Root(r.now.AddDate(1, 0, 0))
	r.targets = metadata.Targets(r.now.AddDate(0, 0, 30))
	r.snapshot = metadata.Snapshot(r.now.AddDate(0, 0, 30))
	r.timestamp = metadata.Timestamp(r.now.AddDate(0, 0, 7))
	for _, role := range tufRoles {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating %s key: %w", role, err)
		}
		r.keys[role] = priv
		key, err := metadata.KeyFromPublicKey(priv.Public())
		if err != nil {
			return nil, fmt.Errorf("converting %s key: %w", role, err)
		}
		if err := r.root.Signed.AddKey(key, role); err != nil {
			return nil, fmt.Errorf("adding %s key: %w", role, err)
		}
	}
	for name, data := range targets {
		if err := r.addTarget(name, data); err != nil {
			return nil, err
		}
	}
	if err := r.publishRoot(); err != nil {
		return nil, err
	}
	r.rootV1 = r.files["1.root.json"]
	if err := r.publishTop(); err != nil {
		return nil, err
	}
	return r, nil
}

// RootJSON is version 1 of root.json: the trust anchor a client starts from.
func (r *TUFRepo) RootJSON() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.rootV1...)
}

// ServeHTTP serves the published files; anything else is 404.
func (r *TUFRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	data, ok := r.files[strings.TrimPrefix(req.URL.Path, "/")]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	_, _ = w.Write(data)
}

// SetTarget adds or replaces a target and publishes new targets, snapshot
// and timestamp versions.
func (r *TUFRepo) SetTarget(name string, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.addTarget(name, data); err != nil {
		return err
	}
	r.targets.Signed.Version++
	r.snapshot.Signed.Version++
	r.timestamp.Signed.Version++
	return r.publishTop()
}

// RotateRoot replaces the root key with a fresh one and publishes the next
// root version, signed by the old and the new key as TUF requires.
func (r *TUFRepo) RotateRoot() error { return r.rotateRoot(true) }

// RotateRootUnsigned is RotateRoot without the old key's signature: a root
// a client must refuse.
func (r *TUFRepo) RotateRootUnsigned() error { return r.rotateRoot(false) }

func (r *TUFRepo) rotateRoot(crossSign bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.keys[metadata.ROOT]
	oldKey, err := metadata.KeyFromPublicKey(old.Public())
	if err != nil {
		return fmt.Errorf("converting old root key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generating root key: %w", err)
	}
	newKey, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		return fmt.Errorf("converting new root key: %w", err)
	}
	oldID, err := oldKey.ID()
	if err != nil {
		return fmt.Errorf("identifying old root key: %w", err)
	}
	if err := r.root.Signed.RevokeKey(oldID, metadata.ROOT); err != nil {
		return fmt.Errorf("revoking old root key: %w", err)
	}
	if err := r.root.Signed.AddKey(newKey, metadata.ROOT); err != nil {
		return fmt.Errorf("adding new root key: %w", err)
	}
	r.root.Signed.Version++
	r.keys[metadata.ROOT] = priv
	if !crossSign {
		return r.publishRoot()
	}
	return r.publishRoot(old)
}

// ExpireTimestamp publishes a new timestamp version that expired an hour
// before the repository's clock.
func (r *TUFRepo) ExpireTimestamp() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timestamp.Signed.Expires = r.now.Add(-time.Hour)
	r.timestamp.Signed.Version++
	return r.publishTop()
}

// ExpireSnapshot publishes a new snapshot version (and a timestamp naming
// it) whose snapshot expired an hour before the repository's clock.
func (r *TUFRepo) ExpireSnapshot() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snapshot.Signed.Expires = r.now.Add(-time.Hour)
	r.snapshot.Signed.Version++
	r.timestamp.Signed.Version++
	return r.publishTop()
}

// TamperTarget changes the served bytes of a target without touching the
// signed metadata that names its length and hashes.
func (r *TUFRepo) TamperTarget(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	tf, ok := r.targets.Signed.Targets[name]
	if !ok {
		return fmt.Errorf("tampering target %q: no such target", name)
	}
	path := "targets/" + tf.Hashes["sha256"].String() + "." + name
	data := append([]byte(nil), r.files[path]...)
	if len(data) == 0 {
		return fmt.Errorf("tampering target %q: empty", name)
	}
	data[len(data)-1] ^= 0x01
	r.files[path] = data
	return nil
}

// ServeTimestamp serves an earlier published timestamp.json again: a
// rollback, or a freeze when version is the current one.
func (r *TUFRepo) ServeTimestamp(version int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, ok := r.timestamps[version]
	if !ok {
		return fmt.Errorf("serving timestamp version %d: never published", version)
	}
	r.files["timestamp.json"] = data
	return nil
}

func (r *TUFRepo) addTarget(name string, data []byte) error {
	tf, err := metadata.TargetFile().FromBytes(name, data, "sha256")
	if err != nil {
		return fmt.Errorf("describing target %q: %w", name, err)
	}
	r.targets.Signed.Targets[name] = tf
	sum := sha256.Sum256(data)
	r.files["targets/"+hex.EncodeToString(sum[:])+"."+name] = append([]byte(nil), data...)
	return nil
}

func tufSigner(key ed25519.PrivateKey) (signature.Signer, error) {
	return signature.LoadSigner(key, crypto.Hash(0))
}

// publishRoot signs root with the current root key and any extra keys and
// serves it as VERSION.root.json.
func (r *TUFRepo) publishRoot(extra ...ed25519.PrivateKey) error {
	r.root.ClearSignatures()
	for _, k := range append([]ed25519.PrivateKey{r.keys[metadata.ROOT]}, extra...) {
		s, err := tufSigner(k)
		if err != nil {
			return fmt.Errorf("loading root signer: %w", err)
		}
		if _, err := r.root.Sign(s); err != nil {
			return fmt.Errorf("signing root: %w", err)
		}
	}
	data, err := r.root.ToBytes(true)
	if err != nil {
		return fmt.Errorf("encoding root: %w", err)
	}
	r.files[fmt.Sprintf("%d.root.json", r.root.Signed.Version)] = data
	return nil
}

// publishTop signs and serves targets, snapshot and timestamp at their
// current versions, the snapshot naming the targets version and the
// timestamp naming the snapshot version.
func (r *TUFRepo) publishTop() error {
	r.snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(r.targets.Signed.Version)
	r.timestamp.Signed.Meta["snapshot.json"] = metadata.MetaFile(r.snapshot.Signed.Version)
	sign := func(role string, md interface {
		ClearSignatures()
		Sign(signature.Signer) (*metadata.Signature, error)
	}) error {
		md.ClearSignatures()
		s, err := tufSigner(r.keys[role])
		if err != nil {
			return fmt.Errorf("loading %s signer: %w", role, err)
		}
		if _, err := md.Sign(s); err != nil {
			return fmt.Errorf("signing %s: %w", role, err)
		}
		return nil
	}
	if err := sign(metadata.TARGETS, r.targets); err != nil {
		return err
	}
	if err := sign(metadata.SNAPSHOT, r.snapshot); err != nil {
		return err
	}
	if err := sign(metadata.TIMESTAMP, r.timestamp); err != nil {
		return err
	}
	targets, err := r.targets.ToBytes(true)
	if err != nil {
		return fmt.Errorf("encoding targets: %w", err)
	}
	snapshot, err := r.snapshot.ToBytes(true)
	if err != nil {
		return fmt.Errorf("encoding snapshot: %w", err)
	}
	timestamp, err := r.timestamp.ToBytes(true)
	if err != nil {
		return fmt.Errorf("encoding timestamp: %w", err)
	}
	r.files[fmt.Sprintf("%d.targets.json", r.targets.Signed.Version)] = targets
	r.files[fmt.Sprintf("%d.snapshot.json", r.snapshot.Signed.Version)] = snapshot
	r.files["timestamp.json"] = timestamp
	r.timestamps[r.timestamp.Signed.Version] = timestamp
	return nil
}
