package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// packagesBatch is how many entries of a snapshot's packages one worker
// decodes at a time.
const packagesBatch = 1024

// decodeRiskData decodes a snapshot as jsonv2.Unmarshal with
// RejectUnknownMembers would (duplicate members, unknown members and
// trailing data refused), except that the packages array, which is nearly
// all of a large snapshot, is decoded by several workers: one goroutine
// finds each entry's bytes (checking the syntax as it goes), the workers
// decode batches of entries. A 100 MB snapshot is read in a fraction of
// the time one goroutine takes, so labelling with it costs little more
// than without.
func decodeRiskData(data []byte) (*RiskData, error) {
	// What the decode allocates stays live (the snapshot itself), so a
	// garbage collection during it finds nothing to free and only marks a
	// growing heap again and again: it is paused for the decode.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	opts := jsonv2.RejectUnknownMembers(true)
	// The decoder only finds where each value is: every value is then
	// decoded on its own with the strict defaults (duplicate names refused,
	// UTF-8 checked), and the top-level names are checked here, so the
	// search skips those checks rather than doing them twice.
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("the snapshot is a JSON %s, want an object", kindName(tok.Kind()))
	}
	rd := &RiskData{}
	seen := map[string]bool{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		if seen[name] {
			return nil, fmt.Errorf("duplicate member %q at offset %d", name, dec.InputOffset())
		}
		seen[name] = true
		switch name {
		case "packages":
			rd.Packages, err = decodePackages(dec, data)
		default:
			field := rd.member(name)
			if field == nil {
				return nil, fmt.Errorf("unknown member %q at offset %d", name, dec.InputOffset())
			}
			var v jsontext.Value
			if v, err = dec.ReadValue(); err == nil {
				err = jsonv2.Unmarshal(v, field, opts)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = fmt.Errorf("data after the snapshot at offset %d", dec.InputOffset())
		}
		return nil, err
	}
	return rd, nil
}

// member is the field of a snapshot's top-level member other than
// packages, nil for a name the format does not have.
func (rd *RiskData) member(name string) any {
	switch name {
	case "mediaType":
		return &rd.MediaType
	case "asOf":
		return &rd.AsOf
	case "sources":
		return &rd.Sources
	case "failures":
		return &rd.Failures
	case "counts":
		return &rd.Counts
	case "repositories":
		return &rd.Repositories
	case "exploited":
		return &rd.Exploited
	case "advisories":
		return &rd.Advisories
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// decodePackages decodes the packages array at dec's position: dec finds
// each entry (its bytes are data[offset-len:offset], data being what dec
// reads), workers decode batches of them.
func decodePackages(dec *jsontext.Decoder, data []byte) ([]PackageFacts, error) {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return nil, err
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '[' {
		return nil, fmt.Errorf("got a JSON %s, want an array", kindName(tok.Kind()))
	}
	// One goroutine finds the entries (checking the syntax in order) and
	// hands batches of them to workers, which decode them while the
	// search goes on; the batches are joined at the end.
	type batch struct {
		first int
		spans [][2]int64
		out   []PackageFacts
		err   error
	}
	work := make(chan *batch)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			opts := jsonv2.RejectUnknownMembers(true)
			for b := range work {
				b.out = make([]PackageFacts, len(b.spans))
				for i, sp := range b.spans {
					if err := jsonv2.Unmarshal(data[sp[0]:sp[1]], &b.out[i], opts); err != nil {
						b.err = fmt.Errorf("[%d]: %w", b.first+i, err)
						break
					}
				}
			}
		})
	}
	var batches []*batch
	cur := &batch{}
	n := 0
	send := func() {
		batches = append(batches, cur)
		work <- cur
		cur = &batch{first: n}
	}
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			close(work)
			wg.Wait()
			return nil, err
		}
		end := dec.InputOffset()
		cur.spans = append(cur.spans, [2]int64{end - int64(len(v)), end})
		if n++; len(cur.spans) == packagesBatch {
			send()
		}
	}
	if len(cur.spans) > 0 {
		send()
	}
	close(work)
	wg.Wait()
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	out := make([]PackageFacts, 0, n)
	for _, b := range batches {
		if b.err != nil {
			return nil, b.err
		}
		out = append(out, b.out...)
	}
	return out, nil
}
