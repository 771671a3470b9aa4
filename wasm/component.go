package wasm

import (
	"fmt"
	"unicode/utf8"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// componentVersion is the version field of a component binary (layer 1),
// as the component model's binary format defines it today.
const componentVersion = 0x0d

// Component section ids (component model binary format).
const (
	secImport    = 10
	secLastKnown = 12 // value section
)

// reader decodes the binary format's integers and names from a byte
// slice; every read checks the bounds.
type reader struct {
	b   []byte
	off int
}

var errTruncated = fmt.Errorf("unexpected end of data")

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 0xffffffff {
				return 0, fmt.Errorf("integer overflows 32 bits at offset %d", r.off)
			}
			return uint32(v), nil
		}
	}
	return 0, fmt.Errorf("integer longer than 5 bytes at offset %d", r.off)
}

// s33 reads a signed LEB128 of at most 33 bits (a value type or index).
func (r *reader) s33() error {
	for range 5 {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return fmt.Errorf("integer longer than 5 bytes at offset %d", r.off)
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(r.b)-r.off) {
		return nil, errTruncated
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) name(limit int) (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(limit) {
		return "", fmt.Errorf("name of %d bytes exceeds the limit of %d", n, limit)
	}
	b, err := r.bytes(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("name at offset %d is not UTF-8", r.off-len(b))
	}
	return string(b), nil
}

// componentImports walks the top-level sections of a component and reads
// its import sections. Other sections are skipped by their size; nested
// modules and components are not entered, since what they import is
// satisfied inside the component.
func componentImports(data []byte, name string, l Limits) ([]Import, error) {
	r := &reader{b: data, off: 8}
	var out []Import
	for sections := 0; r.off < len(r.b); sections++ {
		if sections >= l.MaxSections {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + name + ": too many sections",
				Got: fmt.Sprintf("more than %d", l.MaxSections), Want: fmt.Sprintf("at most %d", l.MaxSections), Hint: hintMalformed}
		}
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return nil, malformed(err, "reading %s: section header at offset %d", name, r.off)
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, malformed(err, "reading %s: section %d of %d bytes", name, id, size)
		}
		if id > secLastKnown {
			return nil, malformed(nil, "reading %s: unknown component section id %d", name, id)
		}
		if id != secImport {
			continue
		}
		ims, err := importSection(&reader{b: body}, l.MaxNameBytes, l.MaxImports-len(out))
		if err != nil {
			if re, ok := err.(*reason.Error); ok {
				re.Msg = "reading " + name + ": " + re.Msg
				return nil, re
			}
			return nil, malformed(err, "reading %s: import section", name)
		}
		out = append(out, ims...)
	}
	return out, nil
}

// importSection reads vec(import), import ::= importname' externdesc.
func importSection(r *reader, maxName, maxImports int) ([]Import, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(maxImports) {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "too many imports",
			Got: fmt.Sprint(n), Want: fmt.Sprintf("at most %d in all", maxImports), Hint: hintMalformed}
	}
	out := make([]Import, 0, n)
	for range n {
		nm, err := importName(r, maxName)
		if err != nil {
			return nil, err
		}
		if err := externDesc(r); err != nil {
			return nil, fmt.Errorf("import %q: %w", nm, err)
		}
		c, iface, version := componentCapability(nm)
		out = append(out, Import{Name: nm, Interface: iface, Version: version, Capability: c})
	}
	if r.off != len(r.b) {
		return nil, fmt.Errorf("%d bytes left after the imports", len(r.b)-r.off)
	}
	return out, nil
}

// importName reads importname': a 0x00 or 0x01 prefix and a name, or a
// 0x02 prefix, a name and vec(nameopt), each option a byte and a name.
func importName(r *reader, maxName int) (string, error) {
	prefix, err := r.byte()
	if err != nil {
		return "", err
	}
	nm, err := r.name(maxName)
	if err != nil {
		return "", err
	}
	switch prefix {
	case 0x00, 0x01:
		return nm, nil
	case 0x02:
		opts, err := r.u32()
		if err != nil {
			return "", err
		}
		for range opts {
			if _, err := r.byte(); err != nil {
				return "", err
			}
			if _, err := r.name(maxName); err != nil {
				return "", err
			}
		}
		return nm, nil
	}
	return "", fmt.Errorf("unknown import name prefix 0x%02x", prefix)
}

// externDesc reads and checks an externdesc.
func externDesc(r *reader) error {
	sort, err := r.byte()
	if err != nil {
		return err
	}
	switch sort {
	case 0x00: // core module: 0x11 typeidx
		b, err := r.byte()
		if err != nil {
			return err
		}
		if b != 0x11 {
			return fmt.Errorf("core sort 0x%02x is not a module", b)
		}
		_, err = r.u32()
		return err
	case 0x01, 0x04, 0x05: // func, component, instance: typeidx
		_, err := r.u32()
		return err
	case 0x02: // value: 0x00 valueidx | 0x01 valtype
		b, err := r.byte()
		if err != nil {
			return err
		}
		switch b {
		case 0x00:
			_, err = r.u32()
			return err
		case 0x01:
			return r.s33()
		}
		return fmt.Errorf("unknown value bound 0x%02x", b)
	case 0x03: // type: 0x00 typeidx (eq) | 0x01 (sub resource)
		b, err := r.byte()
		if err != nil {
			return err
		}
		switch b {
		case 0x00:
			_, err = r.u32()
			return err
		case 0x01:
			return nil
		}
		return fmt.Errorf("unknown type bound 0x%02x", b)
	}
	return fmt.Errorf("unknown extern sort 0x%02x", sort)
}
