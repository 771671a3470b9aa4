package sbom

import (
	"encoding/json"
	"io"
)

// WriteJSON writes a Report or PortfolioReport as indented JSON. The
// media type inside says which.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
