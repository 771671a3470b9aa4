package rebuild

// Reason codes owned by package rebuild. Shared codes (DIGEST_MISMATCH,
// SUBJECT_MISMATCH, PROVENANCE_MALFORMED, INPUT_*) come from internal/reason.
const (
	// Explaining a mismatch of a Go binary from its embedded build info.
	CodeGoVersionMismatch    = "GO_VERSION_MISMATCH"
	CodeVCSStampMismatch     = "VCS_STAMP_MISMATCH"
	CodeLdflagsMismatch      = "LDFLAGS_MISMATCH"
	CodeBuildSettingMismatch = "BUILD_SETTING_MISMATCH"
	CodeModuleMismatch       = "MODULE_MISMATCH"

	// Explaining a mismatch of an archive.
	CodeArchiveMismatch = "ARCHIVE_MISMATCH" // entries added, removed or changed
	CodeGzipOnly        = "GZIP_ONLY"        // decompressed streams equal, gzip framing differs

	// Go module zips.
	CodeModuleHashMismatch = "MODULE_HASH_MISMATCH"

	// Why a rebuild could not be tried (SKIP).
	CodeToolchainUnavailable    = "TOOLCHAIN_UNAVAILABLE"
	CodeSourceUnavailable       = "SOURCE_UNAVAILABLE"
	CodeDependenciesUnavailable = "DEPENDENCIES_UNAVAILABLE"
	CodeSandboxUnavailable      = "SANDBOX_UNAVAILABLE"
	CodeRecipeUnsupported       = "RECIPE_UNSUPPORTED"
	CodeRebuildTimeout          = "REBUILD_TIMEOUT"
	// The source checkout lacked objects of the commit and the rebuild
	// did not match: the source, not the artifact, is in doubt.
	CodeSourceIncomplete = "SOURCE_INCOMPLETE"

	// Why a rebuild that ran did not reproduce the artifact (MISMATCH).
	CodeBuildFailed     = "BUILD_FAILED"
	CodeOutputMissing   = "OUTPUT_MISSING"
	CodeOutputPreexists = "OUTPUT_PREEXISTS" // the output was there before the last build step
)
