// Package layout verifies in-toto supply chains: a layout signed by its
// owners, the link metadata of each step signed by the step's
// functionaries (thresholds, sublayouts), the artifact rules between steps
// and, only when allowed, the layout's inspections. Verify returns the
// final products, so that a caller can check that its artifact is one.
//
// Invariants:
//   - the owner keys come from the caller, never from the layout;
//   - the injected clock is the only clock; every file is read with a
//     named size limit, and the metadata of one verification with a total
//     budget (MaxFileSize, MaxTotalSize, MaxDirEntries, MaxSteps,
//     MaxInspections, MaxDepth);
//   - links are matched to steps by exact file name, never by glob, and
//     only regular files are read;
//   - inspections execute programs named in the layout and are refused
//     unless Options.AllowInspections is set;
//   - every failure is a *reason.Error; a panic of the in-toto library is
//     LAYOUT_INVALID; the package never prints.
package layout
