package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// standardizeArgs are the training flags of the tests below: the tiny
// network of trainTinyModel on the 240 cluster rows.
func standardizeArgs(data, labels, out string) []string {
	return []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "16",
		"--batch", "24", "--epochs", "2", "--threads", "1", "--no-eval", "--standardize", "--out", out}
}

// readNPY returns the float32 values of an N x d embedding file.
func readNPY(t *testing.T, path string) []float64 {
	t.Helper()
	values, _, _, err := tensor.ReadMatrixFile(path)
	require.NoError(t, err)
	return values
}

// A model trained with --standardize on data X and on X*1000+5e4 gives the
// same embeddings of its own data: scale invariance from the command line
// to the embedding file.
func TestStandardizeScaleInvariant(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	scaled := make([]float64, len(values))
	for i, v := range values {
		scaled[i] = v*1000 + 5e4
	}
	scaledData := filepath.Join(dir, "scaled.npy")
	require.NoError(t, tensor.WriteMatrixFile(scaledData, scaled, rows, cols))

	embed := func(data, name string) []float64 {
		model := filepath.Join(dir, name+".safetensors")
		code, _, stderr := runCmd(standardizeArgs(data, labels, model)...)
		require.Equal(t, exitOK, code, stderr)
		out := filepath.Join(dir, "embeddings-"+name+".npy")
		code, _, stderr = runCmd("embed", model, "--data", data, "--out", out)
		require.Equal(t, exitOK, code, stderr)
		return readNPY(t, out)
	}
	want, got := embed(data, "raw"), embed(scaledData, "scaled")

	// The tolerance is float32 rounding carried through training. Near
	// 5e4 float32 values are 0.0039 apart, so the scaled file and its
	// float32 mean each round by up to 0.002, which is 2e-6 standard
	// deviations of 1000. Two epochs of training on inputs that differ
	// by that much gave embeddings 9e-6 apart here (the test logs the
	// value) and 1.5e-5 on other data. Without --standardize they differ
	// by order 1.
	const tolerance = 1e-4
	require.Len(t, got, len(want))
	worst := 0.0
	for i := range want {
		worst = max(worst, math.Abs(want[i]-got[i]))
	}
	t.Logf("largest difference between the embeddings of X and X*1000+5e4: %.3g", worst)
	assert.Less(t, worst, tolerance, "largest difference between the embeddings of X and X*1000+5e4")
}

// The embeddings of a standardized model are the same bytes in the
// process that trained it, after save, export and "nidim embed", and
// through "nidim serve". Score and eval agree between the checkpoint
// and its export.
func TestStandardizeRoundTripExportEmbed(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	const n, f = 240, 4
	x := tensor.New(n, f)
	for i := range x.Data {
		// Features from 1e-3 to 1e4 in size, one of them offset.
		k := i % f
		x.Data[i] = float32(rng.NormFloat64() * math.Pow(10, float64(2*k-3)))
		if k == 1 {
			x.Data[i] += 300
		}
	}
	values := make([]float64, len(x.Data))
	for i, v := range x.Data {
		values[i] = float64(v)
	}
	data := filepath.Join(dir, "data.npy")
	require.NoError(t, tensor.WriteMatrixFile(data, values, n, f))

	cfg := dim.MatchingConfig()
	cfg.Dim, cfg.Hidden, cfg.Epochs, cfg.Batch, cfg.Threads, cfg.Standardize = 2, 16, 2, 40, 1, true
	// The training split that "nidim eval" takes from the same file and
	// seed, so that the fingerprint check passes.
	train, _, _, err := loadData(dataFlags{data: data, testFraction: defaultTestFraction}, cfg.Seed)
	require.NoError(t, err)
	m, _, err := dim.Train(context.Background(), cfg, train, nil)
	require.NoError(t, err)
	z, err := m.Embed(x, 1000)
	require.NoError(t, err)
	zValues := make([]float64, len(z.Data))
	for i, v := range z.Data {
		zValues[i] = float64(v)
	}
	want := filepath.Join(dir, "want.npy")
	require.NoError(t, tensor.WriteMatrixFile(want, zValues, n, cfg.Dim))
	// The encoder alone, on raw rows, embeds differently, so equal files
	// below show that each path applies the map.
	raw, err := m.Encoder.Embed(x, 1000)
	require.NoError(t, err)
	require.NotEqual(t, z.Data, raw.Data)

	model := filepath.Join(dir, "m.safetensors")
	require.NoError(t, m.Save(model))
	exported, _ := exportModel(t, model)
	for _, path := range []string{model, exported} {
		got := filepath.Join(dir, "got.npy")
		code, _, stderr := runCmd("embed", path, "--data", data, "--out", got)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, readFile(t, want), readFile(t, got), "embeddings of %s", path)
	}

	scores := map[string][]byte{}
	for _, path := range []string{model, exported} {
		out := filepath.Join(dir, filepath.Base(path)+".csv")
		code, _, stderr := runCmd("score", path, "--data", data, "--out", out)
		require.Equal(t, exitOK, code, stderr)
		scores[path] = readFile(t, out)
	}
	assert.Equal(t, scores[model], scores[exported])

	var evals []string
	for _, path := range []string{model, exported} {
		code, stdout, stderr := runCmd("eval", path, "--data", data, "--json")
		require.Equal(t, exitOK, code, stderr)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &res))
		assert.Equal(t, true, res["standardized"], path)
		evals = append(evals, stdout)
	}
	assert.JSONEq(t, evals[0], evals[1])

	// serve applies the map too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	exit := make(chan int, 1)
	var stderr syncBuffer
	go func() {
		exit <- serveCommand(ctx, []string{"--addr", "127.0.0.1:0", exported}, io.Discard, &stderr, func(addr string) { addrs <- addr })
	}()
	var url string
	select {
	case addr := <-addrs:
		url = "http://" + addr
	case code := <-exit:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	const served = 5
	var body strings.Builder
	body.WriteString(`{"inputs": [`)
	for i := range served {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString("[")
		for k := range f {
			if k > 0 {
				body.WriteString(",")
			}
			body.WriteString(strconv.FormatFloat(float64(x.Data[i*f+k]), 'g', -1, 64))
		}
		body.WriteString("]")
	}
	body.WriteString("]}")
	resp, err := http.Post(url+"/v1/embed", "application/json", strings.NewReader(body.String()))
	require.NoError(t, err)
	var got struct{ Embeddings [][]float32 }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var flat []float32
	for _, row := range got.Embeddings {
		flat = append(flat, row...)
	}
	assert.Equal(t, z.Data[:served*cfg.Dim], flat)

	resp, err = http.Get(url + "/v1/model")
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	resp.Body.Close()
	assert.Equal(t, true, info["standardized"])
	cancel()
	select {
	case code := <-exit:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the cancel")
	}
}

// testdata/prestandardize.safetensors was written by the nidim build
// before --standardize existed (nidim train --data prestandardize.csv
// --hidden 16 --dim 2 --batch 32 --epochs 2 --no-eval), and
// prestandardize-embed.npy is what that build's "nidim embed" wrote for
// prestandardize.csv. The current build must load the checkpoint without
// a standardization and write the same bytes.
func TestOldCheckpointEmbedsAsBefore(t *testing.T) {
	model := filepath.Join("testdata", "prestandardize.safetensors")
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Nil(t, m.Standardization)
	assert.False(t, m.Config.Standardize)

	out := filepath.Join(t.TempDir(), "z.npy")
	code, _, stderr := runCmd("embed", model, "--data", filepath.Join("testdata", "prestandardize.csv"), "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, readFile(t, filepath.Join("testdata", "prestandardize-embed.npy")), readFile(t, out))
}

func TestStandardizeConstantFeatureNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	// Columns 2 and 5 (counting from 1) become constant.
	for i := range rows {
		values[i*cols+1] = 3
		values[i*cols+4] = 0
	}
	require.NoError(t, tensor.WriteMatrixFile(data, values, rows, cols))
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runCmd(append(standardizeArgs(data, labels, model), "--json")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: columns 2, 5 (counting from 1) are constant over the 216 training rows, so standardization centres them and does not scale them to standard deviation 1\n")
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	assert.Equal(t, true, res["standardized"])

	out := filepath.Join(dir, "z.npy")
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	for i, v := range readNPY(t, out) {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "embedding value %d is %v", i, v)
	}
}

func TestConstantFeaturesNoteListsFirstFive(t *testing.T) {
	assert.Equal(t, "", constantFeaturesNote(nil, 10, true))
	assert.Equal(t, "column 4 (counting from 1) is constant over the 10 training rows, so standardization centres it and does not scale it to standard deviation 1",
		constantFeaturesNote([]int{3}, 10, true))
	assert.Contains(t, constantFeaturesNote([]int{0, 1, 2, 3, 4, 5, 6}, 10, true), "columns 1, 2, 3, 4, 5 and 2 more (counting from 1) are constant")
}

func TestStandardizeImagesRejected(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	type standardizeCase struct {
		args []string
		want string
	}
	cases := []standardizeCase{
		{[]string{"train", "--standardize", "--data", data, "--image-shape", "2,3"},
			"nidim train: --standardize applies to feature vectors only, but --image-shape 2,3 makes each row of --data an image (shape [1 2 3]); drop --standardize, or pass a matrix --data without --image-shape.\n"},
		{[]string{"sweep", "--standardize", "--data", data, "--image-shape", "2,3", "--batch", "8", "--out", filepath.Join(dir, "sweep")},
			"nidim sweep: --standardize applies to feature vectors only, but --image-shape 2,3 makes each row of --data an image (shape [1 2 3]); drop --standardize, or pass a matrix --data without --image-shape.\n"},
	}
	if hasBuiltinMNIST(t) {
		cases = append(cases, standardizeCase{[]string{"train", "--standardize"},
			"nidim train: --standardize applies to feature vectors only, but without --data nidim reads the built-in MNIST images (shape [1 28 28]); drop --standardize, or pass a matrix --data without --image-shape.\n"})
	}
	for _, c := range cases {
		code, _, stderr := runCmd(append(c.args, "--out", filepath.Join(dir, "m.safetensors"))...)
		assert.Equal(t, exitUsage, code, c.args)
		assert.Equal(t, c.want, stderr, c.args)
	}
	_, err := os.Stat(filepath.Join(dir, "m.safetensors"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no checkpoint is written")
}

// --resume trains on with the statistics in the checkpoint: the run
// interrupted and resumed writes the bytes of the run in one go, and
// statistics changed in the checkpoint stay as they are instead of being
// fitted again.
func TestStandardizeResumeKeepsStatistics(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	whole, parts := filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "parts.safetensors")
	code, _, stderr := runCmd(standardizeArgs(data, labels, whole)...)
	require.Equal(t, exitOK, code, stderr)

	trainStepHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == 2 && p.Step == 4 {
			interrupt()
		}
	}
	t.Cleanup(func() { trainStepHook = nil })
	code, _, stderr = runCmd(standardizeArgs(data, labels, parts)...)
	require.Equal(t, exitFail, code, stderr)
	trainStepHook = nil
	resume := []string{"train", "--resume", parts, "--data", data, "--labels", labels, "--threads", "1", "--no-eval"}
	code, _, stderr = runCmd(resume...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "samples of shape [6], standardized, identical views;")
	assert.True(t, bytes.Equal(readFile(t, whole), readFile(t, parts)), "the resumed checkpoint differs from the uninterrupted one")

	// Statistics other than the data's own, written into the checkpoint
	// after the first epoch, are the ones the resumed run keeps.
	first := standardizeArgs(data, labels, parts)
	first[slices.Index(first, "--epochs")+1] = "1"
	code, _, stderr = runCmd(first...)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(parts)
	require.NoError(t, err)
	for k := range m.Standardization.Mean {
		m.Standardization.Mean[k] += 0.5
		m.Standardization.Scale[k] *= 3
	}
	stored := *m.Standardization
	stored.Mean = append([]float32(nil), stored.Mean...)
	stored.Scale = append([]float32(nil), stored.Scale...)
	require.NoError(t, m.Save(parts))
	code, _, stderr = runCmd(append(resume, "--epochs", "2")...)
	require.Equal(t, exitOK, code, stderr)
	resumed, err := dim.LoadModel(parts)
	require.NoError(t, err)
	assert.Equal(t, 2, resumed.Epoch)
	assert.Equal(t, &stored, resumed.Standardization)
}

// The statistics come from the training split alone: the held-out rows
// must not leak into the model.
func TestStandardizeFitsTrainingSplitOnly(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd(standardizeArgs(data, labels, model)...)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)

	train, test, _, err := loadData(dataFlags{data: data, labels: labels, testFraction: defaultTestFraction}, m.Config.Seed)
	require.NoError(t, err)
	want, _, err := dim.FitStandardization(train.X)
	require.NoError(t, err)
	assert.Equal(t, want, m.Standardization)

	all := tensor.New(train.X.Shape[0]+test.X.Shape[0], train.X.Shape[1])
	copy(all.Data, train.X.Data)
	copy(all.Data[len(train.X.Data):], test.X.Data)
	withTest, _, err := dim.FitStandardization(all)
	require.NoError(t, err)
	assert.NotEqual(t, withTest.Mean, m.Standardization.Mean)
}

// A feature on a scale 1000 times that of the others trained badly
// without standardization, and nidim printed no note. With
// --standardize=false train and sweep now name both columns and the fix,
// and they say nothing when the features are standardized, as by default,
// or of similar scales.
func TestFeatureScaleSpreadNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	for i := 0; i < rows; i++ {
		values[i*cols+2] *= 1000 // column 3, counting from 1
	}
	scaled := filepath.Join(dir, "scaled.npy")
	require.NoError(t, tensor.WriteMatrixFile(scaled, values, rows, cols))
	model := filepath.Join(dir, "m.safetensors")
	args := standardizeArgs(scaled, labels, model)
	plain := slices.Clone(args)
	plain[slices.Index(plain, "--standardize")] = "--standardize=false"

	code, _, stderr := runCmd(plain...)
	require.Equal(t, exitOK, code, stderr)
	pattern := `nidim train: note: column 3 \(counting from 1\) has a standard deviation of [0-9.]+ over the 216 training rows, more than 100 times the [0-9.]+ of column [1-6]\. ` +
		`The encoder takes the values as they are, so the columns of large spread dominate its input, which can train poorly; drop --standardize=false to scale every column to standard deviation 1\n`
	assert.Regexp(t, pattern, stderr)

	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "standard deviation of", "--standardize given")
	code, _, stderr = runCmd(slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--standardize" })...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "standard deviation of", "standardized by default")

	similar := standardizeArgs(data, labels, model)
	similar[slices.Index(similar, "--standardize")] = "--standardize=false"
	code, _, stderr = runCmd(similar...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "standard deviation of", "columns of similar scales")

	code, _, stderr = runCmd("sweep", "--data", scaled, "--labels", labels, "--out", filepath.Join(dir, "sweep"), "--standardize=false",
		"--sigmas", "0.5", "--dims", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--eval-samples", "20")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, strings.Replace(pattern, "nidim train", "nidim sweep", 1), stderr)
}

// The reference recipe, the default for the uniform prior, adds noise of
// standard deviation 0.1 to each feature in the units of the data. On
// features whose own spread is smaller, such as proportions or readings
// in large units, the views were mostly noise: the same 20,000 x 32 set
// scaled down 100 times failed 33 of 42 tests instead of 1, without a
// word. With --standardize=false train and sweep now name the flag, the
// columns and the fix, and they say nothing for standardized features, as
// by default, or with noise of at most 3 times every spread.
func TestFeatureNoiseAboveSpreadNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	small := slices.Clone(values)
	for i := range small {
		small[i] /= 100
	}
	smallPath := filepath.Join(dir, "small.npy")
	require.NoError(t, tensor.WriteMatrixFile(smallPath, small, rows, cols))
	onePath := filepath.Join(dir, "one.npy")
	one := slices.Clone(values)
	for i := 0; i < rows; i++ {
		one[i*cols+3] /= 100 // column 4, counting from 1
	}
	require.NoError(t, tensor.WriteMatrixFile(onePath, one, rows, cols))
	model := filepath.Join(dir, "m.safetensors")
	train := func(data string, extra ...string) string {
		t.Helper()
		args := []string{"train", "--data", data, "--labels", labels, "--prior", "uniform", "--dim", "2", "--hidden", "8",
			"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model}
		if !slices.Contains(extra, "--standardize") {
			args = append(args, "--standardize=false")
		}
		code, _, stderr := runCmd(append(args, extra...)...)
		require.Equal(t, exitOK, code, stderr)
		require.NoError(t, os.Remove(model))
		return stderr
	}

	all := `note: the reference recipe's --feature-noise 0\.1, a standard deviation in the units of the data, is more than 3 times the standard deviation of every one of the 6 columns that vary over the 216 training rows \(the smallest is [0-9.]+, of column [1-6], counting from 1\), so the views bury those columns in noise; ` +
		`drop --standardize=false, so that the noise is measured in standard deviations of each column, or pass a --feature-noise of at most [0-9.]+\n`
	assert.Regexp(t, "nidim train: "+all, train(smallPath))
	assert.NotContains(t, train(smallPath, "--standardize"), "feature-noise", "the noise is then in standard deviations")
	code, _, stderr := runCmd("train", "--data", smallPath, "--labels", labels, "--prior", "uniform", "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "feature-noise", "standardized by default")
	assert.NotContains(t, train(smallPath, "--feature-noise", "0.02"), "feature-noise", "within 3 times every spread")
	assert.NotContains(t, train(data), "feature-noise", "the data as it was")

	assert.Regexp(t, `nidim train: note: --feature-noise 0\.05, a standard deviation in the units of the data, is more than 3 times the standard deviation of column 4 \(counting from 1\), 0\.0[0-9]+ over the 216 training rows, so the views bury that column in noise; `+
		`drop --standardize=false, so that the noise is measured in standard deviations of each column, or pass a --feature-noise of at most 0\.0[0-9]+\n`, train(onePath, "--feature-noise", "0.05"))

	code, _, stderr = runCmd("sweep", "--data", smallPath, "--labels", labels, "--priors", "uniform", "--out", filepath.Join(dir, "sweep"), "--standardize=false",
		"--sigmas", "0.1", "--dims", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--eval-samples", "20")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, "nidim sweep: "+all, stderr)
}

// Feature vectors are standardized unless --standardize=false is given.
// Images keep their pixel values unless --standardize is given, which
// checkStandardizeData then rejects.
func TestStandardizeDefault(t *testing.T) {
	flagGiven := map[string]bool{"standardize": true}
	for _, c := range []struct {
		explicit map[string]bool
		flag     bool
		shape    []int
		want     bool
	}{
		{nil, false, []int{6}, true},
		{flagGiven, false, []int{6}, false},
		{flagGiven, true, []int{6}, true},
		{nil, false, []int{1, 28, 28}, false},
		{flagGiven, true, []int{1, 28, 28}, true},
	} {
		assert.Equal(t, c.want, standardizeDefault(c.explicit, c.flag, c.shape), "%v %v %v", c.explicit, c.flag, c.shape)
	}
}

// The help of serve described its standardized field as the state after
// "nidim train --standardize", as if the flag were needed, though train
// standardizes feature vectors by default. Every mention of the flag in
// a command's help is now --standardize=false, except the definition of
// the flag in train and sweep.
func TestHelpMentionsStandardizeAsDefault(t *testing.T) {
	for _, command := range []string{"train", "sweep", "embed", "score", "eval", "export", "serve", "plot", "test"} {
		code, stdout, stderr := runCmd("help", command)
		require.Equal(t, exitOK, code, stderr)
		for i, line := range strings.Split(stdout, "\n") {
			rest := line
			for {
				at := strings.Index(rest, "--standardize")
				if at < 0 {
					break
				}
				rest = rest[at+len("--standardize"):]
				if strings.HasPrefix(rest, "=false") {
					continue
				}
				definition := (command == "train" || command == "sweep") && strings.HasPrefix(strings.TrimSpace(line), "--standardize ")
				assert.True(t, definition, "nidim help %s, line %d: %q", command, i+1, line)
			}
		}
	}
}

// "--standardize false", the natural way to write the switch that turns
// the default off, set the flag to true and left "false" as an
// argument, which train and sweep rejected as unexpected with no word on
// the flag. The error now gives the form that works.
func TestStandardizeFalseWithSpaceRejected(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	for _, command := range []string{"train", "sweep"} {
		code, stdout, stderr := runCmd(command, "--data", data, "--labels", labels, "--standardize", "false", "--out", filepath.Join(dir, command))
		assert.Equal(t, exitUsage, code, command)
		assert.Empty(t, stdout, command)
		assert.Equal(t, "nidim "+command+": --standardize takes no separate value, so \"false\" after it is an argument; write --standardize=false.\n", stderr)
	}
	// Another boolean flag gets the same advice, and an argument that
	// is no boolean value stays an unexpected argument.
	code, _, stderr := runCmd("train", "--data", data, "-fixed-tau", "0", "--out", filepath.Join(dir, "m"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: -fixed-tau takes no separate value, so \"0\" after it is an argument; write -fixed-tau=0.\n", stderr)
	code, _, stderr = runCmd("train", "--data", data, "--standardize", "extra", "--out", filepath.Join(dir, "m"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: unexpected argument \"extra\"; pass only flags.\n", stderr)
	_, err := os.Stat(filepath.Join(dir, "m"))
	assert.True(t, os.IsNotExist(err), "no checkpoint is written")
}

// A column whose standard deviation comes mostly from a few far values,
// such as -999 for a missing value, is standardized to a narrow band
// for every other row, which the encoder barely distinguishes. Training
// printed no note on it; a note now names the column.
func TestSqueezedFeatureNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	clean := slices.Clone(values)
	// Column 3 (counting from 1) codes 4% of its values as missing.
	for i := 0; i < rows; i += 25 {
		values[i*cols+2] = -999
	}
	require.NoError(t, tensor.WriteMatrixFile(data, values, rows, cols))
	train := func(extra ...string) string {
		t.Helper()
		args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
			"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}
		code, _, stderr := runCmd(append(args, extra...)...)
		require.Equal(t, exitOK, code, stderr)
		return stderr
	}

	stderr := train()
	assert.Contains(t, stderr, "nidim train: note: column 3 (counting from 1) owes most of its standard deviation to a few values far from the rest: 90% of the values of column 3 lie within a span of ")
	assert.Contains(t, stderr, "replace values such as -999 that code a missing value")
	// The note gives the column's standard deviation over the training
	// rows, which contain the -999 values too.
	m, err := dim.LoadModel(filepath.Join(dir, "m.safetensors"))
	require.NoError(t, err)
	assert.Contains(t, stderr, fmt.Sprintf(" of its standard deviation of %.4g, and its farthest value lies ", m.Standardization.Scale[2]))
	assert.Greater(t, float64(m.Standardization.Scale[2]), 100.0)

	// Without standardization the column keeps its values, so the
	// note does not apply, and the clean data gets no note.
	assert.NotContains(t, train("--standardize=false"), "owes most of its standard deviation")
	require.NoError(t, tensor.WriteMatrixFile(data, clean, rows, cols))
	assert.NotContains(t, train(), "owes most of its standard deviation")

	// A column of 0 and 1 with few ones has all of its central values
	// at 0, which is no squeezing: its ones are its information.
	for i := range rows {
		clean[i*cols+2] = 0
		if i%40 == 0 {
			clean[i*cols+2] = 1
		}
	}
	require.NoError(t, tensor.WriteMatrixFile(data, clean, rows, cols))
	assert.NotContains(t, train(), "owes most of its standard deviation")
}

// A column of Unix times near 1.7e9 that spans about an hour varies by
// few float32 steps of 128 seconds, so standardization took it for
// constant and fed the encoder values within a few millionths of 0. The
// only note stated that the column lost "most of its detail". Another
// note now states that the encoder receives none of its variation.
func TestRoundedColumnTakenForConstantNoted(t *testing.T) {
	dir := t.TempDir()
	write := func(span float64) string {
		t.Helper()
		rng := rand.New(rand.NewPCG(11, 12))
		var b strings.Builder
		for i := range 200 {
			fmt.Fprintf(&b, "%.17g,%.17g,%.17g\n", rng.NormFloat64(), rng.NormFloat64()+float64(i%2), 1.7e9+span*rng.Float64())
		}
		path := filepath.Join(dir, fmt.Sprintf("times%g.csv", span))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return path
	}
	train := func(data string, extra ...string) string {
		t.Helper()
		args := []string{"train", "--data", data, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1",
			"--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}
		code, _, stderr := runCmd(append(args, extra...)...)
		require.Equal(t, exitOK, code, stderr)
		return stderr
	}
	const note = "nidim train: note: column 3 (counting from 1) varies by so few float32 steps around its mean that standardization takes it for constant: it centres the column without scaling it to standard deviation 1, so the encoder receives none of its variation. Subtract an offset such as 1.7e+09 from such a column, in this file and in every input of embed, score and serve\n"

	hour := write(3600)
	stderr := train(hour)
	assert.Contains(t, stderr, "column 3 (counting from 1) of --data "+hour+" has a standard deviation of ")
	assert.Contains(t, stderr, note)
	m, err := dim.LoadModel(filepath.Join(dir, "m.safetensors"))
	require.NoError(t, err)
	assert.Greater(t, float64(m.Standardization.Scale[2]), 1e8, "the column's scale, far above its spread")

	// Times over 1.5 hours keep more than 10 float32 steps per standard
	// deviation, so float32 gets no note, but standardization takes them
	// for constant all the same. The note on constant columns called
	// the column constant.
	longer := write(5400)
	stderr = train(longer)
	assert.NotContains(t, stderr, "of --data "+longer+" has a standard deviation of ")
	assert.NotContains(t, stderr, "is constant")
	assert.Contains(t, stderr, note)

	// Without standardization the column reaches the encoder, rounded,
	// and a month of times has enough float32 steps.
	assert.NotContains(t, train(hour, "--standardize=false"), "takes it for constant")
	month := write(30 * 86400)
	stderr = train(month)
	assert.NotContains(t, stderr, "float32")
	assert.NotContains(t, stderr, "constant")
}
