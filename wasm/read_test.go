package wasm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Programs built for wasip1 at test time: one that only prints, one that
// opens a file, one that accepts connections on a socket it is handed.
var goPrograms = map[string]string{
	"hello": `package main

import "fmt"

func main() { fmt.Println("hello") }
`,
	"files": `package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile("/data/input")
	fmt.Println(len(b), err)
}
`,
	"sockets": `package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return
	}
	c, err := l.Accept()
	fmt.Println(c, err)
}
`,
}

// buildGoWasm builds the named program with GOOS=wasip1 GOARCH=wasm.
func buildGoWasm(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/"+name+"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(goPrograms[name]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+".wasm")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s for wasip1: %v\n%s", name, err, b)
	}
	return out
}

// jco returns the path of the Bytecode Alliance's jco, or skips.
func jco(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("jco")
	if err != nil {
		t.Skip("jco not on PATH (npm install -g @bytecodealliance/jco@1.35.0; .ci/run does): component tests skipped")
	}
	return p
}

func runJCO(t testing.TB, args ...string) {
	t.Helper()
	if b, err := exec.Command(jco(t), args...).CombinedOutput(); err != nil {
		t.Fatalf("jco %v: %v\n%s", args, err, b)
	}
}

func readFile(t testing.TB, path string) *Module {
	t.Helper()
	m, err := ReadFile(context.Background(), path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return m
}

func TestGoModules(t *testing.T) {
	for _, tc := range []struct {
		program     string
		want, never []Capability
		ambient     bool
	}{
		{"hello", []Capability{CapClocks, CapRandom, CapEnvironment, CapProcess, CapIO}, []Capability{CapFilesystem, CapSockets, CapHost}, false},
		{"files", []Capability{CapFilesystem, CapIO}, []Capability{CapSockets}, true},
		{"sockets", []Capability{CapSockets, CapIO}, nil, true},
	} {
		t.Run(tc.program, func(t *testing.T) {
			t.Parallel()
			m := readFile(t, buildGoWasm(t, tc.program))
			if m.Kind != KindCoreModule || m.WASI != "preview1" {
				t.Errorf("kind %s, WASI %q; want core-module, preview1", m.Kind, m.WASI)
			}
			for _, c := range tc.want {
				if !slices.Contains(m.Capabilities, c) {
					t.Errorf("capabilities %v lack %s", m.Capabilities, c)
				}
			}
			for _, c := range tc.never {
				if slices.Contains(m.Capabilities, c) {
					t.Errorf("capabilities %v include %s", m.Capabilities, c)
				}
			}
			if got := len(m.AmbientCapabilities()) > 0; got != tc.ambient {
				t.Errorf("ambient %v (%v), want %v", got, m.AmbientCapabilities(), tc.ambient)
			}
			if len(m.SHA256) != 64 || m.Size == 0 {
				t.Errorf("digest %q size %d", m.SHA256, m.Size)
			}
		})
	}
}

func TestComponents(t *testing.T) {
	dir := t.TempDir()
	hello := buildGoWasm(t, "hello")
	// A Go program adapted to WASI 0.2 by the command adapter jco ships.
	adapted := filepath.Join(dir, "hello.component.wasm")
	runJCO(t, "new", hello, "--wasi-command", "-o", adapted)
	m := readFile(t, adapted)
	if m.Kind != KindComponent || m.WASI == "" || m.WASI == "preview1" {
		t.Errorf("kind %s WASI %q, want a component importing WASI 0.2+", m.Kind, m.WASI)
	}
	if !slices.Contains(m.Capabilities, CapFilesystem) || slices.Contains(m.Capabilities, CapSockets) {
		t.Errorf("adapted hello capabilities %v: want filesystem (the adapter's preopens), no sockets", m.Capabilities)
	}
	var ifaces []string
	for _, im := range m.Imports {
		ifaces = append(ifaces, im.Interface)
	}
	if !slices.Contains(ifaces, "wasi:cli/environment") || !slices.Contains(ifaces, "wasi:filesystem/preopens") {
		t.Errorf("interfaces %v", ifaces)
	}

	// A core module that only draws random numbers, adapted as a reactor:
	// the component imports wasi:random and standard error, nothing ambient.
	wat := filepath.Join(dir, "roll.wat")
	os.WriteFile(wat, []byte(`(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "roll") (result i32)
    (drop (call $random_get (i32.const 0) (i32.const 4)))
    (i32.load (i32.const 0))))
`), 0o644)
	core := filepath.Join(dir, "roll.wasm")
	runJCO(t, "parse", wat, "-o", core)
	if m := readFile(t, core); !slices.Equal(m.Capabilities, []Capability{CapRandom}) {
		t.Errorf("roll core module capabilities %v, want [random]", m.Capabilities)
	}
	roll := filepath.Join(dir, "roll.component.wasm")
	runJCO(t, "new", core, "--wasi-reactor", "-o", roll)
	if m := readFile(t, roll); !slices.Contains(m.Capabilities, CapRandom) || len(m.AmbientCapabilities()) != 0 {
		t.Errorf("roll component capabilities %v, ambient %v", m.Capabilities, m.AmbientCapabilities())
	}

	// A component written in the text format: sockets, and a host
	// function whose authority is unknown.
	cwat := filepath.Join(dir, "net.wat")
	os.WriteFile(cwat, []byte(`(component
  (import "wasi:sockets/tcp@0.2.3" (instance))
  (import "wasi:clocks/wall-clock@0.2.3" (instance))
  (import "wasi:keyvalue/store@0.2.0-draft" (instance))
  (import "log" (func))
)
`), 0o644)
	netc := filepath.Join(dir, "net.wasm")
	runJCO(t, "parse", cwat, "-o", netc)
	m = readFile(t, netc)
	if want := []Capability{CapSockets, CapClocks, CapHost, CapUnknown}; !slices.Equal(m.Capabilities, want) {
		t.Errorf("capabilities %v, want %v", m.Capabilities, want)
	}
	if want := []Capability{CapSockets, CapHost, CapUnknown}; !slices.Equal(m.AmbientCapabilities(), want) {
		t.Errorf("ambient %v, want %v", m.AmbientCapabilities(), want)
	}
	if m.WASI != "0.2.3" {
		t.Errorf("WASI %q, want the highest version 0.2.3", m.WASI)
	}
}

// Minimal binaries, encoded by hand after the specifications.
var (
	emptyCore      = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	emptyComponent = []byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0}
	// A component importing instance "wasi:random/random@0.2.0" of type 0.
	randomComponent = append(slices.Clone(emptyComponent),
		append([]byte{10, 29, 1, 0, 24}, append([]byte("wasi:random/random@0.2.0"), 0x05, 0x00)...)...)
)

func TestMinimal(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		kind Kind
		caps []Capability
	}{
		"core":      {emptyCore, KindCoreModule, []Capability{}},
		"component": {emptyComponent, KindComponent, []Capability{}},
		"random":    {randomComponent, KindComponent, []Capability{CapRandom}},
	} {
		m, err := Read(context.Background(), bytes.NewReader(tc.data), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Kind != tc.kind || !slices.Equal(m.Capabilities, tc.caps) {
			t.Errorf("%s: %s %v, want %s %v", name, m.Kind, m.Capabilities, tc.kind, tc.caps)
		}
	}
}

func TestRefused(t *testing.T) {
	hello, err := os.ReadFile(buildGoWasm(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	// The first section id made one the core specification does not define.
	flipped := slices.Clone(hello)
	flipped[8] = 0x20
	small := DefaultLimits()
	small.MaxBytes = 1 << 20
	for _, tc := range []struct {
		name string
		data []byte
		code string
		opts []Option
	}{
		{"empty", nil, reason.WasmMalformed, nil},
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), reason.WasmMalformed, nil},
		{"truncated header", emptyCore[:6], reason.WasmMalformed, nil},
		{"truncated module", hello[:len(hello)/3], reason.WasmMalformed, nil},
		{"unknown section in module", flipped, reason.WasmMalformed, nil},
		{"huge", hello, reason.InputTooLarge, []Option{WithLimits(small)}},
		{"core version 2", []byte{0, 'a', 's', 'm', 2, 0, 0, 0}, reason.WasmVersionUnsupported, nil},
		{"old component draft", []byte{0, 'a', 's', 'm', 0x0a, 0, 1, 0}, reason.WasmVersionUnsupported, nil},
		{"truncated component", randomComponent[:len(randomComponent)-3], reason.WasmMalformed, nil},
		{"unknown section", append(slices.Clone(emptyComponent), 42, 0), reason.WasmMalformed, nil},
		{"bad extern sort", append(slices.Clone(emptyComponent), 10, 5, 1, 0, 1, 'x', 9), reason.WasmMalformed, nil},
		{"trailing bytes in imports", append(slices.Clone(emptyComponent), 10, 7, 1, 0, 1, 'x', 1, 0, 0), reason.WasmMalformed, nil},
		{"too many imports", append(slices.Clone(emptyComponent), 10, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), reason.InputTooLarge, nil},
		{"overlong integer", append(slices.Clone(emptyComponent), 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), reason.WasmMalformed, nil},
		{"name not UTF-8", append(slices.Clone(emptyComponent), 10, 6, 1, 0, 2, 0xff, 0xfe, 5, 0), reason.WasmMalformed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Read(context.Background(), bytes.NewReader(tc.data), tc.name, tc.opts...)
			if err == nil {
				t.Fatalf("read %s as %+v, want error %s", tc.name, m, tc.code)
			}
			var re *reason.Error
			if !errors.As(err, &re) || re.Code != tc.code || re.Hint == "" {
				t.Errorf("error %v (code %q), want code %s with a hint", err, reason.CodeOf(err, ""), tc.code)
			}
		})
	}
}

func TestReadFileRefusesLargeBeforeReading(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.wasm")
	if err := os.WriteFile(p, append(slices.Clone(emptyCore), make([]byte, 2048)...), 0o644); err != nil {
		t.Fatal(err)
	}
	l := DefaultLimits()
	l.MaxBytes = 1024
	if _, err := ReadFile(context.Background(), p, WithLimits(l)); reason.CodeOf(err, "") != reason.InputTooLarge {
		t.Errorf("got %v, want INPUT_TOO_LARGE", err)
	}
	if _, err := ReadFile(context.Background(), filepath.Dir(p)); reason.CodeOf(err, "") != reason.InputUnreadable {
		t.Errorf("directory: got %v, want INPUT_UNREADABLE", err)
	}
}
