package rebuild

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// MaxKeyBytes is the largest PEM key file read.
const MaxKeyBytes = 64 << 10

// AttestationInput is what a rebuild attestation records besides the
// result.
type AttestationInput struct {
	ProvenanceName   string // the provenance file as the user named it
	ProvenanceSHA256 string // its sha256
	RebuilderVersion string // sovcheck's version
}

// RebuildPredicate is the predicate of a rebuild attestation.
type RebuildPredicate struct {
	Rebuilder struct {
		ID      string `json:"id"`
		Version string `json:"version,omitempty"`
	} `json:"rebuilder"`
	Recipe struct {
		BuildType  string            `json:"buildType"`
		Source     Source            `json:"source"`
		Steps      []Step            `json:"steps"`
		Output     string            `json:"output"`
		Provenance *ProvenanceRecord `json:"provenance,omitempty"`
	} `json:"recipe"`
	Toolchain      Toolchain         `json:"toolchain"`
	Sandbox        SandboxInfo       `json:"sandbox"`
	AttestedDigest map[string]string `json:"attestedDigest"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest,omitempty"`
	Result         Status            `json:"result"`
	Reason         string            `json:"reason,omitempty"`
	StartedOn      string            `json:"startedOn"`
	FinishedOn     string            `json:"finishedOn"`
}

// ProvenanceRecord names the provenance a rebuild replayed.
type ProvenanceRecord struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// NewRebuildStatement returns the in-toto statement (v1) attesting a
// rebuild: subject the artifact with its attested digest, predicate the
// recipe, toolchain, sandbox and both digests. Only a rebuild that ran to
// a comparison (MATCH, or MISMATCH with a rebuilt digest) can be attested.
func NewRebuildStatement(res *Result, in AttestationInput) ([]byte, error) {
	if res == nil || res.Recipe == nil || res.Toolchain == nil || res.RebuiltSHA256 == "" {
		return nil, reason.New(reason.EvidenceMissing, "only a rebuild that produced the artifact can be attested",
			"attesting rebuild of %s: nothing was rebuilt", artifactName(res))
	}
	var p RebuildPredicate
	p.Rebuilder.ID = vocab.RebuilderID
	p.Rebuilder.Version = in.RebuilderVersion
	p.Recipe.BuildType = res.Recipe.BuildType
	p.Recipe.Source = res.Recipe.Source
	p.Recipe.Steps = res.Recipe.Steps
	p.Recipe.Output = res.Recipe.Output
	if in.ProvenanceSHA256 != "" {
		p.Recipe.Provenance = &ProvenanceRecord{Name: in.ProvenanceName, Digest: map[string]string{"sha256": in.ProvenanceSHA256}}
	}
	p.Toolchain = *res.Toolchain
	p.Sandbox = res.Sandbox
	p.AttestedDigest = map[string]string{"sha256": res.Subject.SHA256}
	p.RebuiltDigest = map[string]string{"sha256": res.RebuiltSHA256}
	p.Result = res.Status
	if res.Reason != nil {
		p.Reason = res.Reason.Code
	}
	p.StartedOn = res.Started.UTC().Format(time.RFC3339)
	p.FinishedOn = res.Finished.UTC().Format(time.RFC3339)
	st := struct {
		Type          string           `json:"_type"`
		Subject       []any            `json:"subject"`
		PredicateType string           `json:"predicateType"`
		Predicate     RebuildPredicate `json:"predicate"`
	}{
		Type:          vocab.StatementTypeV1,
		Subject:       []any{map[string]any{"name": res.Subject.Name, "digest": map[string]string{"sha256": res.Subject.SHA256}}},
		PredicateType: vocab.PredicateRebuild,
		Predicate:     p,
	}
	out, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding rebuild attestation: %w", err)
	}
	return out, nil
}

func artifactName(res *Result) string {
	if res == nil {
		return "(none)"
	}
	return res.Artifact
}

// ParseSigningKey reads a PEM private key (PKCS#8, or SEC 1 for ECDSA):
// ECDSA P-256/P-384/P-521 or Ed25519.
func ParseSigningKey(pemBytes []byte) (crypto.Signer, error) {
	hint := "give an unencrypted ECDSA or Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)"
	if len(pemBytes) > MaxKeyBytes {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "key file too large", Want: fmt.Sprintf("at most %d bytes", MaxKeyBytes), Hint: hint}
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, reason.New(reason.KeyInvalid, hint, "key file holds no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, &reason.Error{Code: reason.KeyInvalid, Msg: "unsupported PEM block", Got: block.Type, Want: "PRIVATE KEY", Hint: hint}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.KeyInvalid, hint, "parsing private key")
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, reason.New(reason.KeyInvalid, hint, "unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, &reason.Error{Code: reason.KeyInvalid, Msg: "unsupported key type", Got: fmt.Sprintf("%T", key), Want: "ECDSA or Ed25519", Hint: hint}
}

// dsseSigner signs DSSE's pre-authentication encoding: ECDSA over its
// SHA-256/384/512 digest by curve size, Ed25519 over the message itself.
type dsseSigner struct {
	key   crypto.Signer
	keyID string
}

func (s dsseSigner) KeyID() (string, error) { return s.keyID, nil }

func (s dsseSigner) Sign(_ context.Context, data []byte) ([]byte, error) {
	switch k := s.key.(type) {
	case *ecdsa.PrivateKey:
		var digest []byte
		switch k.Curve.Params().BitSize {
		case 256:
			d := sha256.Sum256(data)
			digest = d[:]
		case 384:
			d := sha512.Sum384(data)
			digest = d[:]
		default:
			d := sha512.Sum512(data)
			digest = d[:]
		}
		return ecdsa.SignASN1(rand.Reader, k, digest)
	case ed25519.PrivateKey:
		return ed25519.Sign(k, data), nil
	}
	return nil, fmt.Errorf("signing with %T: unsupported key type", s.key)
}

// SignStatement wraps an in-toto statement in a DSSE envelope signed with
// key, and returns the envelope as JSON.
func SignStatement(ctx context.Context, statement []byte, key crypto.Signer) ([]byte, error) {
	id, err := vocab.KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	es, err := dsse.NewEnvelopeSigner(dsseSigner{key: key, keyID: id})
	if err != nil {
		return nil, fmt.Errorf("creating DSSE signer: %w", err)
	}
	env, err := es.SignPayload(ctx, vocab.InTotoPayloadType, statement)
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encoding DSSE envelope: %w", err)
	}
	return append(out, '\n'), nil
}
