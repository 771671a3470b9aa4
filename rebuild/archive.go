package rebuild

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits on archives read to explain a mismatch.
const (
	// MaxArchiveEntries is the most entries read from one archive.
	MaxArchiveEntries = 100_000
	// MaxArchiveBytes is the most uncompressed bytes read from one
	// archive, across its entries (a zip or gzip bomb stops here).
	MaxArchiveBytes = 8 << 30
)

var errArchiveTooLarge = errors.New("archive exceeds sovcheck's limits")

type archiveKind int

const (
	kindUnknown archiveKind = iota
	kindZip
	kindTar
	kindGzip
)

func (k archiveKind) String() string {
	return [...]string{"unknown", "zip", "tar", "gzip"}[k]
}

// sniffArchive tells zip, gzip and tar apart by their magic numbers.
func sniffArchive(head []byte) archiveKind {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return kindTar
	}
	return kindUnknown
}

func sniffFile(name string) (archiveKind, error) {
	f, err := os.Open(name)
	if err != nil {
		return kindUnknown, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return kindUnknown, err
	}
	return sniffArchive(head[:n]), nil
}

// archiveEntry is what sovcheck compares of one archive member.
type archiveEntry struct {
	Name   string
	Fields map[string]string // type, mode, size, mtime, owner, link, method, sha256
}

// diffArchives explains the difference of two archives of the same kind.
// ok is false when they are not both zip, tar or gzip archives.
func diffArchives(published, rebuilt string) ([]Cause, bool) {
	pk, err1 := sniffFile(published)
	rk, err2 := sniffFile(rebuilt)
	if err1 != nil || err2 != nil || pk == kindUnknown || pk != rk {
		return nil, false
	}
	switch pk {
	case kindZip:
		want, err := zipEntries(published)
		if err != nil {
			return archiveUnreadable("published", err), true
		}
		got, err := zipEntries(rebuilt)
		if err != nil {
			return archiveUnreadable("rebuilt", err), true
		}
		return diffEntries(want, got, "zip"), true
	case kindTar:
		want, err := fileTarEntries(published, false)
		if err != nil {
			return archiveUnreadable("published", err), true
		}
		got, err := fileTarEntries(rebuilt, false)
		if err != nil {
			return archiveUnreadable("rebuilt", err), true
		}
		return diffEntries(want, got, "tar"), true
	case kindGzip:
		return diffGzip(published, rebuilt), true
	}
	return nil, false
}

func archiveUnreadable(which string, err error) []Cause {
	return []Cause{{Code: reason.DigestMismatch, What: fmt.Sprintf("the %s archive cannot be read to explain the difference: %v", which, err)}}
}

// diffGzip compares the decompressed streams: equal means GZIP_ONLY;
// different tar streams are compared entry by entry.
func diffGzip(published, rebuilt string) []Cause {
	wantSum, wantHdr, wantTar, err := gunzipSummary(published)
	if err != nil {
		return archiveUnreadable("published", err)
	}
	gotSum, gotHdr, gotTar, err := gunzipSummary(rebuilt)
	if err != nil {
		return archiveUnreadable("rebuilt", err)
	}
	if wantSum == gotSum {
		c := Cause{Code: reason.GzipOnly, What: "decompressed contents are equal; the gzip stream differs"}
		if d := gzipHeaderDiff(wantHdr, gotHdr); d != "" {
			c.What += " (header " + d + ")"
		} else {
			c.What += " (compression level or implementation)"
		}
		return []Cause{c}
	}
	if wantTar && gotTar {
		want, err := fileTarEntries(published, true)
		if err != nil {
			return archiveUnreadable("published", err)
		}
		got, err := fileTarEntries(rebuilt, true)
		if err != nil {
			return archiveUnreadable("rebuilt", err)
		}
		return diffEntries(want, got, "tar.gz")
	}
	return []Cause{{Code: reason.ArchiveMismatch, What: "decompressed gzip contents differ", Got: "sha256:" + gotSum, Want: "sha256:" + wantSum}}
}

// gunzipSummary returns the sha256 of the decompressed stream, the gzip
// header, and whether the stream is a tar archive.
func gunzipSummary(name string) (string, gzip.Header, bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", gzip.Header{}, false, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", gzip.Header{}, false, err
	}
	defer zr.Close()
	hdr := zr.Header
	h := sha256.New()
	head := &headCapture{limit: 512}
	if _, err := io.Copy(io.MultiWriter(h, head), boundedio.NewReader(zr, MaxArchiveBytes, errArchiveTooLarge)); err != nil {
		return "", hdr, false, err
	}
	return hex.EncodeToString(h.Sum(nil)), hdr, sniffArchive(head.buf) == kindTar, nil
}

type headCapture struct {
	buf   []byte
	limit int
}

func (c *headCapture) Write(p []byte) (int, error) {
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func gzipHeaderDiff(a, b gzip.Header) string {
	var d []string
	if !a.ModTime.Equal(b.ModTime) {
		d = append(d, "mtime")
	}
	if a.Name != b.Name {
		d = append(d, "name")
	}
	if a.OS != b.OS {
		d = append(d, "OS byte")
	}
	if a.Comment != b.Comment {
		d = append(d, "comment")
	}
	if !bytes.Equal(a.Extra, b.Extra) {
		d = append(d, "extra field")
	}
	return strings.Join(d, ", ")
}

func zipEntries(name string) ([]archiveEntry, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return readZipEntries(&zr.Reader)
}

func readZipEntries(zr *zip.Reader) ([]archiveEntry, error) {
	if len(zr.File) > MaxArchiveEntries {
		return nil, fmt.Errorf("%w: %d entries, want at most %d", errArchiveTooLarge, len(zr.File), MaxArchiveEntries)
	}
	var total int64
	entries := make([]archiveEntry, 0, len(zr.File))
	for _, f := range zr.File {
		e := archiveEntry{Name: f.Name, Fields: map[string]string{
			"mode":   f.Mode().String(),
			"mtime":  f.Modified.UTC().Format(time.RFC3339),
			"method": fmt.Sprint(f.Method),
			"size":   fmt.Sprint(f.UncompressedSize64),
		}}
		if f.Comment != "" {
			e.Fields["comment"] = f.Comment
		}
		if !f.FileInfo().IsDir() {
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", f.Name, err)
			}
			h := sha256.New()
			n, err := io.Copy(h, boundedio.NewReader(rc, MaxArchiveBytes-total, errArchiveTooLarge))
			rc.Close()
			if errors.Is(err, errArchiveTooLarge) {
				return nil, err
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", f.Name, err)
			}
			total += n
			e.Fields["sha256"] = hex.EncodeToString(h.Sum(nil))
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func fileTarEntries(name string, gzipped bool) ([]archiveEntry, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if gzipped {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	return readTarEntries(r)
}

func readTarEntries(r io.Reader) ([]archiveEntry, error) {
	tr := tar.NewReader(r)
	// One bounded reader over the tar reader bounds all entries together.
	contents := boundedio.NewReader(tr, MaxArchiveBytes, errArchiveTooLarge)
	var entries []archiveEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		if len(entries) == MaxArchiveEntries {
			return nil, fmt.Errorf("%w: more than %d entries", errArchiveTooLarge, MaxArchiveEntries)
		}
		e := archiveEntry{Name: hdr.Name, Fields: map[string]string{
			"type":  string(rune(hdr.Typeflag)),
			"mode":  fmt.Sprintf("%o", hdr.Mode),
			"mtime": hdr.ModTime.UTC().Format(time.RFC3339),
			"owner": fmt.Sprintf("%d:%d %s:%s", hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname),
			"size":  fmt.Sprint(hdr.Size),
		}}
		if hdr.Linkname != "" {
			e.Fields["link"] = hdr.Linkname
		}
		if hdr.Typeflag == tar.TypeReg {
			h := sha256.New()
			_, err := io.Copy(h, contents)
			if errors.Is(err, errArchiveTooLarge) {
				return nil, err
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", hdr.Name, err)
			}
			e.Fields["sha256"] = hex.EncodeToString(h.Sum(nil))
		}
		entries = append(entries, e)
	}
}

// diffEntries lists entries only in one archive, entries whose fields
// differ, and a different order when the sets are equal.
func diffEntries(want, got []archiveEntry, kind string) []Cause {
	wm, gm := indexEntries(want), indexEntries(got)
	var causes []Cause
	names := make([]string, 0, len(wm)+len(gm))
	for n := range wm {
		names = append(names, n)
	}
	for n := range gm {
		if _, ok := wm[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		w, wok := wm[n]
		g, gok := gm[n]
		switch {
		case !gok:
			causes = append(causes, Cause{Code: reason.ArchiveMismatch, What: kind + " entry " + n, Got: "(absent)", Want: "present"})
		case !wok:
			causes = append(causes, Cause{Code: reason.ArchiveMismatch, What: kind + " entry " + n, Got: "present", Want: "(absent)"})
		default:
			for _, f := range unionKeys(w.Fields, g.Fields) {
				if w.Fields[f] != g.Fields[f] {
					causes = append(causes, Cause{Code: reason.ArchiveMismatch, What: kind + " entry " + n + " " + f, Got: g.Fields[f], Want: w.Fields[f]})
				}
			}
		}
	}
	if len(causes) == 0 && len(want) == len(got) {
		for i := range want {
			if want[i].Name != got[i].Name {
				causes = append(causes, Cause{Code: reason.ArchiveMismatch, What: kind + " entry order", Got: got[i].Name, Want: want[i].Name})
				break
			}
		}
	}
	if len(causes) == 0 {
		causes = append(causes, Cause{Code: reason.ArchiveMismatch, What: kind + " entries are equal; the archive framing differs (headers, padding, extra fields or duplicate names)"})
	}
	return causes
}

func indexEntries(es []archiveEntry) map[string]archiveEntry {
	m := make(map[string]archiveEntry, len(es))
	for i, e := range es {
		if _, dup := m[e.Name]; dup {
			e.Name = fmt.Sprintf("%s (duplicate #%d)", e.Name, i)
		}
		m[e.Name] = e
	}
	return m
}
