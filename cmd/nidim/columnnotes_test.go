package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unixTimeColumns returns rows x 3 values: two N(0, 1) columns and, in
// the middle, Unix times near 1.7e9 spread uniformly over 1000 seconds,
// which float32 rounds to steps of 128.
func unixTimeColumns(rows int) []float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	values := make([]float64, rows*3)
	for i := range rows {
		values[i*3] = rng.NormFloat64()
		values[i*3+1] = 1.7e9 + 1000*rng.Float64()
		values[i*3+2] = rng.NormFloat64()
	}
	return values
}

func TestFloat32StepNoteUnixTimes(t *testing.T) {
	note, columns := float32StepNote("--data x.csv", unixTimeColumns(300), 300, 3)
	assert.Equal(t, []int{1}, columns)
	assert.Contains(t, note, "column 2 (counting from 1) of --data x.csv has a standard deviation of ")
	assert.Contains(t, note, "whose values there lie 128 apart")
	assert.Contains(t, note, "Subtract an offset such as 1.7e+09")
}

func TestFloat32StepNoteNamesOtherColumns(t *testing.T) {
	// times returns rows x cols Unix times near 1.7e9 that span 500
	// seconds in every column.
	times := func(rows, cols int) []float64 {
		values := make([]float64, rows*cols)
		for i := range rows {
			for k := range cols {
				values[i*cols+k] = 1.7e9 + float64((i*(k+3))%500)
			}
		}
		return values
	}
	note, columns := float32StepNote("--data x.csv", times(100, 3), 100, 3)
	assert.Equal(t, []int{0, 1, 2}, columns)
	assert.Contains(t, note, " Columns 2, 3 lose their detail the same way. ")

	note, columns = float32StepNote("--data x.csv", times(100, 2), 100, 2)
	assert.Equal(t, []int{0, 1}, columns)
	assert.Contains(t, note, " Column 2 loses its detail the same way. ")
}

func TestFloat32StepNoteQuietCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows = 200
	values := make([]float64, rows*4)
	for i := range rows {
		values[i*4] = rng.NormFloat64()
		// Money amounts around 1e6 with a spread of 1e4: float32 keeps
		// steps of 0.0625 there.
		values[i*4+1] = 1e6 + 1e4*rng.NormFloat64()
		// A constant, and a constant with decimal noise in the 16th
		// digit, as from 0.1 + 0.2 in float64.
		values[i*4+2] = 7
		values[i*4+3] = 0.3 + float64(i%2)*5.551115123125783e-17
	}
	note, columns := float32StepNote("--data x.csv", values, rows, 4)
	assert.Equal(t, "", note)
	assert.Empty(t, columns)
}

func TestTrainNotesRoundedColumn(t *testing.T) {
	dir := t.TempDir()
	const rows = 240
	data := filepath.Join(dir, "times.csv")
	require.NoError(t, tensor.WriteMatrixFile(data, unixTimeColumns(rows), rows, 3))
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--dim", "2", "--hidden", "16", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--no-eval", "--standardize", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: column 2 (counting from 1) of --data "+data+" has a standard deviation of ")
	// The column varies in the file, so the note on constant columns,
	// which reads only its float32 values, must not call it constant.
	assert.NotContains(t, stderr, "is constant")
}

func TestLabelColumnNoteByValues(t *testing.T) {
	values := []float64{0.5, 0, 1.5, 1, 2.5, 2, 3.5, 1}
	note := labelColumnNote("--data x.csv", nil, values, 4, 2, []int{0, 1, 2, 1})
	assert.Equal(t, "column 2 (counting from 1) of --data x.csv equals --labels in every row, but nidim reads every column of --data as a feature, so the encoder learns from the labels, and new inputs would need them too; drop that column from --data", note)

	values[7] = 0
	assert.Equal(t, "", labelColumnNote("--data x.csv", nil, values, 4, 2, []int{0, 1, 2, 1}))

	// One class equals any constant column of its value, which says
	// nothing about leaked labels.
	constant := []float64{0.5, 0, 1.5, 0, 2.5, 0, 3.5, 0}
	assert.Equal(t, "", labelColumnNote("--data x.csv", nil, constant, 4, 2, []int{0, 0, 0, 0}))
}

func TestLabelColumnNoteByName(t *testing.T) {
	header := []string{"age", "income", " Target "}
	note := labelColumnNote("--data x.csv", header, make([]float64, 6), 2, 3, nil)
	assert.Contains(t, note, `column 3 (counting from 1) of --data x.csv is named "Target"`)
	assert.Equal(t, "", labelColumnNote("--data x.csv", []string{"age", "income", "targets_met"}, make([]float64, 6), 2, 3, nil))
}

// writeLabelledCSV writes a CSV file with a header whose last column,
// named label, holds the class of each row, as a user's export often
// does, and returns its path.
func writeLabelledCSV(t *testing.T, dir string) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.WriteString("a,b,c,label\n")
	for i := range 120 {
		c := i % 2
		b.WriteString(strings.Join([]string{
			strconv.FormatFloat(rng.NormFloat64()+3*float64(c), 'g', -1, 64),
			strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 64),
			strconv.FormatFloat(rng.NormFloat64(), 'g', -1, 64),
			strconv.Itoa(c),
		}, ","))
		b.WriteString("\n")
	}
	path := filepath.Join(dir, "records.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func TestTrainNotesLabelColumnName(t *testing.T) {
	dir := t.TempDir()
	data := writeLabelledCSV(t, dir)
	code, _, stderr := runCmd("train", "--data", data, "--dim", "2", "--hidden", "16", "--batch", "24",
		"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, `nidim train: note: column 4 (counting from 1) of --data `+data+` is named "label"`)
}

func TestTrainLabelsNamingDataColumn(t *testing.T) {
	dir := t.TempDir()
	data := writeLabelledCSV(t, dir)
	t.Chdir(dir)
	code, _, stderr := runCmd("train", "--data", data, "--labels", "label", "--epochs", "1", "--no-eval",
		"--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitUsage, code, stderr)
	assert.Equal(t, "nidim train: --labels label does not exist as a file, but it is the name of a column of --data "+data+". --labels takes a file with one class number per row, and nidim reads every column of --data as a feature; move that column to a file of its own, pass that file as --labels, and drop the column from --data.\n", stderr)
}

// A model trained with --standardize scored every row of a file whose
// columns were in reverse order as an outlier, and nothing said why.
func TestEmbedNotesColumnsFarFromTraining(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd(standardizeArgs(data, labels, model)...)
	require.Equal(t, exitOK, code, stderr)

	out := filepath.Join(dir, "z.npy")
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "far from the training rows")

	// Column 3 (counting from 1) in units 1000 times smaller, as grams
	// for kilograms.
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	for i := range rows {
		values[i*cols+2] *= 1000
	}
	other := filepath.Join(dir, "grams.csv")
	require.NoError(t, tensor.WriteMatrixFile(other, values, rows, cols))
	code, _, stderr = runCmd("score", model, "--data", other, "--out", filepath.Join(dir, "s.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim score: note: column 3 (counting from 1) of --data "+other+" lies far from the training rows of "+model+": in the model's standardized units")
}

func TestStandardizedShiftNoteNeedsStandardization(t *testing.T) {
	x := tensor.New(20, 2)
	for i := range x.Data {
		x.Data[i] = float32(1000 * i)
	}
	m := &dim.Model{}
	assert.Equal(t, "", standardizedShiftNote("x.csv", "m.safetensors", m, x))

	m.Standardization = &dim.Standardization{Mean: []float32{0, 0}, Scale: []float32{1, 1}}
	assert.Contains(t, standardizedShiftNote("x.csv", "m.safetensors", m, x), "2 of the 2 columns of --data x.csv lie far from the training rows of m.safetensors, the first column 1 (counting from 1)")
	// Fewer than 10 rows are too few to tell.
	assert.Equal(t, "", standardizedShiftNote("x.csv", "m.safetensors", m, dim.SelectRows(x, []int{0, 1, 2, 3, 4, 5, 6, 7, 8})))
}

func TestHasEmptyField(t *testing.T) {
	cases := []struct {
		line string
		sep  byte
		want bool
	}{
		{"1,2,3", ',', false},
		{"1,,3", ',', true},
		{",2,3", ',', true},
		{"1,2,", ',', true},
		{"1, \t ,3", ',', true},
		{`"",2`, ',', false},
		{`"a,,b",2`, ',', false},
		{"1\t\t3", '\t', true},
		{"1,\t3", '\t', false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, hasEmptyField([]byte(c.line), c.sep), "%q", c.line)
	}
}

// pandas' to_csv writes NaN as an empty field, and the error named only
// the first, so the user could not tell one typo from a column of gaps.
func TestTrainCountsEmptyFields(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("# exported\na,b,c\n")
	for i := range 40 {
		switch i % 10 {
		case 3:
			fmt.Fprintf(&b, "%d,,%d\n", i, i)
		case 7:
			fmt.Fprintf(&b, ",%d,\n", i)
		default:
			fmt.Fprintf(&b, "%d,%d,%d\n", i, 2*i, 3*i)
		}
	}
	data := filepath.Join(dir, "gaps.csv")
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	code, _, stderr := runCmd("train", "--data", data, "--epochs", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --data "+data+": line 6, field 2 (column \"b\") is empty, a missing value, which nidim cannot train or embed with, and 8 lines of the file have an empty field; fill the values in, such as with the column's mean, or drop those rows.\n", stderr)
}

func TestDataRowLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		text string
		row  int
		want int
	}{
		{"no header", "1,2\n3,4\n5,6\n", 3, 3},
		{"header and comment", "a,b\n1,2\n# note\n\n3,4\n", 2, 5},
		{"header, first row", "a,b\n1,2\n3,4\n", 1, 2},
		{"every field quoted", "\"1\",\"2\"\n\"3\",\"4\"\n", 2, 2},
		{"every field quoted, first row", "\"1\",\"2\"\n\"3\",\"4\"\n", 1, 1},
		{"past the end", "a,b\n1,2\n", 2, 0},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".csv")
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		assert.Equal(t, c.want, dataRowLine(path, c.row), c.name)
	}
	assert.Equal(t, 0, dataRowLine(filepath.Join(dir, "x.npy"), 1), "not a text file")
}

// A CSV file with a header put each row one line below its number, so
// "row 7" sent the user to the wrong line.
func TestNonFiniteValueNamesLine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "gaps.csv")
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := range 30 {
		if i == 6 {
			b.WriteString("# checked\n1,NaN,3\n")
			continue
		}
		fmt.Fprintf(&b, "%d,%d,%d\n", i, 2*i, i%4)
	}
	require.NoError(t, os.WriteFile(data, []byte(b.String()), 0o644))
	code, _, stderr := runCmd("train", "--data", data, "--epochs", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: --data "+data+": value NaN at row 7 (line 9 of the file), column 2 (counting from 1) is not a finite float32; remove or replace it.\n", stderr)
}
