package rebuild

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// provenanceSuffixes are the names, after the artifact's, under which its
// provenance is looked for beside it, in order.
var provenanceSuffixes = []string{".intoto.jsonl", ".sigstore.json", ".sigstore", ".bundle"}

// FindProvenance looks for an artifact's provenance beside it
// (ARTIFACT.intoto.jsonl, .sigstore.json, .sigstore, .bundle, the first
// regular file of these); "" if there is none.
func FindProvenance(artifact string) string {
	for _, ext := range provenanceSuffixes {
		if fi, err := os.Stat(artifact + ext); err == nil && fi.Mode().IsRegular() {
			return artifact + ext
		}
	}
	return ""
}

// Batch is the rebuild of several artifacts, each with the recipes of its
// own provenance (see RebuildArtifacts).
type Batch struct {
	// Results are the rebuilds that came to a result, in the order the
	// artifacts were given.
	Results []*Result
	// Err is the first artifact that got no verdict (its provenance or
	// the artifact could not be read), with what was being done; nil if
	// every artifact got a result.
	Err error

	files map[string][]byte // provenance files read, by name
	of    map[string]string // the provenance file of each artifact
}

// RebuildArtifacts rebuilds artifacts (files, or sha256:<hex> for a
// published artifact known by its digest) from the recipes of their
// provenance: the file provenance, or, when it is "", each artifact's own
// beside it (FindProvenance). source is as Request.Source. Each artifact is
// on its own: one whose provenance cannot be read gets no verdict (Err),
// one whose recipe sovcheck will not replay is a SKIP, and neither stops
// the rebuilds of the others. Provenance files are read once each, within
// MaxProvenanceBytes.
func (rb *Rebuilder) RebuildArtifacts(ctx context.Context, artifacts []string, provenance, source string, jobs int) *Batch {
	b := &Batch{files: map[string][]byte{}, of: map[string]string{}}
	var reqs []Request
	for _, art := range artifacts {
		req, err := b.request(art, provenance, source)
		if err != nil {
			if b.Err == nil {
				b.Err = err
			}
			continue
		}
		reqs = append(reqs, req)
	}
	results, errs := rb.RebuildAll(ctx, reqs, jobs)
	for i, r := range results {
		if errs[i] != nil {
			if b.Err == nil {
				b.Err = inContext(errs[i], "rebuilding %s", reqs[i].Name)
			}
			continue
		}
		b.Results = append(b.Results, r)
	}
	return b
}

// request reads the recipes of one artifact's provenance.
func (b *Batch) request(art, prov, source string) (Request, error) {
	if prov == "" {
		if prov = FindProvenance(art); prov == "" {
			return Request{}, reason.New(reason.EvidenceMissing, "give --provenance FILE, or put ARTIFACT.intoto.jsonl beside the artifact",
				"no provenance found for %s", art)
		}
	}
	data, ok := b.files[prov]
	if !ok {
		var err error
		if data, err = readFile(prov, MaxProvenanceBytes); err != nil {
			return Request{}, err
		}
		b.files[prov] = data
	}
	b.of[art] = prov
	recipes, err := ReadRecipes(bytes.NewReader(data))
	if err != nil {
		return Request{}, inContext(err, "reading provenance %s", prov)
	}
	req := Request{Artifact: art, Name: art, Recipes: recipes, Source: source}
	// sha256:<hex> that is not a path: the published artifact by its
	// digest alone.
	if hexDigest, ok := strings.CutPrefix(art, "sha256:"); ok {
		if _, err := os.Stat(art); err != nil {
			req.Artifact, req.SHA256 = "", strings.ToLower(hexDigest)
		}
	}
	return req, nil
}

// Attest signs one rebuild attestation (NewRebuildStatement, SignStatement)
// per artifact that was rebuilt to a comparison, recording the provenance
// it replayed, and returns the DSSE envelopes as JSON lines. It fails if
// no rebuild can be attested.
func (b *Batch) Attest(ctx context.Context, key crypto.Signer, rebuilderVersion string) ([]byte, error) {
	var out bytes.Buffer
	for _, r := range b.Results {
		if r.RebuiltSHA256 == "" {
			continue
		}
		in := AttestationInput{RebuilderVersion: rebuilderVersion}
		if name, ok := b.of[r.Artifact]; ok {
			in.ProvenanceName = filepath.Base(name)
			sum := sha256.Sum256(b.files[name])
			in.ProvenanceSHA256 = hex.EncodeToString(sum[:])
		}
		stmt, err := NewRebuildStatement(r, in)
		if err != nil {
			return nil, err
		}
		env, err := SignStatement(ctx, stmt, key)
		if err != nil {
			return nil, fmt.Errorf("signing rebuild attestation for %s: %w", r.Artifact, err)
		}
		out.Write(env)
	}
	if out.Len() == 0 {
		return nil, reason.New(reason.EvidenceMissing, "only a rebuild that produced the artifact can be attested; fix the SKIP reasons above",
			"no rebuild to attest")
	}
	return out.Bytes(), nil
}

// ReadSigningKey reads the PEM private key file that signs rebuild
// attestations and recipes (see ParseSigningKey), within MaxKeyBytes.
func ReadSigningKey(path string) (crypto.Signer, error) {
	data, err := readFile(path, MaxKeyBytes)
	if err != nil {
		return nil, err
	}
	return ParseSigningKey(data)
}

// ReadGoSumFile returns the h1: hash of a module zip that the go.sum file
// at path records (within MaxGoSumBytes). A go.sum that has only the
// module's go.mod hash is missing evidence.
func ReadGoSumFile(path, mod, version string) (string, error) {
	data, err := readFile(path, MaxGoSumBytes)
	if err != nil {
		return "", err
	}
	h1, _, err := GoSumHashes(bytes.NewReader(data), mod, version)
	if err != nil {
		return "", err
	}
	if h1 == "" {
		return "", reason.New(reason.EvidenceMissing, "give a go.sum with the module's zip line (not only /go.mod), or --h1",
			"go.sum has only the go.mod hash of %s %s", mod, version)
	}
	return h1, nil
}

// readFile reads a file the caller named, within limit bytes.
func readFile(path string, limit int64) ([]byte, error) {
	data, err := readLimited(path, limit)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "file too large: " + path, Want: fmt.Sprintf("at most %d bytes", limit), Hint: "give the right file"}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the file's path and permissions", "reading %s", path)
	}
	return data, nil
}

// readLimited reads a file of at most limit bytes. Its errors are those
// of the file system, or INPUT_TOO_LARGE, for callers that word their
// own.
func readLimited(name string, limit int64) ([]byte, error) {
	data, err := boundedio.ReadFile(name, limit)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("%s is larger than %d bytes", filepath.Base(name), limit)}
	}
	return data, err
}

// inContext prefixes an error's message with what was being done. A
// *reason.Error keeps its code and hint.
func inContext(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var re *reason.Error
	if errors.As(err, &re) {
		c := *re
		c.Msg = what + ": " + re.Msg
		return &c
	}
	return fmt.Errorf("%s: %w", what, err)
}
