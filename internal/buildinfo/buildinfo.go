// Package buildinfo names the exact build of sovcheck that is running, so
// that a verdict, a SARIF run or an HTML report can say which build judged:
// the module version, the commit, whether the tree was modified, the Go
// toolchain. It reads the build information the go command stamps into
// the binary (runtime/debug.ReadBuildInfo) and invents nothing: what the
// build does not record is reported as unknown.
//
// Where the commit comes from:
//   - a build in a git checkout with -buildvcs=true (make build): the
//     vcs.revision, vcs.time and vcs.modified settings; the module version
//     is the tag at the commit or a pseudo-version, "+dirty" when modified;
//   - go install module@version: the version (a pseudo-version names its
//     commit) and the module sum (h1:...) of the verified module zip, which
//     cannot be modified;
//   - go run, go test, -buildvcs=false: none, and the string says so.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/module"
)

// Info is what a binary records about its own build.
type Info struct {
	// Version is the main module's version: a tag, a pseudo-version
	// (v0.0.0-20261204213000-0123456789ab) or "(devel)".
	Version string
	// Commit is the full VCS revision, or the 12-digit prefix that a
	// pseudo-version carries; empty when the build recorded neither.
	Commit string
	// CommitTime is the commit's time (RFC 3339), when stamped.
	CommitTime string
	// Modified tells whether the tree had uncommitted changes; it is
	// meaningful only when ModifiedKnown.
	Modified, ModifiedKnown bool
	// Sum is the module sum of a build from a module zip (go install
	// module@version), empty otherwise.
	Sum string
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// Read returns the build information of the running binary.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(devel)", GoVersion: "unknown"}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts Info from the go command's build information.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Sum: bi.Main.Sum, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.CommitTime = s.Value
		case "vcs.modified":
			info.Modified, info.ModifiedKnown = s.Value == "true", true
		}
	}
	if info.Commit == "" && module.IsPseudoVersion(info.Version) {
		if rev, err := module.PseudoVersionRev(info.Version); err == nil {
			info.Commit = rev
		}
	}
	if !info.ModifiedKnown && info.Sum != "" {
		// A module zip whose sum go.sum or the checksum database
		// verified holds exactly the files of its version.
		info.ModifiedKnown = true
	}
	return info
}

// String names the build in one line, for `sovcheck version` and reports:
//
//	v1.2.0 (commit 0123456789abcdef0123456789abcdef01234567, clean, go1.26.8)
//	(devel) (commit unknown: built without a VCS stamp, go1.26.8)
func (i Info) String() string {
	parts := []string{}
	switch {
	case i.Commit == "":
		parts = append(parts, "commit unknown: built without a VCS stamp")
	case !i.ModifiedKnown:
		parts = append(parts, "commit "+i.Commit, "modifications unknown")
	case i.Modified:
		parts = append(parts, "commit "+i.Commit, "dirty")
	default:
		parts = append(parts, "commit "+i.Commit, "clean")
	}
	if i.Sum != "" {
		parts = append(parts, "module sum "+i.Sum)
	}
	parts = append(parts, i.GoVersion)
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(parts, ", "))
}

// String names the build of the running binary (Read().String()).
func String() string { return Read().String() }
