package main

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// isTerminalFD recognizes the secondary side of a pseudo-terminal, the
// device that a shell in a terminal window writes to.
func TestIsTerminalFDOnPseudoTerminal(t *testing.T) {
	primary, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer primary.Close()
	require.NoError(t, unix.IoctlSetPointerInt(int(primary.Fd()), unix.TIOCSPTLCK, 0), "unlock")
	n, err := unix.IoctlGetInt(int(primary.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	secondary, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer secondary.Close()

	assert.True(t, isTerminalFD(secondary.Fd()))
	assert.True(t, isTerminal(secondary))
}
