package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeClusters writes 240 points in 6 dimensions around 3 centers to
// data.npy and their labels to labels.csv in dir.
func writeClusters(t *testing.T, dir string) (data, labels string) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, f = 240, 6
	x := make([]float64, n*f)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		c := i % 3
		y[i] = float64(c)
		for k := 0; k < f; k++ {
			x[i*f+k] = rng.NormFloat64()
			if k == c {
				x[i*f+k] += 4
			}
		}
	}
	data = filepath.Join(dir, "data.npy")
	labels = filepath.Join(dir, "labels.csv")
	require.NoError(t, tensor.WriteMatrixFile(data, x, n, f))
	require.NoError(t, tensor.WriteMatrixFile(labels, y, n, 1))
	return data, labels
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTrainEmbedEvalCommands(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	common := []string{"--data", data, "--labels", labels, "--dim", "2", "--hidden", "16", "--batch", "24", "--sigma", "0.5", "--seed", "3", "--threads", "1", "--out", model,
		"--feature-noise", "1", "--lr", "0.003"}

	code, stdout, stderr := runCmd(append([]string{"train", "--epochs", "5", "--json"}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	for _, key := range []string{"prior", "dim", "sigma", "epochs", "images_per_s", "mi_estimate", "capacity", "ln_batch", "linear_probe_accuracy", "knn_accuracy", "report"} {
		assert.Contains(t, res, key)
	}
	assert.Equal(t, "gaussian", res["prior"])
	assert.Equal(t, 2.0, res["dim"])
	assert.Equal(t, 5.0, res["epochs"])
	assert.InDelta(t, math.Log1p(1/0.25), res["capacity"], 1e-12) // (2/2) ln(1 + 1/sigma^2)
	assert.InDelta(t, math.Log(24), res["ln_batch"], 1e-12)
	assert.Greater(t, res["images_per_s"], 0.0)
	// The view noise is as large as the spread within a cluster, so only
	// the cluster survives from one view to the other and the embedding
	// must keep it. The accuracies on the 24 held-out points are then far
	// above the chance level of 1/3.
	assert.Greater(t, res["linear_probe_accuracy"], 0.75)
	assert.Greater(t, res["knn_accuracy"], 0.75)
	report, ok := res["report"].(map[string]any)
	require.True(t, ok, "report is an object")
	assert.Equal(t, 24.0, report["n"])
	_, err := os.Stat(model)
	require.NoError(t, err)

	// Resuming to 6 epochs trains one more.
	code, stdout, stderr = runCmd("train", "--resume", model, "--epochs", "6", "--data", data, "--labels", labels, "--out", model, "--no-eval", "--json")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	history := res["history"].([]any)
	require.Len(t, history, 1)
	assert.Equal(t, 6.0, history[0].(map[string]any)["epoch"])

	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "6", "--data", data)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "already trained 6 epochs")
	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "7", "--dim", "3", "--data", data)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--dim cannot be set with --resume")

	emb := filepath.Join(dir, "z.csv")
	code, _, stderr = runCmd("embed", "--model", model, "--data", data, "--out", emb)
	require.Equal(t, exitOK, code, stderr)
	z, rows, cols, err := tensor.ReadMatrixFile(emb)
	require.NoError(t, err)
	assert.Equal(t, 240, rows)
	assert.Equal(t, 2, cols)
	for _, v := range z {
		require.False(t, math.IsNaN(v))
	}

	code, stdout, stderr = runCmd("eval", "--model", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	assert.Equal(t, 6.0, res["epochs"])
	assert.InDelta(t, res["capacity"].(float64)-res["mi_estimate"].(float64), res["capacity_gap"], 1e-12)
	assert.Greater(t, res["knn_accuracy"], 0.75)

	code, stdout, _ = runCmd("eval", "--model", model, "--data", data, "--labels", labels, "--knn-metric", "cosine")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "linear probe accuracy")
	assert.Contains(t, stdout, "accuracy (cosine)")
	assert.Contains(t, stdout, "capacity gap")
}

func TestTrainUsageErrors(t *testing.T) {
	type usageCase struct {
		args []string
		want string
	}
	cases := []usageCase{
		{[]string{"train", "--prior", "cauchy"}, "unknown prior"},
		{[]string{"train", "--sigma", "-1"}, "invalid --sigma -1; use 0 for no channel noise or a positive number"},
		{[]string{"train", "--prior", "uniform", "--eps", "NaN"}, "invalid --eps NaN"},
		{[]string{"train", "--noise-views", "three"}, "--noise-views"},
		{[]string{"train", "--prior", "uniform", "--sigma", "0.3"}, "--sigma does not apply to the uniform prior, whose noise level is --eps"},
		{[]string{"train", "--prior", "laplace", "--eps", "0.3"}, "--eps does not apply to the laplace prior, whose noise level is --sigma"},
		{[]string{"train", "--recipe", ""}, "missing name after --recipe"},
		{[]string{"train", "--bogus"}, "unknown flag --bogus"},
		{[]string{"train", "--penalty-weight", "100", "--data", "/nonexistent/x.npy"}, "--penalty-weight applies only with --penalty epps-pulley; add --penalty epps-pulley or drop --penalty-weight"},
		{[]string{"train", "--penalty", "none", "--penalty-directions", "8", "--data", "/nonexistent/x.npy"}, "--penalty-directions applies only with --penalty epps-pulley"},
		{[]string{"train", "extra"}, "unexpected argument"},
		{[]string{"train", "--data", "/nonexistent/x.npy"}, "x.npy"},
		// Found after the data was read, this error named the missing file.
		{[]string{"train", "--encoder", "vit", "--data", "/nonexistent/x.npy"}, `unknown encoder "vit"; use mlp or cnn`},
		{[]string{"sweep", "--encoder", "vit", "--data", "/nonexistent/x.npy"}, `unknown encoder "vit"; use mlp or cnn`},
		{[]string{"embed", "--out", "z.npy"}, "missing --model"},
		{[]string{"embed", "--model", "m", "--out", "z.npy", "--split", "val"}, "invalid --split"},
		{[]string{"eval"}, "missing --model"},
		{[]string{"eval", "--model", "m", "--knn-metric", "l1"}, "invalid --knn-metric"},
		{[]string{"eval", "--model", "/nonexistent/m.safetensors"}, "m.safetensors"},
	}
	// Without --data this one reports its error after reading the
	// built-in MNIST.
	if hasBuiltinMNIST(t) {
		cases = append(cases,
			usageCase{[]string{"train", "--test-fraction", "0.5"}, "--test-fraction applies to a matrix file --data"})
	}
	for _, c := range cases {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
	}
}

func TestTrainHelp(t *testing.T) {
	code, stdout, _ := runCmd("help", "train")
	assert.Equal(t, exitOK, code)
	for _, flag := range []string{"--prior", "--dim", "--sigma", "--eps", "--noise-views", "--encoder", "--critic", "--loss", "--epochs", "--batch", "--lr", "--seed", "--threads", "--data", "--labels", "--out", "--json", "--resume"} {
		assert.Contains(t, stdout, flag)
	}
}

// The epoch line prints the bounds that hold for the noisy views. Without
// channel noise it must not print the capacity that the prior computes
// from --sigma, which bounds nothing then.
func TestTrainEpochLineBounds(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := func(views, out string) []string {
		return []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "16", "--batch", "24", "--sigma", "0.5",
			"--seed", "3", "--threads", "1", "--epochs", "1", "--no-eval", "--noise-views", views, "--out", filepath.Join(dir, out)}
	}
	code, stdout, stderr := runCmd(args("none", "none.safetensors")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "d = 2, no channel noise, mlp encoder")
	assert.Regexp(t, `MI estimate \(last training epoch\): -?[0-9.]+ nats; no channel noise, so no capacity bound; ln B 3\.178\n`, stdout)
	assert.NotContains(t, stdout, "capacity 1.609")
	assert.Regexp(t, `epoch 1/1: loss [0-9.]+, MI -?[0-9.]+ nats \(no channel noise, so no capacity bound; ln B 3\.178\), tau `, stderr)
	assert.NotContains(t, stderr, "capacity 1.609") // (2/2) ln(1 + 1/0.5^2)

	code, stdout, stderr = runCmd(args("both", "both.safetensors")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `MI estimate \(last training epoch\): -?[0-9.]+ nats; capacity 1\.609, two-view [0-9.]+, ln B 3\.178\n`, stdout)
	assert.Regexp(t, `epoch 1/1: loss [0-9.]+, MI -?[0-9.]+ nats \(capacity 1\.609, two-view [0-9.]+, ln B 3\.178\), tau `, stderr)

	// With noise on one view the capacity itself bounds the estimate, so
	// the two-view figure is left out.
	code, stdout, stderr = runCmd(args("one", "one.safetensors")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `MI estimate \(last training epoch\): -?[0-9.]+ nats; capacity 1\.609, ln B 3\.178\n`, stdout)
	assert.Regexp(t, `epoch 1/1: loss [0-9.]+, MI -?[0-9.]+ nats \(capacity 1\.609, ln B 3\.178\), tau `, stderr)
}

// train --json and eval --json gave the capacity, two-view MI and prior
// MI of the prior at the temperature scale --sigma for a model without
// channel noise, which has no capacity bound, where sweep.csv gave +Inf.
// They are null now, as is every number of the JSON that a run does not
// have, such as capacity_gap.
func TestChannelBoundsNullWithoutNoise(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	for _, views := range []string{"none", "both"} {
		model := filepath.Join(dir, views+".safetensors")
		trained, evaluated := trainAndEvalJSON(t, data, labels, model, "--dim", "2", "--hidden", "16",
			"--batch", "24", "--sigma", "0.5", "--seed", "3", "--threads", "1", "--epochs", "1", "--noise-views", views)

		for name, res := range map[string]map[string]any{"train": trained, "eval": evaluated} {
			keys := []string{"capacity", "two_view_mi", "capacity_gap"}
			if name == "train" {
				keys = append(keys, "prior_mi")
			}
			for _, key := range keys {
				value, present := res[key]
				assert.True(t, present, "%s --noise-views %s: %s missing", name, views, key)
				if views == "none" {
					assert.Nil(t, value, "%s --noise-views none: %s", name, key)
				} else {
					assert.IsType(t, 0.0, value, "%s --noise-views both: %s", name, key)
				}
			}
			if views == "both" {
				assert.InDelta(t, math.Log1p(1/0.25), res["capacity"], 1e-12, name) // (2/2) ln(1 + 1/sigma^2)
			}
		}
	}
}

func TestTrainSigmaZeroTrainsWithoutNoise(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "16",
		"--batch", "24", "--sigma", "0", "--seed", "3", "--threads", "1", "--epochs", "1", "--no-eval", "--json", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, 0.0, res["noise_views"])
	assert.Equal(t, 0.0, res["sigma"])
}

// TestTrainRecipes checks which recipe supplies the defaults, that flags
// given on the command line win over it, and that the help text lists
// each recipe's values as the configurations of package dim define them.
func TestTrainRecipes(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	train := func(args ...string) map[string]any {
		t.Helper()
		args = append([]string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "24",
			"--epochs", "1", "--threads", "1", "--no-eval", "--json", "--out", filepath.Join(dir, "m.safetensors")}, args...)
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
		return res
	}
	for _, c := range []struct {
		args               []string
		recipe, loss       string
		dim, sigma, noises float64
	}{
		{nil, "match", "infonce-rows", 4, 0.5, 1},
		{[]string{"--recipe", "reference"}, "reference", "infonce", 8, 0.1, 2},
		{[]string{"--sigma", "0.7", "--loss", "infonce"}, "match", "infonce", 4, 0.7, 1},
		{[]string{"--prior", "logistic"}, "match", "infonce-rows", 4, 0.5, 1},
		{[]string{"--prior", "uniform"}, "reference", "infonce", 8, 0.1, 2},
	} {
		res := train(c.args...)
		assert.Equal(t, c.recipe, res["recipe"], "%v", c.args)
		assert.Equal(t, c.loss, res["loss"], "%v", c.args)
		assert.Equal(t, c.dim, res["dim"], "%v", c.args)
		assert.Equal(t, c.noises, res["noise_views"], "%v", c.args)
		if res["prior"] != "uniform" {
			assert.Equal(t, c.sigma, res["sigma"], "%v", c.args)
		}
	}

	code, _, stderr := runCmd("train", "--recipe", "fast")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `invalid --recipe "fast"; use match or reference`)

	help := strings.Join(strings.Fields(trainUsage), " ")
	for name, recipe := range recipes {
		var want []string
		for _, kv := range recipeFlags(recipe()) {
			switch kv[1] {
			case "true":
				want = append(want, "--"+kv[0])
			case "false":
				want = append(want, "--"+kv[0]+"=false")
			default:
				want = append(want, "--"+kv[0], kv[1])
			}
		}
		assert.Contains(t, help, strings.Join(want, " "), "recipe %s", name)
	}
}

// A small data set used to be rejected because of the match recipe's
// --batch 4096, which the user never typed. The recipe's batch now shrinks
// to the training rows with a note, and only an explicit --batch that is
// too large is an error.
func TestTrainShrinksRecipeBatch(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")

	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8",
		"--epochs", "1", "--threads", "1", "--no-eval", "--json", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	note := "nidim train: note: the match recipe's --batch 4096 is larger than the 216 training rows, so the batch is 216, the whole training split, and each epoch is one step. So few steps may leave the encoder undertrained; a smaller --batch (such as 32) or more --epochs gives more.\n"
	assert.True(t, strings.HasPrefix(stderr, note), "stderr: %q", stderr)
	assert.Equal(t, 1, strings.Count(stderr, "recipe's --batch"), "one note: %q", stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, 216.0, res["batch"])
	assert.InDelta(t, math.Log(216), res["ln_batch"], 1e-12)
	m, err := dim.LoadModel(out)
	require.NoError(t, err)
	assert.Equal(t, 216, m.Config.Batch, "the checkpoint records the batch used")

	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--recipe", "reference", "--hidden", "8",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "r.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "the reference recipe's --batch 256 is larger than the 216 training rows, so the batch is 216")
	assert.NotContains(t, stderr, "such as 256", "the note must not suggest the batch that was too large")
	assert.Contains(t, stderr, "; batch 216, 1 epoch,")

	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--batch", "4096", "--no-eval", "--out", filepath.Join(dir, "e.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --batch 4096 is larger than the 216 training rows; use --batch 216 or less, or more data.\n", stderr)
}

// The first line of nidim train lists the objective. It used to leave out
// the Epps-Pulley penalty, so neither a new run nor a resumed one showed
// that the penalty was on.
func TestTrainHeaderNamesPenalty(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "p.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "64",
		"--penalty", "epps-pulley", "--penalty-weight", "100", "--epochs", "1", "--threads", "1", "--no-eval", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "infonce-rows loss plus epps-pulley penalty (weight 100, 16 directions); 216 training")

	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "64",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "n.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "infonce-rows loss; 216 training")
	assert.NotContains(t, stderr, "penalty")

	// --json lists the penalty too, and leaves it out without one.
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "64",
		"--penalty", "epps-pulley", "--penalty-weight", "100", "--epochs", "1", "--threads", "1", "--no-eval", "--json",
		"--out", filepath.Join(dir, "j.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, "epps-pulley", res["penalty"])
	assert.Equal(t, 100.0, res["penalty_weight"])
	assert.Equal(t, 16.0, res["penalty_directions"])
	code, stdout, stderr = runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "64",
		"--epochs", "1", "--threads", "1", "--no-eval", "--json", "--out", filepath.Join(dir, "k.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	res = nil
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	for _, key := range []string{"penalty", "penalty_weight", "penalty_directions"} {
		assert.NotContains(t, res, key)
	}
	// config lists every setting as the checkpoint stores it, the unused
	// penalty weight and directions too.
	require.IsType(t, map[string]any{}, res["config"])
	assert.Equal(t, "", res["config"].(map[string]any)["penalty"])
}

// --penalty-weight 0 is valid, but train --json left penalty_weight out
// for it, although the help lists the key for every run with --penalty.
func TestTrainJSONKeepsZeroPenaltyWeight(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "64",
		"--penalty", "epps-pulley", "--penalty-weight", "0", "--epochs", "1", "--threads", "1", "--no-eval", "--json",
		"--out", filepath.Join(dir, "z.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, "epps-pulley", res["penalty"])
	weight, found := res["penalty_weight"]
	assert.True(t, found, "penalty_weight is missing: %s", stdout)
	assert.Equal(t, 0.0, weight)
	assert.Equal(t, 16.0, res["penalty_directions"])
}

// The batch that the small-data note suggests must fit the training split
// and leave at least four steps per epoch.
func TestSmallDataRemedy(t *testing.T) {
	for _, c := range []struct {
		rows int
		want string
	}{
		{5000, "a smaller --batch (such as 256) or more --epochs"},
		{1024, "a smaller --batch (such as 256) or more --epochs"},
		{1023, "a smaller --batch (such as 128) or more --epochs"},
		{216, "a smaller --batch (such as 32) or more --epochs"},
		{8, "a smaller --batch (such as 2) or more --epochs"},
		{7, "more --epochs"},
		{1, "more --epochs"},
	} {
		assert.Equal(t, c.want, smallDataRemedy(c.rows), "%d rows", c.rows)
	}
}

// TestTrainNotesSaturatedEstimate trains one epoch on settings whose
// channel allows more than ln B nats, and on settings that allow less.
func TestTrainNotesSaturatedEstimate(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	for _, c := range []struct {
		name  string
		flags []string
		note  string
	}{
		// Capacity (6/2) ln(1 + 1/0.01) = 13.8 nats > ln 24 = 3.18.
		{"one view", []string{"--dim", "6", "--sigma", "0.1", "--noise-views", "one"}, "capacity (13.85 nats) exceeds ln B = 3.18 nats"},
		// Two-view MI -(6/2) ln(1 - (1/1.01)^2) = 11.78 nats.
		{"both views", []string{"--dim", "6", "--sigma", "0.1", "--noise-views", "both"}, "two-view MI (11.78 nats) exceeds ln B = 3.18 nats"},
		{"below ln B", []string{"--dim", "2", "--sigma", "1", "--noise-views", "one"}, ""},
		{"no noise", []string{"--dim", "6", "--sigma", "0.1", "--noise-views", "none"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "24",
				"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}, c.flags...)
			code, _, stderr := runCmd(args...)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "batch 24, 1 epoch, 1 thread, ")
			if c.note == "" {
				assert.NotContains(t, stderr, "exceeds ln B")
				return
			}
			assert.Contains(t, stderr, c.note)
			assert.Contains(t, stderr, "the capacity gap no longer bounds how far the embeddings are from the prior")
		})
	}
}

// With few batch rows within the noise's reach, the match recipe's loss
// favors light tails, and train prints a note unless --self-weight is
// given.
func TestTrainNotesLightTails(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	// Rows in reach: B (sigma^2 / (1 + sigma^2))^(d/2) = 24 / 2 = 12 at
	// d = 2 and sigma 1, and 48 / 2 = 24 with a batch of 48.
	for _, c := range []struct {
		name  string
		flags []string
		note  bool
	}{
		{"few rows", []string{"--batch", "24"}, true},
		{"self-weight given", []string{"--batch", "24", "--self-weight", "0.5"}, false},
		{"enough rows", []string{"--batch", "48"}, false},
		{"reference recipe", []string{"--batch", "24", "--recipe", "reference"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--dim", "2", "--sigma", "1",
				"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}, c.flags...)
			code, _, stderr := runCmd(args...)
			require.Equal(t, exitOK, code, stderr)
			if !c.note {
				assert.NotContains(t, stderr, "lighter tails")
				return
			}
			assert.Contains(t, stderr, "nidim train: note: at d = 2, sigma 1 and batch 24 only about 12 batch rows lie within the noise's reach")
			assert.Contains(t, stderr, "--self-weight 0.05")
		})
	}

	// The match recipe at d = 8 on MNIST: 4096 x 0.2^4 = 6.6 rows. At d = 4
	// there are 164, and no note.
	cfg := dim.MatchingConfig()
	cfg.Dim = 8
	assert.Contains(t, tailNote(dim.Gaussian{Sigma: 0.5}, cfg, false), "only about 6.6 batch rows")
	cfg.Dim = 4
	assert.Empty(t, tailNote(dim.Gaussian{Sigma: 0.5}, cfg, false))
}

// eps is the noise half-width of the uniform channel only, so the JSON of
// train and eval leaves it out for the other priors.
func TestJSONEpsOnlyForUniform(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	for _, c := range []struct {
		args    []string
		hasEps  bool
		wantEps float64
	}{
		{[]string{"--prior", "gaussian", "--sigma", "0.5"}, false, 0},
		{[]string{"--prior", "laplace", "--sigma", "0.5"}, false, 0},
		{[]string{"--prior", "uniform", "--eps", "0.05"}, true, 0.05},
	} {
		model := filepath.Join(dir, c.args[1]+".safetensors")
		trained, evaluated := trainAndEvalJSON(t, data, labels, model, append([]string{"--dim", "2", "--hidden", "8", "--batch", "24",
			"--epochs", "1", "--threads", "1"}, c.args...)...)

		for name, res := range map[string]map[string]any{"train": trained, "eval": evaluated} {
			eps, ok := res["eps"]
			assert.Equal(t, c.hasEps, ok, "%s %v: eps present", name, c.args)
			if c.hasEps {
				assert.Equal(t, c.wantEps, eps, "%s %v", name, c.args)
			}
		}
	}
}

// The help stated that Ctrl-C exits with status 1, but during the
// evaluation after training it exits with 130 and prints the nidim eval
// command instead. The help now documents both.
func TestTrainHelpCtrlCDuringEvaluation(t *testing.T) {
	_, stdout, _ := runCmd("help", "train")
	text := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, text, fmt.Sprintf("Ctrl-C during that evaluation, after the model is saved, exits at once with status %d", exitInterrupted))
	assert.Contains(t, text, "prints the nidim eval command that runs the evaluation.")
}

// With 18 test rows the MI estimate cannot pass ln 18 = 2.890, below the
// capacity 3.219 of d = 4 at sigma 0.5, and the capacity gap line did not
// say that 0.329 nats of it stay however well the embeddings match.
func TestCapacityGapNamesBatchCap(t *testing.T) {
	e := &evalResult{MI: 2.163, MIBatch: 18, Prior: "gaussian", NoiseViews: 1, Report: &stats.Report{}}
	capacity := 2 * math.Log(5)
	var out strings.Builder
	require.NoError(t, e.write(&out, "capacity 3.219", capacity, math.Log(32)))
	assert.Contains(t, out.String(), "\ncapacity gap: 1.056 nats, an upper bound on KL(noisy embedding || N(0, (1+sigma^2) I)) if the estimate is a valid lower bound; "+
		"at least 0.329 nats of it remain whatever the embeddings, because a batch of 18 rows caps the estimate at ln 18 = 2.890\n")

	// A batch of 32 rows, ln 32 = 3.466, leaves the capacity in reach.
	e.MIBatch = 32
	out.Reset()
	require.NoError(t, e.write(&out, "capacity 3.219", capacity, math.Log(32)))
	assert.Contains(t, out.String(), "if the estimate is a valid lower bound\n")
	assert.NotContains(t, out.String(), "remain whatever the embeddings")
}

// A table whose rows were duplicated trained without a word, although the
// random split puts most duplicates on both sides, and the accuracies of
// the test split then count training rows as held out.
func TestTrainNotesSharedRows(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	labelValues, _, _, err := tensor.ReadMatrixFile(labels)
	require.NoError(t, err)
	doubled := filepath.Join(dir, "doubled.npy")
	doubledLabels := filepath.Join(dir, "doubled.csv")
	require.NoError(t, tensor.WriteMatrixFile(doubled, append(slices.Clone(values), values...), 2*rows, cols))
	require.NoError(t, tensor.WriteMatrixFile(doubledLabels, append(slices.Clone(labelValues), labelValues...), 2*rows, 1))

	common := []string{"--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1"}
	model := filepath.Join(dir, "d.safetensors")
	code, _, stderr := runCmd(append([]string{"train", "--data", doubled, "--labels", doubledLabels, "--out", model}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	train, test, _, err := loadMatrixData(dataFlags{data: doubled, testFraction: defaultTestFraction}, 0)
	require.NoError(t, err)
	want := sharedRowsNote(train, test)
	require.NotEmpty(t, want)
	assert.Contains(t, stderr, "nidim train: note: "+want)
	assert.Regexp(t, `^\d+ of the 48 test rows also occur in the training split, value for value, so the test report, the probe and the kNN accuracy count rows the encoder was trained on as held out; `+
		`where the copies are one sample recorded twice, remove them from --data for a held-out measure$`, want)

	// The note concerns the evaluation, so --no-eval leaves it to nidim
	// eval, which prints it.
	code, _, stderr = runCmd(append([]string{"train", "--data", doubled, "--labels", doubledLabels, "--out", model, "--no-eval"}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "test rows also")
	code, _, stderr = runCmd("eval", model, "--data", doubled, "--labels", doubledLabels)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: note: "+want+"\n")

	// The file without duplicates gets no note.
	code, _, stderr = runCmd(append([]string{"train", "--data", data, "--labels", labels, "--out", filepath.Join(dir, "o.safetensors")}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "test rows also")
	code, _, stderr = runCmd("eval", filepath.Join(dir, "o.safetensors"), "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "test rows also")

	// Rows match value for value, -0 matches 0, and one row is singular.
	x := func(rows ...float32) *dim.Dataset {
		return &dim.Dataset{X: &tensor.Tensor{Shape: []int{len(rows) / 2, 2}, Data: rows}, Shape: []int{2}}
	}
	assert.Equal(t, "1 of the 2 test rows also occurs in the training split, value for value, so the test report, the probe and the kNN accuracy count rows the encoder was trained on as held out; "+
		"where the copies are one sample recorded twice, remove them from --data for a held-out measure",
		sharedRowsNote(x(1, 2, 0, 3, 5, 6), x(float32(math.Copysign(0, -1)), 3, 1, 2.5)))
	assert.Equal(t, "", sharedRowsNote(x(1, 2, 3, 4), x(2, 1, 1, 2.0000002)))
}

// A class whose only rows fell in the test split lowered the accuracies
// without a word, and labels of one class gave accuracies of 1.
func TestClassCoverageNote(t *testing.T) {
	assert.Equal(t, "", classCoverageNote(nil, nil))
	assert.Equal(t, "", classCoverageNote([]int{0, 1, 2, 1}, []int{2, 0}))
	assert.Equal(t, "--labels contains one class, 7, so the probe and kNN accuracies are 1 whatever the embeddings",
		classCoverageNote([]int{7, 7, 7}, []int{7}))
	assert.Equal(t, "class 2 has no rows in the training split, so the probe and kNN cannot predict 1 of the 10 test rows; the split ignores the labels, and nidim train with another --seed draws another split",
		classCoverageNote([]int{0, 1, 0, 1}, []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 2}))
	assert.Equal(t, "classes 3, 5 and 9 have no rows in the training split, so the probe and kNN cannot predict 4 of the 5 test rows; the split ignores the labels, and nidim train with another --seed draws another split",
		classCoverageNote([]int{0, 0}, []int{9, 5, 0, 3, 5}))

	// train prints it for a class of one row that the split holds out.
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	labelValues, rows, _, err := tensor.ReadMatrixFile(labels)
	require.NoError(t, err)
	_, test, _, err := loadMatrixData(dataFlags{data: data, testFraction: defaultTestFraction}, 0)
	require.NoError(t, err)
	// The first test row's features identify its row in the file.
	values, _, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	held := -1
	for i := range rows {
		if float32(values[i*cols]) == test.X.Data[0] && float32(values[i*cols+1]) == test.X.Data[1] {
			held = i
		}
	}
	require.GreaterOrEqual(t, held, 0)
	labelValues[held] = 3
	lone := filepath.Join(dir, "lone.csv")
	require.NoError(t, tensor.WriteMatrixFile(lone, labelValues, rows, 1))
	model := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--labels", lone, "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--out", model}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	const note = "note: class 3 has no rows in the training split, so the probe and kNN cannot predict 1 of the 24 test rows;"
	assert.Contains(t, stderr, "nidim train: "+note)

	// --no-eval computes no probe or kNN, so the note waits for nidim
	// eval.
	code, _, stderr = runCmd(append(args, "--no-eval")...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "class 3")
	code, _, stderr = runCmd("eval", model, "--data", data, "--labels", lone)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim eval: "+note)
}

// --no-eval skips the notes on the evaluation of the test split, but the
// notes on the training data stay: a constant column trains the same with
// or without the evaluation.
func TestNoEvalKeepsTrainingDataNotes(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	for i := range rows {
		values[i*cols+4] = 2.5
	}
	constant := filepath.Join(dir, "constant.npy")
	require.NoError(t, tensor.WriteMatrixFile(constant, values, rows, cols))

	code, _, stderr := runCmd("train", "--data", constant, "--labels", labels, "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1",
		"--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: column 5 (counting from 1) is constant over the 216 training rows")
}

// TestDVCheckpointEval trains with --loss dv and checks that the
// checkpoint stores the loss, resumes, and loads in nidim eval, which
// gives finite figures.
func TestDVCheckpointEval(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--loss", "dv")
	code, stdout, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--out", model, "--no-eval", "--json")
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, "dv", res["config"].(map[string]any)["loss"], "loss of the resumed run")

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	config, ok := res["config"].(map[string]any)
	require.True(t, ok, "config is an object")
	assert.Equal(t, "dv", config["loss"])
	assert.Equal(t, 2.0, res["epochs"])
	for _, key := range []string{"mi_estimate", "capacity", "linear_probe_accuracy"} {
		v, ok := res[key].(float64)
		require.True(t, ok, "%s is a number", key)
		assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", key, v)
	}
}

// trainAndEvalJSON trains a model on the matrix file data with labels and
// the train flags args, writing it to model, evaluates it, and returns
// the objects that train --json and eval --json print.
func trainAndEvalJSON(t *testing.T, data, labels, model string, args ...string) (trained, evaluated map[string]any) {
	t.Helper()
	code, stdout, stderr := runCmd(append([]string{"train", "--data", data, "--labels", labels, "--json", "--out", model}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &trained), stdout)

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--threads", "1", "--json")
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &evaluated), stdout)
	return trained, evaluated
}
