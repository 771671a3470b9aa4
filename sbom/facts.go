package sbom

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Facts are per-component results of provenance checks (signature,
// provenance attestation, reproducible rebuild), as sovcheck verify and
// rebuild produce them. They feed the labels no-provenance, unsigned and
// not-reproducible; without them those labels say "unknown".
type Facts struct {
	MediaType  string          `json:"mediaType"`
	Components []ComponentFact `json:"components"`

	source   string
	byPURL   map[string]int
	bySHA256 map[string]int
}

// ComponentFact is what was verified about one component. A nil field
// was not checked.
type ComponentFact struct {
	PURL         string `json:"purl,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	Signed       *bool  `json:"signed,omitempty"`
	Provenance   *bool  `json:"provenance,omitempty"`
	Reproducible *bool  `json:"reproducible,omitempty"`
	// Evidence says which check produced the fact (a verify report, a
	// rebuild log), for the report's trace.
	Evidence string `json:"evidence,omitempty"`
}

const hintFacts = "give the facts file written by sovcheck verify (media type " + vocab.MediaTypeSBOMFacts + ")"

// ReadFacts reads a provenance facts document.
func ReadFacts(r io.Reader, name string, opts ...Option) (*Facts, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxDataFileBytes, "facts "+quoteName(name), "keep the facts file under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseFacts(data, name)
}

// LoadFacts reads the provenance facts document at path.
func LoadFacts(path string, opts ...Option) (*Facts, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxDataFileBytes, "facts "+quoteName(path), "keep the facts file under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseFacts(data, path)
}

func parseFacts(data []byte, name string) (*Facts, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	f := &Facts{}
	if err := dec.Decode(f); err != nil {
		return nil, dataMalformed(err, hintFacts, "decoding facts %s", quoteName(name))
	}
	if f.MediaType != vocab.MediaTypeSBOMFacts {
		return nil, reason.Mismatch(reason.SBOMDataMalformed, hintFacts, "reading facts "+quoteName(name)+" media type", f.MediaType, vocab.MediaTypeSBOMFacts)
	}
	f.source = name
	f.byPURL = map[string]int{}
	f.bySHA256 = map[string]int{}
	for i, c := range f.Components {
		if c.PURL == "" && c.SHA256 == "" {
			return nil, reason.New(reason.SBOMDataMalformed, hintFacts, "reading facts %s: components[%d] names neither purl nor sha256", quoteName(name), i)
		}
		if c.PURL != "" {
			p, ok := parsePURL(c.PURL)
			if !ok {
				return nil, reason.New(reason.SBOMDataMalformed, hintFacts, "reading facts %s: components[%d].purl %q is not a package URL", quoteName(name), i, c.PURL)
			}
			f.byPURL[p.ToString()] = i
		}
		if c.SHA256 != "" {
			f.bySHA256[strings.ToLower(c.SHA256)] = i
		}
	}
	return f, nil
}

// lookup finds the fact for a component by exact purl, then by SHA-256.
func (f *Facts) lookup(c *Component) (*ComponentFact, int, bool) {
	if f == nil {
		return nil, -1, false
	}
	if p, ok := parsePURL(c.PURL); ok {
		if i, ok := f.byPURL[p.ToString()]; ok {
			return &f.Components[i], i, true
		}
	}
	for _, h := range c.Hashes {
		if a := strings.ToUpper(strings.ReplaceAll(h.Algorithm, "-", "")); a == "SHA256" {
			if i, ok := f.bySHA256[strings.ToLower(h.Value)]; ok {
				return &f.Components[i], i, true
			}
		}
	}
	return nil, -1, false
}
