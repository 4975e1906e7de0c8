package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A container's memory limit bounds what nidim may use, not the host's
// RAM, in both versions of the control group files.
func TestCgroupMemoryLimit(t *testing.T) {
	write := func(root, name, text string) {
		path := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	v2 := t.TempDir()
	write(v2, "memory.max", "2147483648\n")
	assert.Equal(t, uint64(2147483648), cgroupMemoryLimit(v2))

	unlimited := t.TempDir()
	write(unlimited, "memory.max", "max\n")
	assert.Zero(t, cgroupMemoryLimit(unlimited))

	v1 := t.TempDir()
	write(v1, filepath.Join("memory", "memory.limit_in_bytes"), "536870912\n")
	assert.Equal(t, uint64(536870912), cgroupMemoryLimit(v1))

	assert.Zero(t, cgroupMemoryLimit(t.TempDir()), "no control group files")
}
