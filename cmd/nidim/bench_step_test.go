package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchStepJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "step", "--model", "cnn", "--batch", "3", "--steps", "2", "--threads", "1", "--json"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var rows []map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rows))
	require.Len(t, rows, 1)
	row := rows[0]
	assert.Equal(t, "cnn", row["model"])
	assert.Equal(t, 3.0, row["batch"])
	assert.Equal(t, 1.0, row["threads"])
	step := row["median_step_s"].(float64)
	assert.Greater(t, step, 0.0)
	assert.InEpsilon(t, 3/step, row["samples_per_s"].(float64), 1e-9)
}

// TestBenchStepAllThreads checks that --threads 0 means all cores.
func TestBenchStepAllThreads(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"bench", "step", "--model", "mlp", "--batch", "2", "--steps", "1", "--threads", "0", "--json"}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var rows []map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, float64(runtime.GOMAXPROCS(0)), rows[0]["threads"])
}

func TestBenchStepInvalidFlags(t *testing.T) {
	cases := map[string][]string{
		"model":   {"--model", "rnn"},
		"batch":   {"--batch", "0"},
		"threads": {"--threads", "-1"},
		"steps":   {"--steps", "-1"},
		"unknown": {"--fast"},
		"extra":   {"mlp"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"bench", "step"}, args...), &stdout, &stderr)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr.String(), "nidim bench step: ")
		})
	}
}
