//go:build !nomnist

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A default build prints neither the version line nor the help note of a
// build with the tag nomnist.
func TestEmbeddedMNISTAddsNoText(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"help", "train"}, {"help", "embed"}} {
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stdout, "nomnist", args)
	}
}

// A default build printed nothing about the MNIST it embeds, while a
// build with the tag nomnist printed that it had none. The size is that
// of the four gzipped files in internal/mnist/data.
func TestVersionNamesEmbeddedMNIST(t *testing.T) {
	code, stdout, stderr := runCmd("version")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasSuffix(stdout, "\nbuilt with the embedded MNIST (11.6 MB gzipped), which commands read when --data is not given\n"), stdout)
	assert.Equal(t, 1, strings.Count(stdout, "MNIST"), stdout)
}
