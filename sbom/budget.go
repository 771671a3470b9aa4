package sbom

import (
	"bytes"
	"fmt"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Decoding and assessing an SBOM costs memory per component and per edge,
// whatever the component holds: an empty CycloneDX component "{}" takes
// three bytes in the file and several kilobytes once decoded, labelled and
// scored. A file of one million "{}" would need some 5 GB. Before any
// decoder allocates, a pre-pass counts the elements of the arrays that
// become components and edges, without keeping them, and refuses the input
// when the count limits or the memory budget (Limits.MaxMemoryBytes) would
// be exceeded. The costs below are measured peaks per element (decode,
// graph, labels, scores), rounded up.
const (
	costPerComponent = 4 << 10 // bytes of peak memory per component
	costPerEdge      = 64      // bytes per dependency edge
	costPerByte      = 4       // bytes of peak memory per input byte (decoder buffers, strings)
)

// budgetHint is the hint of a refusal by the pre-pass.
const budgetHint = "split the SBOM per image or product, or raise the component limit or memory budget (sbom.Limits)"

// counts is what the pre-pass found.
type counts struct {
	components, edges int
}

// estimate returns the peak memory an input with these counts needs.
func (c counts) estimate(size int) int64 {
	return int64(c.components)*costPerComponent + int64(c.edges)*costPerEdge + int64(size)*costPerByte
}

// checkBudget runs the pre-pass for the formats whose decoders would
// otherwise allocate per element before any limit is checked.
func checkBudget(data []byte, f Format, name string, l Limits) error {
	// A document of n bytes holds at most n/2 elements ("1," or "{}"): when
	// even that worst case fits the limits, counting can prove nothing more,
	// and the common small SBOM is not scanned twice.
	if worst := len(data)/2 + 1; worst <= l.MaxComponents && worst <= l.MaxEdges &&
		(counts{components: worst, edges: worst}).estimate(len(data)) <= l.MaxMemoryBytes {
		return nil
	}
	var c counts
	var err error
	switch f {
	case FormatCycloneDXJSON:
		c, err = countJSON(data, cdxJSONComponentKeys, cdxJSONEdgeKeys, l)
	case FormatSPDXJSON:
		c, err = countJSON(data, spdxJSONComponentKeys, spdxJSONEdgeKeys, l)
	case FormatSPDX3JSON:
		c, err = countJSON(data, spdx3ComponentKeys, nil, l)
	case FormatCycloneDXXML:
		c, err = countXML(data, l)
	case FormatSPDXTagValue:
		c, err = countTagValue(data, l)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if need := c.estimate(len(data)); need > l.MaxMemoryBytes {
		return &reason.Error{
			Code: reason.InputTooLarge,
			Msg: fmt.Sprintf("reading %s: %d components and %d edges in %d bytes would need about %d MiB",
				quoteName(name), c.components, c.edges, len(data), need>>20),
			Got:  fmt.Sprintf("%d MiB", need>>20),
			Want: fmt.Sprintf("at most %d MiB (the memory budget per input)", l.MaxMemoryBytes>>20),
			Hint: budgetHint,
		}
	}
	return nil
}

var (
	cdxJSONComponentKeys  = map[string]bool{"components": true, "services": true, "vulnerabilities": true}
	cdxJSONEdgeKeys       = map[string]bool{"dependsOn": true, "dependencies": true, "provides": true}
	spdxJSONComponentKeys = map[string]bool{"packages": true, "files": true, "snippets": true}
	spdxJSONEdgeKeys      = map[string]bool{"relationships": true, "documentDescribes": true}
	spdx3ComponentKeys    = map[string]bool{"@graph": true}
)

// countJSON counts the elements of every array held by one of the named
// keys, at any depth, scanning bytes without decoding. It does not
// validate: the decoder that follows does. It stops as soon as a count
// passes its limit, so a file of millions of elements is refused after
// reading just past the limit.
func countJSON(data []byte, compKeys, edgeKeys map[string]bool, l Limits) (counts, error) {
	var c counts
	type frame struct {
		kind  byte // 0 not counted, 1 components, 2 edges
		array bool
		want  bool // an array expecting the start of an element
	}
	stack := make([]frame, 0, 64)
	depthLimit := 4 * l.MaxNesting
	var lastStr []byte
	afterColon := false
	for i := 0; i < len(data); i++ {
		ch := data[i]
		if ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' {
			continue
		}
		if n := len(stack); n > 0 {
			if top := &stack[n-1]; top.array && top.want && ch != ']' && ch != ',' {
				top.want = false
				switch top.kind {
				case 1:
					if c.components++; c.components > l.MaxComponents {
						return c, tooMany("components", l.MaxComponents, budgetHint)
					}
				case 2:
					if c.edges++; c.edges > l.MaxEdges {
						return c, tooMany("dependency edges", l.MaxEdges, budgetHint)
					}
				}
			}
		}
		switch ch {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					return c, nil // truncated: the decoder reports it
				}
				j += k
				bs := 0
				for b := j - 1; b > i && data[b] == '\\'; b-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			lastStr = data[i+1 : j]
			i = j
			afterColon = false
		case ':':
			afterColon = true
		case '{', '[':
			var kind byte
			if ch == '[' && afterColon {
				switch {
				case compKeys[string(lastStr)]:
					kind = 1
				case edgeKeys[string(lastStr)]:
					kind = 2
				}
			}
			if len(stack) >= depthLimit {
				return c, tooMany("levels of nesting", depthLimit, "flatten the document")
			}
			stack = append(stack, frame{kind: kind, array: ch == '[', want: ch == '['})
			afterColon = false
		case '}', ']':
			if n := len(stack); n > 0 {
				stack = stack[:n-1]
			}
			afterColon = false
		case ',':
			if n := len(stack); n > 0 && stack[n-1].array {
				stack[n-1].want = true
			}
			afterColon = false
		default:
			afterColon = false
		}
	}
	return c, nil
}

// countXML counts CycloneDX component and dependency elements.
func countXML(data []byte, l Limits) (counts, error) {
	var c counts
	for i := 0; ; {
		k := bytes.IndexByte(data[i:], '<')
		if k < 0 {
			return c, nil
		}
		i += k + 1
		rest := data[i:]
		switch {
		case hasElement(rest, "component"):
			if c.components++; c.components > l.MaxComponents {
				return c, tooMany("components", l.MaxComponents, budgetHint)
			}
		case hasElement(rest, "dependency"):
			if c.edges++; c.edges > l.MaxEdges {
				return c, tooMany("dependency edges", l.MaxEdges, budgetHint)
			}
		}
	}
}

// hasElement reports whether rest starts with the element name (with or
// without a namespace prefix) followed by the end of the name.
func hasElement(rest []byte, name string) bool {
	if k := bytes.IndexByte(rest[:min(len(rest), 32)], ':'); k > 0 && !bytes.ContainsAny(rest[:k], " />") {
		rest = rest[k+1:]
	}
	if !bytes.HasPrefix(rest, []byte(name)) || len(rest) == len(name) {
		return false
	}
	switch rest[len(name)] {
	case ' ', '>', '/', '\t', '\r', '\n':
		return true
	}
	return false
}

// countTagValue counts packages, files and relationships of an SPDX
// tag-value document.
func countTagValue(data []byte, l Limits) (counts, error) {
	var c counts
	for len(data) > 0 {
		line := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			line, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		switch {
		case bytes.HasPrefix(line, []byte("PackageName:")), bytes.HasPrefix(line, []byte("FileName:")), bytes.HasPrefix(line, []byte("SnippetSPDXID:")):
			if c.components++; c.components > l.MaxComponents {
				return c, tooMany("components", l.MaxComponents, budgetHint)
			}
		case bytes.HasPrefix(line, []byte("Relationship:")):
			if c.edges++; c.edges > l.MaxEdges {
				return c, tooMany("dependency edges", l.MaxEdges, budgetHint)
			}
		}
	}
	return c, nil
}
