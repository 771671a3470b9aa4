// Package startheap keeps Go's garbage collector from running while the
// packages linked into sovcheck initialise, and hands the collector back
// to the command in main.
//
// Every run of sovcheck pays for the init functions of everything linked
// in (docs/startup.md): about 2.6 MB of allocations, most of it in
// dependencies (govalidator's regexps alone are 0.95 MB). That ends near
// the runtime's first heap goal of 4 MB, so about four starts in ten
// collected just before main, `sovcheck version` included, marking and
// sweeping tables the program keeps until it exits. On the 2-core machine
// of the benchmarks the average start then had 265 more page faults and
// about 10 ms more CPU (docs/startup.md).
//
// Go initialises packages in the order of their import paths among those
// whose imports are ready (the language specification, since Go 1.21), so
// this package, which imports only runtime/debug and os, runs before the
// dependencies that allocate most; TestNoCollectionAtStart in cmd/sovcheck
// fails if a collection runs before main again. The collector is not off
// without bound: a memory limit of limitAtStart still starts a collection
// if initialisation, or a caller that never calls Done (a test binary),
// lets the heap grow that far.
package startheap

import (
	"os"
	"runtime/debug"
)

// limitAtStart is the memory limit while the collector is off: far above
// what the init functions allocate, far below any machine sovcheck runs on.
const limitAtStart = 64 << 20

// percent and limit are the collector's settings before init turned it off:
// GOGC and GOMEMLIMIT from the environment, or Go's defaults.
var percent, limit = debug.SetGCPercent(-1), debug.SetMemoryLimit(limitAtStart)

// Done gives the collector back: GOGC percent when the environment sets
// none (GOGC, when set, wins), and the memory limit from before. The first
// collection then comes when the heap reaches the goal the percent sets
// from the runtime's minimum heap.
func Done(defaultPercent int) {
	p := percent
	if os.Getenv("GOGC") == "" {
		p = defaultPercent
	}
	debug.SetGCPercent(p)
	debug.SetMemoryLimit(limit)
}
