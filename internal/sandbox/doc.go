// Package sandbox runs build steps in new Linux user, mount, net, pid, ipc
// and uts namespaces, set up from Go without Docker or setuid helpers. It
// is the isolation under sovcheck's hermetic rebuilds (package rebuild),
// which decides what is mounted where; this package decides how.
//
// The sandbox's init is the calling binary itself, started again through
// /proc/self/exe with argv[0] set to a private name: this package's init
// function takes over when it sees that name as pid 1. The package imports
// nothing but the standard library and golang.org/x/sys/unix, so that its
// init runs before the heavy initialisers of the rest of the binary (Go
// initialises packages in import-path order as soon as their imports are
// done): the sandbox is ready milliseconds sooner.
//
// A sandbox is used in three moves, so that its process starts while the
// caller is still gathering what it mounts:
//
//	sb := sandbox.Start(ctx, out) // the init process, in its namespaces
//	sb.Setup(spec)                // the mounts: binds, tmpfs, overlays
//	st, err := sb.Run(steps)      // the steps, one after the other
//	sb.Close()                    // the init and its mounts are gone
//
// Close alone ends a sandbox that will run nothing. Run combines them.
//
// Invariants:
//   - the steps see only what the Spec mounts, the host's system
//     directories read-only, a minimal /etc and /dev, a fresh /proc and a
//     private /tmp; the root itself is read-only, writes to private tmpfs
//     mounts are discarded and writes to an overlay land in its upper dir;
//   - the steps run without capabilities, with no_new_privs, in a session
//     of their own with only stdio open; nothing a step starts outlives it;
//   - a sandbox that cannot be made is ErrUnavailable, an overlay the
//     kernel refuses is ErrOverlayUnavailable: never a silent fallback.
package sandbox
