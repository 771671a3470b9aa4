package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/wasm"
)

// WasmCaps is one module `sovcheck wasm caps` read: the file as the user
// named it, and what package wasm found in it.
type WasmCaps struct {
	File string `json:"file"`
	*wasm.Module
}

// WasmCapsJSON writes the modules as the wasm caps document (media type
// vocab.MediaTypeWasmCaps).
func WasmCapsJSON(w io.Writer, mods []WasmCaps) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		MediaType string     `json:"mediaType"`
		Modules   []WasmCaps `json:"modules"`
	}{vocab.MediaTypeWasmCaps, mods})
}

// WasmCapsText writes each module: kind, WASI version, size and digest,
// its capabilities, those that are ambient authority, and its imports.
func WasmCapsText(w io.Writer, mods []WasmCaps) error {
	ew := &errWriter{w: w}
	for i, e := range mods {
		if i > 0 {
			ew.printf("\n")
		}
		writeWasmText(ew, e.File, e.Module)
	}
	return ew.err
}

func writeWasmText(ew *errWriter, file string, m *wasm.Module) {
	wasi := "no WASI"
	if m.WASI != "" {
		wasi = "WASI " + m.WASI
	}
	ew.printf("%s: %s, %s, %d bytes, sha256 %s\n", file, m.Kind, wasi, m.Size, m.SHA256)
	caps := make([]string, len(m.Capabilities))
	for i, c := range m.Capabilities {
		caps[i] = string(c)
	}
	ew.printf("  capabilities: %s\n", orNoneList(caps))
	var amb []string
	for _, c := range m.AmbientCapabilities() {
		amb = append(amb, string(c))
	}
	ew.printf("  ambient authority: %s\n", orNoneList(amb))
	if len(m.Imports) == 0 {
		return
	}
	ew.printf("  imports:\n")
	if ew.err != nil {
		return
	}
	tw := tabwriter.NewWriter(ew.w, 0, 0, 2, ' ', 0)
	for _, im := range m.Imports {
		name := im.Name
		if im.Module != "" {
			name = im.Module + "." + im.Name
		}
		fmt.Fprintf(tw, "    %s\t%s\n", name, im.Capability)
	}
	if err := tw.Flush(); err != nil && ew.err == nil {
		ew.err = err
	}
}

func orNoneList(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
