package main

import "golang.org/x/sys/windows"

// isTerminalFD reports whether the handle fd is a console: only a console
// has a console mode.
func isTerminalFD(fd uintptr) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(fd), &mode) == nil
}

// terminalWidthFD returns the number of columns of the console window fd,
// or 0 when fd is not a console.
func terminalWidthFD(fd uintptr) int {
	var info windows.ConsoleScreenBufferInfo
	if windows.GetConsoleScreenBufferInfo(windows.Handle(fd), &info) != nil {
		return 0
	}
	return int(info.Window.Right-info.Window.Left) + 1
}
