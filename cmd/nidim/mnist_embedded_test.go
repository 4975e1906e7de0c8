//go:build !nomnist

package main

import (
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
