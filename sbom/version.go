package sbom

import (
	"strings"

	"golang.org/x/mod/semver"
)

// versionCompare compares two versions of one ecosystem. ok is false when
// either version does not parse; callers then treat the question as
// unanswered, never as "not affected".
type versionCompare func(a, b string) (c int, ok bool)

// comparatorFor returns the version order of an OSV ecosystem (the part
// before any ":release" suffix), or nil when sovcheck has none.
func comparatorFor(ecosystem string) versionCompare {
	switch ecosystem {
	case "npm", "Go", "crates.io", "Hex", "Pub":
		return compareSemver
	case "Debian", "Ubuntu":
		return compareDpkg
	case "Alpine", "Wolfi", "Chainguard":
		return compareAPK
	case "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mariner", "Azure Linux":
		return compareRPM
	}
	return nil
}

// compareSemver orders Semantic Versioning 2.0 versions, with or without
// a leading "v".
func compareSemver(a, b string) (int, bool) {
	va, vb := semverCanonical(a), semverCanonical(b)
	if !semver.IsValid(va) || !semver.IsValid(vb) {
		return 0, false
	}
	return semver.Compare(va, vb), true
}

func semverCanonical(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

// compareDpkg orders Debian versions [epoch:]upstream[-revision] as dpkg
// does: epochs numerically, then upstream and revision by verrevcmp.
func compareDpkg(a, b string) (int, bool) {
	ea, ua, ra, ok1 := splitDpkg(a)
	eb, ub, rb, ok2 := splitDpkg(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	if c := compareDigits(ea, eb); c != 0 {
		return c, true
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c, true
	}
	return verrevcmp(ra, rb), true
}

func splitDpkg(v string) (epoch, upstream, revision string, ok bool) {
	epoch, upstream, revision, ok = splitEVR(v)
	if !ok || upstream == "" || upstream[0] < '0' || upstream[0] > '9' {
		return "", "", "", false
	}
	return epoch, upstream, revision, true
}

// splitEVR splits the [epoch:]version[-release] form that dpkg and rpm
// share; the epoch defaults to 0 and must be digits.
func splitEVR(v string) (epoch, version, release string, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, " \t") {
		return "", "", "", false
	}
	epoch = "0"
	if e, rest, found := strings.Cut(v, ":"); found {
		if e == "" || strings.Trim(e, "0123456789") != "" {
			return "", "", "", false
		}
		epoch, v = e, rest
	}
	version = v
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		version, release = v[:i], v[i+1:]
	}
	return epoch, version, release, true
}

// dpkgOrder is the weight of one character in verrevcmp: "~" sorts before
// everything, even the end of the string; letters before other symbols.
func dpkgOrder(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		return int(c)
	case c == '~':
		return -1
	case c == 0:
		return 0
	}
	return int(c) + 256
}

func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := dpkgOrder(at(a, i)), dpkgOrder(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

// compareRPM orders [epoch:]version[-release] as rpm does.
func compareRPM(a, b string) (int, bool) {
	ea, va, ra, ok1 := splitRPM(a)
	eb, vb, rb, ok2 := splitRPM(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	if c := compareDigits(ea, eb); c != 0 {
		return c, true
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c, true
	}
	if ra == "" || rb == "" {
		return 0, true // a range bound without release matches every release
	}
	return rpmvercmp(ra, rb), true
}

func splitRPM(v string) (epoch, version, release string, ok bool) {
	epoch, version, release, ok = splitEVR(v)
	return epoch, version, release, ok && version != ""
}

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// rpmvercmp compares alternating digit and letter segments; "~" sorts
// before everything, "^" after the end of a version but before anything
// else.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	for len(a) > 0 || len(b) > 0 {
		for len(a) > 0 && !isAlnum(a[0]) && a[0] != '~' && a[0] != '^' {
			a = a[1:]
		}
		for len(b) > 0 && !isAlnum(b[0]) && b[0] != '~' && b[0] != '^' {
			b = b[1:]
		}
		if hasPrefixByte(a, '~') || hasPrefixByte(b, '~') {
			if !hasPrefixByte(a, '~') {
				return 1
			}
			if !hasPrefixByte(b, '~') {
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		if hasPrefixByte(a, '^') || hasPrefixByte(b, '^') {
			if len(a) == 0 {
				return -1
			}
			if len(b) == 0 {
				return 1
			}
			if !hasPrefixByte(a, '^') {
				return 1
			}
			if !hasPrefixByte(b, '^') {
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		if len(a) == 0 || len(b) == 0 {
			break
		}
		num := isDigit(a[0])
		class := func(c byte) bool {
			if num {
				return isDigit(c)
			}
			return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		}
		i := 0
		for i < len(a) && class(a[i]) {
			i++
		}
		j := 0
		for j < len(b) && class(b[j]) {
			j++
		}
		sa, sb := a[:i], b[:j]
		a, b = a[i:], b[j:]
		if len(sb) == 0 {
			if num {
				return 1
			}
			return -1
		}
		if num {
			if c := compareDigits(sa, sb); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) > 0:
		return 1
	}
	return -1
}

func hasPrefixByte(s string, c byte) bool { return len(s) > 0 && s[0] == c }

// compareDigits compares unbounded decimal strings.
func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// apkSuffixRank orders Alpine version suffixes: pre-releases before the
// plain version, post-release markers after it.
var apkSuffixRank = map[string]int{"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}

const apkNoSuffix = 5

type apkVersion struct {
	nums     []string
	letter   byte
	suffixes [][2]string // rank (as digits) and number
	revision string
}

func parseAPK(v string) (apkVersion, bool) {
	var out apkVersion
	v = strings.TrimSpace(v)
	if i := strings.LastIndex(v, "-r"); i >= 0 {
		rev := v[i+2:]
		if rev == "" || strings.Trim(rev, "0123456789") != "" {
			return out, false
		}
		out.revision, v = rev, v[:i]
	}
	main, suffixes, _ := strings.Cut(v, "_")
	if main == "" {
		return out, false
	}
	if c := main[len(main)-1]; c >= 'a' && c <= 'z' {
		out.letter, main = c, main[:len(main)-1]
	}
	for _, n := range strings.Split(main, ".") {
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return out, false
		}
		out.nums = append(out.nums, n)
	}
	if suffixes != "" {
		for _, s := range strings.Split(suffixes, "_") {
			name := strings.TrimRight(s, "0123456789")
			rank, ok := apkSuffixRank[name]
			if !ok {
				return out, false
			}
			out.suffixes = append(out.suffixes, [2]string{string(rune('0' + rank)), s[len(name):]})
		}
	}
	return out, true
}

// compareAPK orders Alpine package versions: dotted numbers, an optional
// letter, suffixes (_alpha.._rc before the release, _p and VCS markers
// after), then the -rN package revision.
func compareAPK(a, b string) (int, bool) {
	va, ok1 := parseAPK(a)
	vb, ok2 := parseAPK(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	for i := 0; i < len(va.nums) && i < len(vb.nums); i++ {
		if c := compareDigits(va.nums[i], vb.nums[i]); c != 0 {
			return c, true
		}
	}
	if len(va.nums) != len(vb.nums) {
		return sign(len(va.nums) - len(vb.nums)), true
	}
	if va.letter != vb.letter {
		return sign(int(va.letter) - int(vb.letter)), true
	}
	none := [2]string{string(rune('0' + apkNoSuffix)), ""}
	for i := 0; i < max(len(va.suffixes), len(vb.suffixes)); i++ {
		sa, sb := none, none
		if i < len(va.suffixes) {
			sa = va.suffixes[i]
		}
		if i < len(vb.suffixes) {
			sb = vb.suffixes[i]
		}
		if sa[0] != sb[0] {
			return strings.Compare(sa[0], sb[0]), true
		}
		if c := compareDigits(sa[1], sb[1]); c != 0 {
			return c, true
		}
	}
	return compareDigits(va.revision, vb.revision), true
}
