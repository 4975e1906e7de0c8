package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every help text fits an 80-column terminal.
func TestHelpLinesFit80Columns(t *testing.T) {
	topics := []string{""}
	for name := range commands {
		topics = append(topics, name)
	}
	for _, topic := range topics {
		args := []string{"help"}
		if topic != "" {
			args = append(args, topic)
		}
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, "nidim help %s: %s", topic, stderr)
		require.NotEmpty(t, stdout, "nidim help %s", topic)
		for i, line := range strings.Split(stdout, "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), helpWidth, "nidim help %s, line %d: %q", topic, i+1, line)
		}
	}
}

func TestWrapWords(t *testing.T) {
	assert.Equal(t, []string{"a bb", "ccc"}, wrapWords("a bb ccc", 4))
	assert.Equal(t, []string{"a", "toolongword", "b"}, wrapWords("a toolongword b", 4))
	// Width counts characters, not bytes: "A²" is 2 of them.
	assert.Equal(t, []string{"A² A²", "x"}, wrapWords("A² A² x", 5))
	assert.Equal(t, []string{""}, wrapWords("", 10))
}

// The help of --noise-views, --tau and sweep's --sigma named only sigma,
// although the uniform prior's temperature follows eps. The values they
// state are the temperatures that training starts from.
func TestHelpNamesEpsForUniform(t *testing.T) {
	_, stdout, _ := runCmd("help", "train")
	train := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, train, "(plain InfoNCE; sigma, or eps for uniform, then only sets the initial temperature)")
	assert.Contains(t, train, "(2 sigma^2 with both views noisy, sigma^2 with one; for uniform 2 eps^2/3 and eps^2/3)")
	_, stdout, _ = runCmd("help", "sweep")
	assert.Contains(t, strings.Join(strings.Fields(stdout), " "), "the euclidean critic starts from tau = 2 S^2, or 2 S^2/3 for uniform")

	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	common := []string{"--data", data, "--prior", "uniform", "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1",
		"--threads", "1", "--fixed-tau", "--no-eval", "--json", "--out", filepath.Join(dir, "m.safetensors")}
	for _, c := range []struct {
		views string
		want  float64
	}{{"none", 2 * 0.09 / 3}, {"both", 2 * 0.09 / 3}, {"one", 0.09 / 3}} {
		code, stdout, stderr := runCmd(append([]string{"train", "--eps", "0.3", "--noise-views", c.views}, common...)...)
		require.Equal(t, exitOK, code, stderr)
		var res struct{ Tau float64 }
		require.NoError(t, json.Unmarshal([]byte(stdout), &res))
		assert.InDelta(t, c.want, res.Tau, 1e-6, "--noise-views %s", c.views)
	}

	out := filepath.Join(dir, "sweep")
	code, _, stderr := runCmd("sweep", "--data", data, "--priors", "uniform", "--dims", "2", "--sigmas", "0", "--sigma", "0.3",
		"--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--fixed-tau", "--eval-samples", "24", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	f, err := os.Open(filepath.Join(out, "sweep.csv"))
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 2, "header and one run")
	column := slices.Index(records[0], "tau")
	require.GreaterOrEqual(t, column, 0, "tau column in %v", records[0])
	tau, err := strconv.ParseFloat(records[1][column], 64)
	require.NoError(t, err)
	assert.InDelta(t, 2*0.09/3, tau, 1e-6, "the uniform run without noise")
}

// The serve help named only 503 for a full queue, but a request with more
// rows than --max-queue, or a body over --max-body, gets 413 at once
// (internal/serve tests both).
func TestServeHelpNames413Limits(t *testing.T) {
	code, stdout, stderr := runCmd("help", "serve")
	require.Equal(t, exitOK, code, stderr)
	help := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, help, "--max-queue N input rows waiting for the model before requests get 503, at least --max-batch; a request with more rows than this gets 413 (default 1024)")
	assert.Contains(t, help, "--max-body BYTES request body size limit; a larger body gets 413 (default 16777216)")
}

// The serve help names the image bodies that the endpoints read, how
// they are read, and the limit on their size.
func TestServeHelpNamesImageBodies(t *testing.T) {
	code, stdout, stderr := runCmd("help", "serve")
	require.Equal(t, exitOK, code, stderr)
	help := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, help, "Content-Type: application/json, application/x-npy, image/png, image/jpeg or image/gif")
	assert.Contains(t, help, "For a model trained on images, the body may also be one PNG, JPEG or GIF file")
	assert.Contains(t, help, "curl -H 'Content-Type: image/jpeg' --data-binary @photo.jpg URL")
	assert.Contains(t, help, "a model trained on feature vectors returns 415")
	assert.Contains(t, help, "--max-image-pixels N limit on the width times height of an image body, checked in its header before decoding")
	assert.Contains(t, help, "a larger image gets 413. Decoding takes about 1.5 bytes per pixel for a JPEG, 4 for an 8-bit RGBA PNG and at most 24")
	assert.Contains(t, help, "(default 16777216, such as 4096 x 4096)")
}

// The help of each command that labels another folder of images states
// how its classes are numbered, and eval's --ood names the directories
// of images that it reads.
func TestHelpNamesImageFolderInputs(t *testing.T) {
	fields := func(command string) string {
		code, stdout, stderr := runCmd("help", command)
		require.Equal(t, exitOK, code, stderr)
		return strings.Join(strings.Fields(stdout), " ")
	}
	assert.Contains(t, fields("eval"), "or a directory of images (read whole in the model's channels and size, as nidim embed reads it)")
	assert.Contains(t, fields("embed"), "A model trained on other data stores no class names, so the subdirectories are then numbered 0, 1, 2, ... as nidim train numbers them")
	assert.Contains(t, fields("score"), "A model trained on other data stores no class names, so the subdirectories are then numbered as nidim train numbers them")
}

// A misspelled command gets the command it most likely means, and a name
// that is close to none of them gets only the pointer to the list.
func TestUnknownCommandSuggestsClosest(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"tran"}, "nidim: unknown command \"tran\" (did you mean \"train\"?); run \"nidim help\" for the list.\n"},
		{[]string{"evl", "m.safetensors"}, "nidim: unknown command \"evl\" (did you mean \"eval\"?); run \"nidim help\" for the list.\n"},
		{[]string{"help", "plt"}, "nidim: unknown command \"plt\" (did you mean \"plot\"?); run \"nidim help\" for the list.\n"},
		{[]string{"bogus"}, "nidim: unknown command \"bogus\"; run \"nidim help\" for the list.\n"},
		{[]string{"halp"}, "nidim: unknown command \"halp\" (did you mean \"help\"?); run \"nidim help\" for the list.\n"},
		{[]string{"x"}, "nidim: unknown command \"x\"; run \"nidim help\" for the list.\n"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

func TestClosestName(t *testing.T) {
	names := []string{"out", "threads", "test-fraction", "x", "y", "json"}
	assert.Equal(t, "out", closestName("ouput", names))
	assert.Equal(t, "threads", closestName("thread", names))
	assert.Equal(t, "json", closestName("js", names))
	assert.Equal(t, "test-fraction", closestName("test", names))
	assert.Equal(t, "", closestName("z", names), "x and y are equally close")
	assert.Equal(t, "", closestName("bogus", names))
	assert.Equal(t, 0, editDistance("train", "train"))
	assert.Equal(t, 2, editDistance("trian", "train"))
	assert.Equal(t, 3, editDistance("", "out"))
}

// A misspelled flag gets the flag of that command it most likely means,
// in every command, and a flag close to none gets the old message.
func TestUnknownFlagSuggestsClosest(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--ouput", "m.safetensors"}, "nidim train: unknown flag --ouput (did you mean --out?); run \"nidim help train\" for the flags.\n"},
		{[]string{"eval", "m.safetensors", "-thread", "1"}, "nidim eval: unknown flag -thread (did you mean --threads?); run \"nidim help eval\" for the flags.\n"},
		{[]string{"test", "--alhpa", "0.1", "e.npy"}, "nidim test: unknown flag --alhpa (did you mean --alpha?); run \"nidim help test\" for the flags.\n"},
		{[]string{"plot", "qq", "--colums", "2", "e.npy"}, "nidim plot qq: unknown flag --colums (did you mean --columns?); run \"nidim help plot\" for the flags.\n"},
		{[]string{"bench", "gemm", "--size", "64"}, "nidim bench gemm: unknown flag --size (did you mean --sizes?); run \"nidim help bench\" for the flags.\n"},
		{[]string{"serve", "m.safetensors", "--max-batc", "8"}, "nidim serve: unknown flag --max-batc (did you mean --max-batch?); run \"nidim help serve\" for the flags.\n"},
		{[]string{"train", "--bogus"}, "nidim train: unknown flag --bogus; run \"nidim help train\" for the flags.\n"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

// --threads means the same in every command that takes a model or an
// embedding file, so its help uses the same words: nidim test printed
// "0 for all CPUs (default: all CPUs)" where the others print "0 for all
// cores (default 0)".
func TestHelpThreadsWordedAlike(t *testing.T) {
	for _, name := range []string{"train", "embed", "score", "eval", "test", "sweep", "serve"} {
		code, stdout, stderr := runCmd("help", name)
		require.Equal(t, exitOK, code, stderr)
		help := strings.Join(strings.Fields(stdout), " ")
		_, entry, found := strings.Cut(help, "--threads N ")
		require.True(t, found, "nidim help %s has no --threads entry", name)
		entry, _, _ = strings.Cut(entry, " --")
		assert.Contains(t, entry, "0 for all cores", "nidim help %s", name)
		assert.Contains(t, entry, "(default 0", "nidim help %s", name)
	}
}

// train --json leaves out recipe after --resume and mi_batch and
// eval_seconds with --no-eval, but its help listed them without those
// conditions. Every key that such a run leaves out is now named in the
// help with its condition.
func TestTrainJSONHelpNamesOmittedKeys(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	common := []string{"--data", data, "--labels", labels, "--threads", "1", "--json"}
	code, full, stderr := runCmd(append([]string{"train", "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--out", model}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	code, resumed, stderr := runCmd(append([]string{"train", "--resume", model, "--epochs", "2", "--no-eval"}, common...)...)
	require.Equal(t, exitOK, code, stderr)

	var fullKeys, resumedKeys map[string]any
	require.NoError(t, json.Unmarshal([]byte(full), &fullKeys), full)
	require.NoError(t, json.Unmarshal([]byte(resumed), &resumedKeys), resumed)
	var omitted []string
	for key := range fullKeys {
		if _, found := resumedKeys[key]; !found {
			omitted = append(omitted, key)
		}
	}
	slices.Sort(omitted)
	assert.Equal(t, []string{"eval_seconds", "mi_batch", "recipe"}, omitted)

	code, stdout, stderr := runCmd("help", "train")
	require.Equal(t, exitOK, code, stderr)
	help := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, help, "recipe not after --resume")
	assert.Contains(t, help, "mi_batch (rows per batch of the estimate; not with --no-eval)")
	assert.Contains(t, help, "eval_seconds (not with --no-eval)")
}

// "nidim help help" printed the usage, but "nidim help -h" and
// "nidim help --help" failed with unknown command "-h".
func TestHelpOfHelpFlag(t *testing.T) {
	_, want, _ := runCmd("help")
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		code, stdout, stderr := runCmd("help", arg)
		assert.Equal(t, exitOK, code, "nidim help %s: %s", arg, stderr)
		assert.Equal(t, want, stdout, "nidim help %s", arg)
		assert.Empty(t, stderr, "nidim help %s", arg)
	}
}
