package sbom

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits bounds everything read from outside. The defaults admit the
// largest real SBOMs seen in practice (a full distribution image lists some
// 10^5 components) with room to spare, and refuse inputs that could only
// exhaust memory.
type Limits struct {
	// MaxSBOMBytes is the largest SBOM or lockfile read.
	MaxSBOMBytes int64
	// MaxComponents is the most components one SBOM may list, nested
	// components included.
	MaxComponents int
	// MaxEdges is the most dependency edges one SBOM may declare.
	MaxEdges int
	// MaxNesting is the deepest nesting of CycloneDX components.
	MaxNesting int
	// MaxDataFileBytes is the largest trust registry, mapping, facts,
	// VEX or KEV file read.
	MaxDataFileBytes int64
	// MaxRiskDataBytes is the largest risk data snapshot read: a pull
	// for a large portfolio with a whole Debian index, or with imported
	// advisories, holds far more than the other data files (bookworm
	// main alone makes some 40 MB).
	MaxRiskDataBytes int64
	// MaxAdvisoryBytes is the largest single OSV advisory read.
	MaxAdvisoryBytes int64
	// MaxAdvisories is the most OSV advisories loaded from one directory
	// or zip.
	MaxAdvisories int
	// MaxAdvisoryTotalBytes bounds the sum of all advisories read from
	// one directory or zip (uncompressed).
	MaxAdvisoryTotalBytes int64
	// MaxPortfolioSBOMs is the most SBOMs one portfolio may hold.
	MaxPortfolioSBOMs int
	// MaxMemoryBytes is the memory budget of one SBOM: before decoding, a
	// pre-pass counts its components and edges and refuses the input when
	// decoding and assessing them would need more (see budget.go).
	MaxMemoryBytes int64
}

// DefaultLimits returns the limits used unless WithLimits says otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxSBOMBytes:          512 << 20,
		MaxComponents:         1_000_000,
		MaxEdges:              10_000_000,
		MaxNesting:            64,
		MaxDataFileBytes:      64 << 20,
		MaxRiskDataBytes:      512 << 20,
		MaxAdvisoryBytes:      8 << 20,
		MaxAdvisories:         2_000_000,
		MaxAdvisoryTotalBytes: 8 << 30,
		MaxPortfolioSBOMs:     100_000,
		MaxMemoryBytes:        2 << 30,
	}
}

func (l Limits) validate() error {
	if l.MaxSBOMBytes <= 0 || l.MaxComponents <= 0 || l.MaxEdges <= 0 || l.MaxNesting <= 0 ||
		l.MaxDataFileBytes <= 0 || l.MaxRiskDataBytes <= 0 || l.MaxAdvisoryBytes <= 0 || l.MaxAdvisories <= 0 ||
		l.MaxAdvisoryTotalBytes <= 0 || l.MaxPortfolioSBOMs <= 0 || l.MaxMemoryBytes <= 0 {
		return reason.New(reason.SBOMConfigInvalid, "set every limit to a positive value, or start from DefaultLimits()",
			"validating limits: every limit must be positive, got %+v", l)
	}
	return nil
}

// readLimited reads all of r, failing with INPUT_TOO_LARGE past limit.
func readLimited(r io.Reader, limit int64, what, hint string) ([]byte, error) {
	data, err := boundedio.ReadAll(r, limit)
	switch {
	case reason.CodeOf(err, "") == reason.InputTooLarge:
		return nil, tooLarge(what, limit+1, limit, hint)
	case err != nil:
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the file is readable", "reading %s", what)
	}
	return data, nil
}

// sniffChunk is how much is read before the content is judged.
const sniffChunk = 64 << 10

// readLimitedSized reads like readLimited. size, when positive, is the size
// the file system reports, so the buffer is allocated once. With sbom set
// the first chunk is checked before more is read: content that no SBOM
// reader accepts (NUL bytes, as from /dev/zero or a binary) is refused at
// once instead of being buffered up to the limit. These two are why SBOMs
// and files are not read with boundedio.ReadAll, whose buffer grows from
// nothing and which cannot look at the bytes before the end.
func readLimitedSized(r io.Reader, size, limit int64, sbom bool, what, hint string) ([]byte, error) {
	capacity := int64(sniffChunk)
	if size > 0 {
		capacity = min(size, limit) + 1
	}
	buf := make([]byte, 0, capacity)
	checked := false
	for {
		if int64(len(buf)) == int64(cap(buf)) {
			next := min(2*int64(cap(buf)), limit+1)
			if next <= int64(cap(buf)) {
				break
			}
			buf = append(buf[:cap(buf)], make([]byte, next-int64(cap(buf)))...)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if sbom && !checked && (len(buf) >= sniffChunk || err != nil) {
			checked = true
			if i := bytes.IndexByte(buf[:min(len(buf), sniffChunk)], 0); i >= 0 {
				return nil, reason.New(reason.SBOMFormatUnknown, "give an SBOM file (JSON, XML or text), not binary data",
					"reading %s: byte %d is NUL: binary content is not an SBOM", what, i)
			}
		}
		if int64(len(buf)) > limit {
			return nil, tooLarge(what, int64(len(buf)), limit, hint)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.InputUnreadable, "check that the file is readable", "reading %s", what)
		}
	}
	return nil, tooLarge(what, int64(len(buf)), limit, hint)
}

// readFileLimited opens and reads path within limit, checking the size
// before reading when the file system reports it.
func readFileLimited(path string, limit int64, what, hint string) ([]byte, error) {
	return readFileLimitedAs(path, limit, false, what, hint)
}

// readFileLimitedAs reads like readFileLimited; sbom refuses binary content
// early (see readLimitedSized).
func readFileLimitedAs(path string, limit int64, sbom bool, what, hint string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the path and its permissions", "opening %s", what)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, reason.New(reason.InputUnreadable, "give a file, not a directory",
				"reading %s: %q is a directory", what, path)
		}
		if st.Mode().IsRegular() && st.Size() > limit {
			return nil, tooLarge(fmt.Sprintf("%s (%d bytes)", what, st.Size()), st.Size(), limit, hint)
		}
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return readLimitedSized(f, size, limit, sbom, what, hint)
}
