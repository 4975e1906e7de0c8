package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportModel runs "nidim export model --out OUT" into a new directory
// and returns OUT and the command's stderr.
func exportModel(t *testing.T, model string, extra ...string) (out, stderr string) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "exported.safetensors")
	code, stdout, stderr := runCmd(append([]string{"export", model, "--out", out}, extra...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	return out, stderr
}

// readFile returns the contents of path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestExportEmbedScoreEvalMatch(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	exported, stderr := exportModel(t, model)

	// The sizes on stderr are those of the files.
	source, err := os.Stat(model)
	require.NoError(t, err)
	small, err := os.Stat(exported)
	require.NoError(t, err)
	assert.Less(t, small.Size(), source.Size())
	assert.Equal(t, fmt.Sprintf("wrote %s without the optimizer state: %s, down from %s in %s\n",
		exported, sizeText(small.Size()), sizeText(source.Size()), model), stderr)
	// The tiny model's files are a few kilobytes.
	assert.Contains(t, stderr, fmt.Sprintf("%.1f KB (%d bytes)", float64(small.Size())/1e3, small.Size()))
	assert.NotContains(t, stderr, " MB")

	dir := t.TempDir()
	for _, c := range []struct{ command, file string }{{"embed", "z.npy"}, {"score", "s.csv"}} {
		want, got := filepath.Join(dir, "want-"+c.file), filepath.Join(dir, "got-"+c.file)
		code, _, stderr := runCmd(c.command, model, "--data", data, "--out", want)
		require.Equal(t, exitOK, code, stderr)
		code, _, stderr = runCmd(c.command, exported, "--data", data, "--out", got)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "note:", c.command)
		assert.Equal(t, readFile(t, want), readFile(t, got), "%s output of the exported file differs", c.command)
	}

	code, want, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	code, got, stderr := runCmd("eval", exported, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.JSONEq(t, want, got)
}

func TestExportedFileChecksData(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	exported, _ := exportModel(t, model)
	shifted := filepath.Join(t.TempDir(), "shifted.npy")
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	values[0]++
	require.NoError(t, tensor.WriteMatrixFile(shifted, values, rows, cols))

	code, _, stderr := runCmd("eval", exported, "--data", shifted, "--labels", labels)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, exported+": the model was trained on other data (216 x [6] sha256:")
}

func TestExportedFileResumeRejected(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	exported, _ := exportModel(t, model)
	before := readFile(t, exported)

	for _, args := range [][]string{
		{"train", "--resume", exported, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval"},
		{"train", "--resume", exported, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")},
	} {
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Equal(t, "nidim train: "+exported+" was written by nidim export, without the optimizer state that resuming needs; resume the original checkpoint that it was exported from instead.\n", stderr, "%v", args)
	}
	assert.Equal(t, before, readFile(t, exported), "the rejected resume changed the exported file")

	// The original still resumes.
	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval")
	require.Equal(t, exitOK, code, stderr)
}

func TestExportUnfinishedRunNeedsForce(t *testing.T) {
	data, _, model := trainTinyModel(t)
	makeUnfinished(t, model, 3, 2)
	out := filepath.Join(t.TempDir(), "exported.safetensors")

	code, _, stderr := runCmd("export", model, "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim export: "+model+" is from an unfinished run (1 epoch and 2 steps of 3 epochs), and the exported file could not resume it; finish the run with nidim train --resume "+model+" and the data flags it was trained on, or pass --force to export it as it is.\n", stderr)
	assert.NoFileExists(t, out)

	code, _, stderr = runCmd("export", model, "--out", out, "--force")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim export: note: "+model+" is from an unfinished run (1 epoch and 2 steps of 3 epochs); keep it to finish the run with nidim train --resume "+model+"\n")
	back, err := dim.LoadModel(out)
	require.NoError(t, err)
	assert.Equal(t, 1, back.Epoch)
	assert.Equal(t, 2, back.Step)

	// The note of embed points to the original, since training rejects
	// the exported file.
	code, _, stderr = runCmd("embed", out, "--data", data, "--out", filepath.Join(t.TempDir(), "z.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim embed: note: "+out+" is from an unfinished run (1 epoch and 2 steps of 3 epochs); nidim train --resume on the checkpoint it was exported from, with the data flags it was trained on, finishes it\n")
}

// A checkpoint from before nidim saved the optimizer state exports with a
// note, since it has nothing to remove.
func TestExportCheckpointWithoutOptimizerState(t *testing.T) {
	_, _, model := trainTinyModel(t)
	dropOptimizerState(t, model)

	exported, stderr := exportModel(t, model)
	assert.Contains(t, stderr, "nidim export: note: "+model+" contains no optimizer state, so the exported file is about the same size\n")
	back, err := nn.LoadCheckpoint(exported)
	require.NoError(t, err)
	assert.NotEmpty(t, back.Metadata["nidim.sha256"], "the exported file has no checksum")
	_, err = dim.LoadModel(exported)
	require.NoError(t, err)
}

// Exporting an exported file used to report "2.0 KB, down from 2.0 KB".
// Equal sizes are now reported as such, and so is a larger file, which a
// checkpoint without optimizer state and checksum gives.
func TestExportSizeReportSameOrLarger(t *testing.T) {
	_, _, model := trainTinyModel(t)
	exported, _ := exportModel(t, model)
	again, stderr := exportModel(t, exported)
	size := int64(len(readFile(t, exported)))
	assert.Equal(t, size, int64(len(readFile(t, again))))
	assert.Equal(t, "nidim export: note: "+exported+" contains no optimizer state, so the exported file is about the same size\n"+
		fmt.Sprintf("wrote %s without the optimizer state: %s, the same size as %s\n", again, sizeText(size), exported), stderr)

	dropOptimizerState(t, model)
	before := int64(len(readFile(t, model)))
	larger, stderr := exportModel(t, model)
	after := int64(len(readFile(t, larger)))
	require.Greater(t, after, before, "the exported file should be larger, since it gains a checksum")
	assert.Contains(t, stderr, fmt.Sprintf("wrote %s without the optimizer state: %s, up from %s in %s\n", larger, sizeText(after), sizeText(before), model))
}

func TestExportedFileDamageRejected(t *testing.T) {
	data, _, model := trainTinyModel(t)
	exported, _ := exportModel(t, model)
	raw := readFile(t, exported)
	dir := t.TempDir()

	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-5] ^= 0x40
	truncated := raw[:len(raw)-8]
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"flipped", flipped, "the tensors or settings do not match the SHA-256 that nidim stored"},
		{"truncated", truncated, "the file is truncated"},
	} {
		path := filepath.Join(dir, c.name+".safetensors")
		require.NoError(t, os.WriteFile(path, c.content, 0o644))
		code, _, stderr := runCmd("embed", path, "--data", data, "--out", filepath.Join(dir, "z.npy"))
		assert.Equal(t, exitUsage, code, c.name)
		assert.Contains(t, stderr, c.want, c.name)
		code, _, stderr = runCmd("export", path, "--out", filepath.Join(dir, "again.safetensors"))
		assert.Equal(t, exitUsage, code, c.name)
		assert.Contains(t, stderr, c.want, c.name)
	}
	assert.NoFileExists(t, filepath.Join(dir, "z.npy"))
	assert.NoFileExists(t, filepath.Join(dir, "again.safetensors"))
}

func TestExportUsageErrors(t *testing.T) {
	_, _, model := trainTinyModel(t)
	before := readFile(t, model)
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a model, only notes\n"), 0o644))
	out := filepath.Join(dir, "e.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export"}, "nidim export: missing CHECKPOINT; pass the model file written by nidim train, as in nidim export model.safetensors --out model-export.safetensors.\n"},
		{[]string{"export", "--out", out}, "nidim export: missing CHECKPOINT; pass the model file written by nidim train, as in nidim export model.safetensors --out model-export.safetensors.\n"},
		{[]string{"export", model}, "nidim export: missing --out; pass the file to write, such as model-export.safetensors.\n"},
		{[]string{"export", model, "--out"}, "nidim export: --out needs a value; run \"nidim help export\" for the flags.\n"},
		{[]string{"export", model, "--model", model}, "nidim export: the model is given twice, as --model " + model + " and as the argument " + model + "; pass it once.\n"},
		{[]string{"export", "--model", model}, "nidim export: missing --out; pass the file to write, such as model-export.safetensors.\n"},
		{[]string{"export", model, out, "--out", out}, "nidim export: unexpected argument \"" + out + "\" after \"" + model + "\"; run \"nidim help export\" for the usage.\n"},
		{[]string{"export", model, "--out", model}, "nidim export: --out " + model + " is the checkpoint file too, and writing the output would replace it; choose another --out.\n"},
		{[]string{"export", model, "--out", filepath.Join(filepath.Dir(model), ".", filepath.Base(model))},
			"nidim export: --out " + filepath.Join(filepath.Dir(model), ".", filepath.Base(model)) + " is the checkpoint file too, and writing the output would replace it; choose another --out.\n"},
		{[]string{"export", model, "--out", dir}, "nidim export: --out " + dir + " is a directory; pass a file path inside it.\n"},
		{[]string{"export", model, "--out", filepath.Join(dir, "missing", "e.safetensors")},
			"nidim export: the directory " + filepath.Join(dir, "missing") + " of --out " + filepath.Join(dir, "missing", "e.safetensors") + " does not exist; create it or choose another path.\n"},
		{[]string{"export", model, "--out", filepath.Join(notDir, "e.safetensors")},
			"nidim export: --out " + filepath.Join(notDir, "e.safetensors") + " is inside " + notDir + ", which is not a directory; choose another path.\n"},
		{[]string{"export", text, "--out", out}, "nidim export: " + text + " is not a safetensors checkpoint (it looks like a text file); pass a checkpoint in the safetensors format, such as the model file nidim train writes.\n"},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
	assert.NoFileExists(t, out)
	assert.Equal(t, before, readFile(t, model), "a rejected export changed the checkpoint")
}

// "nidim export model --out emb.npy" replaced an existing embedding file
// with the exported checkpoint without a word. Only a checkpoint or an
// empty file may be replaced, as with nidim train.
func TestExportKeepsNonCheckpointOut(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	emb := filepath.Join(dir, "emb.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--out", emb)
	require.Equal(t, exitOK, code, stderr)
	notes := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("not a checkpoint\n"), 0o644))

	for _, out := range []string{emb, notes, data} {
		before := readFile(t, out)
		code, stdout, stderr := runCmd("export", model, "--out", out)
		assert.Equal(t, exitUsage, code, out)
		assert.Empty(t, stdout, out)
		assert.Equal(t, "nidim export: --out "+out+" exists and is not a checkpoint that nidim can read, and the export would replace it; choose another --out, or delete the file if you no longer need it.\n", stderr, out)
		assert.Equal(t, before, readFile(t, out), "%s changed", out)
	}

	// An earlier export and an empty file are still replaced.
	earlier, _ := exportModel(t, model)
	empty := filepath.Join(dir, "empty.safetensors")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	for _, out := range []string{earlier, empty} {
		code, _, stderr := runCmd("export", model, "--out", out)
		assert.Equal(t, exitOK, code, "%s: %s", out, stderr)
		m, err := dim.LoadModel(out)
		require.NoError(t, err, out)
		assert.True(t, m.Exported, out)
	}
}

// "nidim export other --out run.safetensors" replaced the checkpoint of an
// interrupted run, the only file that nidim train --resume can continue,
// with the exported copy of another model. nidim train keeps such a file,
// and export now keeps it too.
func TestExportKeepsUnfinishedRunOut(t *testing.T) {
	_, _, model := trainTinyModel(t)
	_, _, unfinished := trainTinyModel(t)
	makeUnfinished(t, unfinished, 3, 2)
	before := readFile(t, unfinished)

	code, stdout, stderr := runCmd("export", model, "--out", unfinished)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim export: --out "+unfinished+" contains an unfinished run (1 epoch and 2 steps of 3 epochs), which the export would replace, so nidim train --resume could no longer continue it; pass another --out, or delete the file if you no longer need the run.\n", stderr)
	assert.Equal(t, before, readFile(t, unfinished), "the unfinished run's checkpoint changed")

	// An exported copy of an unfinished run cannot resume it, so it is
	// replaced like any other export.
	exportedUnfinished := filepath.Join(t.TempDir(), "exported.safetensors")
	code, _, stderr = runCmd("export", unfinished, "--force", "--out", exportedUnfinished)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("export", model, "--out", exportedUnfinished)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(exportedUnfinished)
	require.NoError(t, err)
	assert.Equal(t, 0, m.Step, "the exported copy of the unfinished run was not replaced")
}

// Root may write anywhere, so the test needs another user.
func TestExportUnwritableOutRejected(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses file permissions")
	}
	_, _, model := trainTinyModel(t)
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "read-only.safetensors")
	require.NoError(t, os.WriteFile(readOnly, []byte("old"), 0o444))
	code, _, stderr := runCmd("export", model, "--out", readOnly)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--out "+readOnly+" cannot be written (permission denied)")

	require.NoError(t, os.Chmod(dir, 0o555))
	defer os.Chmod(dir, 0o755)
	code, _, stderr = runCmd("export", model, "--out", filepath.Join(dir, "e.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "cannot create files in "+dir)
}

func TestHelpExport(t *testing.T) {
	code, stdout, stderr := runCmd("help", "export")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, exportUsage, stdout)

	code, stdout, stderr = runCmd("help")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "  export   write a checkpoint without its optimizer state, for deployment\n")
}

func TestSizeTextUnits(t *testing.T) {
	for _, c := range []struct {
		bytes int64
		want  string
	}{
		{1, "1 byte"},
		{999, "999 bytes"},
		{1000, "1.0 KB (1000 bytes)"},
		{7364, "7.4 KB (7364 bytes)"},
		{999_949, "999.9 KB (999949 bytes)"},
		{999_950, "1.0 MB (999950 bytes)"},
		{2_712_456, "2.7 MB (2712456 bytes)"},
	} {
		assert.Equal(t, c.want, sizeText(c.bytes), "%d bytes", c.bytes)
	}
}
