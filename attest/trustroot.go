package attest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// MaxTrustedRootSize is the largest trusted_root.json read. The public-good
// root is under 10 KiB.
const MaxTrustedRootSize = 8 << 20

// ReadTrustedRoot reads a Sigstore trusted_root.json.
func ReadTrustedRoot(r io.Reader) (*root.TrustedRoot, error) {
	data, err := boundedio.ReadAll(r, MaxTrustedRootSize)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, trustedRootTooLarge()
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootInvalid, "check that the trusted root file is readable", "reading trusted root")
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootInvalid, "give a Sigstore trusted_root.json (for the public-good instance: `cosign trusted-root create` or the TUF target trusted_root.json)", "parsing trusted root")
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 && len(tr.RekorLogs()) == 0 {
		return nil, reason.New(reason.TrustRootInvalid, "the trusted root names no certificate authority and no transparency log; give a complete trusted_root.json", "trusted root is empty")
	}
	return tr, nil
}

func trustedRootTooLarge() *reason.Error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: "trusted root exceeds the size limit", Want: fmt.Sprintf("at most %d bytes", MaxTrustedRootSize),
		Hint: "give Sigstore's trusted_root.json"}
}

// ReadTrustedRootFile reads a trusted_root.json from path.
func ReadTrustedRootFile(path string) (*root.TrustedRoot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootMissing, "check the --trusted-root path", "opening trusted root")
	}
	defer f.Close()
	return ReadTrustedRoot(f)
}

// FetchTrustedRoot fetches Sigstore's public-good trusted root through its
// TUF repository, verifying it from the embedded TUF root, and caches it
// under cacheDir. It uses the network.
func FetchTrustedRoot(cacheDir string) (*root.TrustedRoot, error) {
	opts := tuf.DefaultOptions().WithCachePath(filepath.Join(cacheDir, "tuf"))
	tr, err := root.FetchTrustedRootWithOptions(opts)
	if err != nil {
		return nil, reason.Wrap(err, reason.TrustRootMissing, "without network access, give --trusted-root FILE (and --offline to never try the network)", "fetching the public-good trusted root through TUF")
	}
	return tr, nil
}
