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
// Go initialises, at each step, the ready package (all its imports done)
// whose import path sorts first (the language specification, since Go
// 1.21). This package is ready once runtime/debug is done, and
// runtime/debug, whose path sorts late, waits for every ready package that
// sorts before it (cel.dev, github.com, golang.org, google.golang.org,
// modernc.org...). So this package runs after about 200 of the 330
// packages, which have then allocated 1.1 MB, and before govalidator and
// go-openapi/strfmt (1.1 MB between them), which wait for net and
// crypto/x509. TestNoCollectionAtStart in cmd/sovcheck fails if what is
// allocated before this package grows past 2 MB, or if a collection runs
// before main. The collector is not off without bound: a memory limit of
// at most limitAtStart still starts a collection if initialisation, or a
// program that links this package and never calls Done, lets the heap
// grow that far.
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
var percent, limit = debug.SetGCPercent(-1), lowerLimit(limitAtStart)

// lowerLimit sets the memory limit to at most ceiling (a lower
// GOMEMLIMIT stays) and returns the limit it replaced.
func lowerLimit(ceiling int64) int64 {
	prev := debug.SetMemoryLimit(-1) // -1 reads the limit, changing nothing
	debug.SetMemoryLimit(min(prev, ceiling))
	return prev
}

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
