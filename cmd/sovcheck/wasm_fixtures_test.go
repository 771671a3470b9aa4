package main

import (
	"encoding/hex"
	"os"
	"os/exec"
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
