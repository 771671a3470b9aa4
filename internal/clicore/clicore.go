// Package clicore is what every sovcheck command line shares: the errors
// that become exit codes and "sovcheck: error/hint" lines, the reordering
// of flags after positional arguments, and the handling of SOVCHECK_*
// variables. cmd/sovcheck and cmd/sovcheck-where both run through it, so
// that a question asked of either binary fails, hints and exits alike.
package clicore

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Exit codes, the same for every command and output format.
const (
	ExitPass      = 0
	ExitFail      = 1
	ExitNoVerdict = 2
)

// GCPercent is the collector's setting for every command. Verification
// allocates many short-lived parse trees (bundles, certificates, log
// entries) while the live heap stays small: a lazier collector saves a
// fifth of the CPU of a large run and keeps peak memory far below the 200
// MiB budget. GOGC, when set, still wins.
const GCPercent = 400

// ExitStatusHelp ends every command's help.
const ExitStatusHelp = `
EXIT STATUS:
   0   every verdict passed
   1   a verdict failed (the report on stdout says which check and why)
   2   no verdict: usage error, unreadable configuration or input, no trust root
`

// UsageError is a command-line mistake: exit 2 with a hint.
type UsageError struct {
	Err  error
	Hint string
}

func (e *UsageError) Error() string { return e.Err.Error() }

// VerdictFailure says that at least one verdict, dependency, grade or
// rebuild failed: exit 1, the one exit wrapper of every command. Msg, when
// set, replaces the count of failed artifacts; Hint, when set, replaces
// the hint that points at the report.
type VerdictFailure struct {
	Failed, Total int
	Msg, Hint     string
}

func (e *VerdictFailure) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("%d of %d artifact%s failed verification", e.Failed, e.Total, map[bool]string{true: "", false: "s"}[e.Total == 1])
}

// Run runs app on the command line args (without the program name), as
// sovcheck reads command lines, and returns the exit code; errors are
// written to stderr.
func Run(app *cli.App, args []string, stderr io.Writer) int {
	UnsetEmptyEnv(app.Commands)
	cl, err := Interspersed(app, args)
	if err == nil {
		app.Metadata = map[string]any{CommandLineKey: cl}
		err = app.Run(append([]string{"sovcheck"}, cl.args...))
	}
	code := ExitCode(stderr, err)
	if env := cl.FromEnvironment(); code == ExitNoVerdict && len(env) > 0 {
		fmt.Fprintf(stderr, "sovcheck: hint: taken from the environment: %s\n", strings.Join(env, ", "))
	}
	return code
}

// ExitCode is the one place where errors become exit codes and stderr text.
func ExitCode(stderr io.Writer, err error) int {
	if err == nil {
		return ExitPass
	}
	var vf *VerdictFailure
	if errors.As(err, &vf) {
		hint := vf.Hint
		if hint == "" {
			hint = "the report on stdout names each failed check, its reason and what to do"
		}
		PrintError(stderr, err.Error(), hint)
		return ExitFail
	}
	code := ExitNoVerdict
	var ue *UsageError
	var re *reason.Error
	switch {
	case errors.As(err, &ue):
		PrintError(stderr, ue.Err.Error(), ue.Hint)
	case errors.As(err, &re):
		PrintError(stderr, re.Error(), re.Hint)
	default:
		PrintError(stderr, err.Error(), "")
	}
	return code
}

// PrintError writes an error and its hint as sovcheck writes them.
func PrintError(w io.Writer, msg, hint string) {
	fmt.Fprintf(w, "sovcheck: error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "sovcheck: hint: %s\n", hint)
	}
}

// NewLogger logs to stderr with -v, and nowhere otherwise.
func NewLogger(c *cli.Context) *slog.Logger {
	if c.Bool("verbose") {
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// HardenUsage gives every command and subcommand sovcheck's usage-error
// handling: by default urfave/cli prints "Incorrect Usage" and the help to
// stdout, which must carry only reports.
func HardenUsage(c *cli.Command, path string) {
	if c.OnUsageError == nil {
		hint := "run '" + path + " --help' for usage"
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err, Hint: hint}
		}
	}
	for _, sub := range c.Subcommands {
		HardenUsage(sub, path+" "+sub.Name)
	}
}

// Interspersed reorders a command line for urfave/cli/v2, which stops
// parsing flags at the first positional argument while users write
// `sovcheck verify ARTIFACT --bundle B -v` as cosign's users do: global
// flags (all boolean) move ahead of the command, a command's flags ahead
// of its positional arguments. Arguments after "--" stay positional. A
// mistyped command or subcommand close to a real one is a usage error
// that names it ("did you mean"); other unknown names are left to the
// commands, which reject them with their own hints.
func Interspersed(app *cli.App, args []string) (*CommandLine, error) {
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
		return &CommandLine{args: args}, nil
	}
	cmd := app.Command(args[global])
	if cmd == nil {
		return &CommandLine{args: args}, mistyped(args[global], "sovcheck", "command", app.Commands)
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
	return &CommandLine{args: append(out, positional...), cmd: cmd, given: given}, nil
}

// CommandLine is a command line as sovcheck reads it.
type CommandLine struct {
	args  []string        // reordered for urfave/cli
	cmd   *cli.Command    // the (sub)command named, or nil
	given map[string]bool // every name of each flag given on the command line
}

// CommandLineKey is where the App's Metadata holds the *CommandLine.
const CommandLineKey = "sovcheck.commandLine"

// FlagGiven reports whether the flag was given on the command line, not
// only through its SOVCHECK_* environment variable: a variable a CI sets
// once for every run must not turn a run without the flag's companions
// (--cache-dir without --rebuild) into a usage error.
func FlagGiven(c *cli.Context, name string) bool {
	cl, _ := c.App.Metadata[CommandLineKey].(*CommandLine)
	return cl != nil && cl.given[name]
}

// FromEnvironment lists the flags of the command that took their value
// from an environment variable, as "--format (SOVCHECK_FORMAT=sarif)", so
// that an error caused by a variable set long ago names it.
func (cl *CommandLine) FromEnvironment() []string {
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
				out = append(out, fmt.Sprintf("%s (%s=%s)", Dashed(f.Names()[0]), v, val))
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
	return &UsageError{
		Err:  fmt.Errorf("unknown %s %q", kind, name),
		Hint: fmt.Sprintf("did you mean '%s %s'? run '%s --help' for the list of commands", path, best, path),
	}
}

// UnsetEmptyEnv unsets the SOVCHECK_* variables of the flags that are set
// but empty: an empty variable means "not set" (as NO_COLOR's does), where
// urfave/cli would take it for an empty value (--format "").
func UnsetEmptyEnv(cmds []*cli.Command) {
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
		UnsetEmptyEnv(c.Subcommands)
	}
}

// Dashed is a flag's name as typed: -v, --format.
func Dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
