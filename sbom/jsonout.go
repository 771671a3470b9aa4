package sbom

import (
	"bufio"
	"io"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// WriteJSON writes a Report or PortfolioReport as indented JSON. The
// media type inside says which. The bytes are those of encoding/json's
// Encoder with two-space indentation and no HTML escaping (v1 semantics:
// omitempty as encoding/json defines it, nil slices as null), written by
// the JSON v2 implementation, which indents as it encodes and streams to
// w in chunks: a product report of 10,000 components runs to tens of
// megabytes, and this takes under half of encoding/json's time and no
// buffer of the whole document. A value that cannot be encoded (a NaN
// score) stops the writing with an error, after what was written.
func WriteJSON(w io.Writer, v any) error {
	// The encoder hands its buffer over every few kB: a 140 MB answer was
	// 72,000 writes to stdout unbuffered.
	bw := bufio.NewWriterSize(w, jsonWriteBuffer)
	if err := jsonv2.MarshalWrite(bw, v, JSONOptions("")); err != nil {
		bw.Flush()
		return err
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// JSONOptions are WriteJSON's encoding options for a value nested in a
// document WriteJSON writes: each of its lines after the first starts with
// prefix (two spaces per level of nesting).
func JSONOptions(prefix string) jsonv2.Options {
	return jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsontext.Multiline(true), jsontext.WithIndent("  "),
		jsontext.WithIndentPrefix(prefix), jsontext.EscapeForHTML(false))
}

// jsonWriteBuffer is how much WriteJSON gathers per write.
const jsonWriteBuffer = 64 << 10
