// Package rebuild owns sovcheck's hermetic rebuild: it reads a build recipe
// from provenance, rebuilds the artifact in a sandbox without network, and
// compares the rebuilt sha256 with the attested one. On a difference it
// explains the cause from the ecosystem's own metadata (Go build info;
// zip, tar and gzip entries) instead of a byte dump.
//
// Recipes (ReadRecipes):
//   - the SLSA GitHub generator's Go builder, SLSA provenance v0.2
//     (BuildTypeGoBuilder): buildConfig.steps replayed verbatim in a real
//     git checkout of materials[0] at its commit, with the Go version taken
//     from the command path;
//   - sovcheck's own recipe, SLSA provenance v1 (BuildTypeSovcheckGo),
//     written by NewRecipeStatement from a local build;
//   - Go module zips (CheckModuleZip): recreated from git at the tag and
//     compared by h1: hash with go.sum or the checksum database.
//
// Provenance may come as an in-toto statement, a DSSE envelope, a Sigstore
// bundle or JSON Lines of those. This package reads the payload only;
// checking its signature is the job of package verify.
//
// A rebuild has two phases. The fetch phase may use the network and checks
// everything it fetches: the source is cloned (objects copied, never
// linked) and checked out at the exact commit; the Go toolchain is the
// machine's own when its version is the wanted one, else the
// golang.org/toolchain module fetched by the go command with checksum
// verification; modules go into a private module cache. The build phase
// runs in new user, mount, net, pid, ipc and uts namespaces (see
// sandbox_linux.go) with an environment built from scratch (stepEnv):
// GOTOOLCHAIN=local, GOPROXY=off, private HOME, GOPATH and TMPDIR, TZ=UTC,
// LC_ALL=C, umask 022, SOURCE_DATE_EPOCH set to the commit time.
//
// The sovcheck binary is its own sandbox init: this package's init
// function takes over when the process was started as the sandbox (argv[0]
// "sovcheck-rebuild-sandbox" and pid 1), so every binary that links the
// package, tests included, can run sandboxed builds.
//
// Invariants:
//   - fail closed: a rebuild that could not be tried is SKIP with a reason
//     code, never MATCH; a build that ran without the sandbox says
//     Hermetic false, and happens only if the caller allowed it with
//     WithUnsandboxedFallbackUnsafe;
//   - recipes may run only the go command, with subcommands and flags that
//     never run code of the source or a program the recipe names (no go
//     generate, run, test or tool; no -toolexec, -exec or external
//     linker), and set only allowlisted variables. This is what makes the
//     per-toolchain build cache safe to share between rebuilds: only the go
//     command writes to it;
//   - every reader enforces a named size limit; failures are *reason.Error;
//   - reports hold no local paths and no times; the package never prints,
//     it logs to the *slog.Logger it is given.
package rebuild
