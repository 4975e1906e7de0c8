package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeCgroupFile writes text to the file name under root, making its
// folders.
func writeCgroupFile(t *testing.T, root, name, text string) {
	t.Helper()
	path := filepath.Join(root, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

// A container's memory limit bounds what nidim may use, not the host's
// RAM, in both versions of the control group files.
func TestCgroupMemoryLimit(t *testing.T) {
	v2 := t.TempDir()
	writeCgroupFile(t, v2, "memory.max", "2147483648\n")
	assert.Equal(t, uint64(2147483648), cgroupMemoryLimit(v2, []byte("0::/\n")))
	assert.Equal(t, uint64(2147483648), cgroupMemoryLimit(v2, nil), "without /proc/self/cgroup")

	unlimited := t.TempDir()
	writeCgroupFile(t, unlimited, "memory.max", "max\n")
	assert.Zero(t, cgroupMemoryLimit(unlimited, []byte("0::/\n")))

	v1 := t.TempDir()
	writeCgroupFile(t, v1, filepath.Join("memory", "memory.limit_in_bytes"), "536870912\n")
	assert.Equal(t, uint64(536870912), cgroupMemoryLimit(v1, []byte("4:memory:/\n1:cpu:/\n")))
	assert.Equal(t, uint64(536870912), cgroupMemoryLimit(v1, nil), "without /proc/self/cgroup")

	assert.Zero(t, cgroupMemoryLimit(t.TempDir(), []byte("0::/\n")), "no control group files")
}

// On a host the process's group lies below the mount's root, and a limit
// on it or on a group above it, such as a systemd slice, bounds nidim too.
// The lowest limit on the way up wins.
func TestCgroupMemoryLimitOfOwnGroup(t *testing.T) {
	v2 := t.TempDir()
	writeCgroupFile(t, v2, "memory.max", "max\n")
	writeCgroupFile(t, v2, "work.slice/memory.max", "1073741824\n")
	writeCgroupFile(t, v2, "work.slice/nidim.service/memory.max", "max\n")
	assert.Equal(t, uint64(1<<30), cgroupMemoryLimit(v2, []byte("0::/work.slice/nidim.service\n")))
	writeCgroupFile(t, v2, "work.slice/nidim.service/memory.max", "268435456\n")
	assert.Equal(t, uint64(1<<28), cgroupMemoryLimit(v2, []byte("0::/work.slice/nidim.service\n")))

	// Version 1 with the memory controller mounted together with another
	// one, and a version 2 line of a hybrid system whose unified tree has
	// no memory.max.
	v1 := t.TempDir()
	writeCgroupFile(t, v1, "memory/memory.limit_in_bytes", "9223372036854771712\n")
	writeCgroupFile(t, v1, "memory/jobs/a/memory.limit_in_bytes", "3221225472\n")
	assert.Equal(t, uint64(3<<30), cgroupMemoryLimit(v1, []byte("5:cpuset:/\n4:memory,hugetlb:/jobs/a\n0::/\n")))

	// In a container the paths may name host groups that do not exist
	// under the container's mount, whose root is the container's group.
	container := t.TempDir()
	writeCgroupFile(t, container, "memory.max", "4294967296\n")
	assert.Equal(t, uint64(4<<30), cgroupMemoryLimit(container, []byte("0::/docker/0123abcd\n")))

	// A malformed line or a path climbing out of the mount reads nothing
	// outside it.
	assert.Equal(t, uint64(4<<30), cgroupMemoryLimit(container, []byte("garbage\n0::/../../etc\n")))
}

// The machine's swap was added to a control group's limit, so with 8 GB
// of swap a 1 GB container passed runs that needed 5 GB, and the kernel
// killed them.
func TestUsableMemorySwapUnderLimit(t *testing.T) {
	const gb = 1 << 30
	assert.Equal(t, uint64(16*gb+8*gb), usableMemory(16*gb, 8*gb, 0), "no limit: RAM and swap")
	assert.Equal(t, uint64(1*gb), usableMemory(16*gb, 8*gb, 1*gb), "a limit below the RAM")
	assert.Equal(t, uint64(16*gb+8*gb), usableMemory(16*gb, 8*gb, 32*gb), "a limit above the RAM limits nothing")
}
