// Command nidim trains encoders whose embeddings follow a chosen prior,
// embeds data with them, and tests embeddings against the prior.
//
// Run "nidim help" for the list of subcommands and "nidim help CMD" for the
// flags of one.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses shared by every subcommand.
const (
	exitOK    = 0
	exitFail  = 1 // the run failed
	exitUsage = 2 // invalid usage or input
)

// command is one subcommand. Each lives in its own file and registers itself
// in init.
type command struct {
	name    string
	summary string // one line for "nidim help"
	// run executes the subcommand with the arguments after its name and
	// returns the exit status. Results go to stdout, errors and progress to
	// stderr.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("nidim: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		c, ok := commands[rest[0]]
		if !ok {
			fmt.Fprintf(stderr, "nidim: unknown command %q; run \"nidim help\" for the list.\n", rest[0])
			return exitUsage
		}
		return c.run([]string{"-help"}, stdout, stdout)
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "nidim: unknown command %q; run \"nidim help\" for the list.\n", name)
		return exitUsage
	}
	return c.run(rest, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "nidim learns embeddings that follow a chosen prior, with noise-injected Deep InfoMax.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: nidim COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"nidim help COMMAND\" for the flags of one command.")
}
