package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// physicalMemory returns the memory that nidim may use, in bytes: the
// machine's RAM, or the memory limit of its control group when that is
// lower, as in a container, plus the swap. It returns 0 when the kernel
// does not report the RAM.
func physicalMemory() uint64 {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err != nil {
		return 0
	}
	ram := uint64(info.Totalram) * uint64(info.Unit)
	if limit := cgroupMemoryLimit("/sys/fs/cgroup"); limit > 0 {
		ram = min(ram, limit)
	}
	return ram + uint64(info.Totalswap)*uint64(info.Unit)
}

// cgroupMemoryLimit returns the memory limit of the control group mounted
// at root, from memory.max (version 2) or memory/memory.limit_in_bytes
// (version 1), and 0 when neither file sets one.
// NOTE: it reads the group at the root of the mount. In a container that
// is the process's own group, but on a host it is not, so a limit set on
// a systemd slice goes unseen and the machine's RAM is the bound.
func cgroupMemoryLimit(root string) uint64 {
	for _, name := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue
		}
		// "max" in version 2, and a value near 2^63 in version 1, mean
		// no limit, which the comparison with the RAM then ignores.
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 0
}
