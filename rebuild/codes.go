package rebuild

import "github.com/sovcheck/sovcheck/internal/reason"

// Package rebuild's names for its reason codes; the codes are defined in
// internal/reason (write reason.X in new code). Shared codes (DIGEST_MISMATCH,
// SUBJECT_MISMATCH, PROVENANCE_MALFORMED, INPUT_*) come from internal/reason.
const (
	// Explaining a mismatch of a Go binary from its embedded build info.
	CodeGoVersionMismatch    = reason.GoVersionMismatch
	CodeVCSStampMismatch     = reason.VCSStampMismatch
	CodeLdflagsMismatch      = reason.LdflagsMismatch
	CodeBuildSettingMismatch = reason.BuildSettingMismatch
	CodeModuleMismatch       = reason.ModuleMismatch

	// Explaining a mismatch of an archive.
	CodeArchiveMismatch = reason.ArchiveMismatch // entries added, removed or changed
	CodeGzipOnly        = reason.GzipOnly        // decompressed streams equal, gzip framing differs

	// Go module zips.
	CodeModuleHashMismatch = reason.ModuleHashMismatch

	// Why a rebuild could not be tried (SKIP).
	CodeToolchainUnavailable    = reason.ToolchainUnavailable
	CodeSourceUnavailable       = reason.SourceUnavailable
	CodeDependenciesUnavailable = reason.DependenciesUnavailable
	CodeSandboxUnavailable      = reason.SandboxUnavailable
	CodeRecipeUnsupported       = reason.RecipeUnsupported
	CodeRebuildTimeout          = reason.RebuildTimeout
	// The source checkout lacked objects of the commit and the rebuild
	// did not match: the source, not the artifact, is in doubt.
	CodeSourceIncomplete = reason.SourceIncomplete

	// Why a rebuild that ran did not reproduce the artifact (MISMATCH).
	CodeBuildFailed     = reason.BuildFailed
	CodeOutputMissing   = reason.OutputMissing
	CodeOutputPreexists = reason.OutputPreexists // the output was there before the last build step
)
