package sbom

import (
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// wasmCapabilities labels a WebAssembly component: by the capabilities of
// the module whose SHA-256 matches it when one was read (sandboxed with
// its capability set, or ambient-authority), else sandboxed by its name or
// MIME type alone, with ambient-authority left unassessed. It reports
// whether the component is WebAssembly.
func (x *ruleCtx) wasmCapabilities() bool {
	c := x.c
	m := x.a.data.Wasm[x.r.SHA256]
	if m == nil {
		if !isWasm(c) {
			return false
		}
		x.fire(vocab.LabelSandboxed, "sovereignty/wasm", fieldOf(x.g.Format, c, "kind"), "", "a WebAssembly module runs in a sandbox")
		x.unknown("Wasm module not read (put it beside the SBOM)", vocab.LabelAmbientAuthority)
		return true
	}
	record := "wasm:sha256:" + m.SHA256
	caps := make([]string, len(m.Capabilities))
	for i, cp := range m.Capabilities {
		caps[i] = string(cp)
	}
	set := "none"
	if len(caps) > 0 {
		set = strings.Join(caps, ", ")
	}
	if amb := m.AmbientCapabilities(); len(amb) > 0 {
		names := make([]string, len(amb))
		for i, cp := range amb {
			names[i] = string(cp)
		}
		x.fire(vocab.LabelAmbientAuthority, "sovereignty/wasm-ambient", fieldOf(x.g.Format, c, "hashes"), record,
			fmt.Sprintf("%s imports %s (capabilities: %s)", m.Kind, strings.Join(names, ", "), set))
		return true
	}
	x.fire(vocab.LabelSandboxed, "sovereignty/wasm-capabilities", fieldOf(x.g.Format, c, "hashes"), record,
		fmt.Sprintf("%s with capabilities: %s", m.Kind, set))
	return true
}
