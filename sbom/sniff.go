package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Sniffed is what the first bytes of a document say it is.
type Sniffed struct {
	Format      Format
	SpecVersion string
	// NamedAs is the format the file name suggests, or "" when the name
	// says nothing. Content always wins over the name.
	NamedAs Format
}

const (
	hintFormatUnknown = "give a CycloneDX (JSON or XML, 1.2-1.7), SPDX 2.2/2.3 (JSON or tag-value), SPDX 3.0 JSON-LD, go.mod, go.sum or package-lock.json (v2/v3) file"
	maxSniffKeys      = 4096
	cdxNamespace      = "http://cyclonedx.org/schema/bom/"
)

// supported CycloneDX spec versions. 1.0 and 1.1 carry no dependency graph
// and no JSON form, so they are refused rather than half read.
var cdxVersions = map[string]bool{"1.2": true, "1.3": true, "1.4": true, "1.5": true, "1.6": true, "1.7": true}

// Sniff decides the format of data from its content; name is only used to
// tell text formats apart and to notice a misleading file name.
func Sniff(data []byte, name string) (Sniffed, error) {
	s := Sniffed{NamedAs: formatFromName(name)}
	body := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(body) == 0 {
		return s, reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing %s: the file is empty", quoteName(name))
	}
	var err error
	switch body[0] {
	case '{':
		s.Format, s.SpecVersion, err = sniffJSON(body, name)
	case '[', '"':
		err = reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing %s: a JSON %s is not an SBOM", quoteName(name), jsonKind(body[0]))
	case '<':
		s.Format, s.SpecVersion, err = sniffXML(body, name)
	default:
		s.Format, s.SpecVersion, err = sniffText(body, name)
	}
	return s, err
}

func jsonKind(b byte) string {
	if b == '[' {
		return "array"
	}
	return "string"
}

func quoteName(name string) string {
	if name == "" {
		return "input"
	}
	return fmt.Sprintf("%q", name)
}

// formatFromName maps naming conventions to the format they promise.
func formatFromName(name string) Format {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	switch {
	case base == "go.mod":
		return FormatGoMod
	case base == "go.sum":
		return FormatGoSum
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		return FormatNPMLock
	case strings.HasSuffix(base, ".cdx.json") || base == "bom.json" || strings.HasSuffix(base, ".cyclonedx.json"):
		return FormatCycloneDXJSON
	case strings.HasSuffix(base, ".cdx.xml") || base == "bom.xml" || strings.HasSuffix(base, ".cyclonedx.xml"):
		return FormatCycloneDXXML
	case strings.HasSuffix(base, ".spdx3.json") || strings.HasSuffix(base, ".spdx.jsonld"):
		return FormatSPDX3JSON
	case strings.HasSuffix(base, ".spdx.json"):
		return FormatSPDXJSON
	case strings.HasSuffix(base, ".spdx") || strings.HasSuffix(base, ".spdx.tv"):
		return FormatSPDXTagValue
	}
	return ""
}

// sniffJSON reads top-level keys until the format is certain. Generators
// put bomFormat/spdxVersion/lockfileVersion first, so this usually stops
// after a few tokens.
func sniffJSON(body []byte, name string) (Format, string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return "", "", jsonError(err, body, name)
	}
	var (
		bomFormat, specVersion, spdxVersion string
		lockVersion                         json.Number
		haveLock, haveContext, havePackages bool
		spdx3                               string
		keys                                []string
	)
	decided := func() bool {
		return (bomFormat != "" && specVersion != "") || spdxVersion != "" || (haveLock && havePackages) || spdx3 != ""
	}
scan:
	for dec.More() && !decided() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", jsonError(err, body, name)
		}
		key, _ := tok.(string)
		if len(keys) < maxSniffKeys {
			keys = append(keys, key)
		}
		var err2 error
		switch key {
		case "bomFormat":
			err2 = decodeString(dec, &bomFormat)
		case "specVersion":
			err2 = decodeString(dec, &specVersion)
		case "spdxVersion":
			err2 = decodeString(dec, &spdxVersion)
		case "lockfileVersion":
			haveLock = true
			err2 = dec.Decode(&lockVersion)
		case "@context":
			haveContext = true
			var ctx json.RawMessage
			if err2 = dec.Decode(&ctx); err2 == nil {
				spdx3 = spdx3Version(ctx)
			}
		case "packages":
			havePackages = true
			err2 = skipValue(dec)
		default:
			err2 = skipValue(dec)
		}
		if err2 != nil {
			if bomFormat == "CycloneDX" || spdxVersion != "" || haveLock {
				break scan // identified; the full decode reports the damage
			}
			return "", "", jsonError(err2, body, name)
		}
	}
	switch {
	case bomFormat != "":
		if bomFormat != "CycloneDX" {
			return "", "", reason.Mismatch(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing "+quoteName(name)+": bomFormat is not CycloneDX", bomFormat, "CycloneDX")
		}
		if !cdxVersions[specVersion] {
			return FormatCycloneDXJSON, specVersion, reason.Mismatch(reason.SBOMVersionUnsupported,
				"convert the SBOM to CycloneDX 1.2 or later (cyclonedx-cli convert)",
				"reading CycloneDX specVersion", specVersion, "1.2 to 1.7")
		}
		return FormatCycloneDXJSON, specVersion, nil
	case spdxVersion != "":
		if spdxVersion != "SPDX-2.2" && spdxVersion != "SPDX-2.3" {
			return FormatSPDXJSON, spdxVersion, reason.Mismatch(reason.SBOMVersionUnsupported,
				"give an SPDX 2.2 or 2.3 JSON document",
				"reading SPDX spdxVersion", spdxVersion, "SPDX-2.2 or SPDX-2.3")
		}
		return FormatSPDXJSON, spdxVersion, nil
	case haveLock:
		v := lockVersion.String()
		if v != "2" && v != "3" {
			return FormatNPMLock, "lockfileVersion " + v, reason.Mismatch(reason.SBOMVersionUnsupported,
				"regenerate the lockfile with npm 7 or later (npm install --lockfile-version 3)",
				"reading package-lock lockfileVersion", v, "2 or 3")
		}
		if !havePackages {
			return FormatNPMLock, "lockfileVersion " + v, reason.New(reason.SBOMMalformed,
				"regenerate the lockfile with npm 7 or later", "reading package-lock: no \"packages\" object")
		}
		return FormatNPMLock, "lockfileVersion " + v, nil
	case spdx3 != "":
		if spdx3 != "3.0.1" && spdx3 != "3.0" {
			return FormatSPDX3JSON, spdx3, reason.Mismatch(reason.SBOMVersionUnsupported, "give an SPDX 3.0.1 JSON-LD document, or SPDX 2.3",
				"reading SPDX 3 @context version", spdx3, "3.0.1")
		}
		return FormatSPDX3JSON, spdx3, nil
	case haveContext:
		return "", "", reason.New(reason.SBOMFormatUnknown, "give an SPDX 3.0.1 document (its @context is https://spdx.org/rdf/3.0.1/spdx-context.jsonld), or a CycloneDX SBOM",
			"sniffing %s: a JSON-LD document whose @context is not SPDX 3 is not an SBOM", quoteName(name))
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	return "", "", reason.New(reason.SBOMFormatUnknown, hintFormatUnknown,
		"sniffing %s: a JSON object without bomFormat, spdxVersion or lockfileVersion is not an SBOM (keys: %s)",
		quoteName(name), strings.Join(keys, ", "))
}

func decodeString(dec *json.Decoder, dst *string) error {
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	s, ok := v.(string)
	if !ok {
		*dst = fmt.Sprint(v)
		return nil
	}
	*dst = s
	return nil
}

// skipValue consumes one JSON value without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// jsonError classifies a JSON decoding error: input that ends inside a
// value is reported as truncated, anything else as malformed.
func jsonError(err error, data []byte, name string) error {
	var se *json.SyntaxError
	truncated := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &se) && se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n")))
	if truncated {
		return reason.Wrap(err, reason.SBOMMalformed, "the file ends early; download or generate it again",
			"reading %s: the JSON is truncated", quoteName(name))
	}
	return reason.Wrap(err, reason.SBOMMalformed, "check that the file is valid JSON", "reading %s", quoteName(name))
}

func sniffXML(body []byte, name string) (Format, string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for i := 0; i < 64; i++ {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", "", reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing %s: an XML document without a root element", quoteName(name))
			}
			return "", "", reason.Wrap(err, reason.SBOMMalformed, "check that the file is well-formed XML", "reading %s", quoteName(name))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "bom" && strings.HasPrefix(se.Name.Space, cdxNamespace) {
			v := strings.TrimPrefix(se.Name.Space, cdxNamespace)
			if !cdxVersions[v] {
				return FormatCycloneDXXML, v, reason.Mismatch(reason.SBOMVersionUnsupported,
					"convert the SBOM to CycloneDX 1.2 or later (cyclonedx-cli convert)",
					"reading CycloneDX XML namespace version", v, "1.2 to 1.7")
			}
			return FormatCycloneDXXML, v, nil
		}
		if se.Name.Local == "RDF" {
			return "", "", reason.New(reason.SBOMFormatUnknown, "convert the SPDX RDF document to SPDX 2.3 JSON",
				"sniffing %s: SPDX RDF/XML is not supported", quoteName(name))
		}
		return "", "", reason.New(reason.SBOMFormatUnknown, hintFormatUnknown,
			"sniffing %s: XML root element {%s}%s is not a CycloneDX bom", quoteName(name), se.Name.Space, se.Name.Local)
	}
	return "", "", reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing %s: no XML root element in the first tokens", quoteName(name))
}

func sniffText(body []byte, name string) (Format, string, error) {
	named := formatFromName(name)
	first := firstLine(body)
	switch {
	case named == FormatGoMod || strings.HasPrefix(first, "module ") || strings.HasPrefix(first, "module\t"):
		return FormatGoMod, "", nil
	case named == FormatGoSum || looksLikeGoSum(first):
		return FormatGoSum, "", nil
	case strings.HasPrefix(first, "SPDXVersion:"):
		v := strings.TrimSpace(strings.TrimPrefix(first, "SPDXVersion:"))
		if v != "SPDX-2.2" && v != "SPDX-2.3" {
			return FormatSPDXTagValue, v, reason.Mismatch(reason.SBOMVersionUnsupported, "give an SPDX 2.2 or 2.3 document",
				"reading SPDX tag-value SPDXVersion", v, "SPDX-2.2 or SPDX-2.3")
		}
		return FormatSPDXTagValue, v, nil
	}
	return "", "", reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "sniffing %s: the content is neither JSON, XML, SPDX tag-value, go.mod nor go.sum", quoteName(name))
}

// firstLine returns the first line that is not blank or a comment (// in
// go.mod, # in SPDX tag-value).
func firstLine(body []byte) string {
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		t := strings.TrimSpace(string(line))
		if t == "" || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "#") {
			continue
		}
		return t
	}
	return ""
}

func looksLikeGoSum(line string) bool {
	f := strings.Fields(line)
	return len(f) == 3 && strings.HasPrefix(f[2], "h1:") && strings.HasPrefix(f[1], "v")
}
