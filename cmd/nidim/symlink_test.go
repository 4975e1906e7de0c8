package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireSymlink requires that path is still a symbolic link to target.
func requireSymlink(t *testing.T, path, target string) {
	t.Helper()
	got, err := os.Readlink(path)
	require.NoError(t, err, "%s is no longer a symbolic link", path)
	require.Equal(t, target, got)
}

// An --out that was a symbolic link, such as latest.npy kept pointing to
// the newest output, used to be replaced by a regular file, and the file
// it pointed to kept the old contents. Now the linked file gets the
// output and the link stays.
func TestOutSymlinkKeepsLink(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	direct := filepath.Join(dir, "direct.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--out", direct)
	require.Equal(t, exitOK, code, stderr)

	old := filepath.Join(dir, "embeddings-1.npy")
	latest := filepath.Join(dir, "latest.npy")
	require.NoError(t, os.WriteFile(old, []byte("old"), 0o644))
	symlink(t, "embeddings-1.npy", latest)
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", latest)
	require.Equal(t, exitOK, code, stderr)
	requireSymlink(t, latest, "embeddings-1.npy")
	assert.Equal(t, readFile(t, direct), readFile(t, old))

	// train saves through a dangling link, which then points to the model.
	link := filepath.Join(dir, "latest.safetensors")
	symlink(t, "model-2.safetensors", link)
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", link)
	require.Equal(t, exitOK, code, stderr)
	requireSymlink(t, link, "model-2.safetensors")
	m, err := dim.LoadModel(filepath.Join(dir, "model-2.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 1, m.Epoch)
}

// The check that --out names no input follows a symbolic --out, and a hard
// link to an input is rejected too.
func TestOutLinkToInputRejected(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	dataLink, labelsLink, modelLink := filepath.Join(dir, "data.npy"), filepath.Join(dir, "labels.csv"), filepath.Join(dir, "model.safetensors")
	symlink(t, data, dataLink)
	symlink(t, labels, labelsLink)
	symlink(t, model, modelLink)
	hardLink := filepath.Join(dir, "hard.npy")
	require.NoError(t, os.Link(data, hardLink))
	before := readFile(t, data)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"embed", model, "--data", data, "--out", dataLink},
			"nidim embed: --out " + dataLink + " (a symbolic link to " + data + ") is the --data file too, and writing the output would replace it; choose another --out.\n"},
		{[]string{"embed", model, "--data", data, "--out", modelLink},
			"nidim embed: --out " + modelLink + " (a symbolic link to " + model + ") is the --model file too, and writing the output would replace it; choose another --out.\n"},
		{[]string{"train", "--data", data, "--labels", labels, "--out", labelsLink},
			"nidim train: --out " + labelsLink + " (a symbolic link to " + labels + ") is the --labels file too, and writing the output would replace it; choose another --out.\n"},
		{[]string{"score", model, "--data", data, "--out", hardLink},
			"nidim score: --out " + hardLink + " is the --data file too, and writing the output would replace it; choose another --out.\n"},
	} {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
	assert.Equal(t, before, readFile(t, data))
	requireSymlink(t, dataLink, data)
}

// A loop of links, or a dangling link into a missing directory, is
// rejected before any work, with the link named.
func TestOutSymlinkErrorsBeforeWork(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	loop := filepath.Join(dir, "a.npy")
	symlink(t, "b.npy", loop)
	symlink(t, "a.npy", filepath.Join(dir, "b.npy"))
	dangling := filepath.Join(dir, "dangling.safetensors")
	symlink(t, filepath.Join(dir, "missing", "m.safetensors"), dangling)
	loopError := "--out " + loop + ": resolve symbolic link " + loop + ": more than 255 links in a row, so the links probably form a loop; point " + loop + " at a file, or remove it.\n"

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"embed", model, "--data", data, "--out", loop}, "nidim embed: " + loopError},
		{[]string{"export", model, "--out", loop}, "nidim export: " + loopError},
		{[]string{"train", "--data", data, "--labels", labels, "--out", loop}, "nidim train: " + loopError},
		{[]string{"train", "--data", data, "--labels", labels, "--out", dangling},
			"nidim train: --out " + dangling + ": symbolic link " + dangling + " points to " + filepath.Join(dir, "missing", "m.safetensors") +
				", but the directory " + filepath.Join(dir, "missing") + " does not exist; create it, or point the link at a file in an existing directory.\n"},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
	requireSymlink(t, loop, "b.npy")
	assert.NoDirExists(t, filepath.Join(dir, "missing"))
}

// nidim plot compared --out with its input by name only, so an --out that
// was a symbolic link to the input got the SVG written through it, which
// replaced the embeddings. It now rejects such an --out as the other
// commands do.
func TestPlotOutLinkToInputRejected(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.csv", 20, 2)
	link := filepath.Join(dir, "figure.svg")
	symlink(t, "emb.csv", link)
	before := readFile(t, emb)

	status, stdout, stderr := runPlotCmd("hist", emb, "--out", link)
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim plot hist: --out "+link+" (a symbolic link to "+emb+") is the input file too, and writing the output would replace it; choose another --out.\n", stderr)
	assert.Equal(t, string(before), string(readFile(t, emb)), "the input changed")
	requireSymlink(t, link, "emb.csv")
}

// The --labels file of plot scatter is an input too: an --out that was a
// symbolic link to it got the SVG written through it.
func TestPlotOutLinkToLabelsRejected(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.csv", 20, 2)
	labels := filepath.Join(dir, "labels.txt")
	require.NoError(t, os.WriteFile(labels, []byte(strings.Repeat("0\n1\n", 10)), 0o644))
	link := filepath.Join(dir, "figure.svg")
	symlink(t, "labels.txt", link)
	before := readFile(t, labels)

	status, stdout, stderr := runPlotCmd("scatter", emb, "--labels", labels, "--out", link)
	assert.Equal(t, exitUsage, status)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim plot scatter: --out "+link+" (a symbolic link to "+labels+") is the --labels file too, and writing the output would replace it; choose another --out.\n", stderr)
	assert.Equal(t, string(before), string(readFile(t, labels)), "the labels changed")
	requireSymlink(t, link, "labels.txt")
}

// symlink makes link point to target, and skips the test where the system
// or the user's rights allow no symbolic links, as on Windows by default.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create a symbolic link here: %v", err)
	}
}

// The format follows the --out name, and the write goes through the link,
// so a link latest.npy to run.csv got NPY bytes in run.csv.
func TestOutLinkWithOtherFormatRejected(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "run.csv")
	require.NoError(t, os.WriteFile(target, []byte("1,2\n"), 0o644))
	link := filepath.Join(dir, "latest.npy")
	symlink(t, "run.csv", link)
	for _, command := range []string{"embed", "score"} {
		code, _, stderr := runCmd(command, model, "--data", data, "--out", link)
		assert.Equal(t, exitUsage, code, command)
		assert.Equal(t, "nidim "+command+": --out "+link+" is a symbolic link to "+target+", whose name calls for another format than the link's; pass the target's path, or a link whose name ends like the target's.\n", stderr, command)
	}
	assert.Equal(t, "1,2\n", string(readFile(t, target)), "the target is kept")
}
