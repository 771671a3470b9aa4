// Package wasm reads WebAssembly core modules and components and maps
// what they import to capabilities: the families of host authority a
// module can use (filesystem, sockets, http, clocks, random, environment,
// process, io), so that a policy can ask for least privilege.
//
// Core modules are decoded and validated by wazero; their function
// imports from wasi_snapshot_preview1 (or wasi_unstable) map to families
// by function name. Components are walked section by section; their
// top-level imports name wasi:* interfaces with versions
// ("wasi:filesystem/types@0.2.0"), mapped by package and interface.
//
// # Invariants
//
//   - An import sovcheck cannot classify is never dropped: a WASI name it
//     does not know is CapUnknown and any other import is CapHost, and
//     both count as ambient authority (fail closed).
//   - Every read is bounded by Limits; a malformed, truncated or oversized
//     binary is an error with a reason code (WASM_MALFORMED,
//     WASM_VERSION_UNSUPPORTED, INPUT_TOO_LARGE), never a panic.
//   - Output is deterministic: imports are sorted, capabilities are in
//     the order of Capabilities.
//   - The package never prints and never reaches the network.
package wasm
