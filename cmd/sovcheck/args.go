package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"
)

// interspersed reorders a command line for urfave/cli/v2, which stops
// parsing flags at the first positional argument while users write
// `sovcheck verify ARTIFACT --bundle B -v` as cosign's users do: global
// flags (all boolean) move ahead of the command, a command's flags ahead
// of its positional arguments. Arguments after "--" stay positional. A
// mistyped command or subcommand close to a real one is a usage error
// that names it ("did you mean"); other unknown names are left to the
// commands, which reject them with their own hints.
func interspersed(app *cli.App, args []string) (*commandLine, error) {
	globals := map[string]bool{}
	for _, f := range app.Flags {
		if _, ok := f.(*cli.BoolFlag); ok && f != cli.VersionFlag {
			for _, n := range f.Names() {
				globals[n] = true
			}
		}
	}
	global := 0
	for global < len(args) && strings.HasPrefix(args[global], "-") && args[global] != "--" {
		global++
	}
	if global == len(args) {
		return &commandLine{args: args}, nil
	}
	cmd := app.Command(args[global])
	if cmd == nil {
		return &commandLine{args: args}, mistyped(args[global], "sovcheck", "command", app.Commands)
	}
	path := "sovcheck " + cmd.Name
	head := append([]string{}, args[:global+1]...)
	args = args[global:]
	// Descend into subcommands named right after their command
	// (`sovcheck sbom labels FILE --flag`).
	for len(args) > 1 && len(cmd.Subcommands) > 0 {
		sub := cmd.Command(args[1])
		if sub == nil {
			if !strings.HasPrefix(args[1], "-") {
				if err := mistyped(args[1], path, cmd.Name+" command", cmd.Subcommands); err != nil {
					return nil, err
				}
			}
			break
		}
		head = append(head, args[1])
		cmd, args, path = sub, args[1:], path+" "+sub.Name
	}
	bools := map[string]bool{"help": true, "h": true}
	own := map[string]cli.Flag{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			own[n] = f
			bools[n] = bools[n] || isBool
		}
	}
	given := map[string]bool{}
	var lifted, flags, positional []string
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if globals[name] && own[name] == nil {
			lifted = append(lifted, a)
			continue
		}
		if f := own[name]; f != nil {
			for _, n := range f.Names() {
				given[n] = true
			}
		}
		flags = append(flags, a)
		if hasValue || bools[name] {
			continue
		}
		if i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append(lifted, head...)
	out = append(out, flags...)
	return &commandLine{args: append(out, positional...), cmd: cmd, given: given}, nil
}

// commandLine is a command line as sovcheck reads it.
type commandLine struct {
	args  []string        // reordered for urfave/cli
	cmd   *cli.Command    // the (sub)command named, or nil
	given map[string]bool // every name of each flag given on the command line
}

// commandLineKey is where the App's Metadata holds the *commandLine.
const commandLineKey = "sovcheck.commandLine"

// flagGiven reports whether the flag was given on the command line, not
// only through its SOVCHECK_* environment variable: a variable a CI sets
// once for every run must not turn a run without the flag's companions
// (--cache-dir without --rebuild) into a usage error.
func flagGiven(c *cli.Context, name string) bool {
	cl, _ := c.App.Metadata[commandLineKey].(*commandLine)
	return cl != nil && cl.given[name]
}

// fromEnvironment lists the flags of the command that took their value
// from an environment variable, as "--format (SOVCHECK_FORMAT=sarif)", so
// that an error caused by a variable set long ago names it.
func (cl *commandLine) fromEnvironment() []string {
	if cl == nil || cl.cmd == nil {
		return nil
	}
	var out []string
	for _, f := range cl.cmd.Flags {
		ef, ok := f.(interface{ GetEnvVars() []string })
		if !ok || cl.given[f.Names()[0]] {
			continue
		}
		for _, v := range ef.GetEnvVars() {
			if val := os.Getenv(v); val != "" {
				out = append(out, fmt.Sprintf("%s (%s=%s)", dashed(f.Names()[0]), v, val))
				break
			}
		}
	}
	return out
}

// similarity is the Jaro-Winkler similarity above which a mistyped name
// is taken for a known one ("veriy" for verify, "lables" for labels);
// ("nit" for init); "frobnicate" is close to nothing.
const similarity = 0.8

// mistyped returns a usage error naming the command of cmds closest to
// name, or nil when none is close enough to suggest.
func mistyped(name, path, kind string, cmds []*cli.Command) error {
	best, score := "", similarity
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			if s := smetrics.JaroWinkler(name, n, 0.7, 4); s >= score {
				best, score = n, s
			}
		}
	}
	if best == "" {
		return nil
	}
	return &usageError{
		err:  fmt.Errorf("unknown %s %q", kind, name),
		hint: fmt.Sprintf("did you mean '%s %s'? run '%s --help' for the list of commands", path, best, path),
	}
}

// unsetEmptyEnv unsets the SOVCHECK_* variables of the flags that are set
// but empty: an empty variable means "not set" (as NO_COLOR's does), where
// urfave/cli would take it for an empty value (--format "").
func unsetEmptyEnv(cmds []*cli.Command) {
	for _, c := range cmds {
		for _, f := range c.Flags {
			if ef, ok := f.(interface{ GetEnvVars() []string }); ok {
				for _, v := range ef.GetEnvVars() {
					if val, ok := os.LookupEnv(v); ok && strings.TrimSpace(val) == "" {
						os.Unsetenv(v)
					}
				}
			}
		}
		unsetEmptyEnv(c.Subcommands)
	}
}
