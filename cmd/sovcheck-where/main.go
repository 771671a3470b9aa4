// Command sovcheck-where answers the auditor's where question, and only
// it: which products of a portfolio store contain a package, a component
// or an upstream, in which versions and through which dependencies; which
// products run a service on a provider; which products OSV advisories
// affect. It is 'sovcheck portfolio where' (internal/wherecli) in a binary
// of its own, without the verifier, policy and CEL, whose package
// initialisation every start of sovcheck pays: a script or a service that
// asks a question per advisory gets each answer in about two thirds of
// the time (docs/startup.md).
//
// Usage:
//
//	sovcheck-where [PURL|NAME] [--upstream ID] [--versions RANGE] [--store PATH|URL] [--format FORMAT]
//	sovcheck-where --vulns PATH [--fail-on-affected]
//	sovcheck-where --provider PROVIDER
//	sovcheck-where --version
//
// The flags, answers, errors and exit codes are those of 'sovcheck
// portfolio where' (see 'sovcheck-where --help').
package main

import (
	"os"

	"github.com/sovcheck/sovcheck/internal/clicore"
	"github.com/sovcheck/sovcheck/internal/startheap"
	"github.com/sovcheck/sovcheck/internal/wherecli"
)

func main() {
	startheap.Done(clicore.GCPercent)
	os.Exit(wherecli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
