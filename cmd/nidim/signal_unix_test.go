//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sigintChildEnv makes the test binary run nidim with the arguments in
// sigintArgsEnv, sending itself SIGINT between training and evaluation.
const (
	sigintChildEnv = "NIDIM_TEST_SIGINT_CHILD"
	sigintArgsEnv  = "NIDIM_TEST_SIGINT_ARGS"
	exitIgnored    = 77 // SIGINT was ignored when the child started
)

func TestMain(m *testing.M) {
	if os.Getenv(sigintChildEnv) == "1" {
		if signal.Ignored(os.Interrupt) {
			os.Exit(exitIgnored)
		}
		beforeEvaluate = func() {
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			// A caught signal lets the program go on; give a default
			// one time to end it.
			time.Sleep(2 * time.Second)
		}
		os.Exit(run(strings.Split(os.Getenv(sigintArgsEnv), "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Ctrl-C during the evaluation after training used to be caught by the
// training loop's handler and ignored: the run went on to the end and
// exited 0. Once the model is saved, Ctrl-C now ends the program.
func TestTrainCtrlCDuringEvaluationEndsTheProgram(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--out", model}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sigintChildEnv+"=1", sigintArgsEnv+"="+strings.Join(args, "\x1f"))
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "the run was not interrupted:\n%s", out)
	if exitErr.ExitCode() == exitIgnored {
		t.Skip("SIGINT is ignored in this environment, so a default SIGINT cannot end the child")
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, status.Signaled() && status.Signal() == syscall.SIGINT, "child ended with %v, want death by SIGINT:\n%s", exitErr, out)
	assert.NotContains(t, string(out), "linear probe accuracy", "the evaluation finished")
	_, err = os.Stat(model)
	assert.False(t, errors.Is(err, os.ErrNotExist), "the model was not saved before the evaluation")
}
