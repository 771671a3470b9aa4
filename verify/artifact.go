package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// EvidenceSuffixes are the names, appended to an artifact's path, under
// which its Sigstore evidence is discovered, in the order they are tried.
var EvidenceSuffixes = []string{".sigstore.json", ".sigstore", ".intoto.jsonl", ".bundle"}

// nonArtifactSuffixes are files in a release directory that are evidence or
// keys, not artifacts.
var nonArtifactSuffixes = append(append([]string{".cdx.json", ".spdx.json", ".vsa.json", ".pub", ".sig", ".pem", ".crt"}, EvidenceSuffixes...), RebuildSuffixes...)

func isEvidenceName(name string) bool {
	for _, s := range nonArtifactSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// isDigestArg reports whether arg is sha256:... and not an existing path.
func isDigestArg(arg string) bool {
	if !strings.HasPrefix(arg, "sha256:") {
		return false
	}
	_, err := os.Stat(arg)
	return err != nil
}

// resolveArtifact turns an argument into an attest.Artifact: a path is
// hashed; sha256:<hex> that is not an existing path is taken as a digest.
func resolveArtifact(arg string) (attest.Artifact, *reason.Error) {
	if isDigestArg(arg) {
		d, err := vocab.ParseSHA256(strings.ToLower(strings.TrimPrefix(arg, "sha256:")))
		if err != nil {
			return attest.Artifact{}, reason.Wrap(err, reason.InputMalformed, "give sha256: followed by 64 hex digits, or a file path", "reading artifact digest")
		}
		return attest.Artifact{Name: arg, SHA256: d}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return attest.Artifact{}, reason.Wrap(err, reason.InputUnreadable, "check the artifact path, or give its digest as sha256:<hex>", "opening artifact")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return attest.Artifact{}, reason.Wrap(err, reason.InputUnreadable, "check the artifact path", "reading artifact")
	}
	if !fi.Mode().IsRegular() {
		return attest.Artifact{}, reason.New(reason.InputUnreadable, "give a regular file, a directory of artifacts, or sha256:<hex>", "artifact %q is not a regular file", arg)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return attest.Artifact{}, reason.Wrap(err, reason.InputUnreadable, "check that the artifact is readable", "hashing artifact")
	}
	return attest.Artifact{Name: arg, Path: arg, SHA256: h.Sum(nil)}, nil
}

func subjectOf(a attest.Artifact) string { return hex.EncodeToString(a.SHA256) }

// discoverEvidence returns the evidence files beside the artifact.
func discoverEvidence(a attest.Artifact) []string {
	if a.Path == "" {
		return nil
	}
	var found []string
	for _, s := range EvidenceSuffixes {
		if fi, err := os.Stat(a.Path + s); err == nil && fi.Mode().IsRegular() {
			found = append(found, a.Path+s)
		}
	}
	return found
}

// maxMessageArtifactBytes bounds the artifact read again to check a
// message signature with the key alone (the signature is over its bytes).
const maxMessageArtifactBytes = 1 << 30

// readArtifactBytes reads art's file again for a signature over its bytes,
// and refuses it when the bytes are no longer those hashed at the start.
func readArtifactBytes(art attest.Artifact) ([]byte, error) {
	data, err := boundedio.ReadFile(art.Path, maxMessageArtifactBytes)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], art.SHA256) {
		return nil, reason.New(reason.DigestMismatch, "the artifact changed while it was verified; verify it again",
			"reading %s again: its sha256 is no longer the one first read", art.Path)
	}
	return data, nil
}
