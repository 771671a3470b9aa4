package rebuild

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// digestBufSize is the read size for hashing: large reads keep the hash,
// not the system calls, the bottleneck.
const digestBufSize = 1 << 20

// fileSHA256 returns the lowercase hex sha256 of a file.
func fileSHA256(name string) (string, error) {
	f, err := openArtifact(name)
	if err != nil {
		return "", err
	}
	return artifactSHA256(f)
}

// openArtifact opens an artifact to hash; artifactSHA256 hashes and closes
// it. Errors are INPUT_UNREADABLE.
func openArtifact(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the artifact's path and permissions", "reading artifact")
	}
	return f, nil
}

func artifactSHA256(f *os.File) (string, error) {
	defer f.Close()
	sum, err := readerSHA256(f)
	if err != nil {
		return "", reason.Wrap(err, reason.InputUnreadable, "check the artifact's path and permissions", "reading artifact")
	}
	return sum, nil
}

func readerSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	buf := make([]byte, digestBufSize)
	if _, err := io.CopyBuffer(h, r, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SameDigest reports whether a file's sha256 equals sha256Hex (any case).
// It is the comparison a rebuild ends with.
func SameDigest(name, sha256Hex string) (bool, error) {
	sum, err := fileSHA256(name)
	if err != nil {
		return false, err
	}
	want, err := hex.DecodeString(sha256Hex)
	if err != nil || len(want) != sha256.Size {
		return false, reason.New(reason.InputMalformed, "give a sha256 digest as 64 hex digits", "parsing digest %q", sha256Hex)
	}
	return sum == hex.EncodeToString(want), nil
}
