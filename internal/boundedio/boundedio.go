package boundedio

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// ReadAll reads r to its end, at most limit bytes. Input longer than limit
// is a *reason.Error with code INPUT_TOO_LARGE; callers that word the
// failure their own way test for it with reason.CodeOf. A failing reader's
// error is returned as it is.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(NewReader(r, limit, nil))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// ReadFile reads the file at path like ReadAll: its errors are those of
// opening and reading the file, or TooLarge("input", limit).
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}

// Reader yields the bytes of another reader up to a limit, so that a
// caller can hash or parse input while it streams and still stop at the
// limit. See NewReader.
type Reader struct {
	r        io.Reader
	limit    int64
	tooLarge error
	n        int64 // bytes taken from r, at most limit+1
}

// NewReader returns a reader that yields r's bytes and fails with tooLarge
// as soon as more than limit bytes were read: it yields the first limit
// bytes, then tooLarge on the read that finds one more, and on every read
// after. A nil tooLarge is TooLarge("input", limit), ReadAll's error; a
// negative limit is 0. The
// errors of r, io.EOF among them, pass through unchanged and do not stick,
// so a Reader over a *tar.Reader bounds the sum of all its entries.
func NewReader(r io.Reader, limit int64, tooLarge error) *Reader {
	limit = max(limit, 0)
	if tooLarge == nil {
		tooLarge = TooLarge("input", limit)
	}
	return &Reader{r: r, limit: limit, tooLarge: tooLarge}
}

func (b *Reader) Read(p []byte) (int, error) {
	if b.n > b.limit {
		return 0, b.tooLarge
	}
	if room := b.limit + 1 - b.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if over := b.n - b.limit; over > 0 {
		return n - int(over), b.tooLarge
	}
	return n, err
}

// N returns the number of bytes yielded so far, at most the limit.
func (b *Reader) N() int64 { return min(b.n, b.limit) }

// TooLarge is the INPUT_TOO_LARGE error of what, read past limit bytes.
func TooLarge(what string, limit int64) *reason.Error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: what + " exceeds the size limit",
		Got: fmt.Sprintf("more than %d bytes", limit), Want: fmt.Sprintf("at most %d bytes", limit)}
}

// Want describes the bytes a verifying reader must yield.
type Want struct {
	Size   int64  // exact size in bytes
	Digest string // sha256:<lowercase hex>
	What   string // what is read, for messages: "blob", "manifest"
	Hint   string // what the user can do when the bytes differ
}

// Verify returns a reader that yields r's bytes and checks them against
// want as it goes: more than want.Size bytes fail at once, and at the end
// of r a short read or a different sha256 fail in place of io.EOF. Both
// are DIGEST_MISMATCH: the source serves other bytes than the descriptor
// names.
func Verify(r io.Reader, want Want) io.Reader {
	v := &verifier{want: want, h: sha256.New()}
	v.r = NewReader(r, want.Size, v.mismatch(" size differs from its descriptor", fmt.Sprintf("more than %d bytes", want.Size), fmt.Sprintf("%d bytes", want.Size)))
	return v
}

type verifier struct {
	r    io.Reader
	want Want
	h    hash.Hash
	n    int64
	err  error // sticky result once decided
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	switch {
	case err == io.EOF:
		v.err = v.check()
		return n, v.err
	case err != nil:
		v.err = err
	}
	return n, err
}

// check runs at the end of the input.
func (v *verifier) check() error {
	if v.n != v.want.Size {
		return v.mismatch(" size differs from its descriptor", fmt.Sprintf("%d bytes", v.n), fmt.Sprintf("%d bytes", v.want.Size))
	}
	if got := vocab.FormatSHA256(v.h.Sum(nil)); got != v.want.Digest {
		return v.mismatch(" does not match its digest", got, v.want.Digest)
	}
	return io.EOF
}

func (v *verifier) mismatch(what, got, want string) *reason.Error {
	return &reason.Error{Code: reason.DigestMismatch, Msg: v.want.What + what, Got: got, Want: want, Hint: v.want.Hint}
}
