package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A labels file of class names used to fail with only `invalid number
// "dog"`, without naming --labels, because the reader takes the first
// name for a header and stops at the second.
func TestLabelsOfClassNames(t *testing.T) {
	dir := t.TempDir()
	data, numbers := writeClusters(t, dir)
	names := filepath.Join(dir, "names.txt")
	var b strings.Builder
	for i := range 240 {
		b.WriteString([]string{"cat", "dog", "bird"}[i%3] + "\n")
	}
	require.NoError(t, os.WriteFile(names, []byte(b.String()), 0o644))
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--labels", numbers, "--hidden", "8", "--batch", "32",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	emb := filepath.Join(dir, "emb.npy")
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", emb)
	require.Equal(t, exitOK, code, stderr)

	want := "--labels " + names + ": line 2 contains \"dog\", which is not a number. Labels must be integer class numbers such as 0, 1, 2, one per row (a first line of text is skipped as a header), so replace each class name by its number.\n"
	for _, args := range [][]string{
		{"train", "--data", data, "--labels", names, "--out", filepath.Join(dir, "n.safetensors")},
		{"score", model, "--data", data, "--labels", names, "--out", filepath.Join(dir, "s.csv")},
		{"eval", model, "--data", data, "--labels", names},
		{"plot", "scatter", emb, "--labels", names, "--out", filepath.Join(dir, "p.svg")},
	} {
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout, "%v", args)
		command := "nidim " + args[0]
		if args[0] == "plot" {
			command += " scatter"
		}
		assert.Equal(t, command+": "+want, stderr, "%v", args)
	}
}

// A header line of text above class numbers is still skipped.
func TestLabelsWithHeaderLine(t *testing.T) {
	labels := filepath.Join(t.TempDir(), "labels.txt")
	var b strings.Builder
	b.WriteString("label\n")
	for i := range 240 {
		fmt.Fprintf(&b, "%d\n", i%3)
	}
	require.NoError(t, os.WriteFile(labels, []byte(b.String()), 0o644))

	got, err := readLabelColumn(labels, 240)
	require.NoError(t, err)
	assert.Len(t, got, 240)
	assert.Equal(t, []int{0, 1, 2}, got[:3])
}

// A labels file with two columns used to get "contains a 240 x 2 matrix;
// it needs one label per row", which does not say that the extra column
// is the problem.
func TestLabelsShapeErrors(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	var twoColumns, short strings.Builder
	for i := range 240 {
		fmt.Fprintf(&twoColumns, "%d,%d\n", i%3, i%3)
		if i < 100 {
			fmt.Fprintf(&short, "%d\n", i%3)
		}
	}
	for _, c := range []struct {
		name, text, want string
	}{
		{"two.csv", twoColumns.String(), "has 2 columns; it needs one column of class numbers, with one label per row of --data.\n"},
		{"short.txt", short.String(), "has 100 labels, but --data has 240 rows; it needs one label per row.\n"},
	} {
		path := filepath.Join(dir, c.name)
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		code, _, stderr := runCmd("train", "--data", data, "--labels", path, "--out", filepath.Join(dir, "m.safetensors"))
		assert.Equal(t, exitUsage, code, c.name)
		assert.Equal(t, "nidim train: --labels "+path+" "+c.want, stderr, c.name)
	}
}

// A label above the limit used to get the message for a label that is no
// class number at all, with the value as 2e+06 and no word of the limit.
func TestLabelAboveLimit(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	labels := filepath.Join(dir, "labels.csv")
	var b strings.Builder
	for i := range 240 {
		label := i % 3
		if i == 6 {
			label = 2_000_000
		}
		fmt.Fprintf(&b, "%d\n", label)
	}
	require.NoError(t, os.WriteFile(labels, []byte(b.String()), 0o644))

	_, err := readLabelColumn(labels, 240)
	assert.EqualError(t, err, "--labels "+labels+": row 7 contains 2000000, above the maximum class number of 1000000; number the classes 0, 1, 2, ..., one number per class")

	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--out", filepath.Join(dir, "m.safetensors"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: "+err.Error()+".\n", stderr)
}

// The limit itself is a valid class number, and the other invalid values
// keep their message.
func TestLabelLimitAndInvalidValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, last string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte("0\n1\n"+last+"\n"), 0o644))
		return path
	}

	got, err := readLabelColumn(write("limit.txt", "1000000"), 3)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 1_000_000}, got)

	for _, c := range []struct{ value, shown string }{{"-1", "-1"}, {"2.5", "2.5"}} {
		path := write("bad.txt", c.value)
		_, err := readLabelColumn(path, 3)
		assert.EqualError(t, err, "--labels "+path+": row 3 contains "+c.shown+"; labels must be class numbers 0, 1, 2, ...", c.value)
	}
}

// Every command that reads --labels through readLabelColumn states the
// limit in its help.
func TestLabelLimitInHelp(t *testing.T) {
	for _, name := range []string{"train", "eval", "sweep", "score"} {
		_, stdout, _ := runCmd("help", name)
		assert.Contains(t, strings.Join(strings.Fields(stdout), " "), "class numbers 0, 1, 2, ... up to 1000000 (not", name)
	}
}

// A label deleted without its line used to get only the count mismatch,
// which does not point to the blank line that the reader skipped.
func TestLabelsBlankLineInside(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeClusters(t, dir)
	var oneBlank, fiveBlank, inserted strings.Builder
	for i := range 240 {
		if i == 49 {
			oneBlank.WriteString("\n")
		} else {
			fmt.Fprintf(&oneBlank, "%d\n", i%3)
		}
		if i == 9 || i == 19 || i == 29 || i == 39 || i == 49 {
			fiveBlank.WriteString(" \r\n")
		} else {
			fmt.Fprintf(&fiveBlank, "%d\n", i%3)
		}
		if i == 100 {
			inserted.WriteString("\n")
		}
		fmt.Fprintf(&inserted, "%d\n", i%3)
	}
	// Blank lines at the end, after the last label, leave no label out.
	oneBlank.WriteString("\n\n")

	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, err := zw.Write([]byte(oneBlank.String()))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	for _, c := range []struct {
		name, text, want string
	}{
		{"one.txt.gz", zipped.String(), "has 239 labels, but --data has 240 rows; it needs one label per row, and line 50 is blank. " +
			"Blank lines are skipped, as in --data, so write the missing label on that line, or remove the line if no label belongs there.\n"},
		{"one.txt", oneBlank.String(), "has 239 labels, but --data has 240 rows; it needs one label per row, and line 50 is blank. " +
			"Blank lines are skipped, as in --data, so write the missing label on that line, or remove the line if no label belongs there.\n"},
		{"five.csv", fiveBlank.String(), "has 235 labels, but --data has 240 rows; it needs one label per row, and lines 10, 20, 30 and 2 others are blank. " +
			"Blank lines are skipped, as in --data, so write each missing label on its blank line, and remove the blank lines where no label belongs.\n"},
	} {
		path := filepath.Join(dir, c.name)
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		code, _, stderr := runCmd("train", "--data", data, "--labels", path, "--out", filepath.Join(dir, "m.safetensors"))
		assert.Equal(t, exitUsage, code, c.name)
		assert.Equal(t, "nidim train: --labels "+path+" "+c.want, stderr, c.name)
	}

	// A blank line between labels, with none missing, is skipped like a
	// blank line of --data.
	path := filepath.Join(dir, "inserted.txt")
	require.NoError(t, os.WriteFile(path, []byte(inserted.String()), 0o644))
	var got []int
	got, err = readLabelColumn(path, 240)
	require.NoError(t, err)
	assert.Equal(t, 1, got[100])
	assert.Equal(t, 2, got[101])
}
