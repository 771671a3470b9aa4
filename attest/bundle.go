package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Limits on bundle input. A bundle of a real release is a few tens of KiB;
// the limits leave room for long certificate chains and many tlog entries.
const (
	// MaxBundleSize is the largest single bundle document read.
	MaxBundleSize = 4 << 20
	// MaxEvidenceFileSize is the largest evidence file (one bundle, or JSON
	// lines of bundles) read.
	MaxEvidenceFileSize = 32 << 20
	// MaxBundlesPerFile is the most bundles read from one JSON-lines file.
	MaxBundlesPerFile = 256
)

// Bundle media types sovcheck understands, by bundle version.
var bundleMediaTypes = map[string]string{
	vocab.MediaTypeBundleV01:       "v0.1",
	vocab.MediaTypeBundleV02:       "v0.2",
	vocab.MediaTypeBundleV03Legacy: "v0.3",
	vocab.MediaTypeBundleV03:       "v0.3",
}

// ParsedBundle is one Sigstore bundle read from an evidence file.
type ParsedBundle struct {
	Bundle  *bundle.Bundle
	Version string // v0.1, v0.2 or v0.3
	Line    int    // 1-based line in a JSON-lines file; 0 for a single document
}

// ReadBundles reads one Sigstore bundle, or JSON lines of bundles (the
// .intoto.jsonl convention), from r. It reads at most MaxEvidenceFileSize
// bytes and fails with INPUT_TOO_LARGE past that.
func ReadBundles(r io.Reader) ([]ParsedBundle, error) {
	data, err := boundedio.ReadAll(r, MaxEvidenceFileSize)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "evidence file exceeds the size limit",
			Got: fmt.Sprintf("more than %d bytes", MaxEvidenceFileSize), Want: fmt.Sprintf("at most %d bytes", MaxEvidenceFileSize),
			Hint: "a Sigstore bundle is a few KiB; check that the right file was given"}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the evidence file is readable", "reading bundle")
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, reason.New(reason.BundleMalformed, "the evidence file is empty; give the bundle written by the signer", "reading bundle: empty input")
	}
	// One JSON document is one bundle; several documents in a row (JSON
	// lines, the .intoto.jsonl convention, or concatenated pretty JSON) are
	// several bundles.
	var out []ParsedBundle
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for {
		startOffset := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		line := 1 + bytes.Count(trimmed[:startOffset], []byte("\n"))
		if err != nil {
			return nil, reason.Wrap(err, reason.BundleMalformed, "the file is not JSON; give the Sigstore bundle (.sigstore.json) written by the signer", "parsing bundle at line %d", line)
		}
		if len(out) == MaxBundlesPerFile {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "too many bundles in one evidence file",
				Want: fmt.Sprintf("at most %d", MaxBundlesPerFile), Hint: "split the evidence into one file per artifact"}
		}
		b, err := ParseBundle(raw)
		if err != nil {
			var re *reason.Error
			if errors.As(err, &re) && len(out) > 0 {
				re.Msg = fmt.Sprintf("line %d: %s", line, re.Msg)
			}
			return nil, err
		}
		b.Line = line
		out = append(out, *b)
	}
	if len(out) == 1 {
		out[0].Line = 0
	}
	return out, nil
}

// ParseBundle parses and validates one Sigstore bundle document.
func ParseBundle(data []byte) (*ParsedBundle, error) {
	if len(data) > MaxBundleSize {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "bundle exceeds the size limit",
			Want: fmt.Sprintf("at most %d bytes", MaxBundleSize), Hint: "check that the right file was given"}
	}
	var head struct {
		MediaType *string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "the file is not JSON; give the Sigstore bundle (.sigstore.json) written by the signer", "parsing bundle")
	}
	if head.MediaType == nil {
		if re := bareEnvelopeError(data); re != nil {
			return nil, re
		}
		return nil, reason.New(reason.BundleMalformed, "the file is JSON but not a Sigstore bundle; give the .sigstore.json written by cosign or sigstore-go", "parsing bundle: no mediaType")
	}
	version, ok := bundleMediaTypes[*head.MediaType]
	if !ok {
		return nil, &reason.Error{Code: reason.BundleVersionUnknown, Msg: "unknown bundle media type",
			Got: *head.MediaType, Want: "a Sigstore bundle v0.1, v0.2 or v0.3 media type",
			Hint: "sovcheck reads Sigstore bundles v0.1 to v0.3; re-create the bundle with a current signer"}
	}
	b := &bundle.Bundle{}
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, reason.Wrap(err, reason.BundleMalformed, "the bundle does not follow the Sigstore bundle format; re-download it or ask the publisher for a valid one", "parsing %s bundle", version)
	}
	return &ParsedBundle{Bundle: b, Version: version}, nil
}

// IsDSSE reports whether the bundle carries a DSSE envelope rather than a
// message signature.
func (p *ParsedBundle) IsDSSE() bool {
	return p.Bundle.GetDsseEnvelope() != nil
}

// Describe names the bundle for messages: its version and content kind.
func (p *ParsedBundle) Describe() string {
	kind := "message signature"
	if p.IsDSSE() {
		kind = "DSSE envelope"
	}
	return strings.TrimSpace(fmt.Sprintf("bundle %s, %s", p.Version, kind))
}
