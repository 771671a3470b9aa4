package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/clicore"
)

// completionShells are the shells `sovcheck completion` writes scripts for.
var completionShells = []string{"bash", "fish", "zsh"}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "SHELL",
		Description: "bash:  source <(sovcheck completion bash)   (or save it in /etc/bash_completion.d/sovcheck)\n" +
			"zsh:   sovcheck completion zsh > \"${fpath[1]}/_sovcheck\"   (then restart zsh)\n" +
			"fish:  sovcheck completion fish > ~/.config/fish/completions/sovcheck.fish\n\n" +
			"The script completes commands, subcommands and flags; arguments complete as file names.",
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &usageError{Err: fmt.Errorf("got %d arguments, want one shell", c.NArg()), Hint: "run 'sovcheck completion bash', 'sovcheck completion zsh' or 'sovcheck completion fish'"}
			}
			tree := completionTree(c.App)
			switch shell := c.Args().First(); shell {
			case "bash":
				writeBashCompletion(c.App.Writer, tree)
			case "zsh":
				writeZshCompletion(c.App.Writer, tree)
			case "fish":
				writeFishCompletion(c.App.Writer, tree)
			default:
				return &usageError{Err: fmt.Errorf("unknown shell %q", shell), Hint: "use one of: " + strings.Join(completionShells, ", ")}
			}
			return nil
		},
	}
}

// completionNode is one command of the tree a completion script knows:
// its path below sovcheck ("sbom/labels"), its subcommands and flags.
type completionNode struct {
	path  string
	usage string
	subs  []*completionNode
	flags []completionFlag
}

type completionFlag struct {
	names []string // long names first, as urfave/cli lists them
	usage string
	value bool // takes a value
}

func completionTree(app *cli.App) *completionNode {
	root := &completionNode{flags: completionFlags(app.Flags)}
	// Global flags complete after every command too, where they work.
	var globals []cli.Flag
	for _, f := range app.Flags {
		if _, ok := f.(*cli.BoolFlag); ok && f != cli.VersionFlag && f != cli.HelpFlag {
			globals = append(globals, f)
		}
	}
	for _, c := range app.Commands {
		if !c.Hidden {
			root.subs = append(root.subs, completionSubtree(c, "", globals))
		}
	}
	return root
}

func completionSubtree(c *cli.Command, parent string, globals []cli.Flag) *completionNode {
	n := &completionNode{path: strings.TrimPrefix(parent+"/"+c.Name, "/"), usage: c.Usage, flags: completionFlags(append(slices.Clip(c.Flags), globals...))}
	for _, s := range c.Subcommands {
		// urfave/cli adds a "help" subcommand to the command it runs.
		if !s.Hidden && s.Name != "help" {
			n.subs = append(n.subs, completionSubtree(s, n.path, globals))
		}
	}
	return n
}

func completionFlags(flags []cli.Flag) []completionFlag {
	out := []completionFlag{{names: []string{"help", "h"}, usage: "show help"}}
	for _, f := range flags {
		if f.Names()[0] == "help" {
			continue // the app's flags already hold it once running
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
		}
		_, isBool := f.(*cli.BoolFlag)
		out = append(out, completionFlag{names: f.Names(), usage: usage, value: !isBool})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].names[0] < out[j].names[0] })
	return out
}

// walk calls fn on n and every command below it, parents first.
func (n *completionNode) walk(fn func(*completionNode)) {
	fn(n)
	for _, s := range n.subs {
		s.walk(fn)
	}
}

func dashed(name string) string { return clicore.Dashed(name) }

// words lists what completes at n: its subcommands and flags.
func (n *completionNode) words() (subs, flags []string) {
	for _, s := range n.subs {
		subs = append(subs, s.path[strings.LastIndex(s.path, "/")+1:])
	}
	for _, f := range n.flags {
		for _, name := range f.names {
			flags = append(flags, dashed(name))
		}
	}
	return subs, flags
}

// shellQuote quotes s for bash, zsh and fish alike, in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeBashCompletion writes a bash completion function: the words before
// the cursor that name commands give the command path; a word starting
// with '-' completes as a flag of that command, any other word as a
// subcommand, and as a file name when the command has none (-o default).
func writeBashCompletion(w io.Writer, root *completionNode) {
	fmt.Fprint(w, "# bash completion for sovcheck: source <(sovcheck completion bash)\n_sovcheck() {\n")
	fmt.Fprint(w, "    local cur=${COMP_WORDS[COMP_CWORD]} path= word i subs= flags=\n")
	fmt.Fprint(w, "    for ((i = 1; i < COMP_CWORD; i++)); do\n        word=${COMP_WORDS[i]}\n        case \"$path/$word\" in\n")
	paths := root.casePaths()
	fmt.Fprintf(w, "        %s) path=$path/$word ;;\n        esac\n    done\n    case \"$path\" in\n", strings.Join(paths, "|"))
	root.walk(func(n *completionNode) {
		subs, flags := n.words()
		label := "''"
		if n.path != "" {
			label = shellQuote("/" + n.path)
		}
		fmt.Fprintf(w, "    %s) subs=%s flags=%s ;;\n", label, shellQuote(strings.Join(subs, " ")), shellQuote(strings.Join(flags, " ")))
	})
	fmt.Fprint(w, "    esac\n    if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n")
	fmt.Fprint(w, "    else\n        COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n    fi\n}\ncomplete -o default -F _sovcheck sovcheck\n")
}

// casePaths are the command paths below root as shell case patterns,
// quoted: /sbom, /sbom/labels, ...
func (root *completionNode) casePaths() []string {
	var paths []string
	root.walk(func(n *completionNode) {
		if n.path != "" {
			paths = append(paths, shellQuote("/"+n.path))
		}
	})
	return paths
}

// writeZshCompletion writes a zsh completion function on the same plan
// as bash's, with descriptions.
func writeZshCompletion(w io.Writer, root *completionNode) {
	fmt.Fprint(w, "#compdef sovcheck\n# zsh completion for sovcheck: sovcheck completion zsh > \"${fpath[1]}/_sovcheck\"\n_sovcheck() {\n")
	fmt.Fprint(w, "    local path_= word i\n    local -a subs flags\n    for ((i = 2; i < CURRENT; i++)); do\n        word=${words[i]}\n        case \"$path_/$word\" in\n")
	paths := root.casePaths()
	fmt.Fprintf(w, "        %s) path_=$path_/$word ;;\n        esac\n    done\n    case \"$path_\" in\n", strings.Join(paths, "|"))
	root.walk(func(n *completionNode) {
		label := "''"
		if n.path != "" {
			label = shellQuote("/" + n.path)
		}
		var subs, flags []string
		for _, s := range n.subs {
			subs = append(subs, shellQuote(strings.ReplaceAll(s.path[strings.LastIndex(s.path, "/")+1:]+":"+s.usage, "\n", " ")))
		}
		for _, f := range n.flags {
			for _, name := range f.names {
				flags = append(flags, shellQuote(strings.ReplaceAll(dashed(name)+":"+f.usage, "\n", " ")))
			}
		}
		fmt.Fprintf(w, "    %s)\n        subs=(%s)\n        flags=(%s) ;;\n", label, strings.Join(subs, " "), strings.Join(flags, " "))
	})
	fmt.Fprint(w, "    esac\n    if [[ ${words[CURRENT]} == -* ]]; then\n        _describe -t flags flag flags\n")
	fmt.Fprint(w, "    elif (( ${#subs} )); then\n        _describe -t commands command subs\n    else\n        _files\n    fi\n}\n")
	fmt.Fprint(w, "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n    _sovcheck \"$@\"\nelse\n    compdef _sovcheck sovcheck\nfi\n")
}

// writeFishCompletion writes fish `complete` lines: subcommands after
// their command, flags once their command is on the line.
func writeFishCompletion(w io.Writer, root *completionNode) {
	fmt.Fprint(w, "# fish completion for sovcheck: sovcheck completion fish > ~/.config/fish/completions/sovcheck.fish\n")
	root.walk(func(n *completionNode) {
		cond := "__fish_use_subcommand"
		if n.path != "" {
			parts := strings.Split(n.path, "/")
			var seen []string
			for _, p := range parts {
				seen = append(seen, "__fish_seen_subcommand_from "+p)
			}
			subs, _ := n.words()
			cond = strings.Join(seen, "; and ")
			if len(subs) > 0 {
				cond += "; and not __fish_seen_subcommand_from " + strings.Join(subs, " ")
			}
		}
		for _, s := range n.subs {
			fmt.Fprintf(w, "complete -c sovcheck -n %s -f -a %s -d %s\n", shellQuote(cond), s.path[strings.LastIndex(s.path, "/")+1:], shellQuote(firstLine(s.usage)))
		}
		for _, f := range n.flags {
			var opts []string
			for _, name := range f.names {
				if len(name) == 1 {
					opts = append(opts, "-s "+name)
				} else {
					opts = append(opts, "-l "+name)
				}
			}
			if f.value {
				opts = append(opts, "-r")
			}
			fmt.Fprintf(w, "complete -c sovcheck -n %s %s -d %s\n", shellQuote(cond), strings.Join(opts, " "), shellQuote(firstLine(f.usage)))
		}
	})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
