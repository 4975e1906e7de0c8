package main

import "golang.org/x/sys/unix"

// isTerminalFD reports whether the file descriptor fd is a terminal: only
// a terminal supports the TCGETS request for its termios settings.
func isTerminalFD(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
