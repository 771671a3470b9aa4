package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// DebianIndex answers lookups of Debian packages (pkg:deb/debian/NAME)
// from a Packages or Sources index file as apt stores it.
type DebianIndex struct {
	src      sbom.RiskDataSource
	binaries map[string]*debEntry // by binary package name
}

type debEntry struct {
	pkg, source, homepage string
	maintainers           []sbom.Maintainer
	paragraph             int
}

// Limits of the control-file parser.
const (
	maxDebLine       = 1 << 20
	maxDebParagraphs = 2_000_000
)

// NewDebianIndex reads a Packages or Sources index (plain, gzip, xz or
// lz4, told apart by their magic bytes) within the index limit.
func NewDebianIndex(path string, opts ...Option) (*DebianIndex, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the --debian-index path", "opening Debian index %s", path)
	}
	defer f.Close()
	h := sha256.New()
	raw := bufio.NewReader(io.TeeReader(f, h))
	r, err := decompress(raw)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "give a Packages or Sources file, plain or compressed with gzip, xz or lz4", "opening Debian index %s", path)
	}
	idx, n, err := parseDebianIndex(r, o.limits.MaxIndexBytes)
	if err != nil {
		return nil, reason.As(err, reason.RiskDataMalformed, "")
	}
	_, _ = io.Copy(io.Discard, raw) // hash the whole file
	idx.src = sbom.RiskDataSource{ID: "file:" + path, Kind: "debian-index", URL: "file:" + path, FetchedAt: o.now().UTC().Format(time.RFC3339),
		SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}
	return idx, nil
}

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicLZ4  = []byte{0x04, 0x22, 0x4d, 0x18}
)

func decompress(r *bufio.Reader) (io.Reader, error) {
	head, _ := r.Peek(6)
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return gzip.NewReader(r)
	case bytes.HasPrefix(head, magicXZ):
		return xz.NewReader(r)
	case bytes.HasPrefix(head, magicLZ4):
		return lz4.NewReader(r), nil
	}
	return r, nil
}

// parseDebianIndex reads RFC 822-style paragraphs, at most limit bytes of
// r. A Packages paragraph maps its Package; a Sources paragraph maps each
// of its Binary packages.
func parseDebianIndex(r io.Reader, limit int64) (*DebianIndex, int64, error) {
	idx := &DebianIndex{binaries: map[string]*debEntry{}}
	tooLarge := &reason.Error{Code: reason.InputTooLarge, Msg: "Debian index exceeds the limit",
		Got: fmt.Sprintf("more than %d bytes", limit), Want: fmt.Sprintf("at most %d bytes", limit), Hint: "give one index file of one suite and component"}
	// The bounded reader stops reading after the limit; the count of the
	// lines read stops a line that crosses it, which the scanner still
	// hands out once the reader has failed.
	sc := bufio.NewScanner(boundedio.NewReader(r, limit, tooLarge))
	sc.Buffer(make([]byte, 64<<10), maxDebLine)
	var read int64
	fields := map[string]string{}
	last := ""
	paragraphs := 0
	flush := func() error {
		if len(fields) == 0 {
			return nil
		}
		paragraphs++
		if paragraphs > maxDebParagraphs {
			return &reason.Error{Code: reason.InputTooLarge, Msg: "too many paragraphs in the Debian index",
				Got: fmt.Sprintf("more than %d", maxDebParagraphs), Want: fmt.Sprintf("at most %d", maxDebParagraphs), Hint: "give one index file of one suite and component"}
		}
		defer clear(fields)
		e := &debEntry{homepage: fields["homepage"], paragraph: paragraphs}
		e.maintainers = parseMaintainers(fields["maintainer"], false)
		e.maintainers = append(e.maintainers, parseMaintainers(fields["uploaders"], true)...)
		switch {
		case fields["package"] != "" && fields["binary"] == "":
			e.pkg = fields["package"]
			e.source, _, _ = strings.Cut(fields["source"], " ") // "src (version)"
			if e.source == "" {
				e.source = e.pkg
			}
			idx.binaries[e.pkg] = e
		case fields["package"] != "":
			e.pkg, e.source = fields["package"], fields["package"]
			for _, b := range strings.Split(fields["binary"], ",") {
				if b = strings.TrimSpace(b); b != "" {
					if _, ok := idx.binaries[b]; !ok {
						idx.binaries[b] = e
					}
				}
			}
		default:
			return reason.New(reason.RiskDataMalformed, "give a Packages or Sources index", "Debian index paragraph %d has no Package field", paragraphs)
		}
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		read += int64(len(line)) + 1
		if read > limit {
			return nil, read, tooLarge
		}
		switch {
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, read, err
			}
			last = ""
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, read, reason.New(reason.RiskDataMalformed, "the file is not a Debian control file", "continuation line before any field in paragraph %d", paragraphs+1)
			}
			if last == "uploaders" || last == "binary" {
				fields[last] += " " + strings.TrimSpace(line)
			}
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				return nil, read, reason.New(reason.RiskDataMalformed, "the file is not a Debian control file", "line without a field name in paragraph %d: %.40q", paragraphs+1, line)
			}
			last = strings.ToLower(strings.TrimSpace(name))
			fields[last] = strings.TrimSpace(value)
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, tooLarge):
		return nil, read, tooLarge
	case err != nil:
		return nil, read, reason.Wrap(err, reason.RiskDataMalformed, "the index is truncated or has an over-long line; fetch it again", "reading Debian index")
	}
	if err := flush(); err != nil {
		return nil, read, err
	}
	return idx, read, nil
}

var (
	// teamWords mark a maintainer that is a team or list, not a person.
	// Both are built on first use, not at start.
	teamWords = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(team|maintainers|group|packagers|developers|project|list)\b`)
	})
	teamMail = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)@(lists\.|alioth-lists\.|tracker\.debian\.org)`)
	})
)

// parseMaintainers splits "Name <mail>, Name <mail>" and tells teams
// (names like "Debian Go Packaging Team", list addresses) from people.
func parseMaintainers(s string, uploaders bool) []sbom.Maintainer {
	var out []sbom.Maintainer
	for _, part := range splitAddresses(s) {
		name, mail := part, ""
		if i := strings.Index(part, "<"); i >= 0 {
			name = strings.TrimSpace(part[:i])
			mail = strings.Trim(strings.TrimSpace(part[i:]), "<>")
		}
		name = strings.Trim(name, `"`)
		m := sbom.Maintainer{Name: name, Email: mail}
		m.Team = !uploaders && (teamWords().MatchString(name) || teamMail().MatchString(mail))
		out = append(out, m)
	}
	return out
}

// splitAddresses splits on commas outside quotes and angle brackets.
func splitAddresses(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '<' && !quoted:
			depth++
		case r == '>' && !quoted && depth > 0:
			depth--
		case r == ',' && !quoted && depth == 0:
			if p := strings.TrimSpace(s[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// Kind is "debian-index".
func (*DebianIndex) Kind() string { return "debian-index" }

// Handles Debian package keys (pkg:deb/debian/NAME).
func (*DebianIndex) Handles(key string) bool { return strings.HasPrefix(key, "pkg:deb/debian/") }

// Len is the number of binary packages the index knows.
func (d *DebianIndex) Len() int { return len(d.binaries) }

// Lookup returns the maintainers, source package and homepage of a binary
// package.
func (d *DebianIndex) Lookup(_ context.Context, key string) (*sbom.PackageFacts, []sbom.RiskDataSource, error) {
	name := strings.TrimPrefix(key, "pkg:deb/debian/")
	e, ok := d.binaries[name]
	if !ok {
		return nil, nil, reason.New(reason.RiskDataNotFound, "the package is not in this index; give the index of its suite and component", "looking up %s in %s", name, d.src.URL)
	}
	f := &sbom.PackageFacts{Key: key, Source: d.src.ID, Record: fmt.Sprintf("%s#Package=%s", d.src.URL, e.pkg),
		Maintainers: append([]sbom.Maintainer{}, e.maintainers...), SourcePackage: e.source, Homepage: e.homepage}
	for _, m := range e.maintainers {
		if m.Team {
			f.Steward = m.Name
			break
		}
	}
	if f.Steward == "" && len(e.maintainers) > 0 {
		f.Steward = e.maintainers[0].Name
	}
	return f, []sbom.RiskDataSource{d.src}, nil
}

// Names returns the binary packages the index knows, sorted.
func (d *DebianIndex) Names() []string {
	return slices.Sorted(maps.Keys(d.binaries))
}
