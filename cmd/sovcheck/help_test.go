package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// placeholder is how a flag's value is named in --help: an upper-case
// noun (FILE, DIR, DURATION, URL) with optional punctuated parts
// (OS/ARCH[/VARIANT], HOST[:PORT], PATH@VERSION, KEY=VALUE, I/N).
var placeholder = regexp.MustCompile(`^[A-Z][A-Z0-9_]*([/:@=\[\]]+[A-Z0-9_]+\]?)*$`)

// TestFlagHelp renders the --help line of every flag of every command and
// fails on a value named "value" or in lower case, and on a flag that
// states its default twice.
func TestFlagHelp(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	checked := 0
	var walk func(path string, cs []*cli.Command)
	walk = func(path string, cs []*cli.Command) {
		for _, c := range cs {
			for _, f := range c.Flags {
				for _, problem := range flagHelpProblems(f) {
					t.Errorf("%s: %s", path+" "+c.Name, problem)
				}
				checked++
			}
			walk(path+" "+c.Name, c.Subcommands)
		}
	}
	walk("sovcheck", app.Commands)
	if checked < 100 {
		t.Fatalf("checked %d flags, want every flag of every command (over 100)", checked)
	}
}

// flagHelpProblems returns what is wrong with the --help line of f.
func flagHelpProblems(f cli.Flag) []string {
	var problems []string
	line := cli.FlagStringer(f)
	if n := strings.Count(line, "(default:"); n > 1 {
		problems = append(problems, fmt.Sprintf("%q states its default %d times, want once (set DefaultText)", line, n))
	}
	if _, ok := f.(*cli.BoolFlag); ok {
		return problems
	}
	names, _, _ := strings.Cut(line, "\t")
	for _, form := range strings.Split(names, ", ") {
		// "--name PLACEHOLDER" or, for repeatable flags,
		// "--name PLACEHOLDER [ --name PLACEHOLDER ]".
		fields := strings.Fields(form)
		if len(fields) < 2 || !placeholder.MatchString(fields[1]) {
			problems = append(problems, fmt.Sprintf("%q names its value %q, want an upper-case noun such as FILE (a `FILE` in the usage string)", line, strings.Join(fields[1:], " ")))
		}
	}
	return problems
}

// TestFlagHelpFails shows that the check catches the two mistakes.
func TestFlagHelpFails(t *testing.T) {
	for _, f := range []cli.Flag{
		&cli.StringFlag{Name: "bundle", Usage: "a bundle"},
		&cli.StringFlag{Name: "bundle", Usage: "a `bundle` file"},
		&cli.IntFlag{Name: "concurrency", Usage: "`N` at once (default: number of CPUs)"},
	} {
		if len(flagHelpProblems(f)) == 0 {
			t.Errorf("%q passed the help check, want a failure", cli.FlagStringer(f))
		}
	}
	if p := flagHelpProblems(&cli.IntFlag{Name: "concurrency", Usage: "`N` at once", DefaultText: "number of CPUs"}); len(p) > 0 {
		t.Errorf("a well-formed flag failed the help check: %v", p)
	}
}
