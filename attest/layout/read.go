package layout

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// parseLayout parses a root layout file. Its signatures and
// structure are checked later, by verify.
func parseLayout(data []byte, file string) (in_toto.Metadata, in_toto.Layout, error) {
	md, err := parseMetadata(data)
	if err != nil {
		return nil, in_toto.Layout{}, reason.Wrap(err, reason.InputMalformed,
			"give an in-toto layout: a signed Metablock ({\"signed\":…,\"signatures\":…}) or a DSSE envelope",
			"parsing layout %q", file)
	}
	layout, ok := md.GetPayload().(in_toto.Layout)
	if !ok {
		return nil, in_toto.Layout{}, reason.New(reason.LayoutInvalid, "--layout takes the root layout, not a link file",
			"parsing layout %q: the metadata is a link, want a layout", file)
	}
	return md, layout, nil
}

// readOwnerKeys reads PEM public keys and converts them to in-toto
// keys (default scheme, key id over sha256 and sha512 as in-toto does).
func readOwnerKeys(paths []string) ([]ownerKey, error) {
	var keys []ownerKey
	seen := map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, "check the --layout-key path", "reading layout key %q", filepath.Base(p))
		}
		pub, err := attest.ReadPublicKey(f)
		f.Close()
		if err != nil {
			return nil, withContext(err, fmt.Sprintf("reading layout key %q", filepath.Base(p)))
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, reason.Wrap(err, reason.KeyInvalid, "give an Ed25519, ECDSA or RSA public key", "encoding layout key %q", filepath.Base(p))
		}
		var k in_toto.Key
		if err := k.LoadKeyReaderDefaults(strings.NewReader(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))); err != nil {
			return nil, reason.Wrap(err, reason.KeyInvalid, "give an Ed25519, ECDSA or RSA public key", "loading layout key %q as an in-toto key", filepath.Base(p))
		}
		if seen[k.KeyID] {
			continue
		}
		seen[k.KeyID] = true
		keys = append(keys, ownerKey{label: filepath.Base(p), key: k})
	}
	return keys, nil
}

// readFile reads a regular file of at most MaxFileSize bytes,
// charging it to the verification's budget.
func (v *verifier) readFile(p, what string) ([]byte, error) {
	if err := v.ctx.Err(); err != nil {
		return nil, cancelled(err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, "check that the "+what+" file exists and is readable", "reading %s %q", what, filepath.Base(p))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, "check that the "+what+" file is readable", "reading %s %q", what, filepath.Base(p))
	}
	if !fi.Mode().IsRegular() {
		return nil, &reason.Error{Code: reason.InputUnreadable, Msg: fmt.Sprintf("reading %s %q: not a regular file", what, filepath.Base(p)),
			Got: fi.Mode().Type().String(), Want: "regular file", Hint: "give the " + what + " as a plain file"}
	}
	limit := min(int64(MaxFileSize), v.budget)
	data, err := boundedio.ReadAll(f, limit)
	tooLarge := reason.CodeOf(err, "") == reason.InputTooLarge
	switch {
	case tooLarge && limit < MaxFileSize:
		return nil, reason.New(reason.InputTooLarge, "check that --links names the directory of this supply chain's links",
			"reading %s %q: the layout and its links exceed the total size limit of %d bytes", what, filepath.Base(p), MaxTotalSize)
	case tooLarge:
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("reading %s %q: file exceeds the size limit", what, filepath.Base(p)),
			Got: fmt.Sprintf("more than %d bytes", MaxFileSize), Want: fmt.Sprintf("at most %d bytes", MaxFileSize),
			Hint: "in-toto " + what + " files are a few KiB; check that the right file was given"}
	case err != nil:
		return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, "check that the "+what+" file is readable", "reading %s %q", what, filepath.Base(p))
	}
	v.budget -= int64(len(data))
	return data, nil
}

// parseMetadata parses in-toto metadata (a Metablock or a DSSE
// envelope holding a layout or a link) from data. in-toto-golang parses
// envelopes only from a path (its in-memory loader is unexported), so the
// bytes already read under the size limit go through a private temporary
// file: what is parsed is exactly what was read.
func parseMetadata(data []byte) (in_toto.Metadata, error) {
	f, err := os.CreateTemp("", "sovcheck-intoto-*.json")
	if err != nil {
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("staging metadata: %w", err)
	}
	md, err := in_toto.LoadMetadata(f.Name())
	if err != nil {
		return nil, err
	}
	return md, nil
}

// validate checks a layout's structure before anything relies on it.
// in-toto-golang's verification never validates the layout (LoadMetadata
// does not call ValidateMetablock), and its rule parser panics on an empty
// rule, so sovcheck checks rules first and then runs the library's own
// validation.
func validate(l in_toto.Layout) error {
	if len(l.Steps) == 0 {
		return errors.New("the layout has no steps")
	}
	if len(l.Steps) > MaxSteps {
		return fmt.Errorf("the layout has %d steps, want at most %d", len(l.Steps), MaxSteps)
	}
	if len(l.Inspect) > MaxInspections {
		return fmt.Errorf("the layout has %d inspections, want at most %d", len(l.Inspect), MaxInspections)
	}
	checkItem := func(kind string, item in_toto.SupplyChainItem) error {
		if err := checkName(item.Name); err != nil {
			return fmt.Errorf("%s %q: %w", kind, item.Name, err)
		}
		for _, rules := range [][][]string{item.ExpectedMaterials, item.ExpectedProducts} {
			for _, rule := range rules {
				if err := checkRule(rule); err != nil {
					return fmt.Errorf("%s %q: rule %q: %w", kind, item.Name, rule, err)
				}
			}
		}
		return nil
	}
	for _, s := range l.Steps {
		if err := checkItem("step", s.SupplyChainItem); err != nil {
			return err
		}
		if s.Threshold < 1 {
			return fmt.Errorf("step %q: threshold %d, want at least 1", s.Name, s.Threshold)
		}
		if len(s.CertificateConstraints) == 0 {
			distinct := map[string]bool{}
			for _, id := range s.PubKeys {
				distinct[id] = true
			}
			if s.Threshold > len(distinct) {
				return fmt.Errorf("step %q: threshold %d, but only %d functionaries named", s.Name, s.Threshold, len(distinct))
			}
		}
	}
	for _, in := range l.Inspect {
		if err := checkItem("inspection", in.SupplyChainItem); err != nil {
			return err
		}
		if in.Type != "inspection" {
			return fmt.Errorf("inspection %q: type %q, want %q", in.Name, in.Type, "inspection")
		}
		if len(in.Run) == 0 {
			return fmt.Errorf("inspection %q: no command to run", in.Name)
		}
	}
	return in_toto.ValidateMetablock(in_toto.Metablock{Signed: l})
}

// checkName refuses step and inspection names that could reach
// outside the link directory when used in a file name.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..", strings.ContainsAny(name, "/\\\x00"):
		return errors.New("name must not be a path")
	}
	return nil
}

// checkRule checks what in-toto-golang does not check before use:
// a rule has a type, and its pattern is well formed (a malformed pattern
// makes the library print a warning to stdout and match nothing).
func checkRule(rule []string) error {
	if len(rule) < 2 {
		return errors.New("want a rule type and a pattern")
	}
	if _, err := path.Match(rule[1], ""); err != nil {
		return fmt.Errorf("pattern %q: %w", rule[1], err)
	}
	_, err := in_toto.UnpackRule(rule)
	return err
}
