package verify

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// Limits of the directories verify walks.
const (
	// MaxDirectoryEntries is the most entries read from the directories
	// named on the command line, all of them together.
	MaxDirectoryEntries = 100_000
	// MaxDirectoryDepth is the deepest subdirectory walked with Recursive.
	MaxDirectoryDepth = 32
)

// Expansion is what verify does with its arguments: the artifacts to
// verify, and every directory entry that is not one, with why. Nothing in
// a directory is dropped in silence.
type Expansion struct {
	// Artifacts are verified, in this order.
	Artifacts []string
	// items are the artifacts and refused entries in the order of the
	// report: arguments as given, directory entries sorted by path.
	items []expansionItem
	// evidence lists, per artifact path, the evidence files beside it in
	// its directory, whether verify reads them or not.
	evidence map[string][]string
}

// expansionItem is an artifact (an index into Artifacts) or a refused
// entry's verdict.
type expansionItem struct {
	artifact int
	refused  *policy.Verdict
}

// Expand resolves the arguments: a file, digest or image stays one
// artifact; a directory becomes its regular files, each either an artifact
// or the evidence of one beside it. Every other entry becomes a failed
// verdict with its reason: a symbolic link (ENTRY_SYMLINK, never followed:
// its target may lie outside the directory, and a link is not what was
// published), a subdirectory without recursive (ENTRY_SUBDIRECTORY), a
// device, FIFO or socket (ENTRY_NOT_REGULAR), and an evidence file whose
// artifact is not in the directory (EVIDENCE_ORPHANED). With recursive,
// subdirectories are walked, each with its own evidence.
func Expand(args []string, recursive bool) (*Expansion, error) {
	w := &walker{exp: &Expansion{evidence: map[string][]string{}}, recursive: recursive}
	for _, a := range args {
		if isDigestArg(a) {
			if _, err := vocab.ParseSHA256(strings.ToLower(strings.TrimPrefix(a, "sha256:"))); err != nil {
				return nil, fmt.Errorf("reading artifact digest %q: give sha256: followed by 64 hex digits, or a file path", a)
			}
			w.artifact(a)
			continue
		}
		fi, err := os.Stat(a)
		if err != nil || !fi.IsDir() {
			w.artifact(a)
			continue
		}
		before := len(w.exp.items)
		if err := w.walk(a, 0); err != nil {
			return nil, err
		}
		if len(w.exp.items) == before {
			return nil, fmt.Errorf("directory %q holds no artifact", a)
		}
	}
	return w.exp, nil
}

type walker struct {
	exp       *Expansion
	recursive bool
	entries   int
}

func (w *walker) artifact(path string) {
	w.exp.items = append(w.exp.items, expansionItem{artifact: len(w.exp.Artifacts)})
	w.exp.Artifacts = append(w.exp.Artifacts, path)
}

func (w *walker) refuse(path string, e *reason.Error) {
	subject := policy.Subject{Name: path}
	v := policy.Decide(subject, []policy.Check{failCheck(vocab.CheckEntry, subject, e, "")})
	w.exp.items = append(w.exp.items, expansionItem{artifact: -1, refused: &v})
}

// walk adds the entries of dir, sorted by name.
func (w *walker) walk(dir string, depth int) error {
	if depth > MaxDirectoryDepth {
		return fmt.Errorf("reading directory %q: nested deeper than %d directories", dir, MaxDirectoryDepth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading directory %q: %w", dir, err)
	}
	if w.entries += len(entries); w.entries > MaxDirectoryEntries {
		return fmt.Errorf("reading directories: more than %d entries", MaxDirectoryEntries)
	}
	// The regular files first: an evidence file belongs to the artifact
	// its name extends, which may sort after it.
	artifacts := map[string]bool{}
	evidence := map[string]bool{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if isEvidenceName(e.Name()) {
				evidence[e.Name()] = true
			} else {
				artifacts[e.Name()] = true
			}
		}
	}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			w.refuse(path, &reason.Error{Code: reason.EntrySymlink, Msg: fmt.Sprintf("%s is a symbolic link: links are not followed", path), Got: "link to " + target, Want: "a regular file",
				Hint: "a link is not what was published and may point outside the directory: name its target as an artifact, or remove the link"})
		case t.IsDir():
			if !w.recursive {
				w.refuse(path, reason.New(reason.EntrySubdirectory,
					"add --recursive to verify the files inside it, or name them as artifacts", "%s is a subdirectory: not verified without --recursive", path))
				continue
			}
			if err := w.walk(path, depth+1); err != nil {
				return err
			}
		case !t.IsRegular():
			w.refuse(path, &reason.Error{Code: reason.EntryNotRegular, Msg: fmt.Sprintf("%s is not a regular file", path), Got: t.String(), Want: "a regular file",
				Hint: "only regular files are artifacts: remove devices, FIFOs and sockets from the directory"})
		case evidence[name]:
			owner, ok := evidenceOwner(name, artifacts, evidence)
			if !ok {
				w.refuse(path, reason.New(reason.EvidenceOrphaned,
					"put the artifact beside its evidence, or move keys and the evidence of other artifacts out of the directory",
					"%s is named as evidence, but no artifact it names is in the directory", path))
				continue
			}
			o := filepath.Join(dir, owner)
			w.exp.evidence[o] = append(w.exp.evidence[o], path)
		default:
			w.artifact(path)
		}
	}
	return nil
}

// evidenceOwner returns the artifact an evidence file name belongs to: the
// name with an evidence suffix removed, itself an artifact, or evidence of
// one (a bundle of an SBOM, say).
func evidenceOwner(name string, artifacts, evidence map[string]bool) (string, bool) {
	for _, s := range nonArtifactSuffixes {
		base, ok := strings.CutSuffix(name, s)
		if !ok || base == "" {
			continue
		}
		if artifacts[base] {
			return base, true
		}
		if evidence[base] {
			if owner, ok := evidenceOwner(base, artifacts, evidence); ok {
				return owner, true
			}
		}
	}
	return "", false
}

// VerifyExpansion verifies the artifacts of exp and returns one verdict
// per artifact and per refused entry, in the order of exp. An evidence
// file of an artifact that none of its checks read is listed in its
// verdict as a SKIP (EVIDENCE_UNREAD), so every file is accounted for.
func (r *Runner) VerifyExpansion(ctx context.Context, exp *Expansion) ([]policy.Verdict, error) {
	var verdicts []policy.Verdict
	if len(exp.Artifacts) > 0 {
		var err error
		if verdicts, err = r.Verify(ctx, exp.Artifacts); err != nil {
			return nil, err
		}
	}
	out := make([]policy.Verdict, 0, len(exp.items))
	for _, it := range exp.items {
		if it.refused != nil {
			out = append(out, *it.refused)
			continue
		}
		v := verdicts[it.artifact]
		for _, file := range exp.evidence[exp.Artifacts[it.artifact]] {
			if !readBy(v, file) {
				v.Checks = append(v.Checks, policy.Check{ID: vocab.CheckEntry, Subject: v.Subject, Status: policy.StatusSkip, Reason: reason.EvidenceUnread,
					Message:  fmt.Sprintf("%s is evidence of %s that no check read", file, v.Subject.Name),
					Hint:     "verify reads Sigstore bundles beside the artifact, and with --policy its SBOM and VSAs; check other evidence with the tool that made it",
					Evidence: file})
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// readBy reports whether a check of v read file (a JSON-lines file is
// named with its line).
func readBy(v policy.Verdict, file string) bool {
	for _, c := range v.Checks {
		if c.Evidence == file || strings.HasPrefix(c.Evidence, file+":") {
			return true
		}
	}
	return false
}
