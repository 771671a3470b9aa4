// Package boundedio is sovcheck's one way to read input of bounded size:
// ReadAll reads at most a limit, NewReader streams at most a limit (for
// callers that hash or parse as they read), and Verify wraps a reader so
// that the bytes it yields are checked against a descriptor's size and
// sha256 as they are read, the way a content-addressed store must read a
// blob.
//
// Invariants:
//   - Nothing is read past limit+1 bytes (ReadAll, NewReader) or size+1
//     bytes (Verify): an oversized input costs at most one byte more than
//     the limit.
//   - A bounded Reader yields at most limit bytes; past them it fails with
//     INPUT_TOO_LARGE (or the caller's own error) and keeps failing.
//   - Every size or digest failure is a *reason.Error (INPUT_TOO_LARGE or
//     DIGEST_MISMATCH) with got/want evidence, unless the caller of
//     NewReader gives its own; errors of the underlying
//     reader pass through unchanged, so callers classify them as before.
//   - A verifying reader never reports io.EOF before it has checked size
//     and digest: a caller that reads to the end has verified bytes or an
//     error.
package boundedio
