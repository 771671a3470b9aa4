package sbom

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"
)

// readSPDXTagValue decodes an SPDX 2.2 or 2.3 tag-value document with
// spdx/tools-golang (2.2 is converted to 2.3) and points every location at
// the line it came from ("name:LINE"), since tag-value has no JSON
// pointers.
func readSPDXTagValue(data []byte, s Sniffed, name string, o *options) (*Graph, error) {
	doc, err := strictTagValue(data)
	if err != nil {
		return nil, malformed(err, "validate the document with spdx-tools verify, or convert it to SPDX JSON",
			"decoding SPDX tag-value %s", quoteName(name))
	}
	g, err := spdxGraph(doc, s, name, o.limits)
	if err != nil {
		return nil, err
	}
	g.Format = FormatSPDXTagValue
	pkgLines, relLines := tagValueLines(data)
	where := func(loc string) string {
		for _, pre := range []struct {
			prefix string
			lines  []int
		}{{"/packages/", pkgLines}, {"/relationships/", relLines}} {
			rest, ok := strings.CutPrefix(loc, pre.prefix)
			if !ok {
				continue
			}
			num, _, _ := strings.Cut(rest, "/")
			var i int
			if _, err := fmt.Sscanf(num, "%d", &i); err == nil && i >= 0 && i < len(pre.lines) {
				return fmt.Sprintf("%s:%d", name, pre.lines[i])
			}
		}
		return loc
	}
	for i := range g.Components {
		c := &g.Components[i]
		c.Location = where(c.Location)
		c.DependenciesField = where(c.DependenciesField)
		c.ModifiedBy = where(c.ModifiedBy)
		for j := range c.UpstreamHints {
			c.UpstreamHints[j].Field = where(c.UpstreamHints[j].Field)
		}
	}
	return g, nil
}

func strictTagValue(data []byte) (doc *v2_3.Document, err error) {
	defer func() {
		// The parser and converter index and reflect on what they read;
		// refuse rather than crash on a shape they do not expect.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("parsing tag-value: %v", r)
		}
	}()
	d, err := tagvalue.Read(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return d, nil
}

// tagValueLines returns the 1-based line of each PackageName and each
// Relationship tag, in document order, as tools-golang keeps them.
func tagValueLines(data []byte) (pkgs, rels []int) {
	line := 0
	for len(data) > 0 {
		line++
		l := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			l, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		l = bytes.TrimLeft(l, " \t")
		switch {
		case bytes.HasPrefix(l, []byte("PackageName:")):
			pkgs = append(pkgs, line)
		case bytes.HasPrefix(l, []byte("Relationship:")):
			rels = append(rels, line)
		}
	}
	return pkgs, rels
}
