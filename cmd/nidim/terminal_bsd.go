//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package main

import "golang.org/x/sys/unix"

// isTerminalFD reports whether the file descriptor fd is a terminal: only
// a terminal supports the TIOCGETA request for its termios settings.
func isTerminalFD(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TIOCGETA)
	return err == nil
}

// terminalWidthFD returns the number of columns of the terminal fd, or 0
// when fd is not a terminal or does not report its size.
func terminalWidthFD(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
