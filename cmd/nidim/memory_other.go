//go:build !linux

package main

// physicalMemory returns 0: on this system nidim does not read the
// machine's memory, so checkModelMemory lets every model through.
func physicalMemory() uint64 { return 0 }

// machineMemory returns zeros: on this system nidim reads neither the RAM
// nor a memory limit, so setMemoryLimit leaves the Go runtime's default.
func machineMemory() (ram, limit uint64) { return 0, 0 }
