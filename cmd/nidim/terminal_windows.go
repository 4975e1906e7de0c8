package main

import "golang.org/x/sys/windows"

// isTerminalFD reports whether the handle fd is a console: only a console
// has a console mode.
func isTerminalFD(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}
