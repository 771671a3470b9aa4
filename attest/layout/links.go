package layout

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// loadLinks reads, for every step, the files in dir named
// <step>.<8 characters>.link, in file name order.
func (v *verifier) loadLinks(layout in_toto.Layout, dir string, depth int) (map[string][]linkFile, error) {
	names, err := listDir(dir, depth)
	if err != nil {
		return nil, err
	}
	links := map[string][]linkFile{}
	for _, step := range layout.Steps {
		for _, n := range names {
			short, ok := linkKeyPrefix(n, step.Name)
			if !ok {
				continue
			}
			l, err := v.loadLink(filepath.Join(dir, n), step.Name, short)
			if err != nil {
				return nil, err
			}
			links[step.Name] = append(links[step.Name], l)
		}
	}
	return links, nil
}

// linkKeyPrefix returns the key id prefix in a link file name
// <step>.<8 characters>.link, the form in-toto-run writes.
func linkKeyPrefix(file, step string) (string, bool) {
	rest, ok := strings.CutPrefix(file, step+".")
	if !ok {
		return "", false
	}
	short, ok := strings.CutSuffix(rest, ".link")
	if !ok || len(short) != 8 {
		return "", false
	}
	return short, true
}

func listDir(dir string, depth int) ([]string, error) {
	hint := "give the directory holding the link files with --links"
	if depth > 0 {
		hint = "the links of a sublayout go into the directory <step>.<keyid prefix> beside the sublayout's link file"
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, hint, "reading link directory %s", dirLabel(dir, depth))
	}
	defer f.Close()
	entries, err := f.ReadDir(MaxDirEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, reason.Wrap(pathErr(err), reason.InputUnreadable, hint, "reading link directory %s", dirLabel(dir, depth))
	}
	if len(entries) > MaxDirEntries {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("reading link directory %s: too many entries", dirLabel(dir, depth)),
			Got: fmt.Sprintf("more than %d", MaxDirEntries), Want: fmt.Sprintf("at most %d", MaxDirEntries),
			Hint: "give a directory that holds only this supply chain's links"}
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

// dirLabel names a link directory in messages without exposing an
// absolute path: the root link directory by its base name, a sublayout's
// by its last two elements.
func dirLabel(dir string, depth int) string {
	if depth == 0 {
		return fmt.Sprintf("%q", filepath.Base(dir))
	}
	return fmt.Sprintf("%q", filepath.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir)))
}

// loadLink reads one link file for step and checks that it is signed by the
// key its name points at and that it is a link for this step (or a
// sublayout). in-toto-golang skips unreadable links and does not compare
// the link's name with the step's; sovcheck fails closed on both.
func (v *verifier) loadLink(p, step, short string) (linkFile, error) {
	data, err := v.readFile(p, "link")
	if err != nil {
		return linkFile{}, err
	}
	return parseLink(data, filepath.Base(p), step, short)
}

// parseLink parses the link file named file, found for step and
// naming the key id prefix short.
func parseLink(data []byte, file, step, short string) (linkFile, error) {
	const hint = "link files are written by in-toto-run and must not be edited; ask the functionary for the original"
	md, err := parseMetadata(data)
	if err != nil {
		return linkFile{}, reason.Wrap(err, reason.LinksInvalid, hint, "parsing link %s", file)
	}
	l := linkFile{file: file, md: md}
	for _, s := range md.Sigs() {
		if strings.HasPrefix(s.KeyID, short) {
			l.keyID = s.KeyID
			break
		}
	}
	if l.keyID == "" {
		return linkFile{}, reason.New(reason.LinksInvalid, hint, "parsing link %s: no signature by a key whose id starts with %q", file, short)
	}
	switch p := md.GetPayload().(type) {
	case in_toto.Link:
		if err := in_toto.ValidateMetablock(in_toto.Metablock{Signed: p}); err != nil {
			return linkFile{}, reason.Wrap(err, reason.LinksInvalid, hint, "validating link %s", file)
		}
		if p.Name != step {
			return linkFile{}, &reason.Error{Code: reason.LinksInvalid, Msg: fmt.Sprintf("validating link %s: link is for another step", file),
				Got: p.Name, Want: step, Hint: "a link counts only for the step it names; check that the file was not renamed"}
		}
	case in_toto.Layout:
		// A sublayout: verified as a layout once its signer is known to be
		// a functionary of the step.
	default:
		return linkFile{}, reason.New(reason.LinksInvalid, hint, "parsing link %s: got %T, want a link or a layout", file, p)
	}
	return l, nil
}
