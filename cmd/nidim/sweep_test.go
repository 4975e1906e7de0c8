package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readCSVFile(t *testing.T, path string) [][]string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	return rows
}

func TestSweepWritesTableAndResumes(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0,0.5", "--dims", "2", "--baselines",
		"--epochs", "1", "--hidden", "16", "--batch", "24", "--threads", "1", "--feature-noise", "1",
		"--eval-samples", "20", "--penalty-directions", "4", "--penalty-weight", "2", "--out", out}

	code, stdout, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, filepath.Join(out, "sweep.csv"))
	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, rows, 5, "header and four runs") // sigma 0 is the no-noise baseline
	assert.Equal(t, dim.SweepColumns, rows[0])
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	kinds := map[string][]string{}
	for _, r := range rows[1:] {
		require.Len(t, r, len(dim.SweepColumns))
		kinds[r[col["kind"]]] = r
	}
	require.Len(t, kinds, 4)
	noise := kinds[dim.KindNoise]
	require.NotNil(t, noise)
	assert.Equal(t, "0.5", noise[col["level"]])
	// Two components at sigma 0.5 have capacity ln(1 + 1/0.25) = ln 5.
	capacity, err := strconv.ParseFloat(noise[col["capacity"]], 64)
	require.NoError(t, err)
	assert.InDelta(t, math.Log(5), capacity, 1e-5)
	assert.Equal(t, "NaN", kinds[dim.KindNoNoise][col["capacity"]], "no capacity bound without noise")
	// The log states in words that a run without noise has no capacity.
	assert.Contains(t, stderr, "no capacity without noise")
	assert.NotContains(t, stderr, "capacity +Inf")
	assert.Equal(t, "false", kinds[dim.KindNoNormalize][col["normalize"]])
	assert.Equal(t, "epps-pulley", kinds[dim.KindPenalty][col["penalty"]])
	// The match recipe supplies the loss, and the explicit --feature-noise
	// wins over the recipe's 0.
	assert.Contains(t, noise[col["settings"]], "infonce-rows")
	assert.Contains(t, noise[col["settings"]], "feat=1 ")
	assert.Equal(t, "2", kinds[dim.KindPenalty][col["penalty_weight"]])
	for kind, r := range kinds {
		lnB, err := strconv.ParseFloat(r[col["ln_batch"]], 64)
		require.NoError(t, err)
		assert.InDelta(t, math.Log(24), lnB, 1e-5, kind)
		assert.Equal(t, "20", r[col["eval_n"]], kind)
		assert.Len(t, strings.Fields(r[col["ks"]]), 2, kind)
		assert.Contains(t, []string{"pass", "fail"}, r[col["verdict"]], kind)
		for _, name := range []string{"mi_estimate", "max_ks", "max_abs_correlation", "linear_probe_accuracy", "knn_accuracy", "images_per_s"} {
			v, err := strconv.ParseFloat(r[col[name]], 64)
			require.NoError(t, err, "%s %s", kind, name)
			assert.False(t, math.IsNaN(v), "%s %s", kind, name)
		}
		acc, _ := strconv.ParseFloat(r[col["linear_probe_accuracy"]], 64)
		assert.True(t, acc >= 0 && acc <= 1, "%s accuracy %v", kind, acc)
	}
	// Without the normalization the output scale is arbitrary, so the KS
	// distance to N(0, 1) is far larger than with it.
	ksOff, _ := strconv.ParseFloat(kinds[dim.KindNoNormalize][col["max_ks"]], 64)
	ksOn, _ := strconv.ParseFloat(kinds[dim.KindNoNoise][col["max_ks"]], 64)
	assert.Greater(t, ksOff, ksOn)
	// The trade-off plot's defaults name columns of this table.
	code, _, stderr = runCmd("plot", "tradeoff", filepath.Join(out, "sweep.csv"), "--out", filepath.Join(dir, "tradeoff.svg"))
	require.Equal(t, exitOK, code, stderr)
	assert.FileExists(t, filepath.Join(dir, "tradeoff.svg"))
	md, err := os.ReadFile(filepath.Join(out, "sweep.md"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(md), "| gaussian |"), string(md))
	assert.Equal(t, 3, strings.Count(string(md), "| none (no noise) |"), "the three runs without noise, in words")
	assert.NotContains(t, string(md), "Inf")

	// The same command again trains nothing and keeps the table.
	before := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "4 runs, 4 already in")
	assert.NotContains(t, stderr, "training")
	assert.Equal(t, before, readCSVFile(t, filepath.Join(out, "sweep.csv")))

	// The shared settings include the table's format, the evaluation
	// options and the data.
	full := noise[col["settings"]]
	assert.True(t, strings.HasPrefix(full, "sweep-format=5 mlp h16 "), full)
	assert.Contains(t, full, " noise-views=one noiseless-sigma=")
	assert.Contains(t, full, " eval=20 eval-seed=1 knn=5 penalty-directions=4 train=216 x [6] sha256:")

	// An older table names the settings column recipe and records only
	// the runs' own settings. It predates the sweep format, so it may not
	// be continued, and the file stays as it was.
	csvPath := filepath.Join(out, "sweep.csv")
	old := readCSVFile(t, csvPath)
	old[0][col["settings"]] = "recipe"
	for _, r := range old[1:] {
		r[col["settings"]] = strings.TrimPrefix(strings.Split(r[col["settings"]], " noise-views=")[0], "sweep-format=5 ")
	}
	var buf bytes.Buffer
	require.NoError(t, csv.NewWriter(&buf).WriteAll(old))
	require.NoError(t, os.WriteFile(csvPath, buf.Bytes(), 0o644))
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, csvPath+" was written by an older nidim, in sweep format 1, and this nidim writes format 5")
	assert.Equal(t, old, readCSVFile(t, csvPath))
	var restored bytes.Buffer
	require.NoError(t, csv.NewWriter(&restored).WriteAll(before))
	require.NoError(t, os.WriteFile(csvPath, restored.Bytes(), 0o644))

	// A wider grid trains only the new run and keeps the old rows first.
	wider := append([]string(nil), args...)
	wider[6] = "0,0.5,1"
	code, _, stderr = runCmd(wider...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, ": training"), stderr)
	after := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, after, 6)
	assert.Equal(t, before, after[:5])
	assert.Equal(t, "1", after[5][col["level"]])

	// Other shared settings, evaluation options or data may not continue
	// the same table.
	values, n, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	values[0]++
	otherData := filepath.Join(dir, "other.npy")
	require.NoError(t, tensor.WriteMatrixFile(otherData, values, n, cols))
	for _, extra := range [][]string{
		{"--lr", "0.01"}, {"--eval-samples", "30"}, {"--knn", "3"}, {"--noise-views", "both"}, {"--data", otherData},
	} {
		changed := append(append([]string(nil), args...), extra...)
		code, _, stderr = runCmd(changed...)
		assert.Equal(t, exitUsage, code, "%v", extra)
		assert.Contains(t, stderr, "other shared settings", "%v", extra)
	}
}

func TestSweepRejectsBadFlags(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--sigmas", "0,-1", "invalid --sigmas entry"},
		// train takes its noise level as --sigma, so users give the grid
		// to it, which the flag parser rejected as "use a number".
		{"--sigma", "0.5,1", "--sigma 0.5,1 is a list, but --sigma is one number, the temperature scale of the runs without noise; pass the noise levels of the grid as --sigmas 0.5,1."},
		{"--dims", "4,x", "invalid --dims entry"},
		{"--priors", "cauchy", "invalid --priors entry"},
		{"--seeds", "0", "invalid --seeds 0"},
		{"--eval-samples", "3", "invalid --eval-samples 3"},
		{"--recipe", "fast", `invalid --recipe "fast"`},
		{"--penalty-weight", "100", "--penalty-weight sets the penalty baseline, which only --baselines trains"},
		{"--penalty-directions", "8", "--penalty-directions sets the penalty baseline"},
	} {
		// A missing --data makes a flag that wrongly passes fail fast
		// instead of training the default grid on MNIST.
		dir := t.TempDir()
		args := append([]string{"sweep", c.flag}, strings.Fields(c.value)...)
		code, _, stderr := runCmd(append(args, "--out", dir, "--data", filepath.Join(dir, "missing.npy"))...)
		assert.Equal(t, exitUsage, code, c.flag)
		assert.Contains(t, stderr, c.want, c.flag)
	}
}

// Every prior of stats.PriorNames passes --priors, and each run of the
// grid validates: the sweep only stops at the missing data file.
func TestSweepAcceptsEveryPrior(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.npy")
	code, _, stderr := runCmd("sweep", "--priors", " "+strings.Join(stats.PriorNames, ", "), "--sigmas", "0,0.1", "--out", dir, "--data", missing)
	assert.Equal(t, exitUsage, code)
	assert.NotContains(t, stderr, "--priors")
	assert.NotContains(t, stderr, "run ")
	assert.Contains(t, stderr, "missing.npy")
}

// A uniform run with channel noise has eps set to its noise level, so its
// battery includes the grid test of each component, as in nidim train.
// The run without noise has no channel and so no lattice to check.
func TestSweepUniformRunsGridTest(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	code, _, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--priors", "uniform",
		"--sigmas", "0,0.1", "--dims", "2", "--epochs", "1", "--hidden", "8", "--batch", "24",
		"--threads", "1", "--eval-samples", "20", "--out", out)
	require.Equal(t, exitOK, code, stderr)

	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, rows, 3, "header and two runs")
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	testsRun := map[string]int{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[col["tests_run"]])
		require.NoError(t, err)
		testsRun[r[col["kind"]]] = n
	}
	require.Contains(t, testsRun, dim.KindNoise)
	require.Contains(t, testsRun, dim.KindNoNoise)
	assert.Equal(t, testsRun[dim.KindNoNoise]+2, testsRun[dim.KindNoise], "one grid test per component")
}

// A table from before the sweep format mixes uniform-prior rows whose
// battery skipped the grid test with rows whose battery runs it, so
// resuming it is rejected with the reason, and nothing is written.
func TestSweepRejectsOlderFormat(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "old")
	require.NoError(t, os.Mkdir(out, 0o755))

	// A row as nidim wrote it before the format field: the settings start
	// with the encoder.
	row := map[string]string{
		"run": "uniform/d2/eps0.1/s0", "kind": dim.KindNoise, "prior": "uniform", "dim": "2", "level": "0.1",
		"noise_views": "2", "normalize": "true", "penalty": "none", "penalty_weight": "0", "seed": "0",
		"epochs": "1", "batch": "24", "mi_estimate": "0.5", "train_mi_estimate": "0.5", "capacity": "3.6", "ln_batch": "3.18", "tau": "0.02",
		"eval_n": "20", "ks": "0.1000 0.1000", "max_ks": "0.1", "max_abs_correlation": "0.1", "verdict": "pass", "rejected": "0", "tests_run": "7",
		"worst": "ks-prior[0] p=0.5", "linear_probe_accuracy": "0.5", "knn_accuracy": "0.5", "images_per_s": "1000", "train_seconds": "1",
		"settings": "mlp h8 euclidean infonce tau=0(learned) epochs=1 batch=24 lr=0.001 constant wd=0 shift=2 rot=0 zoom=0 pix=0.1 feat=0.1 mask=0 noise-views=both noiseless-sigma=0.1 eval=20 eval-seed=1 knn=5 train=216 x [6] sha256:00 test=24 x [6] sha256:00",
	}
	record := make([]string, len(dim.SweepColumns))
	for i, name := range dim.SweepColumns {
		v, ok := row[name]
		require.True(t, ok, "column %s", name)
		record[i] = v
	}
	var buf bytes.Buffer
	require.NoError(t, csv.NewWriter(&buf).WriteAll([][]string{dim.SweepColumns, record}))
	csvPath := filepath.Join(out, "sweep.csv")
	require.NoError(t, os.WriteFile(csvPath, buf.Bytes(), 0o644))

	code, stdout, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--priors", "uniform",
		"--sigmas", "0.1", "--dims", "2", "--epochs", "1", "--hidden", "8", "--batch", "24",
		"--threads", "1", "--eval-samples", "20", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim sweep: "+csvPath+" was written by an older nidim, in sweep format 1, and this nidim writes format 5 "+
		"(in format 2, the battery of every uniform-prior run with channel noise includes the grid test, which format 1 skipped, and every battery includes mean-covariance; "+
		"in format 3, sphericity and mean-covariance reject collinear components instead of failing to run, the uniform prior gets no penalty baseline, and penalty runs at a batch of 1024 or more sum their gradient by a series; "+
		"in format 4, jarque-bera and dagostino-k2 take Monte Carlo p-values on at most 2000 rows, and sphericity and mean-covariance take p-values from their exact laws, whose verdicts differ from those of the chi-square p-values; "+
		"in format 5, sphericity and mean-covariance run on evaluation samples with no more rows than columns, where they could not run before, with Monte Carlo p-values), "+
		"so its rows cannot be compared with new ones; use a new --out directory to run the sweep again.\n", stderr)
	assert.NotContains(t, stderr, "training")
	got, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	assert.Equal(t, buf.String(), string(got), "the old table is left as it was")
	assert.NoFileExists(t, filepath.Join(out, "sweep.md"))
}

func TestCheckSweepFormat(t *testing.T) {
	assert.NoError(t, checkSweepFormat("s.csv", "sweep-format=5 mlp h8 train=216 x [6] sha256:00"))
	assert.ErrorContains(t, checkSweepFormat("s.csv", "sweep-format=2 mlp h8"), "s.csv was written by an older nidim, in sweep format 2, and this nidim writes format 5 (in format 3, sphericity")
	// The Monte Carlo p-values of jarque-bera and dagostino-k2 change the
	// battery's columns, so a table of format 3 does not resume.
	assert.ErrorContains(t, checkSweepFormat("s.csv", "sweep-format=3 mlp h8"), "s.csv was written by an older nidim, in sweep format 3, and this nidim writes format 5 (in format 4, jarque-bera and dagostino-k2 take Monte Carlo p-values")
	// Sphericity and mean-covariance now run on evaluation samples with no
	// more rows than columns, so a table of format 4 does not resume.
	assert.ErrorContains(t, checkSweepFormat("s.csv", "sweep-format=4 mlp h8"), "s.csv was written by an older nidim, in sweep format 4, and this nidim writes format 5 (in format 5, sphericity and mean-covariance run on evaluation samples")
	assert.ErrorContains(t, checkSweepFormat("s.csv", "mlp h8 train=216 x [6] sha256:00"), "s.csv was written by an older nidim, in sweep format 1")
	assert.ErrorContains(t, checkSweepFormat("s.csv", "sweep-format=6 mlp h8"), "s.csv was written by a newer nidim, in sweep format 6, and this nidim writes format 5; continue it with that nidim, or use a new --out directory")
	assert.ErrorContains(t, checkSweepFormat("s.csv", "sweep-format=x mlp h8"), `s.csv has an invalid sweep-format "x" in its settings column; use a new --out directory`)
}

func TestSweepHelpListsFlags(t *testing.T) {
	code, stdout, _ := runCmd("help", "sweep")
	require.Equal(t, exitOK, code)
	for _, name := range []string{"sigmas", "dims", "priors", "seeds", "baselines", "penalty-weight", "penalty-directions",
		"out", "eval-samples", "eval-seed", "knn", "epochs", "batch", "noise-views", "data", "labels"} {
		assert.Contains(t, stdout, "--"+name, name)
	}
}

func TestSweepSaturationNote(t *testing.T) {
	run := func(d int, sigma float64, views int) dim.SweepRun {
		c := dim.MatchingConfig()
		c.Dim, c.Sigma, c.NoiseViews = d, sigma, views
		return dim.SweepRun{Kind: dim.KindNoise, Config: c}
	}
	// ln 4096 = 8.32. Capacity at d = 16, sigma 0.5: 12.9; at d = 4: 3.2.
	// The two-view MI at d = 8, sigma 0.5 is 4.09.
	note := sweepSaturationNote([]dim.SweepRun{run(4, 0.5, 1), run(16, 0.5, 1), run(16, 0.5, 1), run(8, 0.5, 2), run(16, 1, 1)})
	assert.Equal(t, "at gaussian d=16 sigma=0.5 the channel allows more than ln B = 8.32 nats, the most the InfoNCE estimate can reach, so in those runs the estimate cannot approach the capacity and the capacity gap says nothing about the match; judge them by the battery. docs/sweep.md in the nidim repository (\"Larger dimensions\") gives measured runs.", note)
	assert.Empty(t, sweepSaturationNote([]dim.SweepRun{run(4, 0.5, 1), run(8, 0.5, 2)}))
	baseline := run(16, 0.5, 1)
	baseline.Kind = dim.KindNoNoise
	assert.Empty(t, sweepSaturationNote([]dim.SweepRun{baseline}))
}

// Rows in reach at the center, 4096 (sigma^2 / (1 + sigma^2))^(d/2): 6.6
// at d = 8 and sigma 0.5, 164 at d = 4, and 164 at d = 8 and sigma 0.9.
// d = 16 at sigma 0.5 has its saturation note instead.
func TestSweepTailNote(t *testing.T) {
	run := func(d int, sigma float64) dim.SweepRun {
		c := dim.MatchingConfig()
		c.Dim, c.Sigma = d, sigma
		return dim.SweepRun{Kind: dim.KindNoise, Config: c}
	}
	runs := []dim.SweepRun{run(4, 0.5), run(8, 0.5), run(8, 0.5), run(8, 0.9), run(16, 0.5)}
	note := sweepTailNote(runs, false)
	assert.True(t, strings.HasPrefix(note, "at gaussian d=8 sigma=0.5 fewer than 20 batch rows lie within the noise's reach"), note)
	assert.Contains(t, note, "--self-weight 0.05")
	assert.Empty(t, sweepTailNote(runs, true), "--self-weight given")
	assert.Empty(t, sweepTailNote([]dim.SweepRun{run(4, 0.5), run(8, 0.9)}, false))
}

func TestSettingsDiffNamesChangedFields(t *testing.T) {
	table := "mlp h512 epochs=2 batch=256 train=600 x [6] sha256:aaaa test=60 x [6] sha256:bbbb"
	now := "mlp h512 epochs=1 batch=256 train=600 x [6] sha256:cccc test=60 x [6] sha256:bbbb"
	assert.Equal(t, "in the table -> now: epochs=2 -> epochs=1, train=600 x [6] sha256:aaaa -> train=600 x [6] sha256:cccc", settingsDiff(table, now))
	assert.Equal(t, "in the table -> now: test=60 x [6] sha256:bbbb -> test=61 x [6] sha256:dddd",
		settingsDiff("a=1 test=60 x [6] sha256:bbbb", "a=1 test=61 x [6] sha256:dddd"), "a fingerprint is one field")
	assert.Equal(t, "in the table -> now: - -> eval=500", settingsDiff("a=1", "a=1 eval=500"))
	assert.Equal(t, "in the table -> now: eval=500 -> -", settingsDiff("a=1 eval=500", "a=1"))
}

// The reference recipe's settings lack self-weight, which the match
// recipe's have before noise-views. The diff paired fields by place when
// no field of the same key came first, and printed
// "noise-views=both -> self-weight=0.5, - -> noise-views=one".
func TestSettingsDiffAddedFieldKeepsPairs(t *testing.T) {
	table := "mlp infonce tau=0(learned) constant mask=0 noise-views=both eval=20"
	now := "mlp infonce-rows tau=0(fixed) cosine mask=0 self-weight=0.5 noise-views=one eval=20"
	assert.Equal(t, "in the table -> now: infonce -> infonce-rows, tau=0(learned) -> tau=0(fixed), constant -> cosine, "+
		"noise-views=both -> noise-views=one, - -> self-weight=0.5", settingsDiff(table, now))
	assert.Equal(t, "in the table -> now: self-weight=0.5 -> -, noise-views=one -> noise-views=both",
		settingsDiff("mask=0 self-weight=0.5 noise-views=one", "mask=0 noise-views=both"))
}

// A sweep.csv cut short inside the settings column of its last row was
// reported as written with other shared settings, with a diff of the cut
// fields. A table cut anywhere in its last line now gets its own error,
// which keeps the file, and the advice to delete the line lets the sweep
// resume with the finished runs.
func TestSweepTableCutShort(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5,1", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	csvPath := filepath.Join(out, "sweep.csv")
	full, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	lastLine := bytes.LastIndexByte(full[:len(full)-1], '\n') + 1

	for _, cut := range []struct {
		name   string
		length int
	}{
		{"inside the settings", len(full) - 5},
		{"inside the fingerprint's field name", len(full) - 24},
		{"inside the numbers", lastLine + 40},
		{"after one field", lastLine + 3},
	} {
		require.NoError(t, os.WriteFile(csvPath, full[:cut.length], 0o644))
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, cut.name)
		assert.Empty(t, stdout, cut.name)
		assert.Equal(t, "nidim sweep: "+csvPath+" is cut short: its line 3 ends before the row is complete, as when a copy or a full disk stopped early; delete that line to keep the 1 finished run before it, and the same command runs the lost run again, or pass another --out.\n",
			stderr, cut.name)
		got, err := os.ReadFile(csvPath)
		require.NoError(t, err)
		assert.Equal(t, full[:cut.length], got, "%s: the table is kept", cut.name)
	}

	require.NoError(t, os.WriteFile(csvPath, full[:5], 0o644))
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: "+csvPath+" is cut short inside its header line and contains no finished run; delete it and run the same command again, or pass another --out.\n", stderr)

	// A row damaged inside the table, which still ends with a newline.
	firstLine := bytes.IndexByte(full, '\n') + 1
	damaged := slices.Concat(full[:lastLine-6], []byte("\n"), full[lastLine:])
	require.Less(t, firstLine, lastLine-6)
	require.NoError(t, os.WriteFile(csvPath, damaged, 0o644))
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: "+csvPath+" is damaged: the settings column of its line 2 does not end with the fingerprint of the test split; delete that line to keep the 1 other finished run, and the same command runs the lost run again, or pass another --out.\n", stderr)

	// A complete last row without its newline is read as it is.
	require.NoError(t, os.WriteFile(csvPath, full[:len(full)-1], 0o644))
	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "2 runs, 2 already in")

	// Deleting the cut line, as the error advises, resumes the sweep.
	require.NoError(t, os.WriteFile(csvPath, full[:lastLine], 0o644))
	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "2 runs, 1 already in")
	assert.Len(t, readCSVFile(t, csvPath), 3, "header and two runs")
}

// sweep.csv that is no sweep table was rejected, but any file named
// sweep.md was replaced by the table after the first run, as
// "nidim sweep --out docs" would replace a docs/sweep.md of notes. Such a
// file is now rejected before training, and a table that sweep wrote is
// still rewritten.
func TestSweepKeepsForeignMarkdown(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "docs")
	require.NoError(t, os.Mkdir(out, 0o755))
	mdPath := filepath.Join(out, "sweep.md")
	notes := "# Sweep notes\n\nWritten by hand.\n"
	require.NoError(t, os.WriteFile(mdPath, []byte(notes), 0o644))
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}

	code, stdout, stderr := runCmd(args...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim sweep: "+mdPath+" is not a table that nidim sweep wrote, and the sweep would replace it; move it away or use another --out.\n", stderr)
	got, err := os.ReadFile(mdPath)
	require.NoError(t, err)
	assert.Equal(t, notes, string(got), "the notes are kept")
	assert.NoFileExists(t, filepath.Join(out, "sweep.csv"))

	// An empty file and the table of an earlier sweep are replaced.
	require.NoError(t, os.WriteFile(mdPath, nil, 0o644))
	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	table, err := os.ReadFile(mdPath)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(table), "| kind |"), "sweep.md starts with the table header: %q", table)
	require.NoError(t, os.Remove(filepath.Join(out, "sweep.csv")))
	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
}

// Tables written before a run without channel noise got NaN in the
// capacity column have +Inf there, and must still resume. The resumed
// table writes NaN for them, with the rest of each row unchanged.
func TestSweepResumesTableWithInfiniteCapacity(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	args := []string{"sweep", "--data", data, "--labels", labels, "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}
	code, _, stderr := runCmd(append(args, "--sigmas", "0")...)
	require.Equal(t, exitOK, code, stderr)
	csvPath := filepath.Join(out, "sweep.csv")
	rows := readCSVFile(t, csvPath)
	require.Len(t, rows, 2)
	capacity := slices.Index(dim.SweepColumns, "capacity")
	require.Equal(t, "NaN", rows[1][capacity])

	// The table as an older nidim wrote it.
	written, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	old := strings.Replace(string(written), ",NaN,", ",+Inf,", 1)
	require.NotEqual(t, string(written), old)
	require.NoError(t, os.WriteFile(csvPath, []byte(old), 0o644))

	code, _, stderr = runCmd(append(args, "--sigmas", "0,0.5")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: 2 runs, 1 already in "+csvPath)
	assert.Equal(t, 1, strings.Count(stderr, ": training\n"), "runs trained: %s", stderr)
	resumed := readCSVFile(t, csvPath)
	require.Len(t, resumed, 3)
	assert.Equal(t, rows[1], resumed[1], "the earlier run, with NaN for +Inf")
	table, err := os.ReadFile(filepath.Join(out, "sweep.md"))
	require.NoError(t, err)
	assert.Contains(t, string(table), "| none (no noise) |")
	assert.NotContains(t, string(table), "Inf")
}

// An --out that named a file failed with "cannot create --out directory:
// mkdir FILE: not a directory" and exit status 1, without the fix.
func TestSweepOutIsFile(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	file := filepath.Join(dir, "results")
	require.NoError(t, os.WriteFile(file, []byte("kept\n"), 0o644))
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20"}

	code, stdout, stderr := runCmd(append(args, "--out", file)...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim sweep: --out "+file+" is a file, but sweep writes sweep.csv and sweep.md into a directory; pass a directory path.\n", stderr)
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "kept\n", string(got))

	// A directory below the file failed with exit status 1, as a failed
	// run, where the other commands give 2 for an output path that
	// cannot be written.
	below := filepath.Join(file, "sub")
	code, _, stderr = runCmd(append(args, "--out", below)...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: --out "+below+" is inside "+file+", which is not a directory; choose another path.\n", stderr)
}

// A test split of 300 rows ran the battery on 300 embeddings while the
// help promised --eval-samples (2000), and the Markdown table does not
// show the count. The help now documents the cap and the eval_n column.
func TestSweepHelpEvalSamplesCap(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	code, _, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, rows, 2)
	evalN := slices.Index(rows[0], "eval_n")
	require.GreaterOrEqual(t, evalN, 0)
	assert.Equal(t, "24", rows[1][evalN], "the battery ran on the whole test split")

	code, stdout, _ := runCmd("help", "sweep")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "--eval-samples N     test embeddings the battery runs on, or every test\n"+
		"                       row when the test split has fewer; the eval_n\n"+
		"                       column of sweep.csv gives the number (default 2000)\n")
}

// A sweep of --priors uniform alone defaults to the reference recipe, and
// adding a prior switches the default to match. The sweep then failed
// with a list of changed settings and the advice to use the same flags,
// which the user had done. The error now names the recipe to pass.
func TestSweepAddedPriorRecipeHint(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.1", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}
	code, _, stderr := runCmd(append(args, "--priors", "uniform")...)
	require.Equal(t, exitOK, code, stderr)

	code, stdout, stderr := runCmd(append(args, "--priors", "uniform,gaussian")...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "noise-views=both -> noise-views=one")
	assert.True(t, strings.HasSuffix(stderr, "use another --out or the same flags and data. "+
		"The default --recipe is match here, because --priors is not uniform alone; "+
		"to continue a table of the reference recipe, pass --recipe reference.\n"), stderr)

	code, _, stderr = runCmd(append(args, "--priors", "uniform,gaussian", "--recipe", "reference")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "2 runs, 1 already in")

	// An explicit --recipe or a settings change other than the recipe's
	// gets no hint.
	code, _, stderr = runCmd(append(args, "--priors", "uniform,gaussian", "--recipe", "match")...)
	assert.Equal(t, exitUsage, code)
	assert.NotContains(t, stderr, "The default --recipe")
	code, _, stderr = runCmd(append(args, "--priors", "uniform", "--knn", "3")...)
	assert.Equal(t, exitUsage, code)
	assert.NotContains(t, stderr, "The default --recipe")
}

// A sweep run again after all its runs finished printed the notes on
// their settings as if it were about to train them.
func TestSweepNotesOnlyForRunsToTrain(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := []string{"sweep", "--data", data, "--labels", labels, "--dims", "4", "--sigmas", "0.5", "--epochs", "1",
		"--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", filepath.Join(dir, "sw")}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "batch rows lie within the noise's reach")
	require.Contains(t, stderr, "recipe's --batch 4096 is larger than the 216 training rows")

	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "1 run, 1 already in")
	assert.NotContains(t, stderr, "batch rows lie within the noise's reach")
	assert.NotContains(t, stderr, "recipe's --batch", "nor the batch notes")
}

// Within an epoch sweep wrote nothing, while train draws a bar with an
// ETA, so a CNN epoch or a large data set left a silent terminal. On a
// terminal sweep now draws train's bar, led by the number of the run,
// and erases it before every line; elsewhere it writes only the lines, as
// train does.
func TestSweepProgressBar(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0,0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20"}

	defer func(saved func(io.Writer) bool) { isTerminal = saved }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	code, _, stderr := runCmd(append(args, "--out", filepath.Join(dir, "tty"))...)
	require.Equal(t, exitOK, code, stderr)
	for _, bar := range []string{
		"\r\033[K[1/2] epoch 1/1 [", // the first run trains without noise
		"\r\033[K[2/2] epoch 1/1 [",
	} {
		assert.Contains(t, stderr, bar)
	}
	assert.Contains(t, stderr, "(no noise, ln B 3.178)")
	assert.Contains(t, stderr, "ETA ")
	assert.Contains(t, stderr, "(cap 1.609, ln B 3.178)", "the noise run shows its capacity, ln 5 for 2 components at sigma 0.5")
	// Every line after a bar starts on an erased line.
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.LastIndex(line, "\r"); i >= 0 && !strings.Contains(line[i:], "epoch") {
			t.Errorf("line %q is written after a bar", line[i:])
		}
		if strings.Contains(line, "samples/s") && !strings.HasPrefix(line, "\r") {
			t.Errorf("bar %q does not start by returning to the start of the line", line)
		}
	}
	assert.Contains(t, stderr, " samples/s\r\033[K  epoch 1/1: loss", "the bar is erased before the epoch's line")

	isTerminal = func(io.Writer) bool { return false }
	code, _, stderr = runCmd(append(args, "--out", filepath.Join(dir, "log"))...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "\r", "no bar in a log")
	assert.NotContains(t, stderr, "\033")
	assert.Contains(t, stderr, "\n  epoch 1/1: loss")
}

// A sweep.md that links to the table of another sweep passed the check
// that keeps a sweep.md sweep did not write, because it begins with the
// table's header, and the first run replaced the other sweep's table
// through the link. A linked table must now have this sweep's settings.
// A sweep.md and a sweep.csv that lead to the same file, where each table
// would replace the other, are rejected too.
func TestSweepKeepsLinkedTableOfAnotherSweep(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20"}
	other := filepath.Join(dir, "other")
	code, _, stderr := runCmd(append(args, "--eval-seed", "2", "--out", other)...)
	require.Equal(t, exitOK, code, stderr)
	otherMD := filepath.Join(other, "sweep.md")
	table, err := os.ReadFile(otherMD)
	require.NoError(t, err)

	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	link := filepath.Join(out, "sweep.md")
	symlink(t, filepath.Join("..", "other", "sweep.md"), link)
	code, stdout, stderr := runCmd(append(args, "--out", out)...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim sweep: "+link+" (a symbolic link to "+otherMD+") is the table of another sweep, with other shared settings (in the table -> now: eval-seed=2 -> eval-seed=1), and the sweep would replace it; remove the link or use another --out.\n", stderr)
	got, err := os.ReadFile(otherMD)
	require.NoError(t, err)
	assert.Equal(t, string(table), string(got), "the other sweep's table is kept")
	assert.NoFileExists(t, filepath.Join(out, "sweep.csv"))

	// A link to a table of the same settings is written through.
	code, _, stderr = runCmd(append(args, "--eval-seed", "2", "--out", out)...)
	require.Equal(t, exitOK, code, stderr)
	requireSymlink(t, link, filepath.Join("..", "other", "sweep.md"))

	// sweep.md leads to sweep.csv.
	for _, c := range []struct{ link, target string }{{"sweep.md", "sweep.csv"}, {"sweep.csv", "sweep.md"}} {
		same := filepath.Join(dir, "same-"+c.link)
		require.NoError(t, os.Mkdir(same, 0o755))
		symlink(t, c.target, filepath.Join(same, c.link))
		code, _, stderr = runCmd(append(args, "--out", same)...)
		assert.Equal(t, exitUsage, code, c.link)
		csvPath, mdPath := filepath.Join(same, "sweep.csv"), filepath.Join(same, "sweep.md")
		assert.Equal(t, "nidim sweep: "+csvPath+" and "+mdPath+" are the same file "+filepath.Join(same, c.target)+" through a symbolic link, so the Markdown table would replace the CSV table; point the link at another file, or remove it.\n", stderr)
		assert.NoFileExists(t, filepath.Join(same, c.target))
	}
}

// With fewer test rows than the batch, the MI on the test split is
// estimated from one batch of all test rows and capped by ln of their
// number, but sweep.md showed the training batch's ln B next to it, a cap
// above what the estimate can reach. The ln B column now gives the cap of
// the MI beside it, with a note, and sweep.csv keeps ln_batch.
func TestSweepMarkdownCapsMIByTestRows(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20"}
	lnB := func(out string) (md, csvLnBatch string, table string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, "sweep.md"))
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		header := strings.Split(lines[0], "|")
		row := strings.Split(lines[2], "|")
		i := slices.IndexFunc(header, func(h string) bool { return strings.TrimSpace(h) == "ln B" })
		require.GreaterOrEqual(t, i, 0, "the ln B column")
		rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
		return strings.TrimSpace(row[i]), rows[1][slices.Index(rows[0], "ln_batch")], string(b)
	}

	// 24 test rows under a batch of 32.
	small := filepath.Join(dir, "small")
	code, _, stderr := runCmd(append(args, "--batch", "32", "--out", small)...)
	require.Equal(t, exitOK, code, stderr)
	md, csvLnBatch, table := lnB(small)
	assert.Equal(t, "3.178", md, "ln 24, the cap of the MI from 24 test rows")
	assert.Equal(t, "3.46574", csvLnBatch, "sweep.csv keeps ln 32")
	assert.Contains(t, table, "\nThe test split has 24 rows, fewer than the batch of 32, so the MI column is estimated from one batch of all 24 test rows, and the ln B column gives its cap, ln 24 = 3.178. Training's ln B is ln 32 = 3.466 (the ln_batch column of the CSV).\n")

	// A batch of 16 leaves the test MI capped by it.
	full := filepath.Join(dir, "full")
	code, _, stderr = runCmd(append(args, "--batch", "16", "--out", full)...)
	require.Equal(t, exitOK, code, stderr)
	md, csvLnBatch, table = lnB(full)
	assert.Equal(t, "2.773", md, "ln 16")
	assert.Equal(t, "2.77259", csvLnBatch)
	assert.NotContains(t, table, "The test split has")
}

// sweep had no --knn-metric, while train and eval have one. The flag
// leaves the settings column as it was when it keeps its default,
// euclidean, the metric of every table written before it existed, so
// those tables still resume; cosine adds a field that --resume compares.
func TestSweepKNNMetric(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--standardize=false"}
	settingsOf := func(out string) string {
		t.Helper()
		rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
		require.Len(t, rows, 2)
		return rows[1][slices.Index(rows[0], "settings")]
	}

	// The settings of this sweep as nidim wrote them before the flag.
	const old = "sweep-format=5 mlp h8 euclidean infonce-rows tau=0(fixed) epochs=1 batch=24 lr=0.002 cosine wd=0 shift=0 rot=0 zoom=0 pix=0 feat=0 mask=0 self-weight=0.5 noise-views=one noiseless-sigma=0.1 eval=20 eval-seed=1 knn=5 train=216 x [6] sha256:2568544fa18389fe test=24 x [6] sha256:6a632762c9251ff3"
	euclidean := filepath.Join(dir, "euclidean")
	code, _, stderr := runCmd(append(args, "--out", euclidean)...)
	require.Equal(t, exitOK, code, stderr)
	settings := settingsOf(euclidean)
	assert.Equal(t, old, settings)
	// Tables of feature vectors written before standardization became the
	// default resume with --standardize=false, which the error names.
	code, _, stderr = runCmd(append(slices.Clone(args[:len(args)-1]), "--out", euclidean)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "(in the table -> now: - -> standardize); use another --out or the same flags and data. Feature vectors are standardized unless --standardize=false is given, and the runs of this table were not; to continue it, pass --standardize=false.\n")
	code, _, stderr = runCmd(append(args, "--knn-metric", "euclidean", "--out", euclidean)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "1 run, 1 already in ", "the table of the default metric resumes")
	// A table of standardized runs met with --standardize=false gets
	// the opposite advice.
	standardized := filepath.Join(dir, "standardized")
	code, _, stderr = runCmd(append(slices.Clone(args[:len(args)-1]), "--out", standardized)...)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd(append(args, "--out", standardized)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "(in the table -> now: standardize -> -); use another --out or the same flags and data. The runs of this table were standardized; to continue it, drop --standardize=false.\n")

	code, _, stderr = runCmd(append(args, "--knn-metric", "cosine", "--out", euclidean)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "was written with other shared settings than this sweep (in the table -> now: - -> knn-metric=cosine)")

	cosine := filepath.Join(dir, "cosine")
	code, _, stderr = runCmd(append(args, "--knn-metric", "cosine", "--out", cosine)...)
	require.Equal(t, exitOK, code, stderr)
	settings = settingsOf(cosine)
	assert.Equal(t, strings.Replace(old, " knn=5 ", " knn=5 knn-metric=cosine ", 1), settings)
	code, _, stderr = runCmd(append(args, "--knn-metric", "cosine", "--out", cosine)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "1 run, 1 already in ")

	code, _, stderr = runCmd(append(args, "--knn-metric", "manhattan", "--out", filepath.Join(dir, "bad"))...)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: invalid --knn-metric \"manhattan\"; use euclidean or cosine.\n", stderr)
}

// The status line fits the terminal: it would otherwise wrap, and the
// next redraw would erase only its last row. A wide terminal gets every
// field; a narrow one loses the speed, the loss and bar cells, in that
// order, and keeps the MI beside its bounds as long as it can.
func TestProgressLineFitsTerminal(t *testing.T) {
	p := dim.Progress{Epoch: 3, Epochs: 15, Step: 117, Steps: 234, Elapsed: 30 * time.Second,
		Loss: 5.1234, MI: 0.4301, Capacity: 1.386, LnBatch: 5.545, SamplesPerSec: 26919}
	b := &progressBar{prefix: "[2/10] "}
	full := "[2/10] epoch 3/15 [############............]  50% ETA 2m30s  loss 5.1234  MI 0.430 nats (cap 1.386, ln B 5.545)  26919 samples/s"
	assert.Equal(t, full, b.line(p, 0), "unknown width")
	assert.Equal(t, full, b.line(p, 200))
	assert.Equal(t, "[2/10] epoch 3/15 [############............]  50% ETA 2m30s  loss 5.1234  MI 0.430 nats (cap 1.386, ln B 5.545)", b.line(p, 120))
	assert.Equal(t, "[2/10] epoch 3/15 [############............]  50% ETA 2m30s  MI 0.430 nats (cap 1.386, ln B 5.545)", b.line(p, 100))
	assert.Equal(t, "[2/10] epoch 3/15 [######......]  50% ETA 2m30s  MI 0.430 nats (cap 1.386, ln B 5.545)", b.line(p, 90))
	assert.Equal(t, "[2/10] epoch 3/15  50% ETA 2m30s  MI 0.430 nats (cap 1.386, ln B 5.545)", b.line(p, 80))
	assert.Equal(t, "[2/10] epoch 3/15  50% ETA 2m30s  MI 0.430 nats", b.line(p, 60))
	assert.Equal(t, "[2/10] epoch 3/15  50% ETA 2m30s", b.line(p, 40))
	assert.Equal(t, "[2/10] epoch 3/15  50% ET", b.line(p, 26))
	assert.Empty(t, b.line(p, 1))
}

// A prior listed twice in --priors gave two runs of one key: the header
// counted both, and the second was skipped as already done. Every list
// now keeps each value once, and a note names the repeated values.
func TestSweepRepeatedGridValues(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sw")
	code, _, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--priors", "gaussian, gaussian",
		"--sigmas", "0.5,0.50,0.5", "--dims", "2,2", "--epochs", "1", "--hidden", "8", "--threads", "1",
		"--eval-samples", "20", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: 1 run, 0 already in")
	assert.Contains(t, stderr, "note: --sigmas lists 0.5 more than once; the grid trains each setting once")
	assert.Contains(t, stderr, "note: --dims lists 2 more than once")
	assert.Contains(t, stderr, "note: --priors lists gaussian more than once")
	assert.NotContains(t, stderr, "[2/2]")
	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	assert.Len(t, rows, 2, "header and one run")

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "more than once", "no note without a repeated value")
}

// sweep keeps no checkpoint, and its help describes how to train the
// chosen run again with nidim train. That run must be the same model:
// the same MI estimate and accuracies from the same flags.
func TestSweepRunMatchesTrain(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	shared := []string{"--data", data, "--labels", labels, "--epochs", "2", "--hidden", "8", "--batch", "24",
		"--threads", "1", "--seed", "3"}
	out := filepath.Join(dir, "sw")
	code, _, stderr := runCmd(append([]string{"sweep", "--sigmas", "0.5", "--dims", "2", "--out", out}, shared...)...)
	require.Equal(t, exitOK, code, stderr)
	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, rows, 2)
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}

	code, stdout, stderr := runCmd(append([]string{"train", "--dim", "2", "--sigma", "0.5", "--json",
		"--out", filepath.Join(dir, "m.safetensors")}, shared...)...)
	require.Equal(t, exitOK, code, stderr)
	var got struct {
		MI    float64 `json:"mi_estimate"`
		Probe float64 `json:"linear_probe_accuracy"`
		KNN   float64 `json:"knn_accuracy"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	for name, v := range map[string]float64{"mi_estimate": got.MI, "linear_probe_accuracy": got.Probe, "knn_accuracy": got.KNN} {
		want, err := strconv.ParseFloat(col[name], 64)
		require.NoError(t, err, name)
		assert.InDelta(t, want, v, 1e-5*math.Max(1, math.Abs(want)), name)
	}
}

// Ctrl-C during the evaluation of a run does not stop that evaluation,
// and the sweep then started the next run, printed its "training" line
// and reported that run as interrupted. It now stops before the next run
// and names the run whose evaluation finished. The signal was
// acknowledged only then, seconds later on MNIST, and a notice now
// acknowledges it before the run's results.
func TestSweepInterruptDuringEvaluation(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sw")
	sweepEpochHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == p.Epochs {
			interrupt()
		}
	}
	t.Cleanup(func() { sweepEpochHook = nil })
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5,1", "--dims", "2", "--epochs", "1",
		"--hidden", "8", "--batch", "24", "--threads", "1", "--eval-samples", "20", "--out", out}

	code, stdout, stderr := runCmd(args...)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	first := "ni-dim/gaussian/d=2/level=0.5/seed=0"
	assert.Contains(t, stderr, "[1/2] "+first+": MI ")
	notice := "nidim sweep: interrupted during the evaluation of run [1/2] " + first + "; the evaluation finishes and its row is saved to " +
		filepath.Join(out, "sweep.csv") + ", then the sweep stops without starting another run.\n"
	assert.Equal(t, 1, strings.Count(stderr, notice), stderr)
	assert.Less(t, strings.Index(stderr, "  epoch 1/1: "), strings.Index(stderr, notice), "the notice follows the training")
	assert.Less(t, strings.Index(stderr, notice), strings.Index(stderr, "[1/2] "+first+": MI "), "the notice precedes the results")
	assert.NotContains(t, stderr, "[2/2]", "the second run did not start")
	assert.True(t, strings.HasSuffix(stderr, "nidim sweep: interrupted during the evaluation of run "+first+
		", which finished first; 1 finished run is in "+filepath.Join(out, "sweep.csv")+", and the same command resumes.\n"), stderr)
	assert.Len(t, readCSVFile(t, filepath.Join(out, "sweep.csv")), 2, "header and the finished run")

	// The last run has no run after it, so the sweep ends as usual.
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "1 already in")
	assert.Len(t, readCSVFile(t, filepath.Join(out, "sweep.csv")), 3)
}

func TestSigmaList(t *testing.T) {
	assert.Equal(t, "0.5,1", sigmaList([]string{"--dims", "4", "--sigma", "0.5,1"}))
	assert.Equal(t, "0,2", sigmaList([]string{"-sigma=0,2"}))
	assert.Empty(t, sigmaList([]string{"--sigmas", "0,0.5"}), "the grid flag itself")
	assert.Empty(t, sigmaList([]string{"--sigma", "0.5"}), "one number")
	assert.Empty(t, sigmaList([]string{"--", "--sigma", "0,1"}), "after --, arguments are no flags")
	assert.Empty(t, sigmaList([]string{"--sigma"}), "no value")
}

// --sigma sets only the temperature of the runs without noise. On a grid
// without them it changes nothing, so a note reports that, and a table
// begun with the flag resumes with it.
func TestSweepSigmaWithoutNoiselessRuns(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sw")
	args := []string{"sweep", "--data", data, "--labels", labels, "--sigma", "0.3", "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", out}
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "note: --sigma 0.3 sets only the initial temperature of the runs without noise, and this grid has none, so it changes nothing")

	code, _, stderr = runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: 1 run, 1 already in")

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--sigma", "0.3", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", filepath.Join(dir, "sw2"), "--sigmas", "0")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "changes nothing", "a grid with a run without noise uses --sigma")
}
