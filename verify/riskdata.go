package verify

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// A signed risk data snapshot: an in-toto statement naming the snapshot
// file by sha256, with this predicate type, in a DSSE envelope signed with
// the publisher's key, in a Sigstore bundle v0.3 written beside the
// snapshot as SNAPSHOT.sigstore.json (attest.SignStatementWithKey, as
// 'sovcheck attest vsa' signs).
const (
	RiskDataPredicateType   = "https://sovcheck.dev/risk-data/v1"
	RiskDataSignatureSuffix = ".sigstore.json"
)

// SignRiskData signs the bytes of a snapshot file called name.
func SignRiskData(snapshot []byte, name string, key crypto.Signer) ([]byte, error) {
	sum := sha256.Sum256(snapshot)
	st := attest.Statement{Type: vocab.StatementTypeV1, PredicateType: RiskDataPredicateType,
		Subject:   []attest.Subject{{Name: filepath.Base(name), Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		Predicate: json.RawMessage(fmt.Sprintf(`{"mediaType":%q}`, vocab.MediaTypeRiskData))}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding the risk data statement: %w", err)
	}
	_, bundle, err := attest.SignStatementWithKey(payload, key)
	return bundle, err
}

// VerifyRiskData checks that bundle signs the snapshot's bytes with pub,
// as a risk data statement.
func VerifyRiskData(snapshot, bundle []byte, pub crypto.PublicKey) error {
	sum := sha256.Sum256(snapshot)
	st, err := attest.VerifyStatementWithKey(bundle, pub, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if st.PredicateType != RiskDataPredicateType {
		return reason.Mismatch(reason.StatementMalformed, "give the bundle 'sovcheck data pull --key' wrote beside the snapshot", "the signed statement's predicate type", st.PredicateType, RiskDataPredicateType)
	}
	return nil
}

// VerifyRiskDataFile checks the snapshot at path with the bundle beside it
// (path + RiskDataSignatureSuffix) and the PEM public key at keyPath.
func VerifyRiskDataFile(path, keyPath string) error {
	fail := func(err error) error {
		re := reason.As(err, reason.SignatureInvalid, "")
		re.Msg = fmt.Sprintf("verifying the signature of risk data %s: %s", path, re.Msg)
		return re
	}
	kf, err := os.Open(keyPath)
	if err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check the public key path", "reading public key %s", keyPath)
	}
	defer kf.Close()
	pub, err := attest.ReadPublicKey(kf)
	if err != nil {
		return err
	}
	snapshot, err := readSigned(path, sbom.DefaultLimits().MaxRiskDataBytes)
	if err != nil {
		return reason.Wrap(err, reason.CodeOf(err, reason.InputUnreadable), "check the --data path", "reading risk data %s", path)
	}
	bundle, err := readSigned(path+RiskDataSignatureSuffix, attest.MaxBundleSize)
	if err != nil {
		return fail(reason.Wrap(err, reason.CodeOf(err, reason.EvidenceMissing), "sign the snapshot with 'sovcheck data pull --key' (or data import --key), or give no key", "reading %s", path+RiskDataSignatureSuffix))
	}
	if err := VerifyRiskData(snapshot, bundle, pub); err != nil {
		return fail(err)
	}
	return nil
}

// readSigned reads a whole file of at most limit bytes; its errors do not
// name the path, which callers name as the user gave it.
func readSigned(path string, limit int64) ([]byte, error) {
	b, err := boundedio.ReadFile(path, limit)
	if re, ok := errors.AsType[*reason.Error](err); ok && re.Code == reason.InputTooLarge {
		c := *re
		c.Msg, c.Hint = "file too large", "check that the right file was given"
		return nil, &c
	}
	return b, err
}

// checkRiskDataSignature checks, when the policy names a key for a pinned
// risk-data snapshot, the bundle beside it (file + RiskDataSignatureSuffix)
// against content, the bytes the pin was checked on. A failure is a
// problem at the line that names the snapshot.
func checkRiskDataSignature(policyPath string, df policy.DataFile, content []byte, file string) error {
	if df.Key == "" {
		return nil
	}
	keyPath := df.Key
	if !filepath.IsAbs(keyPath) {
		keyPath = filepath.Join(filepath.Dir(policyPath), keyPath)
	}
	err := func() error {
		kf, err := os.Open(keyPath)
		if err != nil {
			return reason.Wrap(err, reason.InputUnreadable, "put the public key at the path the policy's key names, relative to the policy", "reading key %s", df.Key)
		}
		defer kf.Close()
		pub, err := attest.ReadPublicKey(kf)
		if err != nil {
			return err
		}
		bundle, err := readSigned(file+RiskDataSignatureSuffix, attest.MaxBundleSize)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				err = fs.ErrNotExist // without the absolute path
			}
			return reason.Wrap(err, reason.CodeOf(err, reason.EvidenceMissing), "put the bundle 'sovcheck data pull --key' wrote beside the snapshot", "reading the snapshot's signature %s", filepath.Base(file)+RiskDataSignatureSuffix)
		}
		return VerifyRiskData(content, bundle, pub)
	}()
	if err == nil {
		return nil
	}
	re := reason.As(err, reason.SignatureInvalid, "")
	return &policy.FileError{Name: policyPath, Problems: []policy.Problem{{Pos: df.Pos, Code: re.Code, Path: "data[" + df.Name + "]",
		Msg: "risk data " + df.Name + " is not signed by the policy's key: " + re.Error(), Hint: re.Hint}}}
}
