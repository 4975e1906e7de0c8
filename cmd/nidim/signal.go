package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
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

// trainingStopSignals, which train and sweep catch while they train, add
// SIGPIPE to stopSignals. A write to standard output or error after the
// reader of the pipe has exited, as in "nidim train 2>&1 | head", raises
// it, and by default it kills the process before train saves the epoch it
// has just finished. Other commands keep the default, which ends them
// silently as Unix tools end in such a pipe. serve must: once caught,
// SIGPIPE also comes from a client that closes its connection early.
var trainingStopSignals = append(slices.Clip(stopSignals), syscall.SIGPIPE)

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

// signalExit returns the exit status after sig, one of stopSignals, and
// the word for it in messages, such as "interrupted".
func signalExit(sig os.Signal) (status int, outcome string) {
	switch sig {
	case syscall.SIGTERM:
		return exitTerminated, "terminated"
	case syscall.SIGHUP:
		return exitHungUp, "hung up"
	}
	return exitInterrupted, "interrupted"
}

// exitOnSignal starts a goroutine that waits for one of stopSignals, then
// removes the temporary files and exits the process.
func exitOnSignal(prefix string, stderr io.Writer) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, stopSignals...)
	go func() {
		status, outcome := signalExit(<-signals)
		if err := atomicfile.RemoveTemporaryFiles(); err != nil {
			fmt.Fprintf(stderr, "%s: %s, and removing a temporary output file failed: %v; delete it by hand.\n", prefix, outcome, err)
		} else {
			fmt.Fprintf(stderr, "%s: %s.\n", prefix, outcome)
		}
		os.Exit(status)
	}()
}

// exitOnSignalUntil catches the stopSignals until the returned function
// is called. A signal prints message(outcome), where outcome is a word
// such as "interrupted", as one line on stderr and exits the process with
// 128 plus the signal's number. The returned function stops catching
// them. A signal that arrives while it runs may be dropped, and the
// program then goes on as if the signal had not come.
func exitOnSignalUntil(stderr io.Writer, message func(outcome string) string) (release func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, stopSignals...)
	var mu sync.Mutex
	released := false
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		status, outcome := signalExit(sig)
		mu.Lock()
		if released {
			mu.Unlock()
			return
		}
		// The lock stays held, so that release waits until the process
		// has exited.
		fmt.Fprintln(stderr, message(outcome))
		os.Exit(status)
	}()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if !released {
			released = true
			// After Stop nothing sends on signals, so closing it ends the
			// goroutine.
			signal.Stop(signals)
			close(signals)
		}
	}
}

// evaluationNotice acknowledges a stop signal of nidim sweep at once when
// it arrives while a run is evaluated. The evaluation does not stop for
// the signal, and it can take seconds after the last epoch, so without
// the notice the signal would seem ignored until the run's results.
type evaluationNotice struct {
	mu      sync.Mutex // guards the fields below and the writes to stderr
	stderr  io.Writer
	csvPath string
	run     string // "[2/10] KEY" of the run being evaluated, or ""
	printed bool
}

// watch starts a goroutine that prints the notice when ctx ends during an
// evaluation. The goroutine returns when ctx or done ends.
func (n *evaluationNotice) watch(ctx context.Context, done <-chan struct{}) {
	go func() {
		select {
		case <-ctx.Done():
			n.mu.Lock()
			n.printOnce()
			n.mu.Unlock()
		case <-done:
		}
	}()
}

// start marks the start of the evaluation of run, such as "[2/10] KEY",
// and prints the notice when ctx has already ended. The watching
// goroutine prints only during an evaluation, so a signal during the
// last training step would otherwise get no notice.
func (n *evaluationNotice) start(ctx context.Context, run string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.run = run
	if ctx.Err() != nil {
		n.printOnce()
	}
}

// end marks the end of the evaluation. After it returns, the notice
// writes nothing until the next start.
func (n *evaluationNotice) end() {
	n.mu.Lock()
	n.run = ""
	n.mu.Unlock()
}

// printOnce writes the notice once, while a run is evaluated. n.mu must be
// held.
func (n *evaluationNotice) printOnce() {
	if n.run == "" || n.printed {
		return
	}
	n.printed = true
	fmt.Fprintf(n.stderr, "nidim sweep: interrupted during the evaluation of run %s; the evaluation finishes and its row is saved to %s, then the sweep stops without starting another run.\n",
		n.run, n.csvPath)
}
