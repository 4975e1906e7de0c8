package main

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// physicalMemory returns the memory that nidim may use, in bytes, as
// usableMemory counts it from the machine's RAM and swap and the memory
// limit of its control group. It returns 0 when the kernel does not
// report the RAM.
func physicalMemory() uint64 {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err != nil {
		return 0
	}
	unit := uint64(info.Unit)
	return usableMemory(uint64(info.Totalram)*unit, uint64(info.Totalswap)*unit, processMemoryLimit())
}

// usableMemory returns the memory a process may use on a machine with ram
// and swap bytes, whose control group sets limit (0 for none). That is
// the RAM plus the swap, or the limit when it is lower than the RAM.
// Under a limit the machine's swap does not count: the group may use only
// part of it or none, as containers often do, and a run past the limit
// is then killed.
func usableMemory(ram, swap, limit uint64) uint64 {
	if limit > 0 && limit < ram {
		return limit
	}
	return ram + swap
}

// machineMemory returns the machine's RAM and the memory limit of the
// process's control group, both in bytes. Either is 0 when unknown, and
// the limit is 0 when no group sets one.
func machineMemory() (ram, limit uint64) {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err == nil {
		ram = uint64(info.Totalram) * uint64(info.Unit)
	}
	return ram, processMemoryLimit()
}

// processMemoryLimit returns the lowest memory limit of the process's
// control group and the groups above it, or 0 when none sets one. main
// reads it at start-up for Go's soft limit, and train's memory check
// again, so the files are read once.
var processMemoryLimit = sync.OnceValue(func() uint64 {
	membership, _ := os.ReadFile("/proc/self/cgroup")
	return cgroupMemoryLimit("/sys/fs/cgroup", membership)
})

// cgroupMemoryLimit returns the lowest memory limit set on the process's
// control group or on any group above it, and 0 when none sets one. A
// limit applies to every group below it, so a systemd slice's limit holds
// for the service inside it. root is where the control group file systems
// are mounted. membership is the content of /proc/self/cgroup, one line
// "ID:CONTROLLERS:PATH" per hierarchy. Version 2 has ID 0 and no
// controllers, and its limit is in memory.max. Version 1 lists "memory"
// among the controllers of a hierarchy mounted at root/memory, and its
// limit is in memory.limit_in_bytes.
//
// Without membership, only the groups at the roots of the mounts count.
// Inside a container, the mount's root is the container's group, while
// the paths may name groups of the host that the container cannot see.
// Such paths are skipped, and the walk up the path still reaches the
// mount's root.
func cgroupMemoryLimit(root string, membership []byte) uint64 {
	if len(membership) == 0 {
		membership = []byte("0::/\n0:memory:/\n")
	}
	var limit uint64
	for line := range strings.Lines(string(membership)) {
		id, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		controllers, group, found := strings.Cut(rest, ":")
		if !found {
			continue
		}
		var v uint64
		switch {
		case id == "0" && controllers == "":
			v = groupLimit(root, group, "memory.max")
		case slices.Contains(strings.Split(controllers, ","), "memory"):
			v = groupLimit(filepath.Join(root, "memory"), group, "memory.limit_in_bytes")
		}
		if v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	return limit
}

// groupLimit returns the lowest value in the file name of the group at
// group, a path inside the hierarchy mounted at mount, and of every group
// above it, and 0 when none of these files sets a limit.
func groupLimit(mount, group, name string) uint64 {
	var limit uint64
	for dir := path.Clean("/" + group); ; dir = path.Dir(dir) {
		b, err := os.ReadFile(filepath.Join(mount, filepath.FromSlash(dir), name))
		// "max" in version 2 means no limit, and so does a value near
		// 2^63 in version 1, which the comparison with the RAM ignores.
		if err == nil {
			if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && (limit == 0 || v < limit) {
				limit = v
			}
		}
		if dir == "/" {
			return limit
		}
	}
}
