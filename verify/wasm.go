package verify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/wasm"
)

// isWasmFile reports whether path names a WebAssembly binary: by its
// extension, or by the \0asm header.
func isWasmFile(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".wasm") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	_, err = io.ReadFull(f, head)
	return err == nil && bytes.Equal(head, []byte("\x00asm"))
}

// wasmChecks reads a WebAssembly artifact and reports its capabilities.
// The check is informational when the module reads; a module that does
// not read fails the verdict, since what it can reach is unknown. What was
// read goes to g for the policy's least-privilege rule.
func (r *Runner) wasmChecks(ctx context.Context, subject policy.Subject, art attest.Artifact, g *gathered) []policy.Check {
	if art.Path == "" || !isWasmFile(art.Path) {
		return nil
	}
	m, err := wasm.ReadFile(ctx, art.Path, wasm.WithLogger(r.logger))
	if err != nil {
		re := reason.As(err, reason.WasmMalformed, "")
		g.wasm = policy.Wasm{Error: re.Code, Evidence: art.Name}
		return []policy.Check{failCheck(vocab.CheckWasmCapabilities, subject, re, art.Name)}
	}
	g.wasm = wasmFact(m, art.Name)
	ambient := "no ambient authority"
	if a := g.wasm.Ambient; len(a) > 0 {
		ambient = "ambient authority: " + strings.Join(a, ", ")
	}
	caps := "none"
	if len(g.wasm.Capabilities) > 0 {
		caps = strings.Join(g.wasm.Capabilities, ", ")
	}
	wasi := ""
	if m.WASI != "" {
		wasi = ", WASI " + m.WASI
	}
	return []policy.Check{{ID: vocab.CheckWasmCapabilities, Subject: subject, Status: policy.StatusPass, Evidence: art.Name,
		Message: fmt.Sprintf("%s%s, %d imports: capabilities %s; %s", m.Kind, wasi, len(m.Imports), caps, ambient)}}
}

// wasmFact is a read module as the policy sees it.
func wasmFact(m *wasm.Module, evidence string) policy.Wasm {
	w := policy.Wasm{Present: true, Kind: string(m.Kind), WASI: m.WASI, Evidence: evidence,
		Capabilities: []string{}, Ambient: []string{}, Imports: []string{}}
	for _, c := range m.Capabilities {
		w.Capabilities = append(w.Capabilities, string(c))
	}
	for _, c := range m.AmbientCapabilities() {
		w.Ambient = append(w.Ambient, string(c))
	}
	for _, im := range m.Imports {
		name := im.Name
		if im.Module != "" {
			name = im.Module + "." + im.Name
		}
		w.Imports = append(w.Imports, name+" "+string(im.Capability))
	}
	return w
}
