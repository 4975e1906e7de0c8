//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd && !windows

package main

// isTerminalFD reports false: on this system nidim has no way to tell a
// terminal, so it treats every output as a file or a pipe.
func isTerminalFD(fd uintptr) bool { return false }

// terminalWidthFD reports 0, an unknown width, for the same reason.
func terminalWidthFD(fd uintptr) int { return 0 }
