package vocab

// Wasm capability names: one family of host authority a WebAssembly module
// can import. Policies list them in wasm.allowedCapabilities.
const (
	WasmFilesystem  = "filesystem"
	WasmSockets     = "sockets"
	WasmHTTP        = "http"
	WasmClocks      = "clocks"
	WasmRandom      = "random"
	WasmEnvironment = "environment"
	WasmProcess     = "process"
	WasmIO          = "io"
	WasmHost        = "host"
	WasmUnknown     = "unknown"
)

// WasmCapabilities lists every capability name, in report order.
var WasmCapabilities = []string{WasmFilesystem, WasmSockets, WasmHTTP, WasmClocks, WasmRandom, WasmEnvironment, WasmProcess, WasmIO, WasmHost, WasmUnknown}
