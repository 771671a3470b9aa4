package rebuild

import (
	"fmt"
	"strings"
)

// The go command flags a recipe may give, per subcommand. Anything else is
// refused: a flag sovcheck does not know could make the go command run a
// program of the recipe's choosing in the sandbox (-toolexec, -exec, an
// external linker), write outside the checkout (-o elsewhere, -pkgdir,
// -debug-trace, the compiler's -asmhdr), or read files the build does not
// own (-C, -modfile, -overlay) — and a build that can run its own code or
// write anywhere can plant entries in the build cache that later rebuilds
// share.
//
// The go command splits -ldflags, -gcflags, -asmflags, -extldflags and
// GOFLAGS with its own quoting rules (goSplit); sovcheck checks the very
// fields the go command and the linker will see.

// flagKind says whether a go flag takes a value.
type flagKind int

const (
	boolFlag  flagKind = iota // -flag or -flag=true|false
	valueFlag                 // -flag value or -flag=value
)

// buildFlags are the go build flags a recipe may give (go build -o is
// checked apart: see checkGoArgs).
var buildFlags = map[string]flagKind{
	"a": boolFlag, "race": boolFlag, "msan": boolFlag, "asan": boolFlag, "cover": boolFlag,
	"v": boolFlag, "x": boolFlag, "trimpath": boolFlag, "modcacherw": boolFlag, "buildvcs": valueFlagOrBool,
	"p": valueFlag, "covermode": valueFlag, "coverpkg": valueFlag, "asmflags": valueFlag, "buildmode": valueFlag,
	"gcflags": valueFlag, "installsuffix": valueFlag, "ldflags": valueFlag, "mod": valueFlag, "pgo": valueFlag,
	"tags": valueFlag,
}

// valueFlagOrBool is -buildvcs: -buildvcs, -buildvcs=true|false|auto. It
// never takes the next argument.
const valueFlagOrBool = boolFlag

// subcommandFlags are the flags of each subcommand a recipe may run.
var subcommandFlags = map[string]map[string]flagKind{
	"build":        withBuildFlags(map[string]flagKind{"o": valueFlag}),
	"mod download": {"x": boolFlag, "json": boolFlag},
	"mod vendor":   {"v": boolFlag, "e": boolFlag},
	"mod verify":   {},
	"version":      {"m": boolFlag, "v": boolFlag, "json": boolFlag},
	"env":          {"json": boolFlag},
}

func withBuildFlags(extra map[string]flagKind) map[string]flagKind {
	m := map[string]flagKind{}
	for k, v := range buildFlags {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// checkGoArgs checks a go command line: each flag (up to the first
// argument that is no flag, as the go command reads them) must be one the
// subcommand allows, with an allowed value; -o may come once, only in go
// build, as a clean path relative to the working directory.
func checkGoArgs(cmd []string) error {
	sub, args := cmd[1], cmd[2:]
	if sub == "mod" {
		if len(args) == 0 {
			return unsupported("step runs go mod without a subcommand")
		}
		sub, args = "mod "+args[0], args[1:]
	}
	allowed, ok := subcommandFlags[sub]
	if !ok {
		return unsupported("step runs go %s, which sovcheck does not replay", sub)
	}
	seenO := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			return nil
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		kind, ok := allowed[name]
		if !ok {
			return unsupported("step gives go %s the flag -%s, which sovcheck does not replay", sub, name)
		}
		if kind == valueFlag && !hasValue {
			if i+1 == len(args) {
				return malformed("go flag -%s has no value", name)
			}
			i++
			value = args[i]
		}
		if kind == boolFlag && hasValue && !isBoolValue(name, value) {
			return malformed("go flag -%s=%s is not a boolean", name, value)
		}
		if name == "o" {
			if seenO {
				return unsupported("step gives -o twice")
			}
			seenO = true
			if err := checkRelPath("go build -o", value); err != nil || value == "." || strings.HasSuffix(value, "/") {
				return unsupported("go build -o %q is not a file path inside the working directory", value)
			}
			continue
		}
		if err := checkGoFlagValue(name, value); err != nil {
			return err
		}
	}
	return nil
}

func isBoolValue(name, v string) bool {
	switch v {
	case "true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False", "T", "F":
		return true
	}
	return name == "buildvcs" && v == "auto"
}

// checkGOFLAGS checks GOFLAGS, which applies to every go command of the
// build: each field a -flag or -flag=value that some allowed subcommand
// accepts, never -o.
func checkGOFLAGS(v string) error {
	fields, err := goSplit(v)
	if err != nil {
		return malformed("GOFLAGS: %v", err)
	}
	for _, f := range fields {
		if !strings.HasPrefix(f, "-") {
			return malformed("GOFLAGS field %q is not a flag", f)
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-"), "=")
		kind, ok := buildFlags[name]
		if !ok {
			return unsupported("GOFLAGS sets -%s, which sovcheck does not replay", name)
		}
		if kind == valueFlag && !hasValue {
			return malformed("GOFLAGS flag -%s has no =value", name)
		}
		if kind == boolFlag && hasValue && !isBoolValue(name, value) {
			return malformed("GOFLAGS flag -%s=%s is not a boolean", name, value)
		}
		if err := checkGoFlagValue(name, value); err != nil {
			return err
		}
	}
	return nil
}

// checkGoFlagValue checks the values that can name programs or paths.
func checkGoFlagValue(name, value string) error {
	switch name {
	case "buildmode":
		if value != "default" && value != "exe" && value != "pie" {
			return unsupported("step builds with -buildmode=%s; sovcheck rebuilds programs (exe, pie)", value)
		}
	case "ldflags":
		return checkLdflags(value)
	case "gcflags", "asmflags":
		return checkCompilerFlags(name, value)
	case "pgo":
		if value != "auto" && value != "off" {
			if err := checkRelPath("-pgo profile", value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Linker flags a recipe may give; linkerValueFlags take a value (as the
// next field or after "="). With anything else (-extld, -extar, -r,
// -tmpdir, -o, -cpuprofile, ...) the linker would run, load or write
// something of the recipe's choosing.
var (
	linkerBoolFlags  = map[string]bool{"-s": true, "-w": true, "-compressdwarf": true, "-checklinkname": true}
	linkerValueFlags = map[string]bool{"-X": true, "-buildid": true, "-B": true, "-linkmode": true, "-extldflags": true}
	// extldflagsAllowed are the external linker flags a recipe may pass.
	extldflagsAllowed = map[string]bool{"-static": true, "-static-pie": true, "-pie": true, "-s": true,
		"-Wl,--build-id=none": true, "-Wl,-z,relro": true, "-Wl,-z,now": true, "-Wl,-s": true}
)

func checkLdflags(v string) error {
	toks, err := goSplit(stripPattern(v))
	if err != nil {
		return malformed("-ldflags: %v", err)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !strings.HasPrefix(t, "-") {
			return unsupported("-ldflags field %q is not a linker flag", t)
		}
		name, value, hasValue := strings.Cut("-"+strings.TrimLeft(t, "-"), "=")
		switch {
		case linkerBoolFlags[name]:
			if hasValue && !isBoolValue(name, value) {
				return malformed("linker flag %s=%s is not a boolean", name, value)
			}
			continue
		case linkerValueFlags[name]:
		default:
			return unsupported("step passes %s to the linker; sovcheck replays -ldflags with -s, -w, -X, -buildid, -B, -linkmode and -extldflags -static", name)
		}
		if !hasValue {
			if i+1 == len(toks) {
				return malformed("linker flag %s has no value", name)
			}
			i++
			value = toks[i]
		}
		switch name {
		case "-linkmode":
			if value != "internal" && value != "external" && value != "auto" {
				return unsupported("step links with -linkmode=%s", value)
			}
		case "-extldflags":
			ext, err := goSplit(value)
			if err != nil {
				return malformed("-extldflags: %v", err)
			}
			for _, f := range ext {
				if !extldflagsAllowed[f] {
					return unsupported("step passes %s to the external linker, which may load a program of the recipe's choosing", f)
				}
			}
		}
	}
	return nil
}

// compilerFlagsAllowed are the -gcflags and -asmflags a recipe may give;
// -trimpath takes its rewrite list after "=".
var compilerFlagsAllowed = map[string]bool{"-N": true, "-l": true, "-B": true, "-dwarf": true, "-trimpath": true}

func checkCompilerFlags(flag, v string) error {
	toks, err := goSplit(stripPattern(v))
	if err != nil {
		return malformed("-%s: %v", flag, err)
	}
	for _, t := range toks {
		name, value, hasValue := strings.Cut(t, "=")
		if !strings.HasPrefix(name, "-") || !compilerFlagsAllowed["-"+strings.TrimLeft(name, "-")] {
			return unsupported("step passes %s in -%s; sovcheck replays -N, -l, -B, -dwarf and -trimpath only", t, flag)
		}
		if name == "-dwarf" && hasValue && !isBoolValue(name, value) {
			return malformed("-%s: %s is not a boolean", flag, t)
		}
	}
	return nil
}

// stripPattern drops the package pattern of a per-package flag value
// ("all=-s -w" gives "-s -w"), as the go command does: a value that does
// not start with "-" and has an "=" is pattern=flags.
func stripPattern(v string) string {
	v = strings.TrimLeft(v, " \t\n\r")
	if v == "" || v[0] == '-' {
		return v
	}
	if _, rest, ok := strings.Cut(v, "="); ok {
		return rest
	}
	return v
}

// goSplit splits a flag value into fields the way the go command and the
// linker do: fields are separated by spaces, tabs and newlines; a field
// that starts with a single or double quote runs to the next such quote
// (no escapes), and quotes anywhere else are ordinary characters.
func goSplit(s string) ([]string, error) {
	var fields []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return fields, nil
		}
		if q := s[0]; q == '\'' || q == '"' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			fields = append(fields, s[1:1+end])
			s = s[2+end:]
			continue
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		fields = append(fields, s[:end])
		s = s[end:]
	}
}
