package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
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
	// Feature vectors are standardized by default.
	assert.Equal(t, true, cfg["standardize"])

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

// rerunArgs returns the train flags that give the settings in config, the
// "config" object of train --json, with recipe, its "recipe" key. As the
// help of --json describes, it passes one flag per key and leaves out the
// keys that do not apply to the run, which --recipe sets as before.
// imageDir is set when --data is a directory of images, whose input
// gives --image-size, where the input of a matrix file of images gives
// --image-shape.
func rerunArgs(t *testing.T, recipe string, config map[string]any, imageDir bool) []string {
	t.Helper()
	flagOf := map[string]string{
		"prior": "prior", "sigma": "sigma", "eps": "eps", "dim": "dim", "encoder": "encoder", "hidden": "hidden",
		"critic": "critic", "loss": "loss", "self_weight": "self-weight", "tau": "tau", "epochs": "epochs",
		"batch": "batch", "lr": "lr", "schedule": "schedule", "weight_decay": "weight-decay", "seed": "seed",
		"threads": "threads", "max_shift": "shift", "max_rotate": "rotate", "max_scale": "zoom",
		"pixel_noise": "pixel-noise", "feature_noise": "feature-noise", "mask_prob": "mask",
		"penalty": "penalty", "penalty_weight": "penalty-weight", "penalty_directions": "penalty-directions",
		"test_fraction": "test-fraction", "image_fit": "image-fit",
	}
	switches := map[string]string{
		"standardize": "standardize", "no_recalibrate": "no-recalibrate", "clean_first_view": "clean-view",
		"shared_view": "shared-view", "no_normalize": "no-normalize",
	}
	skip := map[string]bool{"input": true}
	if config["prior"] == "uniform" {
		skip["sigma"] = true
	} else {
		skip["eps"] = true
	}
	if config["loss"] != "infonce-rows" {
		skip["self_weight"] = true
	}
	if config["penalty"] == "" {
		skip["penalty"], skip["penalty_weight"], skip["penalty_directions"] = true, true, true
	}
	views := []string{"max_shift", "max_rotate", "max_scale", "pixel_noise"}
	input, _ := config["input"].([]any)
	if len(input) == 3 {
		views = []string{"feature_noise", "mask_prob"} // images
	}
	if !imageDir {
		skip["image_fit"] = true
	}
	for _, key := range views {
		skip[key] = true // the views of the other kind of sample
	}

	args := []string{"--recipe", recipe, "--noise-views", []string{"none", "one", "both"}[int(config["noise_views"].(float64))]}
	if config["learn_tau"] == false {
		args = append(args, "--fixed-tau")
	}
	switch {
	case imageDir:
		require.Len(t, input, 3, "input of a directory of images")
		args = append(args, "--image-size", fmt.Sprintf("%vx%v", input[1], input[2]))
	case len(input) == 3:
		args = append(args, "--image-shape", fmt.Sprintf("%v,%v,%v", input[0], input[1], input[2]))
	}
	for key, value := range config {
		switch {
		case skip[key] || key == "noise_views" || key == "learn_tau":
		case flagOf[key] != "":
			args = append(args, "--"+flagOf[key], fmt.Sprint(value))
		case switches[key] != "":
			if value == true {
				args = append(args, "--"+switches[key])
			}
			// Feature vectors are standardized unless --standardize=false is given.
			if key == "standardize" && value == false && len(input) == 1 {
				args = append(args, "--standardize=false")
			}
		default:
			t.Fatalf("config key %s has no flag in rerunArgs", key)
		}
	}
	return args
}

// By the help of --json, config with --recipe reruns a training.
// A rerun that passed every key as a flag failed, because train rejects
// the flags of settings that do not apply, such as --eps for the gaussian
// prior, which config contains all the same. Passing the keys that apply
// gives the same checkpoint, byte for byte.
//
// For a directory of images, input gives --image-size, which a rerun
// passes also when the first run read the images at their own size, and
// image_fit gives --image-fit.
func TestTrainJSONConfigReruns(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	matrix := []string{"--data", data, "--labels", labels}
	oneSize, _ := writeImageFolder(t)    // 8 x 8 gray PNG files
	manySizes, _ := writeAspectFolder(t) // colour PNG files of six sizes
	for i, c := range []struct {
		data  []string
		extra []string
	}{
		{matrix, []string{"--loss", "infonce", "--seed", "3", "--lr", "0.004", "--test-fraction", "0.2", "--standardize", "--penalty", "epps-pulley", "--penalty-weight", "0.5"}},
		{matrix, []string{"--standardize=false", "--mask", "0.2"}},
		{matrix, []string{"--prior", "uniform", "--mask", "0.2"}},
		{matrix, []string{"--loss", "dv", "--critic", "cosine"}},
		{matrix, []string{"--image-shape", "1,2,3", "--shift", "1"}},
		{[]string{"--data", oneSize}, []string{"--seed", "2"}},
		{[]string{"--data", oneSize}, []string{"--image-size", "6x4", "--shift", "1"}},
		{[]string{"--data", manySizes}, []string{"--batch", "16", "--image-size", "7x9", "--image-fit", "squeeze"}},
		{[]string{"--data", manySizes}, []string{"--batch", "16", "--image-size", "7x9", "--image-fit", "crop", "--encoder", "cnn"}},
	} {
		first := filepath.Join(dir, fmt.Sprintf("first%d.safetensors", i))
		args := slices.Concat([]string{"train"}, c.data, []string{"--dim", "2", "--hidden", "8", "--batch", "24",
			"--epochs", "2", "--threads", "1", "--no-eval", "--json", "--out", first}, c.extra)
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		var res struct {
			Recipe string         `json:"recipe"`
			Config map[string]any `json:"config"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)

		second := filepath.Join(dir, fmt.Sprintf("second%d.safetensors", i))
		imageDir := c.data[1] != data
		rerun := slices.Concat([]string{"train"}, c.data, []string{"--no-eval", "--out", second}, rerunArgs(t, res.Recipe, res.Config, imageDir))
		code, _, stderr = runCmd(rerun...)
		require.Equal(t, exitOK, code, "%v\n%s", rerun, stderr)
		assert.Equal(t, readFile(t, first), readFile(t, second), "checkpoint of %v", args)
	}
}
