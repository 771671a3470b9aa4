package boundedio

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func TestReadAll(t *testing.T) {
	data, err := ReadAll(strings.NewReader("12345"), 5)
	if err != nil || string(data) != "12345" {
		t.Fatalf("at the limit: got %q, %v", data, err)
	}
	_, err = ReadAll(strings.NewReader("123456"), 5)
	if reason.CodeOf(err, "") != reason.InputTooLarge || err.Error() != `input exceeds the size limit: got "more than 5 bytes", want "at most 5 bytes"` {
		t.Fatalf("over the limit: got %v", err)
	}
	boom := errors.New("boom")
	if _, err := ReadAll(iotest.ErrReader(boom), 5); err != boom {
		t.Fatalf("reader error: got %v, want it unchanged", err)
	}
}

// countingReader counts the bytes taken from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadAllStopsAfterTheLimit(t *testing.T) {
	c := &countingReader{r: bytes.NewReader(make([]byte, 1<<20))}
	if _, err := ReadAll(c, 100); err == nil || c.n != 101 {
		t.Fatalf("read %d bytes for a limit of 100 (err %v), want 101", c.n, err)
	}
}

func want(data string) Want {
	sum := sha256.Sum256([]byte(data))
	return Want{Size: int64(len(data)), Digest: vocab.FormatSHA256(sum[:]), What: "blob", Hint: "do not deploy"}
}

func TestVerify(t *testing.T) {
	const blob = "the bytes the manifest names"
	for name, tc := range map[string]struct {
		in, msg string
		w       Want
	}{
		"match":    {in: blob, w: want(blob)},
		"short":    {in: blob[:5], w: want(blob), msg: `blob size differs from its descriptor: got "5 bytes", want "28 bytes"`},
		"long":     {in: blob + "!", w: want(blob), msg: `blob size differs from its descriptor: got "more than 28 bytes", want "28 bytes"`},
		"swapped":  {in: strings.ToUpper(blob), w: want(blob), msg: "blob does not match its digest: got \"sha256:"},
		"empty":    {in: "", w: want("")},
		"one byte": {in: "x", w: want(""), msg: `blob size differs from its descriptor: got "more than 0 bytes", want "0 bytes"`},
	} {
		// A one-byte reader makes every check run at a read boundary.
		got, err := io.ReadAll(Verify(iotest.OneByteReader(strings.NewReader(tc.in)), tc.w))
		if tc.msg == "" {
			if err != nil || string(got) != tc.in {
				t.Errorf("%s: got %q, %v", name, got, err)
			}
			continue
		}
		var re *reason.Error
		if !errors.As(err, &re) || re.Code != reason.DigestMismatch || re.Hint != "do not deploy" || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want DIGEST_MISMATCH %q", name, err, tc.msg)
		}
	}
}

func TestVerifyPassesReaderErrorsAndSticks(t *testing.T) {
	boom := errors.New("boom")
	v := Verify(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), want("abc"))
	if _, err := io.ReadAll(v); err != boom {
		t.Fatalf("got %v, want the reader's error unchanged", err)
	}
	if n, err := v.Read(make([]byte, 4)); n != 0 || err != boom {
		t.Fatalf("after an error: got %d, %v", n, err)
	}
	c := &countingReader{r: bytes.NewReader(make([]byte, 1<<20))}
	if _, err := io.Copy(io.Discard, Verify(c, want("abc"))); reason.CodeOf(err, "") != reason.DigestMismatch || c.n > 4 {
		t.Fatalf("oversized blob: read %d bytes, err %v; want at most 4 and DIGEST_MISMATCH", c.n, err)
	}
}

func TestReader(t *testing.T) {
	own := errors.New("archive exceeds the limits")
	for name, tc := range map[string]struct {
		in       string
		limit    int64
		tooLarge error
		wantErr  error // nil: read to the end
	}{
		"under":        {in: "1234", limit: 5},
		"at the limit": {in: "12345", limit: 5},
		"over":         {in: "123456", limit: 5, wantErr: TooLarge("input", 5)},
		"own error":    {in: "123456", limit: 5, tooLarge: own, wantErr: own},
		"zero":         {in: "", limit: 0},
		"zero, over":   {in: "x", limit: 0, wantErr: TooLarge("input", 0)},
		"negative":     {in: "x", limit: -3, wantErr: TooLarge("input", 0)},
	} {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tc.in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			c := &countingReader{r: src}
			br := NewReader(c, tc.limit, tc.tooLarge)
			got, err := io.ReadAll(br)
			if tc.wantErr == nil {
				if err != nil || string(got) != tc.in || br.N() != int64(len(tc.in)) {
					t.Errorf("%s (one byte %v): got %q, N %d, %v", name, oneByte, got, br.N(), err)
				}
				continue
			}
			if err == nil || err.Error() != tc.wantErr.Error() || (tc.tooLarge != nil && err != tc.tooLarge) {
				t.Errorf("%s (one byte %v): got %v, want %v", name, oneByte, err, tc.wantErr)
			}
			limit := max(tc.limit, 0)
			if string(got) != tc.in[:limit] || br.N() != limit || int64(c.n) != limit+1 {
				t.Errorf("%s (one byte %v): yielded %q (N %d) after taking %d bytes; want the first %d bytes after taking %d", name, oneByte, got, br.N(), c.n, limit, limit+1)
			}
			if n, err := br.Read(make([]byte, 4)); n != 0 || err.Error() != tc.wantErr.Error() {
				t.Errorf("%s (one byte %v): after the limit got %d, %v; want the error again", name, oneByte, n, err)
			}
		}
	}
}

func TestReaderStopsAfterTheLimit(t *testing.T) {
	c := &countingReader{r: bytes.NewReader(make([]byte, 1<<20))}
	h := sha256.New()
	if _, err := io.Copy(h, NewReader(c, 100, nil)); reason.CodeOf(err, "") != reason.InputTooLarge || c.n != 101 {
		t.Fatalf("read %d bytes for a limit of 100 (err %v), want 101 and INPUT_TOO_LARGE", c.n, err)
	}
}

// TestReaderPassesReaderErrors shows that the errors of the underlying
// reader do not stick: a Reader over a tar.Reader bounds all its entries
// together, and each entry ends with io.EOF.
func TestReaderPassesReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	br := NewReader(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), 10, nil)
	if got, err := io.ReadAll(br); err != boom || string(got) != "ab" {
		t.Fatalf("got %q, %v; want the reader's error unchanged", got, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, body := range []string{"12345", "6789", "0"} {
		if err := tw.WriteHeader(&tar.Header{Name: body, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	entries := NewReader(tr, 9, nil)
	var got []string
	for {
		if _, err := tr.Next(); err != nil {
			t.Fatalf("entry %d: %v", len(got), err)
		}
		data, err := io.ReadAll(entries)
		if err != nil {
			if reason.CodeOf(err, "") != reason.InputTooLarge || len(got) != 2 || entries.N() != 9 {
				t.Fatalf("entry %d: got %v after %d bytes; want INPUT_TOO_LARGE at the third entry after 9", len(got), err, entries.N())
			}
			break
		}
		got = append(got, string(data))
	}
	if strings.Join(got, ",") != "12345,6789" {
		t.Fatalf("entries read: %q", got)
	}
}

func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(p, 5); err != nil || string(data) != "12345" {
		t.Fatalf("at the limit: got %q, %v", data, err)
	}
	if _, err := ReadFile(p, 4); reason.CodeOf(err, "") != reason.InputTooLarge {
		t.Fatalf("over the limit: got %v", err)
	}
	if _, err := ReadFile(p+".missing", 5); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: got %v, want the file system's error", err)
	}
}
