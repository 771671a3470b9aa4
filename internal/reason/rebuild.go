package reason

// Reason codes of rebuilds. Package policy matches the mismatch causes
// GZIP_ONLY, VCS_STAMP_MISMATCH and LDFLAGS_MISMATCH for equivalent rebuilds.

const (
	// Explaining a mismatch of a Go binary from its embedded build info.
	GoVersionMismatch    = "GO_VERSION_MISMATCH"
	VCSStampMismatch     = "VCS_STAMP_MISMATCH"
	LdflagsMismatch      = "LDFLAGS_MISMATCH"
	BuildSettingMismatch = "BUILD_SETTING_MISMATCH"
	ModuleMismatch       = "MODULE_MISMATCH"

	// Explaining a mismatch of an archive.
	ArchiveMismatch = "ARCHIVE_MISMATCH" // entries added, removed or changed
	GzipOnly        = "GZIP_ONLY"        // decompressed streams equal, gzip framing differs

	// Go module zips.
	ModuleHashMismatch = "MODULE_HASH_MISMATCH"

	// Why a rebuild could not be tried (SKIP).
	ToolchainUnavailable    = "TOOLCHAIN_UNAVAILABLE"
	SourceUnavailable       = "SOURCE_UNAVAILABLE"
	DependenciesUnavailable = "DEPENDENCIES_UNAVAILABLE"
	SandboxUnavailable      = "SANDBOX_UNAVAILABLE"
	RecipeUnsupported       = "RECIPE_UNSUPPORTED"
	RebuildTimeout          = "REBUILD_TIMEOUT"
	// The source checkout lacked objects of the commit and the rebuild
	// did not match: the source, not the artifact, is in doubt.
	SourceIncomplete = "SOURCE_INCOMPLETE"

	// Why a rebuild that ran did not reproduce the artifact (MISMATCH).
	BuildFailed     = "BUILD_FAILED"
	OutputMissing   = "OUTPUT_MISSING"
	OutputPreexists = "OUTPUT_PREEXISTS" // the output was there before the last build step
)
