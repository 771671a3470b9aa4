package portfolio

import (
	"bufio"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/sovcheck/sovcheck/sbom"
)

// matchChunk matches are appended per piece of an answer, JSON or text.
const matchChunk = 256

// WriteJSON writes r byte for byte as sbom.WriteJSON does, with its
// matches encoded in pieces on every core and written in order: an
// upstream that 100,000 products hold is 259,225 matches, 140 MB of JSON,
// which took as long to encode as to read from the store. The matches are
// appended by appendMatch, which copies strings that need no escaping and
// hands any other to the JSON library with sbom.WriteJSON's options
// (TestWhereJSONSameBytes, FuzzMatchJSON); the other fields are encoded by
// the library.
func (r *WhereResult) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	err := r.writeJSON(bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (r *WhereResult) writeJSON(w *bufio.Writer) error {
	field := func(name string, v any) error {
		b, err := jsonv2.Marshal(v, sbom.JSONOptions("  "))
		if err != nil {
			return err
		}
		w.WriteString(`  "` + name + `": `)
		_, err = w.Write(b)
		return err
	}
	w.WriteString("{\n")
	for _, f := range []struct {
		name string
		v    any
	}{{"mediaType", r.MediaType}, {"query", r.Query}, {"products", r.Products}} {
		if err := field(f.name, f.v); err != nil {
			return err
		}
		w.WriteString(",\n")
	}
	w.WriteString(`  "matches": `)
	var err error
	if r.hits != nil {
		err = writeMatches(w, len(r.hits), r.at)
	} else {
		err = writeMatchList(w, r.Matches)
	}
	if err != nil {
		return err
	}
	if len(r.Undetermined) > 0 {
		w.WriteString(",\n" + `  "undetermined": `)
		if err := writeMatchList(w, r.Undetermined); err != nil {
			return err
		}
	}
	if len(r.Services) > 0 {
		w.WriteString(",\n")
		if err := field("services", r.Services); err != nil {
			return err
		}
	}
	_, err = w.WriteString("\n}\n")
	return err
}

// piece is one chunk of matches, encoded. Its buffer goes back to the
// pool once written.
type piece struct {
	b    *[]byte
	err  error
	done chan struct{}
}

// chunkBuffers are the pieces' buffers, reused: 140 MB of JSON then costs
// a few buffers instead of 140 MB of new memory.
var chunkBuffers = sync.Pool{New: func() any { return new([]byte) }}

// matchSize is about what one match takes in JSON (in text, a third):
// a chunk's buffer is made that large at once rather than grown by
// copies.
const matchSize = 640

// writeMatchList writes ms as writeMatches does; nil as null.
func writeMatchList(w io.Writer, ms []*Match) error {
	if ms == nil {
		_, err := io.WriteString(w, "null")
		return err
	}
	return writeMatches(w, len(ms), func(i int, _ *Match, path []string) (*Match, []string) { return ms[i], path })
}

// matchAt gives match i of a list: made in scratch, with its path in
// path's array, or one of its own. A match made in scratch, and its path,
// are overwritten by the next.
type matchAt func(i int, scratch *Match, path []string) (*Match, []string)

// at is r's matchAt, over its hits or its Matches.
func (r *WhereResult) at(i int, scratch *Match, path []string) (*Match, []string) {
	if r.hits != nil {
		return scratch, r.hits[i].fill(scratch, path)
	}
	return r.Matches[i], path
}

// AppendEach writes each match, in order, as appendOne appends it to a
// buffer. The matches are taken in chunks of matchChunk, each appended on a
// core of its own into a buffer of its own (appendOne must be safe to run
// on several at once), and the chunks written in order: a streamed
// answer's text is written at the speed of its JSON. In a streamed answer
// m, and m.Path, are valid only during the call: appendOne copies what it
// keeps.
func (r *WhereResult) AppendEach(w io.Writer, appendOne func(b []byte, m *Match) []byte) error {
	return appendChunks(w, r.Len(), "", r.at, func(b []byte, m *Match) ([]byte, error) { return appendOne(b, m), nil })
}

// writeMatches writes n matches as a JSON array one level into the
// document.
func writeMatches(w io.Writer, n int, at matchAt) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]")
		return err
	}
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	if err := appendChunks(w, n, ",\n", at, appendMatch); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n  ]")
	return err
}

// appendChunks writes matches 0 to n (at gives them) as appendOne appends
// them, sep between two, appending chunks of matchChunk on every core at
// once and writing them in order. Each worker has its own scratch match
// and path array.
func appendChunks(w io.Writer, n int, sep string, at matchAt, appendOne func([]byte, *Match) ([]byte, error)) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	pieces := make(chan *piece, 2*workers)
	slots := make(chan struct{}, workers)
	var stop atomic.Bool // set on the first error: no more chunks encoded
	go func() {
		defer close(pieces)
		for start := 0; start < n && !stop.Load(); start += matchChunk {
			p := &piece{done: make(chan struct{})}
			pieces <- p
			slots <- struct{}{}
			go func(from, to int) {
				defer func() { <-slots; close(p.done) }()
				if stop.Load() {
					p.err = errStopped
					return
				}
				p.b = chunkBuffers.Get().(*[]byte)
				*p.b, p.err = appendChunk((*p.b)[:0], from, to, sep, at, appendOne)
			}(start, min(start+matchChunk, n))
		}
	}()
	var err error
	first := true
	for p := range pieces {
		<-p.done
		if err != nil {
			continue // drained, so that the producer ends
		}
		if err = p.err; err != nil {
			stop.Store(true)
			continue
		}
		if !first && sep != "" {
			_, err = io.WriteString(w, sep)
		}
		first = false
		if err == nil {
			_, err = w.Write(*p.b)
		}
		chunkBuffers.Put(p.b)
		if err != nil {
			stop.Store(true)
		}
	}
	return err
}

// errStopped marks a chunk not encoded because an earlier one failed.
var errStopped = errors.New("stopped after an earlier error")

// appendChunk appends matches from to to (at gives them) to b, as
// appendOne appends each, sep between two.
func appendChunk(b []byte, from, to int, sep string, at matchAt, appendOne func([]byte, *Match) ([]byte, error)) ([]byte, error) {
	if need := (to - from) * matchSize; cap(b) < need {
		b = make([]byte, 0, need)
	}
	var scratch Match
	var path []string
	var err error
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, sep...)
		}
		var m *Match
		m, path = at(i, &scratch, path)
		if b, err = appendOne(b, m); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendMatch appends m as the JSON library writes it as an element of the
// matches: the fields of Match in order, omitempty as its tags say, the
// indentation of sbom.WriteJSON. Strings that need no escaping (printable
// ASCII without quote or backslash: nearly all) are copied; any other is
// encoded by the library with sbom.WriteJSON's options. This is what makes
// the encoding three times faster than the library's own walk of the
// struct; TestWhereJSONSameBytes and FuzzMatchJSON hold it to the
// library's bytes.
func appendMatch(b []byte, m *Match) ([]byte, error) {
	var err error
	field := func(name, v string) {
		if err == nil {
			b = append(append(append(b, ",\n      \""...), name...), "\": "...)
			b, err = appendJSONString(b, v)
		}
	}
	b = append(b, "    {\n      \"product\": "...)
	if b, err = appendJSONString(b, m.Product); err != nil {
		return nil, err
	}
	if m.ProductVersion != "" {
		field("productVersion", m.ProductVersion)
	}
	field("source", m.Source)
	field("digest", m.Digest)
	field("asOf", m.AsOf)
	field("grade", string(m.Grade))
	field("component", m.Component)
	if m.Version != "" {
		field("version", m.Version)
	}
	if m.PURL != "" {
		field("purl", m.PURL)
	}
	field("upstream", m.Upstream)
	if err == nil && len(m.Path) > 0 {
		b = append(b, ",\n      \"path\": ["...)
		for i, p := range m.Path {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n        "...)
			if b, err = appendJSONString(b, p); err != nil {
				return nil, err
			}
		}
		b = append(b, "\n      ]"...)
	}
	if m.Reason != "" {
		field("reason", m.Reason)
	}
	if err != nil {
		return nil, err
	}
	return append(b, "\n    }"...), nil
}

// appendJSONString appends s as a JSON string the way sbom.WriteJSON
// writes it.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			q, err := jsonv2.Marshal(s, sbom.JSONOptions(""))
			return append(b, q...), err
		}
	}
	return append(append(append(b, '"'), s...), '"'), nil
}
