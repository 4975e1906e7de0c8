package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nidim/nidim/internal/atomicfile"
)

// catchesSignals lists the commands that handle stopSignals themselves
// with signal.NotifyContext: train and sweep save their progress and print
// how to resume, and serve shuts down gracefully. runMain leaves their
// signals alone.
var catchesSignals = map[string]bool{"train": true, "sweep": true, "serve": true}

// Exit statuses after a signal, 128 plus the signal number as shells
// report them.
const (
	exitHungUp      = 129 // SIGHUP
	exitInterrupted = 130 // SIGINT
	exitTerminated  = 143 // SIGTERM
)

// stopSignals are the signals that end a command cleanly: Ctrl-C, kill's
// default and a closed terminal.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// runMain runs a command as run does. For a command that does not catch
// signals itself, it first makes the stopSignals remove the temporary
// files of the atomicfile writes in progress and exit with
// 128 plus the signal's number. Without that the default action of
// the signal would leave those files next to the outputs.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && !catchesSignals[args[0]] {
		exitOnSignal("nidim "+args[0], stderr)
	}
	return run(args, stdout, stderr)
}

// exitOnSignal starts a goroutine that waits for one of stopSignals, then
// removes the temporary files and exits the process.
func exitOnSignal(prefix string, stderr io.Writer) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, stopSignals...)
	go func() {
		sig := <-signals
		status, outcome := exitInterrupted, "interrupted"
		switch sig {
		case syscall.SIGTERM:
			status, outcome = exitTerminated, "terminated"
		case syscall.SIGHUP:
			status, outcome = exitHungUp, "hung up"
		}
		if err := atomicfile.RemoveTemporaryFiles(); err != nil {
			fmt.Fprintf(stderr, "%s: %s, and removing a temporary output file failed: %v; delete it by hand.\n", prefix, outcome, err)
		} else {
			fmt.Fprintf(stderr, "%s: %s.\n", prefix, outcome)
		}
		os.Exit(status)
	}()
}
