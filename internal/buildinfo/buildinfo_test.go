package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"make build, clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"},
			Settings: setting("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-04T21:30:00Z", "vcs.modified", "false")},
			"v1.2.0 (commit " + rev + ", clean, go1.26.8)"},
		{"make build, dirty", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261204213000-0123456789ab+dirty"},
			Settings: setting("vcs.revision", rev, "vcs.modified", "true")},
			"v0.0.0-20261204213000-0123456789ab+dirty (commit " + rev + ", dirty, go1.26.8)"},
		{"go install module@pseudo-version", debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261204213000-0123456789ab", Sum: "h1:abc="}},
			"v0.0.0-20261204213000-0123456789ab (commit 0123456789ab, clean, module sum h1:abc=, go1.26.8)"},
		{"go install module@tag", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0", Sum: "h1:abc="}},
			"v1.2.0 (commit unknown: built without a VCS stamp, module sum h1:abc=, go1.26.8)"},
		{"-buildvcs=false", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"(devel) (commit unknown: built without a VCS stamp, go1.26.8)"},
		{"no version, revision without modified", debug.BuildInfo{GoVersion: "go1.26.8", Settings: setting("vcs.revision", rev)},
			"(devel) (commit " + rev + ", modifications unknown, go1.26.8)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromBuildInfo(&tc.bi).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
