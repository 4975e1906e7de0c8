//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fileSizeLimitEnv makes the test binary run nidim with the arguments in
// sigintArgsEnv under a file size limit (RLIMIT_FSIZE) of that many bytes.
const fileSizeLimitEnv = "NIDIM_TEST_FILE_SIZE_LIMIT"

// runCmdWithFileSizeLimit runs nidim with args, as runCmd does, but in a
// child process whose file size limit is limit bytes. Go ignores SIGXFSZ,
// so a write past the limit returns EFBIG ("file too large"). The limit
// is not set in the test process itself, because there it also failed the
// buffered writes of the log that go test has the test binary keep.
func runCmdWithFileSizeLimit(t *testing.T, limit uint64, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fileSizeLimitEnv+"="+strconv.FormatUint(limit, 10), sigintArgsEnv+"="+strings.Join(args, "\x1f"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err, "run the child process")
	return exitOK, out.String(), errOut.String()
}

// runWithFileSizeLimit is the child of runCmdWithFileSizeLimit: it sets the
// file size limit given as text and returns the exit status of nidim.
func runWithFileSizeLimit(limit string) int {
	n, err := strconv.ParseUint(limit, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "invalid %s %q; use a number of bytes\n", fileSizeLimitEnv, limit)
		return exitUsage
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &old); err != nil {
		fmt.Fprintf(os.Stderr, "get the file size limit: %v\n", err)
		return exitFail
	}
	limited := unix.Rlimit{Max: old.Max}
	setLimit(&limited.Cur, n)
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &limited); err != nil {
		fmt.Fprintf(os.Stderr, "set the file size limit to %d bytes: %v\n", n, err)
		return exitFail
	}
	return run(strings.Split(os.Getenv(sigintArgsEnv), "\x1f"), os.Stdout, os.Stderr)
}

// setLimit stores n in a field of unix.Rlimit, which is int64 on FreeBSD
// and DragonFly BSD and uint64 on the other Unix systems.
func setLimit[T int64 | uint64](field *T, n uint64) { *field = T(n) }
