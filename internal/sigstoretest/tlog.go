package sigstoretest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	rekorv2hashedrekord "github.com/sigstore/rekor-tiles/v2/pkg/types/hashedrekord"
	"github.com/sigstore/rekor/pkg/types"
	dssev001 "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	hashedrekordv001 "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
)

// Tlog selects the transparency log evidence in a bundle.
type Tlog int

const (
	// TlogV1Proof is a Rekor v1 entry with an inclusion proof, a signed
	// checkpoint and a signed entry timestamp. It is the zero value.
	TlogV1Proof Tlog = iota
	// TlogNone leaves the bundle without a transparency log entry.
	TlogNone
	// TlogV1Promise is a Rekor v1 entry with only a signed entry timestamp
	// (inclusion promise), as in bundle v0.1.
	TlogV1Promise
	// TlogV2 is a Rekor v2 hashedrekord v0.0.2 entry with an inclusion proof
	// and a signed checkpoint. It carries no integrated time, so a keyless
	// bundle needs a TSA timestamp to verify.
	TlogV2
)

func (t Tlog) String() string {
	switch t {
	case TlogV1Proof:
		return "rekor v1 proof"
	case TlogNone:
		return "none"
	case TlogV1Promise:
		return "rekor v1 promise"
	case TlogV2:
		return "rekor v2"
	}
	return fmt.Sprintf("Tlog(%d)", int(t))
}

// virtualLog is one transparency log: a signing key and a growing Merkle
// tree of canonicalized entry bodies.
type virtualLog struct {
	key     *ecdsa.PrivateKey
	id      []byte // SHA-256 of the DER public key, the log ID
	baseURL string
	origin  string // host of baseURL

	mu   sync.Mutex
	tree *testonly.Tree
}

func newVirtualLog(baseURL string) (*virtualLog, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing log url: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating log key: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding log key: %w", err)
	}
	id := sha256.Sum256(spki)
	l := &virtualLog{key: key, id: id[:], baseURL: baseURL, origin: u.Hostname(), tree: testonly.New(rfc6962.DefaultHasher)}
	for i := range logFiller {
		l.tree.AppendData(fmt.Appendf(nil, "sovcheck virtual log filler entry %d", i))
	}
	return l, nil
}

// logged is the log's answer for one appended entry.
type logged struct {
	index    int64
	size     int64
	rootHash []byte
	proof    [][]byte
}

func (l *virtualLog) append(body []byte) (logged, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tree.AppendData(body)
	size := l.tree.Size()
	proof, err := l.tree.InclusionProof(size-1, size)
	if err != nil {
		return logged{}, fmt.Errorf("proving inclusion: %w", err)
	}
	if proof == nil {
		proof = [][]byte{}
	}
	return logged{index: int64(size - 1), size: int64(size), rootHash: l.tree.Hash(), proof: proof}, nil
}

func (l *virtualLog) signer() (signature.SignerVerifier, error) {
	return signature.LoadECDSASignerVerifier(l.key, crypto.SHA256)
}

// rekorV1Entry proposes an entry of kind (hashedrekord or dsse, v0.0.1) to
// the Rekor v1 log the way the Rekor server does: the proposal is validated
// (which verifies the signature) and canonicalized, then appended. The entry
// always carries a signed entry timestamp; withProof adds the inclusion proof
// and a signed checkpoint.
func (a *Authority) rekorV1Entry(kind string, props types.ArtifactProperties, integrated time.Time, withProof bool) (*protorekor.TransparencyLogEntry, error) {
	ctx := context.Background()
	version := hashedrekordv001.APIVERSION
	if kind == "dsse" {
		version = dssev001.APIVERSION
	}
	proposed, err := types.NewProposedEntry(ctx, kind, version, props)
	if err != nil {
		return nil, fmt.Errorf("proposing %s entry: %w", kind, err)
	}
	entry, err := types.CreateVersionedEntry(proposed)
	if err != nil {
		return nil, fmt.Errorf("rekor v1 refusing %s entry: %w", kind, err)
	}
	body, err := types.CanonicalizeEntry(ctx, entry)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing %s entry: %w", kind, err)
	}
	l := a.rekorV1
	got, err := l.append(body)
	if err != nil {
		return nil, err
	}
	set, err := a.signedEntryTimestamp(body, integrated.Unix(), got.index)
	if err != nil {
		return nil, err
	}
	tle := &protorekor.TransparencyLogEntry{
		LogIndex:          got.index,
		LogId:             &protocommon.LogId{KeyId: l.id},
		KindVersion:       &protorekor.KindVersion{Kind: kind, Version: version},
		IntegratedTime:    integrated.Unix(),
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
	}
	if !withProof {
		return tle, nil
	}
	sv, err := l.signer()
	if err != nil {
		return nil, err
	}
	checkpoint, err := rekorutil.CreateAndSignCheckpoint(ctx, l.origin, rekorV1TreeID, uint64(got.size), got.rootHash, sv)
	if err != nil {
		return nil, fmt.Errorf("signing rekor v1 checkpoint: %w", err)
	}
	tle.InclusionProof = &protorekor.InclusionProof{
		LogIndex:   got.index,
		RootHash:   got.rootHash,
		TreeSize:   got.size,
		Hashes:     got.proof,
		Checkpoint: &protorekor.Checkpoint{Envelope: string(checkpoint)},
	}
	return tle, nil
}

// signedEntryTimestamp is Rekor v1's inclusion promise: the log's signature
// over the canonical JSON of body, integrated time, log index and log ID.
func (a *Authority) signedEntryTimestamp(body []byte, integrated, index int64) ([]byte, error) {
	payload, err := json.Marshal(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: integrated,
		LogIndex:       index,
		LogID:          hex.EncodeToString(a.rekorV1.id),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding signed entry timestamp payload: %w", err)
	}
	canonical, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing signed entry timestamp payload: %w", err)
	}
	digest := sha256.Sum256(canonical)
	set, err := ecdsa.SignASN1(rand.Reader, a.rekorV1.key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("signing entry timestamp: %w", err)
	}
	return set, nil
}

// rekorV2Entry logs a hashedrekord v0.0.2 entry the way the Rekor v2 server
// does: rekor-tiles validates the request (verifying the signature over the
// digest) and builds the entry, which is canonicalized and appended. The
// result carries an inclusion proof and a checkpoint signed for the log's
// origin, and no integrated time.
func (a *Authority) rekorV2Entry(digest, sig []byte, verifier *rekortilespb.Verifier) (*protorekor.TransparencyLogEntry, error) {
	registry, err := signature.NewAlgorithmRegistryConfig([]protocommon.PublicKeyDetails{
		protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
		protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
		protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256,
		protocommon.PublicKeyDetails_PKIX_ED25519,
		protocommon.PublicKeyDetails_PKIX_ED25519_PH,
	})
	if err != nil {
		return nil, fmt.Errorf("building rekor v2 algorithm registry: %w", err)
	}
	entry, err := rekorv2hashedrekord.ToLogEntry(&rekortilespb.HashedRekordRequestV002{
		Digest:    digest,
		Signature: &rekortilespb.Signature{Content: sig, Verifier: verifier},
	}, registry)
	if err != nil {
		return nil, fmt.Errorf("rekor v2 refusing hashedrekord entry: %w", err)
	}
	raw, err := protojson.Marshal(entry)
	if err != nil {
		return nil, fmt.Errorf("encoding rekor v2 entry: %w", err)
	}
	body, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing rekor v2 entry: %w", err)
	}
	l := a.rekorV2
	got, err := l.append(body)
	if err != nil {
		return nil, err
	}
	sv, err := l.signer()
	if err != nil {
		return nil, err
	}
	noteSigner, err := rekornote.NewNoteSigner(context.Background(), l.origin, sv)
	if err != nil {
		return nil, fmt.Errorf("loading rekor v2 checkpoint signer: %w", err)
	}
	text := flog.Checkpoint{Origin: l.origin, Size: uint64(got.size), Hash: got.rootHash}.Marshal()
	checkpoint, err := note.Sign(&note.Note{Text: string(text)}, noteSigner)
	if err != nil {
		return nil, fmt.Errorf("signing rekor v2 checkpoint: %w", err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:    got.index,
		LogId:       &protocommon.LogId{KeyId: l.id},
		KindVersion: &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.2"},
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   got.index,
			RootHash:   got.rootHash,
			TreeSize:   got.size,
			Hashes:     got.proof,
			Checkpoint: &protorekor.Checkpoint{Envelope: string(checkpoint)},
		},
		CanonicalizedBody: body,
	}, nil
}
