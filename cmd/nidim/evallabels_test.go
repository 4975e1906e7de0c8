package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvalWithoutLabelsNamesFlag(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd(standardizeArgs(data, labels, model)...)
	require.Equal(t, exitOK, code, stderr)

	code, stdout, stderr := runCmd("eval", model, "--data", data)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "no labels: linear probe and kNN accuracy skipped; pass --labels FILE, one class number per row of --data, to measure them\n")

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "no labels")
	assert.Contains(t, stdout, "linear probe accuracy: ")
}
