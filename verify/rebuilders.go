package verify

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// RebuildSuffixes are the names, appended to an artifact's path, under
// which the rebuild attestations of other rebuilders are discovered when
// the policy names rebuilders: `sovcheck rebuild --attest`'s DSSE
// envelopes, and the rebuild.intoto.jsonl OSS Rebuild publishes per
// artifact.
var RebuildSuffixes = []string{".rebuild.json", ".rebuild.intoto.jsonl"}

// MaxRebuildAttestationFiles is the most files read from the
// --rebuild-attestations directory.
const MaxRebuildAttestationFiles = 256

// rebuilderSet is the policy's rebuilders: their keys, and who holds each.
type rebuilderSet struct {
	keys  *attest.RebuilderKeys
	names map[string]policy.Rebuilder // by key id
	files []string                    // the --rebuild-attestations directory's files, sorted
}

// newRebuilderSet takes the rebuilders the policy names, the public keys
// of those it pins by id (keyFiles) and the directory of rebuild
// attestations. It is nil when the policy names no rebuilder and no
// directory is given.
func newRebuilderSet(p *policy.Policy, keyFiles []string, dir string) (*rebuilderSet, error) {
	rs := p.Rebuilders()
	if len(rs) == 0 && dir == "" && len(keyFiles) == 0 {
		return nil, nil
	}
	set := &rebuilderSet{keys: attest.NewRebuilderKeys(), names: map[string]policy.Rebuilder{}}
	for _, r := range rs {
		set.keys.Trust(r.KeyID)
		set.names[r.KeyID] = r
		if r.Key != nil {
			if err := set.keys.Add(r.KeyID, r.Key); err != nil {
				return nil, configErr(err, reason.KeyInvalid, "")
			}
		}
	}
	for _, file := range keyFiles {
		pub, err := readKey(file)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "give the rebuilder's PEM public key with --rebuilder-key")
		}
		id, err := vocab.KeyID(pub)
		if err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
		if !set.keys.Trusts(id) {
			return nil, &ConfigError{reason.New(reason.KeyMismatch,
				"add the rebuilder, with this key's sha256, to rebuild.rebuilders in the policy, or give the key of a rebuilder the policy names",
				"rebuilder key %s (sha256:%s) is not one of the rebuilders of policy %s", file, id, p.Name())}
		}
		if err := set.keys.Add(id, pub); err != nil {
			return nil, configErr(err, reason.KeyInvalid, "")
		}
	}
	if dir != "" {
		files, err := rebuildAttestationFiles(dir)
		if err != nil {
			return nil, err
		}
		set.files = files
	}
	return set, nil
}

// rebuildAttestationFiles lists the .json and .jsonl files of dir.
func rebuildAttestationFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &ConfigError{reason.Wrap(err, reason.InputUnreadable, "give a directory of rebuild attestation files with --rebuild-attestations", "reading %s", dir)}
	}
	var files []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !(strings.HasSuffix(e.Name(), ".json") || strings.HasSuffix(e.Name(), ".jsonl")) {
			continue
		}
		if len(files) == MaxRebuildAttestationFiles {
			return nil, &ConfigError{&reason.Error{Code: reason.InputTooLarge, Msg: "too many rebuild attestation files in " + dir,
				Want: fmt.Sprintf("at most %d", MaxRebuildAttestationFiles), Hint: "keep the attestations of the artifacts verified, or put each beside its artifact"}}
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	sort.Strings(files)
	return files, nil
}

// rebuildAttestations reads the rebuild attestations of one artifact
// (beside it, then in the directory), records those that verified with a
// rebuilder's key and are about the artifact in f.Rebuilds, and returns a
// check for each: PASS when it verified, SKIP when it counts for nothing
// (unknown key, other bytes, not a rebuild attestation), FAIL when it was
// changed after signing or does not parse.
func (set *rebuilderSet) rebuildAttestations(f *policy.Facts, g *gathered) []policy.Check {
	if set == nil {
		return nil
	}
	files := set.files
	if g.art.Path != "" {
		var beside []string
		for _, s := range RebuildSuffixes {
			if fi, err := os.Stat(g.art.Path + s); err == nil && fi.Mode().IsRegular() {
				beside = append(beside, g.art.Path+s)
			}
		}
		files = append(beside, files...)
	}
	subject := g.subject
	art := subject.Digest["sha256"]
	var checks []policy.Check
	for _, file := range files {
		data, err := readUpTo(file, attest.MaxBundleSize+1)
		if err != nil {
			checks = append(checks, failCheck(vocab.CheckRebuildAttestation, subject, reason.Wrap(err, reason.InputUnreadable, "check the rebuild attestation path", "reading rebuild attestation"), file))
			continue
		}
		claims, errs := set.keys.VerifyRebuildFile(data)
		for _, err := range errs {
			var nc *attest.NotCountedError
			if errors.As(err, &nc) {
				checks = append(checks, policy.Check{ID: vocab.CheckRebuildAttestation, Subject: subject, Status: policy.StatusSkip,
					Reason: nc.Reason.Code, Message: nc.Reason.Msg, Hint: nc.Reason.Hint, Evidence: file})
				continue
			}
			checks = append(checks, failCheck(vocab.CheckRebuildAttestation, subject, reason.As(err, reason.BundleMalformed, ""), file))
		}
		for _, v := range claims {
			c := v.Claim
			msg := fmt.Sprintf("%s verified: signed by rebuilder %s, key sha256:%s; %s", v.Form, set.names[v.KeyID], v.KeyID, describeClaim(c))
			if !aboutArtifact(c, art, subject.Name) {
				checks = append(checks, policy.Check{ID: vocab.CheckRebuildAttestation, Subject: subject, Status: policy.StatusSkip, Reason: reason.SubjectMismatch,
					Message: "about other bytes, not counted: " + msg, Hint: "give the rebuild attestations of this artifact", Evidence: file})
				continue
			}
			f.Rebuilds = append(f.Rebuilds, policy.RebuildAttestation{KeyID: v.KeyID, Format: c.Format, Artifact: c.Artifact, Source: c.Source,
				Recipe: c.Recipe, Upstream: c.Upstream, Rebuilt: c.Rebuilt, Equal: c.Equal, Normalisation: c.Normalisation, Evidence: file})
			checks = append(checks, policy.Check{ID: vocab.CheckRebuildAttestation, Subject: subject, Status: policy.StatusPass, Message: msg, Evidence: file})
		}
	}
	return checks
}

// aboutArtifact reports whether a claim is about the artifact: it
// compared or rebuilt its digest, or it names the artifact's file.
func aboutArtifact(c *attest.RebuildClaim, sha, name string) bool {
	return sha != "" && (c.Upstream == sha || c.Rebuilt == sha) || name != "" && path.Base(c.Artifact) == path.Base(name)
}

// describeClaim says what a claim states, for the check's message.
func describeClaim(c *attest.RebuildClaim) string {
	src := c.Source
	if src == "" {
		src = "source not named"
	}
	s := fmt.Sprintf("%s: %s rebuilt from %s as sha256:%s", c.Format, c.Artifact, src, c.Rebuilt)
	switch {
	case c.Upstream == "":
		return s + ", compared with nothing"
	case c.Equal && c.Normalisation == "":
		return s + ", bit for bit equal to sha256:" + c.Upstream
	case c.Equal:
		return s + ", equal after " + c.Normalisation + " to sha256:" + c.Upstream
	}
	return s + ", differs from sha256:" + c.Upstream
}
