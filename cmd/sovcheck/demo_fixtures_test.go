package main

import (
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sovcheck/sovcheck/internal/demo"
)

// cmdDemo writes the demo material (package internal/demo) to a directory:
//
//	demo DIR
func cmdDemo(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "demo")
	if len(args) != 1 {
		ts.Fatalf("usage: demo DIR")
	}
	ts.Check(demo.Generate(ts.MkAbs(args[0]), time.Now()))
}
