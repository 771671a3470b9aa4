package rebuild

import (
	"debug/elf"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// maxXValueBytes caps a string variable read from a binary.
const maxXValueBytes = 1 << 20

// ldflagsXSymbols lists the variables the recipe's -ldflags set with -X
// (from the go build command lines and GOFLAGS), sorted. The go command
// leaves -ldflags out of the build info of -trimpath builds, so these are
// compared in the binaries themselves.
func ldflagsXSymbols(rec *Recipe) []string {
	seen := map[string]bool{}
	add := func(ldflags string) {
		// A value may start with a package pattern: -ldflags=all=-X ...
		if !strings.HasPrefix(ldflags, "-") {
			if _, rest, ok := strings.Cut(ldflags, "="); ok {
				ldflags = rest
			}
		}
		fields := splitQuoted(ldflags)
		for i := 0; i < len(fields); i++ {
			var def string
			switch {
			case fields[i] == "-X" || fields[i] == "--X":
				if i+1 < len(fields) {
					def = fields[i+1]
					i++
				}
			case strings.HasPrefix(fields[i], "-X="), strings.HasPrefix(fields[i], "--X="):
				_, def, _ = strings.Cut(fields[i], "=")
			}
			if name, _, ok := strings.Cut(def, "="); ok && name != "" {
				seen[name] = true
			}
		}
	}
	for _, st := range rec.Steps {
		args := st.Command
		for i := 1; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-ldflags" || a == "--ldflags":
				if i+1 < len(args) {
					add(args[i+1])
					i++
				}
			case strings.HasPrefix(a, "-ldflags="), strings.HasPrefix(a, "--ldflags="):
				_, v, _ := strings.Cut(a, "=")
				add(v)
			}
		}
		for _, kv := range st.Env {
			if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
				for _, f := range strings.Fields(v) {
					if l, ok := strings.CutPrefix(f, "-ldflags="); ok {
						add(l)
					}
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// splitQuoted splits s at spaces, keeping single- or double-quoted parts
// together, as the go command splits flag lists.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	inField := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inField = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inField {
				out = append(out, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		out = append(out, cur.String())
	}
	return out
}

// elfStringVars reads Go string variables by symbol name from an ELF
// binary's symbol table. Variables that are missing (or a stripped binary)
// are left out of the result.
func elfStringVars(name string, syms []string) (map[string]string, error) {
	f, err := elf.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	symbols, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return map[string]string{}, nil
		}
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range syms {
		want[s] = true
	}
	ptrSize := 8
	if f.Class == elf.ELFCLASS32 {
		ptrSize = 4
	}
	word := func(b []byte) uint64 {
		if ptrSize == 4 {
			return uint64(f.ByteOrder.Uint32(b))
		}
		return f.ByteOrder.Uint64(b)
	}
	out := map[string]string{}
	for _, s := range symbols {
		if !want[s.Name] || elf.ST_TYPE(s.Info) != elf.STT_OBJECT {
			continue
		}
		hdr, err := readELFAt(f, s.Value, 2*ptrSize)
		if err != nil {
			continue
		}
		ptr, n := word(hdr[:ptrSize]), word(hdr[ptrSize:])
		if n > maxXValueBytes {
			continue
		}
		if n == 0 {
			out[s.Name] = ""
			continue
		}
		data, err := readELFAt(f, ptr, int(n))
		if err != nil {
			continue
		}
		out[s.Name] = string(data)
	}
	return out, nil
}

func readELFAt(f *elf.File, addr uint64, n int) ([]byte, error) {
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_ALLOC == 0 || addr < sec.Addr || addr+uint64(n) > sec.Addr+sec.Size {
			continue
		}
		buf := make([]byte, n)
		if sec.Type == elf.SHT_NOBITS {
			return buf, nil // zero-initialised data
		}
		if _, err := sec.ReadAt(buf, int64(addr-sec.Addr)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return nil, fmt.Errorf("address %#x not in a loaded section", addr)
}
