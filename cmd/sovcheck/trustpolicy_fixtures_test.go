package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"
)

var pinToken = regexp.MustCompile(`\{\{sha256 ([^}]+)\}\}`)

// cmdPin writes the sha256 of files made at test time into a policy:
//
//	pin IN OUT   OUT: IN with each {{sha256 PATH}} replaced by the hex sha256 of PATH
func cmdPin(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "pin")
	if len(args) != 2 {
		ts.Fatalf("usage: pin IN OUT")
	}
	out := pinToken.ReplaceAllStringFunc(ts.ReadFile(args[0]), func(tok string) string {
		data, err := os.ReadFile(ts.MkAbs(pinToken.FindStringSubmatch(tok)[1]))
		ts.Check(err)
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:])
	})
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(out), 0o644))
}
