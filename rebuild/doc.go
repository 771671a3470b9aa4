// Package rebuild owns sovcheck's hermetic rebuild: it reads a build recipe
// from provenance, rebuilds the artifact in a sandbox without network, and
// compares the rebuilt sha256 with the attested one. On a difference it
// explains the cause from the ecosystem's own metadata (Go build info;
// zip, tar and gzip entries) instead of a byte dump.
//
// Recipes (ReadRecipes):
//   - the SLSA GitHub generator's Go builder, SLSA provenance v0.2
//     (vocab.BuildTypeGoBuilder): buildConfig.steps replayed verbatim in a real
//     git checkout of materials[0] at its commit, with the Go version taken
//     from the command path;
//   - sovcheck's own recipe, SLSA provenance v1 (vocab.BuildTypeSovcheckGo),
//     written by NewRecipeStatement from a local build, which RecordRecipe
//     runs (record.go) with a cleared environment, as the sandbox would;
//   - Go module zips (CheckModuleZip): recreated from git at the tag and
//     compared by h1: hash with go.sum or the checksum database.
//
// Provenance may come as an in-toto statement, a DSSE envelope, a Sigstore
// bundle or JSON Lines of those, each line read on its own within
// MaxProvenanceLineBytes. This package reads the payload only; checking its
// signature is the job of package verify. SLSA provenance that sovcheck will
// not replay is a Recipe with Refused set: the artifacts it attests are
// SKIP RECIPE_UNSUPPORTED, each on its own, and the others of a run are
// rebuilt. An artifact may be given by its sha256 alone (Request.SHA256).
//
// Toolchains (recipe.go): go1.21.2 and later are replayed as recorded;
// go1.18 up to go1.21.1 only when every go build step sets CGO_ENABLED=0,
// since their go command can be made to run programs by #cgo directives,
// which it does not read with cgo disabled; older ones never.
//
// Several artifacts named on a command line are rebuilt by
// RebuildArtifacts, each with the provenance given or found beside it
// (FindProvenance); Batch.Attest signs a rebuild attestation per rebuild
// that came to a comparison. Results are rendered by package report (text,
// and JSON as a Document, which `sovcheck report` reads back through the
// same types).
//
// A rebuild has two phases. The fetch phase may use the network and checks
// everything it fetches: the source is cloned (objects copied, never
// linked) and checked out at the exact commit, and the objects of the
// commit's tree that the clone lacks are listed (git checkout leaves such
// files out and exits 0): a MATCH stands with a warning, anything else is
// SKIP SOURCE_INCOMPLETE, and such a clone is never kept; the Go toolchain is the
// machine's own when its version is the wanted one, else the
// golang.org/toolchain module fetched by the go command with checksum
// verification; modules go into a private module cache, the go command
// reading the source's go.mod and go.sum through copies. The build phase
// runs in new user, mount, net, pid, ipc and uts namespaces (package
// internal/sandbox) with an environment built from scratch (stepEnv):
// GOTOOLCHAIN=local, GOPROXY=off, private HOME, GOPATH and TMPDIR, TZ=UTC,
// LC_ALL=C, umask 022, SOURCE_DATE_EPOCH set to the commit time.
//
// Warm rebuilds cost little more than the go build itself (snapshot.go):
// the checkout of a commit is kept in the cache as a snapshot, found again
// by source, commit and the source's branches and tags, and mounted
// read-only as the lower layer of an overlay whose upper layer receives
// the build's writes; what a download put into the module cache is
// recorded beside the snapshot, so that the go command is not run to fetch
// it again. Where the kernel refuses the overlay, the build runs on a copy
// of the snapshot instead. The sandbox's init starts while the toolchain
// and the source are made ready, and the artifact is hashed beside the
// build, which it stops at once if the provenance does not attest it.
//
// Invariants:
//   - fail closed: a rebuild that could not be tried is SKIP with a reason
//     code, never MATCH; a build that ran without the sandbox says
//     Hermetic false, and happens only if the caller allowed it with
//     WithUnsandboxedFallbackUnsafe (never because an overlay failed);
//   - sovcheck never writes a kept snapshot after making it, and a
//     sandboxed build sees it only read-only, under an overlay, or as a
//     copy (an unsandboxed build, which only WithUnsandboxedFallbackUnsafe
//     allows, runs with the caller's access to the whole cache);
//   - recipes may run only the go command, with subcommands and flags that
//     never run code of the source or a program the recipe names (no go
//     generate, run, test or tool; no -toolexec, -exec or external
//     linker), and set only allowlisted variables. This is what makes the
//     build cache of a toolchain and a source safe to share between
//     rebuilds: only the go command writes to it;
//   - every reader enforces a named size limit; failures are *reason.Error;
//   - results hold no local path that a report would show (a toolchain's
//     GOROOT is never serialised); the package never prints, it logs to
//     the *slog.Logger it is given.
package rebuild
