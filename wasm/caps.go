package wasm

import (
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Capability names one family of host authority a module can import.
// Capability names are part of sovcheck's public contract: policies list
// them in wasm.allowedCapabilities.
type Capability string

// Capabilities, in report order; the names are defined in the vocabulary.
const (
	// CapFilesystem reaches files by name or lists and changes them:
	// WASI preview 1 path_*, fd_readdir, fd_filestat_set_*, fd_allocate,
	// fd_fdstat_set_rights; wasi:filesystem.
	CapFilesystem Capability = vocab.WasmFilesystem
	// CapSockets reaches the network: WASI preview 1 sock_*;
	// wasi:sockets.
	CapSockets Capability = vocab.WasmSockets
	// CapHTTP makes outgoing HTTP requests: wasi:http.
	CapHTTP Capability = vocab.WasmHTTP
	// CapClocks reads wall or monotonic clocks: clock_*; wasi:clocks.
	CapClocks Capability = vocab.WasmClocks
	// CapRandom reads host randomness: random_get; wasi:random.
	CapRandom Capability = vocab.WasmRandom
	// CapEnvironment reads arguments and environment variables: args_*,
	// environ_*; wasi:cli/environment.
	CapEnvironment Capability = vocab.WasmEnvironment
	// CapProcess ends or signals the process or yields: proc_*,
	// sched_yield; wasi:cli/exit.
	CapProcess Capability = vocab.WasmProcess
	// CapIO reads and writes descriptors the host hands over (standard
	// streams, already open files) and waits on them: fd_read, fd_write,
	// fd_close, fd_seek, fd_pread, fd_filestat_get, fd_prestat_*,
	// poll_oneoff, ...; wasi:io, wasi:cli/std*,
	// wasi:cli/terminal-*.
	CapIO Capability = vocab.WasmIO
	// CapHost is an import of a module or interface outside WASI: the
	// host decides what it can do, so its authority is unknown.
	CapHost Capability = vocab.WasmHost
	// CapUnknown is a WASI name sovcheck does not know.
	CapUnknown Capability = vocab.WasmUnknown
)

// Capabilities lists every capability in report order.
var Capabilities = func() []Capability {
	out := make([]Capability, len(vocab.WasmCapabilities))
	for i, c := range vocab.WasmCapabilities {
		out[i] = Capability(c)
	}
	return out
}()

// Valid reports whether c is a capability sovcheck knows.
func (c Capability) Valid() bool { return slices.Contains(Capabilities, c) }

// Ambient reports whether c gives a module authority over the world
// outside what the host hands it explicitly: files, the network, or host
// functions whose authority is unknown (fail closed).
func (c Capability) Ambient() bool {
	switch c {
	case CapFilesystem, CapSockets, CapHTTP, CapHost, CapUnknown:
		return true
	}
	return false
}

// preview1Modules are the module names of WASI preview 1 imports.
var preview1Modules = map[string]bool{"wasi_snapshot_preview1": true, "wasi_unstable": true}

// preview1Functions maps each WASI preview 1 function to its family.
var preview1Functions = map[string]Capability{
	"args_get": CapEnvironment, "args_sizes_get": CapEnvironment,
	"environ_get": CapEnvironment, "environ_sizes_get": CapEnvironment,
	"clock_res_get": CapClocks, "clock_time_get": CapClocks,
	"random_get": CapRandom,
	"proc_exit":  CapProcess, "proc_raise": CapProcess, "sched_yield": CapProcess,
	"poll_oneoff": CapIO,
	"fd_read":     CapIO, "fd_write": CapIO, "fd_close": CapIO, "fd_seek": CapIO, "fd_tell": CapIO,
	"fd_sync": CapIO, "fd_datasync": CapIO, "fd_fdstat_get": CapIO, "fd_fdstat_set_flags": CapIO,
	"fd_renumber": CapIO, "fd_pread": CapIO, "fd_pwrite": CapIO, "fd_advise": CapIO, "fd_filestat_get": CapIO,
	// Listing the directories the host preopened names what was granted;
	// it reaches no file by itself (the Go runtime does it at start-up).
	"fd_prestat_get": CapIO, "fd_prestat_dir_name": CapIO,
	// Calls that name, list or change files and directories.
	"fd_readdir": CapFilesystem, "fd_filestat_set_size": CapFilesystem, "fd_filestat_set_times": CapFilesystem,
	"fd_fdstat_set_rights": CapFilesystem, "fd_allocate": CapFilesystem,
	"path_create_directory": CapFilesystem, "path_filestat_get": CapFilesystem, "path_filestat_set_times": CapFilesystem,
	"path_link": CapFilesystem, "path_open": CapFilesystem, "path_readlink": CapFilesystem,
	"path_remove_directory": CapFilesystem, "path_rename": CapFilesystem, "path_symlink": CapFilesystem,
	"path_unlink_file": CapFilesystem,
	"sock_accept":      CapSockets, "sock_recv": CapSockets, "sock_send": CapSockets, "sock_shutdown": CapSockets,
}

// preview1Capability maps a core module import to its capability.
func preview1Capability(module, name string) Capability {
	if !preview1Modules[module] {
		return CapHost
	}
	if c, ok := preview1Functions[name]; ok {
		return c
	}
	if strings.HasPrefix(name, "sock_") {
		// Runtime extensions (sock_open, sock_connect, ...) are sockets too.
		return CapSockets
	}
	return CapUnknown
}

// wasiInterfaces maps a WASI 0.2+ package and interface ("cli/stdout") or
// a whole package ("filesystem") to its family.
var wasiInterfaces = map[string]Capability{
	"filesystem":      CapFilesystem,
	"sockets":         CapSockets,
	"http":            CapHTTP,
	"clocks":          CapClocks,
	"random":          CapRandom,
	"io":              CapIO,
	"cli/environment": CapEnvironment,
	"cli/exit":        CapProcess,
	"cli/stdin":       CapIO, "cli/stdout": CapIO, "cli/stderr": CapIO,
	"cli/terminal-input": CapIO, "cli/terminal-output": CapIO,
	"cli/terminal-stdin": CapIO, "cli/terminal-stdout": CapIO, "cli/terminal-stderr": CapIO,
}

// componentCapability maps a component import name, such as
// "wasi:filesystem/types@0.2.0", to its capability, the interface without
// its version, and the version.
func componentCapability(name string) (Capability, string, string) {
	iface, version, _ := strings.Cut(name, "@")
	pkg, ok := strings.CutPrefix(iface, "wasi:")
	if !ok {
		return CapHost, iface, version
	}
	if c, ok := wasiInterfaces[pkg]; ok {
		return c, iface, version
	}
	ns, _, _ := strings.Cut(pkg, "/")
	if c, ok := wasiInterfaces[ns]; ok {
		return c, iface, version
	}
	return CapUnknown, iface, version
}
