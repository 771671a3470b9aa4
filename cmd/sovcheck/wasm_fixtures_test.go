package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdWasmBuild builds a Go program for WASI preview 1:
//
//	wasm-build DIR OUT.wasm
//
// It runs the go command with the test process's environment (its build
// cache), not the script's, so each script does not rebuild the runtime.
func cmdWasmBuild(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "wasm-build")
	if len(args) != 2 {
		ts.Fatalf("usage: wasm-build DIR OUT.wasm")
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", ts.MkAbs(args[1]), ".")
	cmd.Dir = ts.MkAbs(args[0])
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		ts.Fatalf("building %s for wasip1: %v\n%s", args[0], err, out)
	}
}

// cmdWasmBytes writes bytes given in hex, or the first N bytes of a file:
//
//	wasm-bytes OUT HEX
//	wasm-bytes OUT FILE N
func cmdWasmBytes(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "wasm-bytes")
	var data []byte
	var err error
	switch len(args) {
	case 2:
		data, err = hex.DecodeString(args[1])
	case 3:
		var n int
		if n, err = strconv.Atoi(args[2]); err == nil {
			data = []byte(ts.ReadFile(args[1]))
			data = data[:min(n, len(data))]
		}
	default:
		ts.Fatalf("usage: wasm-bytes OUT HEX | wasm-bytes OUT FILE N")
	}
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// cmdWasmSBOM writes a CycloneDX 1.6 SBOM of a product made of the given
// files, each a file component with its SHA-256:
//
//	wasm-sbom OUT FILE...
func cmdWasmSBOM(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "wasm-sbom")
	if len(args) < 2 {
		ts.Fatalf("usage: wasm-sbom OUT FILE...")
	}
	type hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	type component struct {
		Type   string `json:"type"`
		BOMRef string `json:"bom-ref"`
		Name   string `json:"name"`
		Hashes []hash `json:"hashes"`
	}
	var comps []component
	var refs []string
	for _, f := range args[1:] {
		sum := sha256.Sum256([]byte(ts.ReadFile(f)))
		comps = append(comps, component{Type: "file", BOMRef: f, Name: filepath.Base(f), Hashes: []hash{{"SHA-256", hex.EncodeToString(sum[:])}}})
		refs = append(refs, f)
	}
	doc := map[string]any{
		"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata":     map[string]any{"component": map[string]any{"type": "application", "bom-ref": "app", "name": "app", "version": "1.0"}},
		"components":   comps,
		"dependencies": []map[string]any{{"ref": "app", "dependsOn": refs}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}
