package rebuild

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// MaxCauses is the most causes one explanation lists.
const MaxCauses = 50

// causeRank orders cause codes from the most to the least telling: a
// different toolchain or commit explains everything after it.
var causeRank = map[string]int{
	reason.GoVersionMismatch:    0,
	reason.VCSStampMismatch:     1,
	reason.LdflagsMismatch:      2,
	reason.BuildSettingMismatch: 3,
	reason.ModuleMismatch:       4,
	reason.GzipOnly:             5,
	reason.ArchiveMismatch:      6,
	reason.DigestMismatch:       7,
}

// Explain says why two artifacts that should be equal differ, from the
// ecosystem's own metadata rather than a byte dump: the build info of Go
// binaries, the entries of zip, tar and gzip archives. It never returns an
// empty list: when no metadata explains the difference, the single cause is
// DIGEST_MISMATCH with the sizes and the first differing offset. Got is
// the rebuilt side, Want the published side.
func Explain(published, rebuilt string) []Cause {
	return explainWith(published, rebuilt, nil)
}

// explainWith is Explain that also compares the string variables the
// recipe set with -ldflags=-X, which the build info of -trimpath builds
// does not record.
func explainWith(published, rebuilt string, xSymbols []string) []Cause {
	causes := explain(published, rebuilt, xSymbols)
	sort.SliceStable(causes, func(i, j int) bool {
		ri, rj := causeRank[causes[i].Code], causeRank[causes[j].Code]
		if ri != rj {
			return ri < rj
		}
		return causes[i].What < causes[j].What
	})
	if len(causes) > MaxCauses {
		n := len(causes) - MaxCauses + 1
		causes = append(causes[:MaxCauses-1], Cause{Code: causes[MaxCauses-1].Code, What: fmt.Sprintf("and %d more differences", n)})
	}
	return causes
}

func explain(published, rebuilt string, xSymbols []string) []Cause {
	pubInfo, pubErr := buildinfo.ReadFile(published)
	rebInfo, rebErr := buildinfo.ReadFile(rebuilt)
	switch {
	case pubErr == nil && rebErr == nil:
		c := diffBuildInfo(pubInfo, rebInfo)
		c = append(c, diffXVars(published, rebuilt, xSymbols)...)
		if len(c) > 0 {
			return c
		}
		c = byteDiff(published, rebuilt)
		c[0].What = "Go build info is identical; " + c[0].What
		if hasSetting(pubInfo, "-trimpath", "true") {
			c[0].What += "; -trimpath builds do not record -ldflags, so other -X, -s or -w flags are a likely cause"
		} else {
			c[0].What += "; the artifact was built without -trimpath, so it embeds the paths of the original build"
		}
		return c
	case pubErr == nil:
		return []Cause{{Code: reason.DigestMismatch, What: "the rebuilt file is not a Go binary, the published one is"}}
	case rebErr == nil:
		return []Cause{{Code: reason.DigestMismatch, What: "the published file is not a Go binary, the rebuilt one is"}}
	}
	if c, ok := diffArchives(published, rebuilt); ok {
		return c
	}
	return byteDiff(published, rebuilt)
}

// diffXVars compares the variables set with -X in both binaries.
func diffXVars(published, rebuilt string, syms []string) []Cause {
	if len(syms) == 0 {
		return nil
	}
	want, err1 := elfStringVars(published, syms)
	got, err2 := elfStringVars(rebuilt, syms)
	if err1 != nil || err2 != nil {
		return nil
	}
	var causes []Cause
	for _, s := range syms {
		w, wok := want[s]
		g, gok := got[s]
		if !wok || !gok || w == g {
			continue
		}
		causes = append(causes, Cause{Code: reason.LdflagsMismatch, What: "-ldflags -X " + s, Got: g, Want: w})
	}
	return causes
}

func hasSetting(bi *debug.BuildInfo, key, value string) bool {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value == value
		}
	}
	return false
}

// settingCode classifies a build setting.
func settingCode(key string) string {
	switch {
	case key == "vcs" || strings.HasPrefix(key, "vcs."):
		return reason.VCSStampMismatch
	case key == "-ldflags":
		return reason.LdflagsMismatch
	}
	return reason.BuildSettingMismatch
}

// diffBuildInfo compares the build info of the published (want) and the
// rebuilt (got) binary.
func diffBuildInfo(want, got *debug.BuildInfo) []Cause {
	var causes []Cause
	if want.GoVersion != got.GoVersion {
		causes = append(causes, Cause{Code: reason.GoVersionMismatch, What: "Go version", Got: got.GoVersion, Want: want.GoVersion})
	}
	if want.Path != got.Path {
		causes = append(causes, Cause{Code: reason.BuildSettingMismatch, What: "main package path", Got: got.Path, Want: want.Path})
	}
	ws, gs := settingsMap(want), settingsMap(got)
	for _, k := range unionKeys(ws, gs) {
		w, wok := ws[k]
		g, gok := gs[k]
		if w == g && wok == gok {
			continue
		}
		c := Cause{Code: settingCode(k), What: "build setting " + k, Got: g, Want: w}
		if !gok {
			c.Got = "(unset)"
		}
		if !wok {
			c.Want = "(unset)"
		}
		causes = append(causes, c)
	}
	if want.Main.Path != got.Main.Path {
		causes = append(causes, Cause{Code: reason.ModuleMismatch, What: "main module path", Got: got.Main.Path, Want: want.Main.Path})
	}
	if want.Main.Version != got.Main.Version {
		// The go command derives the main module's version from the VCS
		// state (tag or pseudo-version, +dirty).
		causes = append(causes, Cause{Code: reason.VCSStampMismatch, What: "main module version", Got: got.Main.Version, Want: want.Main.Version})
	}
	wd, gd := depsMap(want), depsMap(got)
	for _, p := range unionKeys(wd, gd) {
		w, wok := wd[p]
		g, gok := gd[p]
		switch {
		case !gok:
			causes = append(causes, Cause{Code: reason.ModuleMismatch, What: "module " + p, Got: "(absent)", Want: w})
		case !wok:
			causes = append(causes, Cause{Code: reason.ModuleMismatch, What: "module " + p, Got: g, Want: "(absent)"})
		case w != g:
			causes = append(causes, Cause{Code: reason.ModuleMismatch, What: "module " + p, Got: g, Want: w})
		}
	}
	return causes
}

func settingsMap(bi *debug.BuildInfo) map[string]string {
	m := make(map[string]string, len(bi.Settings))
	for _, s := range bi.Settings {
		m[s.Key] = s.Value
	}
	return m
}

func depsMap(bi *debug.BuildInfo) map[string]string {
	m := make(map[string]string, len(bi.Deps))
	for _, d := range bi.Deps {
		m[d.Path] = moduleString(d)
	}
	return m
}

func moduleString(m *debug.Module) string {
	s := m.Version
	if m.Sum != "" {
		s += " " + m.Sum
	}
	if m.Replace != nil {
		s += " => " + m.Replace.Path + " " + moduleString(m.Replace)
	}
	return strings.TrimSpace(s)
}

func unionKeys(a, b map[string]string) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// byteDiff is the explanation of last resort: sizes and the first
// differing offset.
func byteDiff(published, rebuilt string) []Cause {
	c := Cause{Code: reason.DigestMismatch, What: "contents differ"}
	pf, err1 := os.Open(published)
	rf, err2 := os.Open(rebuilt)
	if err1 != nil || err2 != nil {
		if pf != nil {
			pf.Close()
		}
		if rf != nil {
			rf.Close()
		}
		return []Cause{c}
	}
	defer pf.Close()
	defer rf.Close()
	off, err := firstDifference(bufio.NewReaderSize(pf, 1<<16), bufio.NewReaderSize(rf, 1<<16))
	pi, _ := pf.Stat()
	ri, _ := rf.Stat()
	if pi != nil && ri != nil {
		c.Got, c.Want = fmt.Sprintf("%d bytes", ri.Size()), fmt.Sprintf("%d bytes", pi.Size())
	}
	if err == nil && off >= 0 {
		c.What = fmt.Sprintf("contents differ from byte %d on", off)
	}
	return []Cause{c}
}

// firstDifference returns the offset of the first differing byte, or -1
// if the streams are equal.
func firstDifference(a, b io.Reader) (int64, error) {
	bufA, bufB := make([]byte, 1<<16), make([]byte, 1<<16)
	var off int64
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		n := min(na, nb)
		if i := firstMismatch(bufA[:n], bufB[:n]); i >= 0 {
			return off + int64(i), nil
		}
		if na != nb {
			return off + int64(n), nil
		}
		off += int64(n)
		endA := errA == io.EOF || errA == io.ErrUnexpectedEOF
		endB := errB == io.EOF || errB == io.ErrUnexpectedEOF
		if errA != nil && !endA {
			return 0, errA
		}
		if errB != nil && !endB {
			return 0, errB
		}
		if endA || endB {
			return -1, nil
		}
	}
}

func firstMismatch(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
