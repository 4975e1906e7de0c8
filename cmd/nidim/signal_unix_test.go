//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sigintChildEnv makes the test binary run nidim with the arguments in
// sigintArgsEnv. With the value 1 it sends itself SIGINT between training
// and evaluation. With the value "write" it also has the command
// interrupted-write, which sends itself the signal named in signalNameEnv
// while atomicfile writes the file named by its argument.
const (
	sigintChildEnv = "NIDIM_TEST_SIGINT_CHILD"
	sigintArgsEnv  = "NIDIM_TEST_SIGINT_ARGS"
	signalNameEnv  = "NIDIM_TEST_SIGNAL"
	exitIgnored    = 77 // SIGINT was ignored when the child started
)

func TestMain(m *testing.M) {
	switch os.Getenv(sigintChildEnv) {
	case "write":
		register(command{name: "interrupted-write", run: runInterruptedWrite})
		os.Exit(runMain(strings.Split(os.Getenv(sigintArgsEnv), "\x1f"), os.Stdout, os.Stderr))
	case "1":
		if signal.Ignored(os.Interrupt) {
			os.Exit(exitIgnored)
		}
		beforeEvaluate = func() {
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			// A caught signal lets the program go on; give a default
			// one time to end it.
			time.Sleep(2 * time.Second)
		}
		os.Exit(runMain(strings.Split(os.Getenv(sigintArgsEnv), "\x1f"), os.Stdout, os.Stderr))
	}
	if limit := os.Getenv(fileSizeLimitEnv); limit != "" {
		os.Exit(runWithFileSizeLimit(limit))
	}
	os.Exit(m.Run())
}

// runInterruptedWrite writes args[0] through atomicfile and sends the
// process the signal named in signalNameEnv before the write finishes.
// The handler that runMain installs should end the process during the
// sleep.
func runInterruptedWrite(args []string, stdout, stderr io.Writer) int {
	sig := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[os.Getenv(signalNameEnv)]
	err := atomicfile.Write(args[0], 0o644, func(w io.Writer) error {
		if _, err := io.WriteString(w, "new\n"); err != nil {
			return err
		}
		_ = syscall.Kill(os.Getpid(), sig)
		time.Sleep(10 * time.Second)
		return nil
	})
	fmt.Fprintf(stderr, "the signal did not end the process; the write returned %v\n", err)
	return exitFail
}

// A signal during "nidim embed" and the other commands that do not catch
// signals themselves used to leave the temporary file of the output behind.
// The handler now removes it and exits with 128 plus the signal number.
func TestSignalDuringWriteRemovesTemporaryFile(t *testing.T) {
	for _, c := range []struct {
		signal string
		status int
		output string
	}{
		{"INT", exitInterrupted, "nidim interrupted-write: interrupted.\n"},
		{"TERM", exitTerminated, "nidim interrupted-write: terminated.\n"},
	} {
		t.Run(c.signal, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "e.csv")
			require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), sigintChildEnv+"=write", signalNameEnv+"="+c.signal,
				sigintArgsEnv+"=interrupted-write\x1f"+path)
			out, err := cmd.CombinedOutput()
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr, "the child was not interrupted:\n%s", out)
			assert.Equal(t, c.status, exitErr.ExitCode(), "child ended with %v:\n%s", exitErr, out)
			assert.Equal(t, c.output, string(out))
			left, err := filepath.Glob(filepath.Join(dir, ".e.csv.tmp-*"))
			require.NoError(t, err)
			assert.Empty(t, left, "temporary files remain")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "old\n", string(got), "the interrupted write replaced the file")
		})
	}
}

// Ctrl-C during the evaluation after training used to be caught by the
// training loop's handler and ignored: the run went on to the end and
// exited 0. Once the model is saved, Ctrl-C now ends the program, which
// it then did without a message. It now prints that the model was saved
// and how to run the evaluation, exits 130, and with --json leaves stdout
// empty instead of printing part of the object.
func TestTrainCtrlCDuringEvaluationEndsTheProgram(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	for _, extra := range [][]string{nil, {"--json", "--knn", "3"}} {
		args := append([]string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
			"--batch", "24", "--epochs", "1", "--threads", "1", "--out", model}, extra...)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), sigintChildEnv+"=1", sigintArgsEnv+"="+strings.Join(args, "\x1f"))
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "the run was not interrupted:\n%s", stderr.String())
		if exitErr.ExitCode() == exitIgnored {
			t.Skip("SIGINT is ignored in this environment, so a default SIGINT cannot end the child")
		}
		assert.Equal(t, exitInterrupted, exitErr.ExitCode(), "%v: %v:\n%s", extra, exitErr, stderr.String())
		assert.Empty(t, stdout.String(), "%v: the results are written after the evaluation", extra)
		knn := ""
		if extra != nil {
			knn = " --knn 3"
		}
		assert.True(t, strings.HasSuffix(stderr.String(), "nidim train: interrupted during the evaluation; the model was saved to "+model+
			", and nidim eval "+model+" --data "+data+" --labels "+labels+knn+" runs the evaluation.\n"), "%v:\n%s", extra, stderr.String())
		assert.NotContains(t, stderr.String(), "linear probe accuracy", "%v: the evaluation finished", extra)
		_, err = os.Stat(model)
		assert.False(t, errors.Is(err, os.ErrNotExist), "%v: the model was not saved before the evaluation", extra)
	}
}

// "nidim train 2>&1 | head -2" used to be killed by SIGPIPE at the first
// write after head exited, before the checkpoint of the epoch it had just
// finished was written. train now catches the signal: it saves its
// progress and exits as after Ctrl-C, or finishes, and nothing kills it.
func TestTrainSurvivesClosedStderrPipe(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "3", "--threads", "1", "--no-eval", "--out", model}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sigintChildEnv+"=write", sigintArgsEnv+"="+strings.Join(args, "\x1f"))
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// Read up to the first epoch's line, after which train saves that
	// epoch, so the next write, the second epoch's line, finds the pipe
	// closed.
	next := make([]byte, 1)
	var header strings.Builder
	for !strings.Contains(header.String(), "\nepoch 1/3:") || !strings.HasSuffix(header.String(), "\n") {
		_, err := stderr.Read(next)
		require.NoError(t, err, "read so far: %q", header.String())
		header.WriteByte(next[0])
	}
	require.NoError(t, stderr.Close())
	err = cmd.Wait()

	status := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.False(t, status.Signaled(), "train was killed by %v after %q", status.Signal(), header.String())
	assert.Contains(t, []int{exitOK, exitFail}, cmd.ProcessState.ExitCode(), "%v", err)
	m, err := dim.LoadModel(model)
	require.NoError(t, err, "the checkpoint was not saved")
	assert.GreaterOrEqual(t, m.Epoch, 1, "the checkpoint lost the finished epoch")
}
