package main

import "github.com/rogpeppe/go-internal/testscript"

func fixtureCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return nil
}
