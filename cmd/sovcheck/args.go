package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves a command's flags ahead of its positional arguments.
// urfave/cli/v2 stops parsing flags at the first positional argument, but
// users write `sovcheck verify ARTIFACT --bundle B` as cosign's users do.
// Arguments after "--" stay positional.
func interspersed(app *cli.App, args []string) []string {
	// Global flags (all boolean) come before the command.
	global := 0
	for global < len(args) && strings.HasPrefix(args[global], "-") && args[global] != "--" {
		global++
	}
	if global == len(args) {
		return args
	}
	cmd := app.Command(args[global])
	if cmd == nil {
		return args
	}
	head := append([]string{}, args[:global+1]...)
	args = args[global:]
	// Descend into subcommands named right after their command
	// (`sovcheck sbom labels FILE --flag`).
	for len(args) > 1 && len(cmd.Subcommands) > 0 {
		sub := cmd.Command(args[1])
		if sub == nil {
			break
		}
		head = append(head, args[1])
		cmd, args = sub, args[1:]
	}
	bools := map[string]bool{"help": true, "h": true}
	for _, f := range cmd.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			for _, n := range f.Names() {
				bools[n] = true
			}
		}
	}
	var flags, positional []string
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
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") || bools[name] {
			continue
		}
		if i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append(head, flags...)
	return append(out, positional...)
}
