package boundedio

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
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
