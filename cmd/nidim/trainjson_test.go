package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// train --json lacked the settings that rerun a training or recover its
// split: the seed, the learning rate, the schedule, the test fraction and
// the rest. It now prints them under "config", with every key, next to
// the keys it printed before, and eval --json prints the same object.
func TestTrainJSONConfig(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--seed", "5", "--lr", "0.003", "--weight-decay", "0.01",
		"--test-fraction", "0.2", "--self-weight", "0", "--json", "--out", model}
	code, stdout, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)

	// The keys from before the config stay, for the scripts that read them.
	for _, key := range []string{"recipe", "prior", "dim", "sigma", "noise_views", "epochs", "batch", "encoder", "critic", "loss", "standardized",
		"images_per_s", "mi_estimate", "mi_batch", "train_mi_estimate", "capacity", "two_view_mi", "prior_mi", "capacity_gap", "ln_batch", "tau",
		"linear_probe_accuracy", "knn_accuracy", "report", "eval_seconds", "model", "history"} {
		assert.Contains(t, res, key)
	}
	assert.Equal(t, 2.0, res["dim"])
	assert.Equal(t, model, res["model"])

	require.IsType(t, map[string]any{}, res["config"])
	cfg := res["config"].(map[string]any)
	assert.Equal(t, 5.0, cfg["seed"])
	assert.Equal(t, 0.003, cfg["lr"])
	assert.Equal(t, "cosine", cfg["schedule"])
	assert.Equal(t, 0.01, cfg["weight_decay"])
	assert.Equal(t, 0.2, cfg["test_fraction"])
	assert.Equal(t, 1.0, cfg["threads"])
	assert.Equal(t, 24.0, cfg["batch"])
	assert.Equal(t, []any{6.0}, cfg["input"])
	assert.Equal(t, "infonce-rows", cfg["loss"])
	// The checkpoint leaves out a self-weight of 0, but config has it.
	assert.Contains(t, cfg, "self_weight")
	assert.Equal(t, 0.0, cfg["self_weight"])
	assert.Equal(t, false, cfg["standardize"])

	// Every setting that the checkpoint stores, with its value.
	stored := configJSON(t, model)
	assert.NotContains(t, stored, "self_weight")
	for key, value := range stored {
		assert.Equal(t, value, cfg[key], key)
	}

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev), stdout)
	assert.Equal(t, cfg, ev["config"])
}

// With --no-eval the config is printed too.
func TestTrainJSONConfigNoEval(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--seed", "9", "--no-eval", "--json", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Config map[string]any `json:"config"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, 9.0, res.Config["seed"])
	assert.Equal(t, 0.1, res.Config["test_fraction"])
}
