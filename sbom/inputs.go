package sbom

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// (recursively, in lexical order). Every regular file is an input, whatever
// its name: the content decides whether it is an SBOM, and a file that is
// not one is refused with its reason rather than skipped. A go.sum beside
// a go.mod is read with that go.mod. What cannot be an input is returned
// as a Failure with its reason: special files (named pipes, devices,
// sockets, which could block the run or never end), symbolic links that
// lead nowhere or to a directory, hidden files (.keep) and hidden
// directories (.git), which are named once, not walked. Files are returned as given, so reports name
// them the way the user did.
func CollectInputs(paths []string) ([]string, []Failure, error) {
	var out []string
	var skipped []Failure
	skip := func(p, code, msg, hint string) {
		skipped = append(skipped, Failure{Source: p, Code: code, Message: msg, Hint: hint})
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, nil, reason.Wrap(err, reason.InputUnreadable, "check the path", "reading portfolio input")
		}
		if !st.IsDir() {
			out = append(out, root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				skip(p, reason.InputUnreadable, "reading "+quoteName(p)+": "+err.Error(), "check the directory and its permissions")
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					skip(p, reason.SBOMInputHidden, "hidden directory "+quoteName(p)+" was not walked",
						"name the directory itself to read the SBOMs in it")
					return filepath.SkipDir
				}
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				fi, err := os.Stat(p)
				switch {
				case err != nil:
					skip(p, reason.InputUnreadable, "symbolic link "+quoteName(p)+" leads nowhere: "+err.Error(), "fix or remove the link")
					return nil
				case fi.IsDir():
					skip(p, reason.SBOMInputNotRegular, "symbolic link "+quoteName(p)+" leads to a directory, which is not followed",
						"name the directory itself to read the SBOMs in it")
					return nil
				}
				mode = fi.Mode().Type()
			}
			if !mode.IsRegular() {
				skip(p, reason.SBOMInputNotRegular, quoteName(p)+" is not a regular file ("+fileKind(mode)+") and was not opened",
					"keep only SBOM files in the portfolio directory")
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				skip(p, reason.SBOMInputHidden, "hidden file "+quoteName(p)+" was not read", "name the file itself to read it")
				return nil
			}
			if strings.ToLower(d.Name()) == "go.sum" {
				if _, err := os.Stat(filepath.Join(filepath.Dir(p), "go.mod")); err == nil {
					return nil // read with the go.mod beside it
				}
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, nil, reason.Wrap(err, reason.InputUnreadable, "check the directory and its permissions", "walking portfolio directory %q", root)
		}
	}
	return out, skipped, nil
}

// fileKind names a non-regular file type.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "mode " + m.String()
}
