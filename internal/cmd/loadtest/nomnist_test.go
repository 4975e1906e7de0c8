//go:build nomnist

package main

import (
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A model for MNIST images gets its input rows from the embedded MNIST
// unless --random is given, so a build without the data rejects it.
func TestReferenceWithoutMNIST(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 4, 8
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	require.NoError(t, err)

	_, err = buildReference(m, false)
	assert.EqualError(t, err, "this loadtest was built without the embedded MNIST (build tag nomnist), which gives the input rows of a model for MNIST images; pass --random to send uniform random rows, or build without -tags nomnist")

	ref, err := buildReference(m, true)
	require.NoError(t, err)
	assert.Len(t, ref.rows, 1000*28*28)
}
