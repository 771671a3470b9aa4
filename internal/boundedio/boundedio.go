package boundedio

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// ReadAll reads r to its end, at most limit bytes. Input longer than limit
// is a *reason.Error with code INPUT_TOO_LARGE; callers that word the
// failure their own way test for it with reason.CodeOf. A failing reader's
// error is returned as it is.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, TooLarge("input", limit)
	}
	return data, nil
}

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
	return &verifier{r: io.LimitReader(r, want.Size+1), want: want, h: sha256.New()}
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
	if v.n > v.want.Size {
		v.err = v.mismatch(" size differs from its descriptor", fmt.Sprintf("more than %d bytes", v.want.Size), fmt.Sprintf("%d bytes", v.want.Size))
		return 0, v.err
	}
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
