package vocab

import (
	"encoding/hex"
	"fmt"
)

// SHA256Prefix is the algorithm prefix of a digest written as
// sha256:<hex>.
const SHA256Prefix = "sha256:"

// ParseSHA256 parses a lowercase or uppercase hex sha256 digest.
func ParseSHA256(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("invalid sha256 digest %q: want 64 hex digits", s)
	}
	return b, nil
}

// FormatSHA256 writes a sha256 digest as sha256:<lowercase hex>.
func FormatSHA256(sum []byte) string { return SHA256Prefix + hex.EncodeToString(sum) }
