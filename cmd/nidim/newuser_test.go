package main

// Regressions found by using the program as a new user would. Before its
// fix, each case failed, or printed the wrong words or exit status.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trainTinyModel trains one epoch on the 240 cluster points (24 held out)
// and returns the data, labels and checkpoint paths.
// writeNPYFile writes x to path as an NPY file.
func writeNPYFile(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, tensor.WriteNPY(f, x))
	require.NoError(t, f.Close())
}

func trainTinyModel(t *testing.T, extra ...string) (data, labels, model string) {
	t.Helper()
	dir := t.TempDir()
	data, labels = writeClusters(t, dir)
	model = filepath.Join(dir, "m.safetensors")
	args := append([]string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model}, extra...)
	code, _, stderr := runCmd(args...)
	require.Equal(t, exitOK, code, stderr)
	return data, labels, model
}

// "nidim embed CHECKPOINT --out E.npy" and "nidim eval CHECKPOINT" used to
// fail with "unexpected argument". The checkpoint may now be the argument.
func TestEmbedAndEvalTakeTheModelAsArgument(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	byFlag, byArg := filepath.Join(dir, "flag.npy"), filepath.Join(dir, "arg.npy")
	code, _, stderr := runCmd("embed", "--model", model, "--data", data, "--out", byFlag)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", byArg)
	require.Equal(t, exitOK, code, stderr)
	want, err := os.ReadFile(byFlag)
	require.NoError(t, err)
	got, err := os.ReadFile(byArg)
	require.NoError(t, err)
	assert.Equal(t, want, got, "embeddings through MODEL and through --model differ")

	code, jsonFlag, stderr := runCmd("eval", "--model", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	code, jsonArg, stderr := runCmd("eval", "--data", data, model, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.JSONEq(t, jsonFlag, jsonArg)

	code, _, stderr = runCmd("embed", "--model", model, model, "--out", byArg)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "the model is given twice")
	code, _, stderr = runCmd("eval", model, model)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "unexpected argument")
	code, _, stderr = runCmd("eval")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "missing --model; pass the checkpoint written by nidim train, as in nidim eval MODEL.")
}

// A matrix data set whose test split is smaller than the batch (here 24
// test rows against a batch of 32) used to train and save the model, then
// exit 1 with "the MI estimate needs at least one batch of 32 rows". The
// estimate now uses one batch of all test rows and says so.
func TestTrainEvaluatesATestSplitSmallerThanTheBatch(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "32", "--epochs", "1", "--threads", "1", "--out", model, "--json")
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, 24.0, res["mi_batch"])
	assert.InDelta(t, math.Log(32), res["ln_batch"], 1e-12)
	mi := res["mi_estimate"].(float64)
	assert.LessOrEqual(t, mi, math.Log(24)+1e-9, "InfoNCE over 24 rows is at most ln 24")

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "from one batch of all 24 test rows, so at most ln 24 = 3.178")
}

func TestTrainRejectsSettingsBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		// Used to exit 1 from inside the training loop.
		{[]string{"--data", data, "--labels", labels, "--batch", "300"}, "--batch 300 is larger than the 216 training rows; use --batch 216 or less, or more data."},
		// Used to train a 512-wide network, the library default for 0.
		{[]string{"--hidden", "0"}, "invalid --hidden 0; use a positive width such as 512."},
		// Used to say "unknown matrix file extension".
		{[]string{"--data", filepath.Join(dir, "nonexistent")}, "nidim train: --data " + filepath.Join(dir, "nonexistent") + " does not exist; check the path."},
		{[]string{"--data", data, "--labels", filepath.Join(dir, "nolabels.csv")}, "nidim train: --labels " + filepath.Join(dir, "nolabels.csv") + " does not exist; check the path."},
		// Used to exit 1 when training drew the first view.
		{[]string{"--mask", "1.5"}, "nidim train: --mask 1.5 is invalid; it must be in [0, 1)."},
		{[]string{"--shift", "-3"}, "nidim train: --shift -3 is invalid; it must be 0 or more pixels."},
		// Used to keep the "dim: " package prefix and no period.
		// Used to name the library's settings instead of the flags.
		{[]string{"--dim", "0"}, "nidim train: --dim 0 is invalid; it must be at least 1."},
		{[]string{"--batch", "1"}, "nidim train: --batch 1 is invalid; contrastive training needs at least 2."},
		{[]string{"--epochs", "0"}, "nidim train: --epochs 0 is invalid; train for at least 1 epoch."},
		{[]string{"--lr", "0"}, "nidim train: --lr 0 is invalid; it must be positive, such as 0.001."},
		{[]string{"--tau", "-1"}, "nidim train: --tau -1 is invalid; use a positive number, or 0 for the default."},
		{[]string{"--self-weight", "2"}, "nidim train: --self-weight 2 is invalid; use a number from 0 to 1 (1 is plain InfoNCE)."},
		{[]string{"--weight-decay", "-1"}, "nidim train: --weight-decay -1 is invalid; it must be 0 or more."},
	} {
		code, stdout, stderr := runCmd(append(append([]string{"train"}, c.args...), "--out", out)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line: %q", c.args, stderr)
		_, err := os.Stat(out)
		assert.ErrorIs(t, err, os.ErrNotExist, "%v wrote a checkpoint", c.args)
	}
}

// A missing --data or --labels file, or an invalid training setting, is
// named by its flag in every command that reads it.
func TestMissingFilesNamedByFlag(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", model, "--data", data, "--labels", missing}, "nidim eval: --labels " + missing + " does not exist; check the path.\n"},
		{[]string{"eval", model, "--data", missing}, "nidim eval: --data " + missing + " does not exist; check the path.\n"},
		{[]string{"score", model, "--data", data, "--labels", missing, "--out", filepath.Join(dir, "s.csv")}, "nidim score: --labels " + missing + " does not exist; check the path.\n"},
		{[]string{"embed", model, "--data", missing, "--out", filepath.Join(dir, "e.csv")}, "nidim embed: --data " + missing + " does not exist; check the path.\n"},
		{[]string{"sweep", "--data", data, "--labels", missing, "--dims", "2", "--sigmas", "0.5", "--out", filepath.Join(dir, "sweep")}, "nidim sweep: --labels " + missing + " does not exist; check the path.\n"},
		{[]string{"sweep", "--data", data, "--labels", labels, "--dims", "2", "--sigmas", "0.5", "--batch", "1", "--out", filepath.Join(dir, "sweep")}, "nidim sweep: run ni-dim/gaussian/d=2/level=0.5/seed=0: --batch 1 is invalid; contrastive training needs at least 2.\n"},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

// The package flag's "invalid value "abc" for flag -lr: parse error" named
// neither the expected kind of value nor the double-dash spelling.
func TestFlagValueErrorsSayWhatIsExpected(t *testing.T) {
	path := writeNormalCSV(t, 30, 2, 1, 0)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--lr", "abc"}, `nidim train: invalid --lr "abc": use a number; run "nidim help train" for the flags.`},
		{[]string{"train", "--epochs"}, `nidim train: --epochs needs a value; run "nidim help train" for the flags.`},
		{[]string{"train", "--seed", "-1"}, `nidim train: invalid --seed "-1": use a whole number, 0 or more; run "nidim help train" for the flags.`},
		{[]string{"train", "--dim", "1e400"}, `nidim train: invalid --dim "1e400": use a whole number; run "nidim help train" for the flags.`},
		{[]string{"embed", "--batch", "99999999999999999999"}, `nidim embed: invalid --batch "99999999999999999999": out of range; use a whole number that fits; run "nidim help embed" for the flags.`},
		{[]string{"eval", "--json=maybe"}, `nidim eval: invalid --json "maybe": use true or false; run "nidim help eval" for the flags.`},
		{[]string{"test", "--alpha", "abc", path}, `nidim test: invalid --alpha "abc": use a number; run "nidim help test" for the flags.`},
		{[]string{"test", "--bogus", path}, `nidim test: unknown flag --bogus; run "nidim help test" for the flags.`},
		{[]string{"test", path, "-bogus"}, `nidim test: unknown flag -bogus; run "nidim help test" for the flags.`},
		{[]string{"eval", "--threads", "2", "--bogus=3"}, `nidim eval: unknown flag --bogus; run "nidim help eval" for the flags.`},
		{[]string{"bench", "gemm", "--bogus"}, `nidim bench gemm: unknown flag --bogus; run "nidim help bench" for the flags.`},
		// The reason that the parser of --ood gives used to become "use a
		// valid value".
		{[]string{"eval", "--ood", ""}, `nidim eval: invalid --ood "": empty path; pass an MNIST-style directory or a matrix file; run "nidim help eval" for the flags.`},
		{[]string{"eval", "--ood="}, `nidim eval: invalid --ood "": empty path; pass an MNIST-style directory or a matrix file; run "nidim help eval" for the flags.`},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want+"\n", stderr, "%v", c.args)
	}
}

// A duration flag given without a unit, such as --max-wait 5, got "use a
// valid value", which did not say that the value needs a unit.
func TestDurationFlagErrorNamesUnit(t *testing.T) {
	for _, flagName := range []string{"--max-wait", "--timeout", "--shutdown-timeout"} {
		code, stdout, stderr := runCmd("serve", "model.safetensors", flagName, "5")
		assert.Equal(t, exitUsage, code, flagName)
		assert.Empty(t, stdout, flagName)
		want := `nidim serve: invalid ` + flagName + ` "5": use a duration with a unit, such as 1ms, 2s or 1m30s; run "nidim help serve" for the flags.` + "\n"
		assert.Equal(t, want, stderr, flagName)
	}
}

// --penalty-directions 0 got "--penalty-weight 1 with 0 directions is
// invalid", which put the valid weight first. Each flag now has its own
// message in train and sweep.
func TestPenaltyErrorNamesBadFlag(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	common := []string{"--data", data, "--labels", labels, "--batch", "24", "--epochs", "1"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--penalty", "epps-pulley", "--penalty-directions", "0"}, "nidim train: --penalty-directions 0 is invalid; use at least 1 direction.\n"},
		{[]string{"train", "--penalty", "epps-pulley", "--penalty-weight", "-1"}, "nidim train: --penalty-weight -1 is invalid; use a finite weight of 0 or more.\n"},
		{[]string{"sweep", "--baselines", "--penalty-directions", "0"}, "nidim sweep: invalid --penalty-directions 0; use at least 1 direction.\n"},
		{[]string{"sweep", "--baselines", "--penalty-weight", "-1"}, "nidim sweep: invalid --penalty-weight -1; use a finite weight of 0 or more.\n"},
	} {
		out := filepath.Join(dir, "out")
		code, stdout, stderr := runCmd(append(append(c.args, common...), "--out", out)...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
		assert.NoFileExists(t, out, "%v", c.args)
	}
}

// eval --json printed epochs and two_view_mi, which its help did not list.
// Every top-level key of the output is now named in the help of --json.
func TestEvalHelpListsJSONKeys(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))

	code, help, stderr := runCmd("help", "eval")
	require.Equal(t, exitOK, code, stderr)
	_, jsonHelp, found := strings.Cut(help, "--json")
	require.True(t, found, "the eval help has no --json flag")
	for key := range res {
		// As a whole word, so that capacity_gap does not count for capacity.
		named := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `\b`)
		assert.Regexp(t, named, jsonHelp, "eval --json prints %q, which the help of --json does not name", key)
	}
}

// "--out -" means standard output in embed and score, but train and
// export wrote a checkpoint to a file named "-", and sweep made a
// directory of that name. They now reject it, and ./- still works.
func TestOutDashRejectedWhereNoStdout(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	t.Chdir(dir)
	common := []string{"--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"train", "--out", "-"}, common...), "nidim train: --out - would create a file named \"-\", because only embed and score write to standard output; pass a file path, or ./- for a file of that name.\n"},
		{[]string{"export", model, "--out", "-"}, "nidim export: --out - would create a file named \"-\", because only embed and score write to standard output; pass a file path, or ./- for a file of that name.\n"},
		{[]string{"sweep", "--data", data, "--labels", labels, "--dims", "2", "--sigmas", "0.5", "--batch", "24", "--epochs", "1", "--out", "-"}, "nidim sweep: --out - would create a directory named \"-\", because sweep writes its tables to files; pass a directory path, or ./- for a directory of that name.\n"},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
		assert.NoFileExists(t, filepath.Join(dir, "-"), "%v", c.args)
		assert.NoDirExists(t, filepath.Join(dir, "-"), "%v", c.args)
	}

	code, _, stderr := runCmd("export", model, "--out", "./-")
	require.Equal(t, exitOK, code, stderr)
	assert.FileExists(t, filepath.Join(dir, "-"))
}

// "nidim train --resume a --out b" replaced b after its first epoch even
// when b held another interrupted run, which only b could continue. A new
// run already kept such a file, and a resumed one now keeps it too.
func TestResumeKeepsOtherUnfinishedOut(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	_, _, other := trainTinyModel(t)
	makeUnfinished(t, other, 3, 2)
	before := readFile(t, other)

	args := []string{"train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval"}
	code, stdout, stderr := runCmd(append(args, "--out", other)...)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim train: --out "+other+" contains another unfinished run (1 epoch and 2 steps of 3 epochs), which this run would replace; pass another --out, or drop --out to continue "+model+" in place.\n", stderr)
	assert.Equal(t, before, readFile(t, other), "the other run's checkpoint changed")

	// The run's own checkpoint, named by --out as well, is continued.
	makeUnfinished(t, model, 2, 1)
	code, _, stderr = runCmd(append(args, "--out", model)...)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Epoch)
	assert.Equal(t, 0, m.Step)
}

// A sweep whose --out directory could not take its tables, read-only or
// with a directory in the place of sweep.md, trained the first run, which
// can take minutes, and only then failed to write them. The table paths
// are now checked before any run.
func TestSweepChecksTablesBeforeRuns(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sweep")
	blocked := filepath.Join(out, "sweep.md")
	require.NoError(t, os.MkdirAll(blocked, 0o755))

	code, stdout, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--dims", "2", "--sigmas", "0.5",
		"--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim sweep: the table "+blocked+" is a directory; pass a file path inside it.\n", stderr)
	assert.NotContains(t, stderr, "training")
}

// --prior and --tests are checked before the file is read, and the error
// does not blame the file.
func TestCommandTestChecksOptionsBeforeTheFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.npy")
	code, _, stderr := runCmd("test", "--prior", "cauchy", missing)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: unknown prior \"cauchy\"; use one of gaussian, uniform, logistic, laplace, exponential.\n", stderr)

	code, _, stderr = runCmd("test", "--tests", "ks-prior,shapiro", missing)
	assert.Equal(t, exitUsage, code)
	assert.True(t, strings.HasPrefix(stderr, `nidim test: unknown test "shapiro"; valid tests for prior gaussian: shapiro-wilk,`), stderr)

	code, _, stderr = runCmd("test", "--prior", "uniform", "--tests", "lilliefors", missing)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `test "lilliefors" checks normality and does not apply to prior uniform`)
	assert.NotContains(t, stderr, "none.npy")

	code, _, stderr = runCmd("test", missing)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: "+missing+" does not exist; check the path.\n", stderr)

	dir := t.TempDir()
	code, _, stderr = runCmd("test", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, dir+" is a directory; pass a matrix file")
}

// A collapsed component, the same value in every row, used to pass: every
// test refused constant data and dropped out of the family.
func TestCommandTestFailsACollapsedComponent(t *testing.T) {
	for _, prior := range []string{"gaussian", "uniform"} {
		n, d := 300, 3
		x := make([]float64, n*d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				// A stratified sample of the prior's marginal in columns
				// 0 and 2, a constant in column 1.
				u := (float64((i*7+j*13)%n) + 0.5) / float64(n)
				switch {
				case j == 1:
					x[i*d+j] = 0.5
				case prior == "uniform":
					x[i*d+j] = u
				default:
					x[i*d+j] = normalQuantile(u)
				}
			}
		}
		path := filepath.Join(t.TempDir(), "collapsed.npy")
		require.NoError(t, tensor.WriteMatrixFile(path, x, n, d))
		code, stdout, stderr := runCmd("test", "--prior", prior, "--replicates", "19", "--json", path)
		require.Equal(t, exitOK, code, stderr)
		var res testJSON
		require.NoError(t, json.Unmarshal([]byte(stdout), &res))
		assert.True(t, res.Reject, "%s: %s", prior, res.Verdict)
		assert.True(t, strings.HasPrefix(res.Verdict, "FAIL: "), "%s: %s", prior, res.Verdict)
		for _, e := range res.Tests {
			if e.Name == "ks-prior" && e.Component == 1 {
				require.NotNil(t, e.PAdjusted, "%s: ks-prior did not run on the constant column: %s", prior, e.Error)
				assert.LessOrEqual(t, *e.PAdjusted, 0.01, prior)
			}
		}
	}
}

// normalQuantile inverts the standard normal cdf by bisection, enough for
// test data.
func normalQuantile(p float64) float64 {
	lo, hi := -10.0, 10.0
	for range 100 {
		mid := (lo + hi) / 2
		if 0.5*math.Erfc(-mid/math.Sqrt2) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func TestHelpHelp(t *testing.T) {
	code, stdout, stderr := runCmd("help", "help")
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Usage: nidim COMMAND [flags] [arguments]")
}

// Output paths that cannot be written used to fail only after the work:
// train ran every epoch before reporting that the checkpoint could not be
// saved, and embed embedded the whole data set before refusing the name.
func TestOutputPathsAreCheckedBeforeTheWork(t *testing.T) {
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", data, "--out", filepath.Join(dir, "missing", "m.safetensors")},
			"nidim train: the directory " + filepath.Join(dir, "missing") + " of --out " + filepath.Join(dir, "missing", "m.safetensors") + " does not exist; create it or choose another path.\n"},
		{[]string{"train", "--data", data, "--out", dir}, "nidim train: --out " + dir + " is a directory; pass a file path inside it.\n"},
		{[]string{"embed", model, "--data", data, "--out", filepath.Join(notDir, "z.npy")},
			"nidim embed: --out " + filepath.Join(notDir, "z.npy") + " is inside " + notDir + ", which is not a directory; choose another path.\n"},
		{[]string{"embed", model, "--data", data, "--out", filepath.Join(dir, "z.parquet")},
			"nidim embed: --out " + filepath.Join(dir, "z.parquet") + ": unknown matrix file extension; use .npy, .csv, .tsv or .txt, optionally followed by .gz.\n"},
	} {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

// A service runs in a working directory its author may not expect, such
// as / under systemd, and "the directory missing" or "cannot create files
// in ." did not say where that was.
func TestRelativeOutDirectoryNamedAbsolute(t *testing.T) {
	data, _, model := trainTinyModel(t)
	work := t.TempDir()
	t.Chdir(work)
	require.NoError(t, os.WriteFile("file", []byte("x"), 0o644))

	code, _, stderr := runCmd("embed", model, "--data", data, "--out", filepath.Join("missing", "z.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: the directory missing ("+filepath.Join(work, "missing")+") of --out "+filepath.Join("missing", "z.npy")+" does not exist; create it or choose another path.\n", stderr)

	code, _, stderr = runCmd("embed", model, "--data", data, "--out", filepath.Join("file", "z.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: --out "+filepath.Join("file", "z.npy")+" is inside file ("+filepath.Join(work, "file")+"), which is not a directory; choose another path.\n", stderr)

	code, _, stderr = runCmd("embed", model, "--data", data, "--out", filepath.Join(work, "missing", "z.npy"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim embed: the directory "+filepath.Join(work, "missing")+" of --out "+filepath.Join(work, "missing", "z.npy")+" does not exist; create it or choose another path.\n", stderr, "an absolute path is named once")
}

// "nidim train --resume M" without --out used to save the continued model
// to ./nidim-model.safetensors, over whatever model was there, while the
// interruption message tells users to run exactly that.
func TestResumeSavesToTheResumedCheckpoint(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	before, err := os.ReadFile(model)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval", "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "saved the model to "+model+"\n")
	_, err = os.Stat("nidim-model.safetensors")
	assert.ErrorIs(t, err, os.ErrNotExist, "the resumed run wrote the default checkpoint")
	after, err := os.ReadFile(model)
	require.NoError(t, err)
	assert.NotEqual(t, before, after, "the resumed checkpoint was not updated")
}

// "--threads 0" means all cores for train, embed and eval; nidim test
// refused it with "use 1 or more".
func TestCommandTestThreadsZeroUsesAllCPUs(t *testing.T) {
	path := writeNormalCSV(t, 60, 2, 2, 0)
	code, zero, stderr := runCmd("test", "--threads", "0", "--replicates", "19", "--json", path)
	require.Equal(t, exitOK, code, stderr)
	code, one, stderr := runCmd("test", "--threads", "1", "--replicates", "19", "--json", path)
	require.Equal(t, exitOK, code, stderr)
	assert.JSONEq(t, one, zero, "results depend on the thread count")
	code, _, stderr = runCmd("test", "--threads", "-1", path)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: invalid --threads -1: use 0 for all cores or a positive count.\n", stderr)
}

// Resuming a model trained on a matrix file without its --data used to
// exit 1 from the training loop with "the model takes 6 values per sample
// but the data has 784".
func TestResumeWithOtherDataIsAUsageError(t *testing.T) {
	_, _, model := trainTinyModel(t)
	if hasBuiltinMNIST(t) {
		code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--no-eval")
		assert.Equal(t, exitUsage, code)
		assert.Equal(t, "nidim train: no --data was given, so nidim read the built-in MNIST (784 values per sample), but the checkpoint "+model+" expects 6 values per sample (shape [6]); pass --data FILE with the data it was trained on.\n", stderr)
	}

	// With --data of another sample size the message stays about that file.
	wide := filepath.Join(t.TempDir(), "wide.csv")
	require.NoError(t, tensor.WriteMatrixFile(wide, make([]float64, 7*30), 30, 7))
	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--no-eval", "--data", wide)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: the checkpoint "+model+" takes samples of shape [6] (6 values) but the data has 7 values per sample; pass the --data it was trained on.\n", stderr)
}

// embed, score and eval without --data read the built-in MNIST. For a
// model trained on a matrix file they used to fail with a message about
// 784 values per sample that did not say where those came from.
func TestModelCommandsWithoutDataNameMNIST(t *testing.T) {
	skipWithoutMNIST(t)
	_, _, model := trainTinyModel(t)
	out := filepath.Join(t.TempDir(), "out.npy")
	const want = ": no --data was given, so nidim read the built-in MNIST (784 values per sample), but the model expects 6 values per sample (shape [6]); pass --data FILE with samples of that size, such as the data it was trained on.\n"
	for _, args := range [][]string{
		{"embed", model, "--out", out},
		{"score", model, "--out", out},
		{"eval", model},
	} {
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, args)
		assert.Empty(t, stdout, args)
		assert.Equal(t, "nidim "+args[0]+want, stderr, args)
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "a command wrote %s", out)
}

// The interruption message suggests a resume command; it used to leave out
// the data flags, without which the resumed run loads other data.
func TestDataFlagsRepeatedForResume(t *testing.T) {
	dir := t.TempDir()
	assert.Equal(t, "", (&dataFlags{testFraction: defaultTestFraction}).args())
	assert.Equal(t, " --data x.npy --labels y.csv --image-shape 1,28,28 --test-fraction 0.2",
		(&dataFlags{data: "x.npy", labels: "y.csv", imageShape: "1,28,28", testFraction: 0.2}).args())
	assert.Equal(t, " --data "+dir, (&dataFlags{data: dir, testFraction: 0.3}).args(), "an IDX directory has no test fraction")
}

// Ctrl-C before the first epoch ended used to save the untrained model
// over --out, destroying a trained model kept there.
func TestTrainFirstEpochInterruptKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	trained, err := os.ReadFile(out)
	require.NoError(t, err)
	interruptAt := func(epoch, step int) {
		trainStepHook = func(p dim.Progress, interrupt func()) {
			if p.Epoch == epoch && p.Step == step {
				interrupt()
			}
		}
	}
	t.Cleanup(func() { trainStepHook = nil })
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "3", "--threads", "1", "--out", out}

	interruptAt(1, 2)
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "nidim train: interrupted during epoch 1, before anything was saved; "+out+" was not written.\n")
	kept, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, trained, kept)

	// After a complete epoch the interrupted run saves, and says how to
	// continue, with the data flags.
	interruptAt(2, 1)
	code, _, stderr = runCmd(args...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "nidim train: interrupted; saved the model after 1 complete epoch and step 1 of 9 of epoch 2 to "+out+"; continue with:\n  nidim train --resume "+out+" --epochs 3 --data "+data+" --labels "+labels+"\n")
	m, err := dim.LoadModel(out)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Epoch)
	assert.Equal(t, 1, m.Step)
}

// Interrupted runs used to save mid-epoch weights as "the model after N
// complete epochs", and a resume replayed the whole epoch with a new Adam.
// Now the run interrupted twice and resumed twice must write the same
// bytes as the run that was not interrupted.
func TestTrainResumeAfterInterruptIsExact(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	whole, parts := filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "parts.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "3", "--threads", "1", "--no-eval"}
	code, _, stderr := runCmd(append(args, "--out", whole)...)
	require.Equal(t, exitOK, code, stderr)

	interruptAt := func(epoch, step int) {
		trainStepHook = func(p dim.Progress, interrupt func()) {
			if p.Epoch == epoch && p.Step == step {
				interrupt()
			}
		}
	}
	t.Cleanup(func() { trainStepHook = nil })
	resume := []string{"train", "--resume", parts, "--data", data, "--labels", labels, "--threads", "1", "--no-eval"}

	interruptAt(2, 4)
	code, _, stderr = runCmd(append(args, "--out", parts)...)
	require.Equal(t, exitFail, code, stderr)
	assert.Contains(t, stderr, "nidim train: interrupted; saved the model after 1 complete epoch and 4 of 9 steps of epoch 2 to "+parts+";")

	interruptAt(2, 6)
	code, _, stderr = runCmd(resume...)
	require.Equal(t, exitFail, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: "+parts+" stopped after 4 of 9 steps of epoch 2; training continues from there\n")
	assert.NotContains(t, stderr, "optimizer state")
	assert.Contains(t, stderr, "nidim train: interrupted; saved the model after 1 complete epoch and 6 of 9 steps of epoch 2 to "+parts+";")

	// Interrupted after the last step of an epoch, the run stops at the
	// start of the next one.
	interruptAt(2, 9)
	code, _, stderr = runCmd(resume...)
	require.Equal(t, exitFail, code, stderr)
	assert.Contains(t, stderr, "nidim train: interrupted; saved the model after 2 complete epochs to "+parts+";")

	trainStepHook = nil
	code, _, stderr = runCmd(resume...)
	require.Equal(t, exitOK, code, stderr)
	want, err := os.ReadFile(whole)
	require.NoError(t, err)
	got, err := os.ReadFile(parts)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "the resumed checkpoint differs from the uninterrupted one")
}

// A test starved by --max-samples or --energy-samples used to advise
// "add rows" although the file has plenty.
func TestCommandTestBlamesRowCap(t *testing.T) {
	path := writeNormalCSV(t, 200, 3, 6, 0)
	code, _, stderr := runCmd("test", "--max-samples", "1", "--tests", "henze-zirkler,energy,ks-prior", "--replicates", "9", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim test: warning: henze-zirkler could not run: needs at least 3 rows, got 1; raise --max-samples from 1 (the file has 200 rows).\n")
	assert.Contains(t, stderr, "nidim test: warning: energy could not run: needs at least 2 rows, got 1; raise --max-samples from 1 (the file has 200 rows).\n")

	// epps-pulley subsamples at most 1000 rows and --max-samples, and
	// its warning gave only the count, "need at least 8 values, got 3".
	code, _, stderr = runCmd("test", "--max-samples", "3", "--tests", "epps-pulley,ks-prior", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "nidim test: warning: epps-pulley could not run (3 entries): need at least 8 values, got 3; raise --max-samples from 3 (the file has 200 rows).\n", stderr)

	code, _, stderr = runCmd("test", "--energy-samples", "2", "--tests", "energy,ks-prior", "--replicates", "9", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "raise --energy-samples from 2 (the file has 200 rows) or test fewer columns.\n")
	assert.NotContains(t, stderr, "add rows")

	// energy-prior and sliced-epps-pulley ran on a one-row subsample
	// and reported its p-values.
	code, _, stderr = runCmd("test", "--max-samples", "1", "--tests", "energy-prior,sliced-epps-pulley,ks-prior", "--replicates", "9", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "nidim test: warning: 2 tests could not run (energy-prior, sliced-epps-pulley): needs at least 2 rows, got 1; raise --max-samples from 1 (the file has 200 rows).\n", stderr)

	// When no test can run, the error advised adding rows.
	code, _, stderr = runCmd("test", "--max-samples", "1", "--tests", "energy,energy-prior", "--replicates", "9", path)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim test: no test could run on the 200 x 3 matrix in "+path+" (energy: needs at least 2 rows, got 1); raise --max-samples from 1 (the file has 200 rows) or choose other tests with --tests.\n", stderr)
}

// A learning rate far too high used to train to tau = +Inf, save that
// model over the checkpoint, and fail only when --json could not encode
// +Inf. Training now stops at the first non-finite epoch and keeps the
// last good checkpoint.
func TestTrainStopsWhenTrainingDiverges(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--standardize=false", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "MI estimate (last training epoch)")
	trained, err := os.ReadFile(out)
	require.NoError(t, err)
	// Under the match recipe the loss stays finite even at this rate, so
	// the test trains with the reference recipe, which diverges.
	code, stdout, stderr = runCmd("train", "--recipe", "reference", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "3", "--threads", "1", "--lr", "1e8", "--json", "--standardize=false", "--out", out)
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "nidim train: training diverged in epoch 1 (")
	assert.Contains(t, stderr, "); "+out+" was not written; train again with a lower learning rate than --lr 1e+08, or without --standardize=false if the features are large.\n")
	kept, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, trained, kept)
}

// Under the match recipe a far too high learning rate keeps the loss
// finite, but the encoder outputs outgrow float32, so the normalization's
// running variance became +Inf. Training saved that model, which embeds
// every input as 0, and exited 0. It now stops as for a non-finite loss.
func TestTrainStopsWhenStatisticsOverflow(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--threads", "1", "--no-eval", "--out", out}
	code, _, stderr := runCmd(append(args, "--epochs", "1")...)
	require.Equal(t, exitOK, code, stderr)
	trained, err := os.ReadFile(out)
	require.NoError(t, err)

	code, stdout, stderr := runCmd(append(args, "--epochs", "3", "--lr", "1e8")...)
	assert.Equal(t, exitFail, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "nidim train: training diverged in epoch 1 (the normalization's running variance of component ")
	assert.Contains(t, stderr, " is +Inf, so the model would embed every input as 0); "+out+" was not written; train again with a lower learning rate than --lr 1e+08.\n")
	assert.Equal(t, trained, readFile(t, out), "the earlier checkpoint changed")
}

func TestNonFiniteStatistics(t *testing.T) {
	_, _, model := trainTinyModel(t)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, "", nonFiniteStatistics(m))

	m.Encoder.Norm.RunningVar.Value.Data[1] = float32(math.Inf(1))
	assert.Equal(t, "the normalization's running variance of component 1 is +Inf, so the model would embed every input as 0", nonFiniteStatistics(m))
	m.Encoder.Norm.RunningMean.Value.Data[0] = float32(math.NaN())
	assert.Equal(t, "the normalization's running mean of component 0 is NaN, so the model would embed every input as 0", nonFiniteStatistics(m))

	// The baseline without normalization does not use the statistics.
	m.Encoder.Norm.Off = true
	assert.Equal(t, "", nonFiniteStatistics(m))
}

func TestNonFiniteEpoch(t *testing.T) {
	assert.Equal(t, "", nonFiniteEpoch(dim.Progress{Loss: 1, MI: 2, Tau: 0.1}))
	assert.Equal(t, "tau = +Inf", nonFiniteEpoch(dim.Progress{Loss: 1, MI: 2, Tau: math.Inf(1)}))
	assert.Equal(t, "loss = NaN", nonFiniteEpoch(dim.Progress{Loss: math.NaN(), MI: math.NaN(), Tau: 1}))
	assert.Equal(t, "MI = -Inf", nonFiniteEpoch(dim.Progress{Loss: 1, MI: math.Inf(-1), Tau: 1}))
}

// A checkpoint from before the optimizer state was saved must still
// resume, saying that Adam starts afresh. Extending a cosine schedule gets
// its own note, since it too makes the run differ from an uninterrupted one.
func TestResumeCheckpointWithoutOptimizerState(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dropOptimizerState(t, model, "nidim.step")

	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval", "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: "+model+" has no optimizer state, because an older nidim wrote it; Adam starts afresh, so the result will differ from an uninterrupted run's\n")
	assert.Contains(t, stderr, "nidim train: note: the cosine schedule now spans 2 epochs instead of 1, so the remaining learning rates differ from those of the run that wrote "+model+"\n")
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Epoch)
	assert.NotNil(t, m.Optimizer, "the resumed run saved no optimizer state")
}

// A resumed run used to train on whatever data had the right width: other
// values, another --test-fraction or, without --data, MNIST's digits.
func TestResumeRejectsOtherData(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	shifted := filepath.Join(t.TempDir(), "shifted.npy")
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	values[0]++
	require.NoError(t, tensor.WriteMatrixFile(shifted, values, rows, cols))

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--data", shifted, "--labels", labels}, []string{model + ": the model was trained on other data (216 x [6] sha256:",
			"; pass the --data it was trained on; the split already uses the --test-fraction 0.1 that the model stores.\n"}},
		{[]string{"--data", data, "--labels", labels, "--test-fraction", "0.5"}, []string{"--test-fraction 0.5 differs from the 0.1 that " + model + " was trained with"}},
	} {
		args := append([]string{"train", "--resume", model, "--epochs", "2", "--no-eval", "--threads", "1"}, c.args...)
		code, _, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		for _, want := range c.want {
			assert.Contains(t, stderr, want, "%v", c.args)
		}
	}

	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--no-eval", "--threads", "1", "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
}

// A resume with another --threads than the checkpoint's, or under another
// SIMD level, continued without a word although the result is no longer
// bit-identical to an uninterrupted run's.
func TestResumeNotesOtherRounding(t *testing.T) {
	data, labels, model := trainTinyModel(t) // with --threads 1
	resume := func(epochs string, extra ...string) string {
		t.Helper()
		args := append([]string{"train", "--resume", model, "--epochs", epochs, "--no-eval", "--data", data, "--labels", labels}, extra...)
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		return stderr
	}
	const differ = "so the result will differ from an uninterrupted run's"

	stderr := resume("2", "--threads", "1")
	assert.NotContains(t, stderr, "rounding")
	assert.NotContains(t, stderr, "SIMD")
	// Without --threads the run keeps the checkpoint's count and notes it
	// when the machine has another number of cores.
	stderr = resume("3")
	if cores := runtime.GOMAXPROCS(0); cores != 1 {
		assert.Contains(t, stderr, fmt.Sprintf("nidim train: note: %s was trained with --threads 1, and this run keeps that count so that it continues exactly; --threads 0 would use all %d cores here but round differently\n", model, cores))
	}
	stderr = resume("4", "--threads", "2")
	assert.Contains(t, stderr, "nidim train: note: "+model+" was trained with --threads 1, but this run uses --threads 2, which changes the rounding, "+differ+"; drop --threads to keep the checkpoint's count\n")
	assert.NotContains(t, stderr, "SIMD")
	stderr = resume("5", "--threads", "0")
	if runtime.GOMAXPROCS(0) == 2 {
		assert.NotContains(t, stderr, "rounding", "--threads 0 means 2 threads here, the checkpoint's count")
	} else {
		assert.Contains(t, stderr, "nidim train: note: "+model+" was trained with --threads 2, but this run uses --threads 0 (all cores), which changes the rounding, ")
	}
	// Without --threads the run keeps the checkpoint's count.
	stderr = resume("6")
	assert.NotContains(t, stderr, "rounding")

	active := simd.Active().Level
	if active == simd.Generic {
		t.Log("only the generic kernels run here, so the SIMD level cannot change")
	} else {
		require.NoError(t, simd.SetActive(simd.Generic))
		t.Cleanup(func() { simd.SetActive(active) })
		stderr = resume("7")
		assert.Contains(t, stderr, "nidim train: note: "+model+" was trained with the "+active.String()+" SIMD kernels, but this run uses generic, which round differently, "+differ+"; set NIDIM_SIMD="+active.String()+" to continue it exactly\n")
		m, err := dim.LoadModel(model)
		require.NoError(t, err)
		assert.Equal(t, "generic", m.SIMD, "the checkpoint names the level of its last run")
		stderr = resume("8")
		assert.NotContains(t, stderr, "SIMD")
		require.NoError(t, simd.SetActive(active))
	}

	// A level this CPU or build cannot run gets no advice to select it.
	var missing string
	for _, name := range []string{"avx512", "neon"} {
		if level, err := simd.ParseLevel(name); err == nil {
			if _, err := simd.Lookup(level); err != nil {
				missing = name
			}
		}
	}
	if missing == "" {
		t.Skip("this CPU runs every SIMD level")
	}
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	m.SIMD = missing
	require.NoError(t, m.Save(model))
	stderr = resume("9")
	assert.Contains(t, stderr, "nidim train: note: "+model+" was trained with the "+missing+" SIMD kernels, but this run uses "+simd.Active().Level.String()+", which round differently, "+differ+"; this CPU or build cannot run "+missing+"\n")
}

// stripMetadata rewrites the checkpoint path without the metadata keys,
// as an older nidim wrote it.
func stripMetadata(t *testing.T, path string, keys ...string) {
	t.Helper()
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	var tensors []nn.NamedTensor
	for name, tensor := range c.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	for _, key := range keys {
		require.Contains(t, c.Metadata, key)
		delete(c.Metadata, key)
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, c.Metadata))
}

// Checkpoints written before nidim stored checksums and data fingerprints
// loaded and resumed without a word, although nothing was verified.
func TestOldCheckpointNotes(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	stripMetadata(t, model, "nidim.sha256", "nidim.data")
	unverified := "note: cannot verify that " + model + " is unchanged since it was written, because it has no checksum; an older nidim wrote it\n"
	noFingerprint := "note: cannot check that the data is the data " + model + " was trained on, because it has no data fingerprint; an older nidim wrote it, so pass the --data and --test-fraction it was trained on\n"
	out := filepath.Join(t.TempDir(), "out.csv")

	for _, args := range [][]string{
		{"embed", model, "--data", data, "--out", out},
		{"score", model, "--data", data, "--out", out},
	} {
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, 1, strings.Count(stderr, "nidim "+args[0]+": "+unverified), stderr)
		assert.NotContains(t, stderr, "fingerprint", "%s needs no fingerprint", args[0])
	}
	code, _, stderr := runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "nidim eval: "+unverified), stderr)
	assert.Equal(t, 1, strings.Count(stderr, "nidim eval: "+noFingerprint), stderr)

	// nidim export gives the copy a checksum, so it notes that the source
	// was not verified.
	exported := filepath.Join(t.TempDir(), "export.safetensors")
	code, _, stderr = runCmd("export", model, "--out", exported)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "nidim export: "+strings.TrimSuffix(unverified, "\n")+"; the exported file gets a checksum of the content as it is\n"), stderr)
	code, _, stderr = runCmd("embed", exported, "--data", data, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "cannot verify")

	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "2", "--no-eval", "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "nidim train: "+unverified), stderr)
	assert.Equal(t, 1, strings.Count(stderr, "nidim train: "+noFingerprint), stderr)

	// The resumed run saved a checksum and a fingerprint, so the notes end.
	code, _, stderr = runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "cannot verify")
	assert.NotContains(t, stderr, "cannot check")

	// A checkpoint with a checksum but no fingerprint gets only that note.
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	m.Data = ""
	require.NoError(t, m.Save(model))
	code, _, stderr = runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "cannot verify")
	assert.Equal(t, 1, strings.Count(stderr, "nidim eval: "+noFingerprint), stderr)

	// A new run only looks at an old --out, so it gets no note.
	stripMetadata(t, model, "nidim.sha256")
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "cannot verify")
}

// The resume hint leaves --threads out, and a resumed run without it used
// all cores, which changes the rounding of an exact continuation.
func TestResumeKeepsThreads(t *testing.T) {
	data, labels, model := trainTinyModel(t) // with --threads 1
	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--no-eval", "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	m, err := dim.LoadModel(model)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Config.Threads)
}

// NaN in a data file used to train a model and to get embeddings and
// scores that looked valid.
func TestCommandsRejectNonFiniteData(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	for _, bad := range []float64{math.NaN(), math.Inf(-1), 1e39} {
		values[2*cols+3] = bad
		path := filepath.Join(t.TempDir(), "bad.csv") // text keeps 1e39, which float32 .npy cannot
		require.NoError(t, tensor.WriteMatrixFile(path, values, rows, cols))
		want := fmt.Sprintf("--data %s: value %v at row 3, column 4 (counting from 1) is not a finite float32; remove or replace it", path, bad)
		out := filepath.Join(t.TempDir(), "out.csv")
		for _, args := range [][]string{
			{"train", "--data", path, "--labels", labels, "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")},
			{"embed", model, "--data", path, "--out", out},
			{"score", model, "--data", path, "--out", out},
		} {
			code, _, stderr := runCmd(args...)
			assert.NotEqual(t, exitOK, code, "%v", args)
			assert.Contains(t, stderr, want, "%v", args)
			assert.NoFileExists(t, out)
		}
	}
}

// A file with a few rows of missing values named only the first, so each
// run found one more row to fix. The message now counts the values and
// lists their rows, the first five of many.
func TestNonFiniteDataCountsRows(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	write := func(bad ...int) string {
		t.Helper()
		v := slices.Clone(values)
		for _, i := range bad {
			v[i] = math.NaN()
		}
		path := filepath.Join(t.TempDir(), "bad.npy")
		require.NoError(t, tensor.WriteMatrixFile(path, v, rows, cols))
		return path
	}
	for _, c := range []struct {
		bad  []int
		want string
	}{
		{[]int{5*cols + 3, 100*cols + 0, 100*cols + 1, 7*cols + 5},
			"4 values are not finite float32 numbers, in rows 6, 8 and 101 (counting from 1); the first is NaN, in column 4 of row 6; remove or replace them, or drop those rows"},
		{[]int{2 * cols, 2*cols + 1},
			"2 values are not finite float32 numbers, in row 3 (counting from 1); the first is NaN, in column 1 of row 3; remove or replace them, or drop those rows"},
		{[]int{0, 1 * cols, 2 * cols, 3 * cols, 4 * cols, 5 * cols, 9 * cols},
			"7 values are not finite float32 numbers, in 7 rows: 1, 2, 3, 4, 5 and 2 more (counting from 1); the first is NaN, in column 1 of row 1; remove or replace them, or drop those rows"},
	} {
		path := write(c.bad...)
		out := filepath.Join(t.TempDir(), "out.csv")
		for _, args := range [][]string{
			{"train", "--data", path, "--labels", labels, "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")},
			{"embed", model, "--data", path, "--out", out},
			{"score", model, "--data", path, "--out", out},
		} {
			code, _, stderr := runCmd(args...)
			assert.Equal(t, exitUsage, code, "%v", args)
			assert.Contains(t, stderr, "--data "+path+": "+c.want+".\n", "%v", args)
			assert.NoFileExists(t, out)
		}
	}
}

// An --out that named an input replaced the training data with a
// checkpoint, or the data with its embeddings.
func TestOutputMayNotReplaceInput(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dataCopy := filepath.Join(t.TempDir(), "data.npy")
	raw, err := os.ReadFile(data)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dataCopy, raw, 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", dataCopy, "--labels", labels, "--out", dataCopy}, "--out " + dataCopy + " is the --data file too"},
		{[]string{"train", "--data", dataCopy, "--labels", labels, "--out", labels}, "--out " + labels + " is the --labels file too"},
		{[]string{"embed", model, "--data", dataCopy, "--out", dataCopy}, "is the --data file too"},
		{[]string{"embed", model, "--data", dataCopy, "--out", filepath.Join(filepath.Dir(dataCopy), ".", "data.npy")}, "is the --data file too"},
		{[]string{"score", model, "--data", dataCopy, "--labels", labels, "--out", labels}, "is the --labels file too"},
		{[]string{"embed", model, "--data", dataCopy, "--out", model}, "is the --model file too"},
	} {
		code, _, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
	after, err := os.ReadFile(dataCopy)
	require.NoError(t, err)
	assert.Equal(t, raw, after)
}

// Without the evaluation there is no test estimate, and the capacity gap
// used to read 0 next to a training estimate well below the capacity.
func TestTrainNoEvalLeavesCapacityGapNull(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	code, stdout, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--json", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	gap, ok := res["capacity_gap"]
	assert.True(t, ok, "capacity_gap missing")
	assert.Nil(t, gap)
	assert.Greater(t, res["mi_estimate"], 0.0)
}

// embed, score and eval ran an interrupted run's checkpoint without a
// word, although its normalization was never recomputed on clean inputs.
func TestUnfinishedCheckpointGetsNote(t *testing.T) {
	data, _, model := trainTinyModel(t)
	makeUnfinished(t, model, 3, 2)

	code, _, stderr := runCmd("embed", model, "--data", data, "--out", filepath.Join(t.TempDir(), "z.csv"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim embed: note: "+model+" is from an unfinished run (1 epoch and 2 steps of 3 epochs); nidim train --resume "+model+", with the data flags it was trained on, finishes it\n")
}

func TestVersionNamesGoAndSIMDLevel(t *testing.T) {
	code, stdout, stderr := runCmd("version")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+", SIMD level "+simd.Active().Level.String())
	code, _, stderr = runCmd("version", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)
	for _, flag := range []string{"--version", "-version"} {
		code, flagOut, stderr := runCmd(flag)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, stdout, flagOut, flag)
	}
}

// A misspelled NIDIM_SIMD used to select the generic kernels silently.
func TestMisspelledSIMDLevelWarns(t *testing.T) {
	t.Setenv(simd.EnvVar, "avx-2")
	code, _, stderr := runCmd("version")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, `nidim: warning: NIDIM_SIMD=avx-2 names no SIMD level (unknown level "avx-2"`)
}

// NIDIM_SIMD=avx2 gave arm64 the generic kernels, with a warning that
// the CPU lacks avx2; a level of another architecture now caps nothing.
func TestOtherArchSIMDLevelWarns(t *testing.T) {
	other := map[string]simd.Level{"amd64": simd.NEON, "arm64": simd.AVX2}
	l, ok := other[runtime.GOARCH]
	if !ok {
		t.Skipf("no SIMD level is written for %s", runtime.GOARCH)
	}
	t.Setenv(simd.EnvVar, l.String())
	code, _, stderr := runCmd("version")
	require.Equal(t, exitOK, code, stderr)
	want := fmt.Sprintf("nidim: warning: NIDIM_SIMD=%s names an %s level, which caps nothing on %s, so the kernels use %s\n", l, l.Arch(), runtime.GOARCH, simd.Active().Level)
	assert.Equal(t, want, stderr)
}

// --out could name a file of an MNIST-style --data folder and replace it.
func TestOutputMayNotReplaceIDXFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"train-labels-idx1-ubyte", "t10k-images-idx3-ubyte.gz"} {
		code, _, stderr := runCmd("train", "--data", dir, "--no-eval", "--out", filepath.Join(dir, name))
		assert.Equal(t, exitUsage, code, name)
		assert.Contains(t, stderr, "is the --data file too", name)
	}
}

// Forgetting --resume replaced an unfinished run with a new one.
func TestTrainKeepsUnfinishedRun(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	makeUnfinished(t, model, 3, 0)
	before, err := os.ReadFile(model)
	require.NoError(t, err)

	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--epochs", "1", "--no-eval", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--out "+model+" contains an unfinished run (1 epoch of 3 epochs); pass another --out or delete the file to start over, or continue it, given the data it was trained on (216 training rows of shape [6]), with:\n  nidim train --resume "+model+" --data "+data+" --labels "+labels+"\n")
	after, err := os.ReadFile(model)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	// An exported copy of the unfinished run cannot resume, so the
	// message points to the original instead.
	exported := filepath.Join(t.TempDir(), "exported.safetensors")
	code, _, stderr = runCmd("export", model, "--out", exported, "--force")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--epochs", "1", "--no-eval", "--out", exported)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--out "+exported+" contains an unfinished run (1 epoch of 3 epochs), written by nidim export; resume the checkpoint it was exported from, or pass")
	assert.NotContains(t, stderr, "--resume "+exported)
}

// A read-only checkpoint was replaced by the rename of the next save, and a
// read-only directory failed only after training. Root may write anywhere,
// so the test needs another user. A run resumed in place, without --out,
// used to have its checkpoint called "--out" too.
func TestOutputPermissionsCheckedFirst(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses file permissions")
	}
	data, labels, model := trainTinyModel(t)
	require.NoError(t, os.Chmod(model, 0o444))
	code, _, stderr := runCmd("train", "--resume", model, "--epochs", "2", "--no-eval", "--data", data, "--labels", labels)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim train: --resume "+model+" cannot be written (permission denied); choose another path or change its permissions. "+
		"Without --out a resumed run saves to its --resume file; pass --out FILE to save it elsewhere.\n")
	code, _, stderr = runCmd("train", "--resume", model, "--out", model, "--epochs", "2", "--no-eval", "--data", data, "--labels", labels)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "nidim train: --out "+model+" cannot be written (permission denied); choose another path or change its permissions.\n")
	other := filepath.Join(t.TempDir(), "other.safetensors")
	code, _, stderr = runCmd("train", "--resume", model, "--out", other, "--epochs", "2", "--no-eval", "--data", data, "--labels", labels)
	assert.Equal(t, exitOK, code, stderr)

	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o555))
	defer os.Chmod(dir, 0o755)
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", filepath.Join(dir, "z.csv"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "cannot create files in "+dir)
}

// "nidim train --out emb.npy" silently replaced an existing embedding file
// (or any other file) with the checkpoint of the new run.
func TestTrainKeepsNonCheckpointOut(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("not a checkpoint\n"), 0o644))
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	checkpoint, err := os.ReadFile(model)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(corrupt, checkpoint[:len(checkpoint)/2], 0o644))

	for _, out := range []string{notes, data, corrupt} {
		before, err := os.ReadFile(out)
		require.NoError(t, err)
		code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
			"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", out)
		assert.Equal(t, exitUsage, code, out)
		if out == data {
			assert.Contains(t, stderr, "is the --data file too", out)
		} else {
			assert.Contains(t, stderr, "--out "+out+" exists and is not a checkpoint that nidim can read", out)
		}
		after, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, before, after, out)
	}

	// The resumed run's own --out and an empty file are still written.
	empty := filepath.Join(dir, "empty.safetensors")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", empty)
	assert.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval")
	assert.Equal(t, exitOK, code, stderr)
}

// "nidim train --resume CHECKPOINT" on a damaged checkpoint blamed --out,
// which the user had not passed, hid why the file could not be read, and
// advised deleting it. The error now names --resume and the reason.
func TestTrainResumeDamagedCheckpoint(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--epochs", "2")
	checkpoint, err := os.ReadFile(model)
	require.NoError(t, err)
	dir := t.TempDir()

	changed := filepath.Join(dir, "changed.safetensors")
	flipped := bytes.Clone(checkpoint)
	flipped[len(flipped)-1] ^= 0x40 // a bit of the last tensor's data
	require.NoError(t, os.WriteFile(changed, flipped, 0o644))
	truncated := filepath.Join(dir, "truncated.safetensors")
	require.NoError(t, os.WriteFile(truncated, checkpoint[:len(checkpoint)/2], 0o644))

	cases := []struct{ path, reason string }{
		{changed, "do not match the SHA-256"},
		{truncated, "the file is truncated"},
		{data, "not a safetensors checkpoint"},
	}
	for _, c := range cases {
		before, err := os.ReadFile(c.path)
		require.NoError(t, err)
		code, _, stderr := runCmd("train", "--resume", c.path, "--epochs", "3", "--data", data, "--labels", labels, "--no-eval")
		assert.Equal(t, exitUsage, code, c.path)
		assert.Contains(t, stderr, c.reason, c.path)
		assert.Contains(t, stderr, c.path, c.path)
		assert.NotContains(t, stderr, "--out", c.path)
		assert.NotContains(t, stderr, "delete the file", c.path)
		after, err := os.ReadFile(c.path)
		require.NoError(t, err)
		assert.Equal(t, before, after, c.path)
	}
}

// "--loss jsd --self-weight 0.5" trained without a word about the self
// weight, which only infonce-rows uses.
func TestSelfWeightNeedsRowsLoss(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	sweepDir := filepath.Join(dir, "sweep")
	for _, c := range []struct {
		args []string
		loss string
	}{
		{[]string{"train", "--loss", "jsd", "--self-weight", "0.5", "--out", out}, "jsd"},
		{[]string{"train", "--recipe", "reference", "--self-weight", "0.5", "--out", out}, "infonce"},
		{[]string{"sweep", "--loss", "nwj", "--self-weight", "0.5", "--out", sweepDir}, "nwj"},
	} {
		args := append(c.args, "--data", data, "--labels", labels, "--epochs", "1", "--batch", "24", "--no-eval")
		if c.args[0] == "sweep" {
			args = args[:len(args)-1] // sweep has no --no-eval
		}
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Contains(t, stderr, "--self-weight applies only to --loss infonce-rows, but the loss is "+c.loss+"; drop --self-weight or pass --loss infonce-rows.", "%v", c.args)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "train wrote a checkpoint")
	_, err = os.Stat(sweepDir)
	assert.ErrorIs(t, err, os.ErrNotExist, "sweep created its directory")

	code, _, stderr := runCmd("train", "--loss", "infonce-rows", "--self-weight", "0.7", "--data", data, "--labels", labels,
		"--dim", "2", "--hidden", "8", "--epochs", "1", "--batch", "24", "--threads", "1", "--no-eval", "--out", out)
	assert.Equal(t, exitOK, code, stderr)
}

// "--clean-view --shared-view" trained both views on the clean input, so
// the augmentation of the reference recipe was dropped without a word.
func TestCleanViewWithSharedViewRejected(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	sweepDir := filepath.Join(dir, "sweep")
	for _, command := range [][]string{
		{"train", "--recipe", "reference", "--no-eval", "--out", out},
		{"sweep", "--recipe", "reference", "--out", sweepDir},
	} {
		args := append(command, "--clean-view", "--shared-view", "--feature-noise", "0.1",
			"--data", data, "--labels", labels, "--epochs", "1", "--batch", "24")
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, exitUsage, code, "%v: %s", command, stderr)
		assert.Empty(t, stdout, "%v", command)
		assert.Contains(t, stderr, "--clean-view and --shared-view together feed both views the clean input", "%v", command)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "train wrote a checkpoint")
	_, err = os.Stat(filepath.Join(sweepDir, "sweep.csv"))
	assert.ErrorIs(t, err, os.ErrNotExist, "sweep wrote a table")
}

// A failed save stopped training without saying that --out still held the
// previous epoch or how to continue from it.
func TestTrainSaveFailureSaysHowToContinue(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	outDir := filepath.Join(dir, "models")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	out := filepath.Join(outDir, "m.safetensors")
	aside := filepath.Join(dir, "models-aside")
	// During epoch 3, a plain file takes the place of the directory of
	// --out, so the save after that epoch fails even for root.
	trainStepHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == 3 && p.Step == 1 {
			require.NoError(t, os.Rename(outDir, aside))
			require.NoError(t, os.WriteFile(outDir, nil, 0o644))
		}
	}
	t.Cleanup(func() { trainStepHook = nil })

	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "4", "--threads", "1", "--no-eval", "--out", out)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "saving the checkpoint after epoch 3 failed, so training stopped: ")
	assert.Contains(t, stderr, "; "+out+" still contains the model after 2 complete epochs; fix the cause and continue with:\n  nidim train --resume "+out+" --epochs 4 --data "+data+" --labels "+labels+"\n")

	trainStepHook = nil
	require.NoError(t, os.Remove(outDir))
	require.NoError(t, os.Rename(aside, outDir))
	m, err := dim.LoadModel(out)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Epoch)
	code, _, stderr = runCmd("train", "--resume", out, "--epochs", "4", "--data", data, "--labels", labels, "--no-eval")
	assert.Equal(t, exitOK, code, stderr)

	// A new run whose first save fails has written nothing.
	first := filepath.Join(outDir, "first.safetensors")
	trainStepHook = func(p dim.Progress, interrupt func()) {
		if p.Epoch == 1 && p.Step == 1 {
			require.NoError(t, os.Rename(outDir, aside))
			require.NoError(t, os.WriteFile(outDir, nil, 0o644))
		}
	}
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "2", "--threads", "1", "--no-eval", "--out", first)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "; "+first+" was not written; fix the cause and train again.\n")
}

// dropOptimizerState rewrites the checkpoint path as a nidim from before
// the optimizer state wrote it: without Adam's tensors, step counts and
// checksum, and without the extra metadata keys given.
func dropOptimizerState(t *testing.T, path string, keys ...string) {
	t.Helper()
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	var tensors []nn.NamedTensor
	for name, tensor := range c.Tensors {
		if !strings.HasPrefix(name, "adam.") {
			tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
		}
	}
	for key := range c.Metadata {
		if strings.HasPrefix(key, "nidim.adam_steps") || key == "nidim.sha256" || slices.Contains(keys, key) {
			delete(c.Metadata, key)
		}
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, c.Metadata))
}

// makeUnfinished rewrites the one-epoch checkpoint at path as a run of
// epochs epochs that stopped after step steps of its second epoch.
func makeUnfinished(t *testing.T, path string, epochs, step int) {
	t.Helper()
	m, err := dim.LoadModel(path)
	require.NoError(t, err)
	m.Config.Epochs, m.Step = epochs, step
	require.NoError(t, m.Save(path))
}

// --shift on feature vectors, or --feature-noise on images, used to train
// without the augmentation and without a word.
func TestViewFlagsMustFitTheData(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	vectors := []string{"--data", data, "--labels", labels}
	images := []string{"--data", data, "--labels", labels, "--image-shape", "1,2,3"}
	for _, c := range []struct {
		command string
		args    []string
		want    string
	}{
		{"train", append(slices.Clone(vectors), "--shift", "2"), "nidim train: --shift 2 applies to images, but the samples are feature vectors of shape [6]; drop it and set the vector views with --feature-noise and --mask, or pass --image-shape C,H,W if each row is an image.\n"},
		{"train", append(slices.Clone(vectors), "--pixel-noise", "0.1"), "nidim train: --pixel-noise 0.1 applies to images"},
		{"train", append(slices.Clone(images), "--mask", "0.2"), "nidim train: --mask 0.2 applies to feature vectors, but the samples are images of shape [1 2 3]; drop it, and set the image views with --shift, --rotate, --zoom and --pixel-noise.\n"},
		{"sweep", append(slices.Clone(vectors), "--rotate", "10", "--dims", "2", "--sigmas", "0.5"), "nidim sweep: --rotate 10 applies to images"},
		{"sweep", append(slices.Clone(images), "--feature-noise", "0.5", "--dims", "2", "--sigmas", "0.5"), "nidim sweep: --feature-noise 0.5 applies to feature vectors"},
	} {
		code, stdout, stderr := runCmd(append([]string{c.command, "--batch", "24", "--epochs", "1", "--out", out}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		_, err := os.Stat(out)
		assert.ErrorIs(t, err, os.ErrNotExist, "%v wrote %s", c.args, out)
	}

	// A zero value changes nothing, and the reference recipe's --shift 2
	// does not count as given.
	for _, args := range [][]string{
		append(slices.Clone(vectors), "--shift", "0"),
		append(slices.Clone(vectors), "--recipe", "reference"),
		append(slices.Clone(images), "--feature-noise", "0"),
	} {
		code, _, stderr := runCmd(append([]string{"train", "--batch", "24", "--epochs", "1", "--hidden", "8", "--threads", "1", "--no-eval", "--out", out}, args...)...)
		assert.Equal(t, exitOK, code, "%v: %s", args, stderr)
	}
}

// --labels without --data used to get "--labels and --image-shape apply
// to a matrix file --data; an MNIST-style data set carries its own",
// which named a flag not given and neither the file nor the built-in
// MNIST that nidim would read.
func TestMatrixFlagsWithoutMatrixData(t *testing.T) {
	_, labels, model := trainTinyModel(t)
	idxDir := t.TempDir()
	out := filepath.Join(t.TempDir(), "out.csv")
	noData := func(flagName, value string) string {
		return flagName + " " + value + " applies to a matrix file --data, but no --data was given, so nidim would read the built-in MNIST, which has its own labels and image shape; pass --data FILE with one sample per row, or drop " + flagName + ".\n"
	}
	inDir := "--labels " + labels + " applies to a matrix file --data, but --data " + idxDir + " is an MNIST-style directory, whose IDX files contain the labels and the image shape; drop --labels.\n"
	type flagCase struct {
		args []string
		want string
	}
	cases := []flagCase{
		{[]string{"score", model, "--data", idxDir, "--labels", labels, "--out", out}, "nidim score: " + inDir},
		{[]string{"sweep", "--data", idxDir, "--labels", labels, "--out", filepath.Join(idxDir, "sweep")}, "nidim sweep: " + inDir},
	}
	if hasBuiltinMNIST(t) {
		cases = append(cases,
			flagCase{[]string{"train", "--labels", labels, "--out", filepath.Join(idxDir, "m.safetensors")}, "nidim train: " + noData("--labels", labels)},
			flagCase{[]string{"train", "--image-shape", "1,28,28", "--out", filepath.Join(idxDir, "m.safetensors")}, "nidim train: " + noData("--image-shape", "1,28,28")},
			flagCase{[]string{"eval", model, "--labels", labels}, "nidim eval: " + noData("--labels", labels)},
			flagCase{[]string{"score", model, "--labels", labels, "--out", out}, "nidim score: " + noData("--labels", labels)})
	}
	for _, c := range cases {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// A --data file without rows used to make embed and score report "0
// values per sample" for an empty file, and write empty outputs (score
// with "0 of 0 (NaN%") for a header line alone. Train and eval blamed the
// test fraction.
func TestDataWithoutRows(t *testing.T) {
	_, _, model := trainTinyModel(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	header := filepath.Join(dir, "header.csv")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	require.NoError(t, os.WriteFile(header, []byte("a,b,c,d,e,f\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	for _, data := range []string{empty, header} {
		for _, args := range [][]string{
			{"embed", model, "--out", out},
			{"score", model, "--out", out},
			{"eval", model},
			{"train", "--out", filepath.Join(dir, "m.safetensors")},
		} {
			code, stdout, stderr := runCmd(append(args, "--data", data)...)
			assert.Equal(t, exitUsage, code, "%v %s: %s", args, data, stderr)
			assert.Empty(t, stdout, "%v %s", args, data)
			assert.Equal(t, "nidim "+args[0]+": --data "+data+" contains no samples; pass a file with one sample per row.\n", stderr, "%v", args)
			_, err := os.Stat(out)
			assert.ErrorIs(t, err, os.ErrNotExist, "%v %s wrote %s", args, data, out)
		}
	}
}

// --dim above the number of features trained without a word, though the
// embeddings of 6 features cannot follow a prior in more dimensions.
func TestDimAboveFeatureCountNoted(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	common := []string{"--data", data, "--labels", labels, "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1"}
	note := "nidim train: note: --dim 8 exceeds the 6 values of each sample; the embeddings, a function of those values, fill at most 6 of the 8 dimensions, so they cannot follow the prior. Use --dim 6 or less.\n"

	code, _, stderr := runCmd(append([]string{"train", "--dim", "8", "--no-eval", "--out", filepath.Join(dir, "d8.safetensors")}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, note)

	code, _, stderr = runCmd(append([]string{"train", "--dim", "6", "--no-eval", "--out", filepath.Join(dir, "d6.safetensors")}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "values of each sample")

	code, _, stderr = runCmd(append([]string{"sweep", "--dims", "2,7", "--sigmas", "0.5", "--eval-samples", "20", "--out", filepath.Join(dir, "sweep")}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: note: the --dims entry 7 exceeds the 6 values of each sample; the embeddings, a function of those values, fill at most 6 of the 7 dimensions, so they cannot follow the prior. Use --dims entries of 6 or less.\n")

	// One feature read "the 1 values of each sample".
	assert.Equal(t, "--dim 4 exceeds the 1 value of each sample; the embeddings, a function of those values, fill at most 1 of the 4 dimensions, so they cannot follow the prior. Use --dim 1 or less.",
		dimNote("--dim", 4, 1, "Use --dim 1 or less"))
}

// One input row used to give "wrote 1 embeddings" and "of 1 inputs".
func TestEmbedAndScoreOneRowSingular(t *testing.T) {
	data, _, model := trainTinyModel(t)
	values, _, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	dir := t.TempDir()
	one := filepath.Join(dir, "one.csv")
	require.NoError(t, tensor.WriteMatrixFile(one, values[:cols], 1, cols))

	embeddings := filepath.Join(dir, "e.csv")
	code, _, stderr := runCmd("embed", model, "--data", one, "--out", embeddings)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "wrote 1 embedding of dimension 2 to "+embeddings+"\n", stderr)

	scores := filepath.Join(dir, "s.csv")
	code, _, stderr = runCmd("score", model, "--data", one, "--out", scores)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "wrote the scores and p-values of 1 input under the gaussian prior (d = 2) to "+scores+"\n")
}

// "--eps 0" or "--sigma 0" trains without channel noise, but the first
// line used to print the default level in its place: "eps = 0.1 on no
// view (no channel noise)".
func TestNoiselessRunHeaderShowsNoLevel(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	for _, level := range [][]string{{"--sigma", "0"}, {"--prior", "uniform", "--eps", "0"}} {
		args := append([]string{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24",
			"--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "m.safetensors")}, level...)
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		first, _, _ := strings.Cut(stderr, "\n")
		assert.Contains(t, first, "d = 2, no channel noise, mlp encoder", "%v", level)
		assert.NotContains(t, first, "= 0.1", "%v", level)
	}
}

// The help named "image views" and "vector views" without saying which
// data gets which, or that the feature noise is in the data's units.
func TestTrainHelpSaysWhichViewsApply(t *testing.T) {
	code, stdout, _ := runCmd("help", "train")
	require.Equal(t, exitOK, code)
	text := strings.Join(strings.Fields(stdout), " ")
	assert.Contains(t, text, "Images, from this flag or a directory, get the image views; feature vectors get the vector views")
	assert.Contains(t, text, "in standard deviations of each feature, or in the units of the data with --standardize=false")
}

// A --knn above the number of training rows used to be found only after
// training, which had saved the model, and exit 1 with "k = 300 neighbors
// is invalid". The sweep failed each run the same way.
func TestKNNAboveTrainingRowsRejectedFirst(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	want := "--knn 300 is larger than the 216 training rows that the kNN classifier searches; use --knn 216 or less.\n"
	common := []string{"--data", data, "--labels", labels, "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--knn", "300"}

	code, stdout, stderr := runCmd(append([]string{"train", "--dim", "2", "--out", model}, common...)...)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, "nidim train: "+want, stderr)
	_, err := os.Stat(model)
	assert.ErrorIs(t, err, os.ErrNotExist, "train saved a model")

	sweepDir := filepath.Join(dir, "sweep")
	code, _, stderr = runCmd(append([]string{"sweep", "--dims", "2", "--sigmas", "0.5", "--out", sweepDir}, common...)...)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Equal(t, "nidim sweep: "+want, stderr)
	_, err = os.Stat(sweepDir)
	assert.ErrorIs(t, err, os.ErrNotExist, "sweep created its directory")

	// Without evaluation, or without labels, no classifier runs.
	code, _, stderr = runCmd(append([]string{"train", "--dim", "2", "--no-eval", "--out", model}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("eval", model, "--data", data, "--labels", labels, "--knn", "300")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Equal(t, "nidim eval: "+want, stderr)
	code, _, stderr = runCmd("eval", model, "--data", data, "--knn", "300")
	assert.Equal(t, exitOK, code, stderr)
}

// A model trained without channel noise (--sigma 0) has no capacity to
// compare with. The epoch lines stated that, but the evaluation of train and
// eval printed the capacity of the default sigma, 0.1, and a "capacity
// gap" called an upper bound on a KL divergence. eval --json also gave
// sigma 0.1 where train --json gave 0.
func TestNoiselessModelHasNoCapacityGap(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	train := []string{"train", "--data", data, "--labels", labels, "--sigma", "0", "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--out", model}

	code, stdout, stderr := runCmd(train...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "nats (no channel noise, so no capacity bound, ln B 3.178)\n")
	assert.Contains(t, stdout, "capacity gap: none, because the model was trained without channel noise\n")
	assert.NotContains(t, stdout, "upper bound on KL")

	code, stdout, stderr = runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "capacity gap: none, because the model was trained without channel noise\n")
	assert.NotContains(t, stdout, "upper bound on KL")

	for _, args := range [][]string{
		append(slices.Clone(train), "--json"),
		{"eval", model, "--data", data, "--labels", labels, "--json"},
	} {
		code, stdout, stderr = runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
		gap, ok := res["capacity_gap"]
		assert.True(t, ok, "%s: capacity_gap missing", args[0])
		assert.Nil(t, gap, "%s: capacity_gap", args[0])
		assert.Equal(t, 0.0, res["sigma"], "%s: sigma", args[0])
	}
}

// eval, or train --resume, without the --image-shape that the model was
// trained with used to report "trained on other data (216 x [1 2 3]
// sha256:X) than the data given (216 x [6] sha256:X)". The hash was the
// same twice, and the advice to pass the --data and --test-fraction it
// was trained on was what the user had done.
func TestImageShapeMismatchNamesTheFlag(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	images := filepath.Join(dir, "images.safetensors")
	vectors := filepath.Join(dir, "vectors.safetensors")
	common := []string{"--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24", "--threads", "1", "--no-eval"}
	code, _, stderr := runCmd(append([]string{"train", "--epochs", "1", "--image-shape", "1,2,3", "--out", images}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd(append([]string{"train", "--epochs", "1", "--out", vectors}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	transposed := filepath.Join(dir, "transposed.safetensors")
	code, _, stderr = runCmd(append([]string{"train", "--epochs", "1", "--image-shape", "1,3,2", "--out", transposed}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	idx := writeIDXDir(t)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", images, "--data", data}, "nidim eval: " + images + " was trained on images of shape [1 2 3], but the samples have shape [6]; pass --image-shape 1,2,3.\n"},
		{[]string{"eval", images, "--data", data, "--image-shape", "2,3"}, ""},
		{[]string{"eval", images, "--data", data, "--image-shape", "1,3,2"}, "nidim eval: " + images + " was trained on images of shape [1 2 3], but the samples have shape [1 3 2]; pass --image-shape 1,2,3.\n"},
		{[]string{"eval", vectors, "--data", data, "--image-shape", "1,2,3"}, "nidim eval: " + vectors + " was trained on feature vectors of shape [6], but the samples are images of shape [1 2 3]; drop --image-shape.\n"},
		{[]string{"train", "--resume", images, "--epochs", "2", "--data", data, "--labels", labels, "--no-eval"}, "nidim train: " + images + " was trained on images of shape [1 2 3], but the samples have shape [6]; pass --image-shape 1,2,3.\n"},
		// The images of an IDX directory, 2 x 3 like the model's six
		// columns, got "drop --image-shape", a flag that was not given.
		{[]string{"eval", vectors, "--data", idx}, "nidim eval: " + vectors + " was trained on feature vectors of shape [6], but the samples are images of shape [1 2 3]; pass the matrix file --data it was trained on.\n"},
		{[]string{"train", "--resume", vectors, "--epochs", "2", "--data", idx, "--no-eval"}, "nidim train: " + vectors + " was trained on feature vectors of shape [6], but the samples are images of shape [1 2 3]; pass the matrix file --data it was trained on.\n"},
		{[]string{"eval", transposed, "--data", idx}, "nidim eval: " + transposed + " was trained on images of shape [1 3 2], but the samples have shape [1 2 3]; pass the --data it was trained on, or a matrix file --data with --image-shape 1,3,2.\n"},
	} {
		code, _, stderr := runCmd(c.args...)
		if c.want == "" {
			assert.Equal(t, exitOK, code, "%v: %s", c.args, stderr)
			continue
		}
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Equal(t, c.want, stderr, "%v", c.args)
	}
}

// The first sweep on a small file failed with "--batch 4096 is larger
// than the 24 test rows" although no --batch was given. nidim train on
// the same file trains with the whole training split as its batch and
// estimates the MI from one batch of all test rows, and sweep now does
// the same, with train's note.
func TestSweepRecipeBatchFallsBack(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "sw")
	code, _, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim sweep: note: the match recipe's --batch 4096 is larger than the 216 training rows, so the batch of every run is 216, the whole training split, and each epoch is one step. "+
		"So few steps may leave the encoder undertrained; "+smallDataRemedy(216)+" gives more.\n")
	assert.Contains(t, stderr, "nidim sweep: note: the 24 test rows are fewer than the batch of 216, so each run estimates the MI on the test split from one batch of all 24 rows. "+
		"That caps the estimate at ln 24 = 3.178, which the ln B column of sweep.md gives, below the training batch's ln 216 = 5.375 in the ln_batch column of sweep.csv.\n")
	assert.Contains(t, stderr, " nats from one batch of all 24 test rows, so at most ln 24 = 3.178 (capacity ")

	rows := readCSVFile(t, filepath.Join(out, "sweep.csv"))
	require.Len(t, rows, 2, "header and one run")
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	assert.Equal(t, "216", rows[1][col["batch"]])
	assert.Contains(t, rows[1][col["settings"]], " batch=216 ")
	mi, err := strconv.ParseFloat(rows[1][col["mi_estimate"]], 64)
	require.NoError(t, err)
	assert.LessOrEqual(t, mi, math.Log(24)+1e-9, "the estimate from 24 rows is capped at ln 24")
}

// An explicit --batch is not changed: above the training rows it is an
// error, and above the test rows only the MI estimate uses a smaller
// batch, as in nidim train.
func TestSweepExplicitBatchLimits(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	code, _, stderr := runCmd("sweep", "--data", data, "--labels", labels, "--batch", "300", "--out", filepath.Join(dir, "sw"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: --batch 300 is larger than the 216 training rows; use --batch 216 or less, or more data.\n", stderr)

	code, _, stderr = runCmd("sweep", "--data", data, "--labels", labels, "--batch", "100", "--sigmas", "0.5", "--dims", "2",
		"--epochs", "1", "--hidden", "8", "--threads", "1", "--eval-samples", "20", "--out", filepath.Join(dir, "sw100"))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "recipe's --batch")
	assert.Contains(t, stderr, "nidim sweep: note: the 24 test rows are fewer than the batch of 100, so each run estimates the MI on the test split from one batch of all 24 rows.")

	// 12 rows at --test-fraction 0.05 leave one test row, too few for any
	// MI estimate, and sweep reports it before training.
	small := filepath.Join(dir, "small.csv")
	var b strings.Builder
	for i := range 12 {
		// Not 0 to 11 in order, which would be noted as an index column.
		fmt.Fprintf(&b, "%d,%d\n", 7*i%12, i%3)
	}
	require.NoError(t, os.WriteFile(small, []byte(b.String()), 0o644))
	code, _, stderr = runCmd("sweep", "--data", small, "--batch", "4", "--test-fraction", "0.05", "--out", filepath.Join(dir, "small"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim sweep: the test split has 1 row, and the MI estimate needs at least 2; use a larger --test-fraction, such as 0.13, which holds out 2 of the 12 rows.\n", stderr)

	// nidim train found this only after training, and its evaluation then
	// failed. It now reports it first, unless --no-eval skips the estimate.
	model := filepath.Join(dir, "small.safetensors")
	code, _, stderr = runCmd("train", "--data", small, "--batch", "4", "--test-fraction", "0.05", "--dim", "2", "--hidden", "4", "--epochs", "1", "--out", model)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: the test split has 1 row, and the MI estimate needs at least 2; use a larger --test-fraction, such as 0.13, which holds out 2 of the 12 rows, or --no-eval.\n", stderr)
	assert.NoFileExists(t, model)
	code, _, stderr = runCmd("train", "--data", small, "--batch", "4", "--test-fraction", "0.05", "--dim", "2", "--hidden", "4", "--epochs", "1", "--no-eval", "--out", model)
	assert.Equal(t, exitOK, code, stderr)

	// eval of that model failed after the embedding, with a wrong count
	// of rows needed. It now stops first, and since the checkpoint fixes
	// the split, a larger --test-fraction needs a new training run.
	const fix = "the test split has 1 row, and the MI estimate needs at least 2; the model was trained with --test-fraction 0.05, which fixes the split, so train it again with a larger --test-fraction or more data"
	code, _, stderr = runCmd("eval", model, "--data", small)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim eval: "+fix+".\n", stderr)
	code, _, stderr = runCmd("train", "--resume", model, "--data", small, "--epochs", "2")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim train: "+fix+", or --no-eval.\n", stderr)
}

// "nidim embed MODEL --prior uniform" on a Gaussian model was rejected as
// an invalid --prior, although train accepts uniform. The message now
// explains that the prior is fixed at training and what to do instead.
func TestEmbedUniformPriorExplained(t *testing.T) {
	for _, prior := range []string{"gaussian", "logistic"} {
		data, _, model := trainTinyModel(t, "--prior", prior)
		out := filepath.Join(t.TempDir(), "e.npy")
		code, _, stderr := runCmd("embed", model, "--data", data, "--prior", "uniform", "--out", out)
		assert.Equal(t, exitUsage, code, stderr)
		assert.Equal(t, "nidim embed: --prior uniform does not apply: the model was trained for the "+prior+" prior, and a model's prior is fixed at training. "+
			"--prior maps the Gaussian output of a gaussian, logistic, laplace or exponential model to another of these four, "+
			"but not to uniform, because a uniform model squashes its output into [0, 1] during training. "+
			"Drop --prior, or train a new model with --prior uniform.\n", stderr)
		assert.NoFileExists(t, out)
	}
}

// After --resume within an epoch, the --json history started with an
// entry for that epoch that covered only the resumed steps, with nothing
// to say so. The entry now carries resumed_at_step, which whole epochs
// leave out.
func TestResumeHistoryMarksPartialEpoch(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	makeUnfinished(t, model, 3, 2)
	code, stdout, stderr := runCmd("train", "--resume", model, "--data", data, "--labels", labels, "--threads", "1", "--no-eval", "--json")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		History []map[string]any `json:"history"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.Len(t, res.History, 2, "the history should hold epochs 2 and 3, which this run trained")
	assert.Equal(t, 2.0, res.History[0]["epoch"])
	assert.Equal(t, 2.0, res.History[0]["resumed_at_step"])
	assert.Equal(t, 3.0, res.History[1]["epoch"])
	assert.NotContains(t, res.History[1], "resumed_at_step")

	// A run that was never resumed has no resumed_at_step at all.
	code, stdout, stderr = runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "2",
		"--threads", "1", "--no-eval", "--json", "--out", filepath.Join(t.TempDir(), "whole.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	var whole struct {
		History []map[string]any `json:"history"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &whole), stdout)
	require.Len(t, whole.History, 2)
	for _, e := range whole.History {
		assert.NotContains(t, e, "resumed_at_step", "epoch %v", e["epoch"])
	}
}

// "nidim train --out model.npy" used to write a safetensors checkpoint
// under a matrix name without a word, and nidim test then failed on it
// with an NPY format error. Train and export now note the .safetensors
// name to use, and the checkpoint still works as a model.
func TestCheckpointWithMatrixNameNoted(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "model.npy")
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	want := "nidim train: note: --out " + out + " has the extension of a matrix file, but it receives a safetensors checkpoint, which nidim test and plot would reject as an invalid matrix; pass a .safetensors name, such as --out " + filepath.Join(dir, "model.safetensors") + "\n"
	assert.Contains(t, stderr, want)

	code, _, stderr = runCmd("embed", out, "--data", data, "--out", filepath.Join(dir, "e.csv"))
	assert.Equal(t, exitOK, code, "the checkpoint is read by its content: %s", stderr)

	exported := filepath.Join(dir, "export.csv.gz")
	code, _, stderr = runCmd("export", model, "--out", exported)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim export: note: --out "+exported+" has the extension of a matrix file")
	assert.Contains(t, stderr, "such as --out "+filepath.Join(dir, "export.safetensors")+"\n")

	// The default name and other checkpoint names get no note.
	code, _, stderr = runCmd("train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(dir, "model.ckpt"))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "extension of a matrix file")
}

// --clean-view and --shared-view choose which views get the augmentation,
// so without augmentation, as in the match recipe, they changed nothing
// and nidim printed no message. Train and sweep now reject them there, and
// still take them with augmented views.
func TestCleanOrSharedViewWithoutAugmentation(t *testing.T) {
	dir := t.TempDir()
	data, labels := writeClusters(t, dir)
	out := filepath.Join(dir, "m.safetensors")
	sweepDir := filepath.Join(dir, "sweep")
	for _, command := range [][]string{
		{"train", "--no-eval", "--out", out},
		{"sweep", "--out", sweepDir, "--sigmas", "0.5", "--dims", "2"},
	} {
		for _, flagName := range []string{"--clean-view", "--shared-view"} {
			args := append(slices.Clone(command), flagName, "--data", data, "--labels", labels, "--epochs", "1", "--batch", "24")
			code, stdout, stderr := runCmd(args...)
			assert.Equal(t, exitUsage, code, "%v %s: %s", command, flagName, stderr)
			assert.Empty(t, stdout, "%v %s", command, flagName)
			want := fmt.Sprintf("nidim %s: %s has no effect, because the views are not augmented (--feature-noise and --mask are 0), so both views are the clean input already; drop %s, or augment the views with --feature-noise or --mask.\n",
				command[0], flagName, flagName)
			assert.Equal(t, want, stderr, "%v %s", command, flagName)
		}
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "train wrote a checkpoint")

	code, _, stderr := runCmd("train", "--no-eval", "--out", out, "--clean-view", "--feature-noise", "0.1",
		"--data", data, "--labels", labels, "--epochs", "1", "--batch", "24", "--dim", "2", "--hidden", "8", "--threads", "1")
	assert.Equal(t, exitOK, code, "augmented views take --clean-view: %s", stderr)
}

// --data - and --labels - printed "- does not exist; check the path",
// although "-" is standard input for nidim test and plot. The message
// now explains that these flags read files only.
func TestDataFlagDashNamesStdin(t *testing.T) {
	data, _, model := trainTinyModel(t)
	out := filepath.Join(t.TempDir(), "e.npy")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", "-", "--epochs", "1"}, "nidim train: --data - would read"},
		{[]string{"embed", model, "--data", "-", "--out", out}, "nidim embed: --data - would read"},
		{[]string{"eval", model, "--data", data, "--labels", "-"}, "nidim eval: --labels - would read"},
		{[]string{"score", model, "--data", data, "--labels", "-", "--out", out}, "nidim score: --labels - would read"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCmd(c.args...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, stdout, "%v", c.args)
		assert.Equal(t, c.want+` a file named "-", because only the FILE argument of nidim test and plot reads standard input; pass a file path.`+"\n", stderr, "%v", c.args)
	}
}

// The report that ends train and eval draws a fixed stats.QuickReplicates
// for its energy tests, not sequential p-values, which draw thousands of
// replicates when a test rejects and would make the evaluation longer
// than training. jarque-bera and dagostino-k2 cost O(B n), so they get a
// fixed count that lets Holm reject on either alone. With 199 they could
// not: on the default MNIST run a Jarque-Bera statistic of 266 on 10,000
// rows had p = 0.005, adjusted 0.07, and 8 of 44 rejections were lost.
func TestEvalReportKeepsFixedReplicates(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels, "--json")
	require.Equal(t, exitOK, code, stderr)
	var res struct {
		Report struct {
			Tests []map[string]any `json:"tests"`
		} `json:"report"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	monteCarlo, moments := 0, 0
	for _, e := range res.Report.Tests {
		if _, ok := e["replicates"]; !ok {
			continue
		}
		assert.NotContains(t, e, "max_replicates", "%v", e["name"])
		if e["name"] == "jarque-bera" || e["name"] == "dagostino-k2" {
			moments++
			reps := e["replicates"].(float64)
			assert.LessOrEqual(t, float64(len(res.Report.Tests))/(reps+1), stats.DefaultAlpha, "%v: Holm rejects on 1/(B+1) alone", e["name"])
			continue
		}
		monteCarlo++
		assert.EqualValues(t, stats.QuickReplicates, e["replicates"], "%v", e["name"])
	}
	assert.Positive(t, monteCarlo, "the report has energy tests")
	assert.Positive(t, moments, "the report has jarque-bera and dagostino-k2")
}

// pandas' to_csv writes the row index as a first column unless
// index=False, under an empty header name. nidim trained on it as one
// more feature, which tells every row apart, without a word, and embed
// and score with a model of the file without it reported only that the data
// had one value too many. Each command that reads the file now names the
// column and the fix, and stays silent for a first column of other
// values.
func TestIndexColumnNoted(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString(",f0,f1,f2,f3,f4,f5\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d", i)
		for _, v := range values[i*cols : (i+1)*cols] {
			fmt.Fprintf(&b, ",%g", v)
		}
		b.WriteByte('\n')
	}
	indexed := filepath.Join(t.TempDir(), "indexed.csv")
	require.NoError(t, os.WriteFile(indexed, []byte(b.String()), 0o644))
	note := func(command, source, effect string) string {
		return "nidim " + command + ": note: column 1 of " + source + " holds the row numbers 0 to 239 in order, as the index column that pandas' to_csv writes unless index=False. " +
			effect + "; drop that column, or write the file with to_csv(index=False)\n"
	}
	const feature = "nidim reads it as a feature like any other, which tells every row apart by its place in the file"

	code, _, stderr := runCmd("train", "--data", indexed, "--labels", labels, "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, note("train", "--data "+indexed, feature))
	for _, command := range []string{"embed", "score"} {
		code, _, stderr := runCmd(command, model, "--data", indexed, "--out", filepath.Join(t.TempDir(), "out.csv"))
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, note(command, "--data "+indexed, feature)+
			"nidim "+command+": the data has 7 values per sample but the model was trained on samples of shape [6] (6 values)")
	}
	code, _, stderr = runCmd("test", "--replicates", "19", indexed)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, note("test", indexed, "It is read as component 0 of the embeddings like any other"))

	for _, args := range [][]string{
		{"train", "--data", data, "--labels", labels, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")},
		{"embed", model, "--data", data, "--out", filepath.Join(t.TempDir(), "e.csv")},
		{"test", "--replicates", "19", data},
	} {
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "index", "%v", args)
	}
}

// A table with a column of categories, or with NA for missing values,
// gave "invalid CSV file: line 2, field 7: invalid number "blue"", which
// neither named the column nor stated that nidim reads numbers only. The
// message now names the column from the header and the fix: encode or
// drop a text column, and fill in or drop a missing value.
func TestDataTextFieldExplained(t *testing.T) {
	data, labels, model := trainTinyModel(t)
	values, rows, cols, err := tensor.ReadMatrixFile(data)
	require.NoError(t, err)
	write := func(header string, field func(i int) string) string {
		t.Helper()
		var b strings.Builder
		b.WriteString(header)
		for i := range rows {
			for k, v := range values[i*cols : (i+1)*cols] {
				if k > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%g", v)
			}
			if f := field(i); f != "" {
				b.WriteString("," + f)
			}
			b.WriteByte('\n')
		}
		path := filepath.Join(t.TempDir(), "table.csv")
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return path
	}
	colors := write("f0,f1,f2,f3,f4,f5,color\n", func(i int) string { return []string{"blue", "red"}[i%2] })
	missing := write("f0,f1,f2,f3,f4,f5,f6\n", func(i int) string {
		if i == 3 {
			return "NA"
		}
		return "0.5"
	})
	// Without a header line the first row is a data row too, which the
	// second row's text in the same field shows.
	noHeader := write("", func(i int) string { return []string{"blue", "red"}[i%2] })
	for _, c := range []struct{ path, want string }{
		{colors, `line 2, field 7 (column "color") holds "blue", which is not a number. nidim reads numeric features only, so drop that column or encode its values as numbers (such as one column of 0 or 1 per category).`},
		{noHeader, `line 1, field 7 holds "blue", which is not a number. nidim reads numeric features only, so drop that column or encode its values as numbers (such as one column of 0 or 1 per category).`},
		{missing, `line 5, field 7 (column "f6") holds "NA", a marker of a missing value, which nidim cannot train or embed with; fill the value in or drop the row.`},
	} {
		for _, args := range [][]string{
			{"train", "--data", c.path, "--labels", labels, "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")},
			{"embed", model, "--data", c.path, "--out", filepath.Join(t.TempDir(), "e.csv")},
			{"score", model, "--data", c.path, "--out", filepath.Join(t.TempDir(), "s.csv")},
		} {
			code, _, stderr := runCmd(args...)
			assert.Equal(t, exitUsage, code, "%v", args)
			assert.Equal(t, "nidim "+args[0]+": --data "+c.path+": "+c.want+"\n", stderr, "%v", args)
		}
	}
}

// An .npy of images saved as (N, H, W), (N, C, H, W) or channels last
// was read as flat feature vectors without a word, and --encoder cnn then
// suggested --encoder mlp for feature vectors, although the file stores
// the image shape. Train now notes the shape and the --image-shape that
// gives the image views, and the cnn error names --image-shape too.
func TestImageArrayNoted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	write := func(shape ...int) string {
		t.Helper()
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.Float64())
		}
		path := filepath.Join(t.TempDir(), "images.npy")
		writeNPYFile(t, path, x)
		return path
	}
	train := func(path string, extra ...string) (int, string) {
		t.Helper()
		args := []string{"train", "--data", path, "--dim", "2", "--hidden", "8", "--batch", "16", "--epochs", "1", "--threads", "1",
			"--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")}
		code, _, stderr := runCmd(append(args, extra...)...)
		return code, stderr
	}
	const cnnError = "nidim train: the cnn encoder needs image input [channels height width], got shape [%d]; use --encoder mlp for feature vectors, or pass --image-shape C,H,W if each sample is an image.\n"
	for _, c := range []struct {
		shape []int
		note  string
	}{
		{[]int{40, 4, 4}, "holds an array of shape (40, 4, 4), which nidim reads as 40 feature vectors of 16 values each, with the vector views. If each sample is an image, pass --image-shape 1,4,4 for the image views and --encoder cnn; " + vectorsAdvice + "\n"},
		{[]int{40, 3, 6, 6}, "holds an array of shape (40, 3, 6, 6), which nidim reads as 40 feature vectors of 108 values each, with the vector views. If each sample is an image, pass --image-shape 3,6,6 for the image views and --encoder cnn; " + vectorsAdvice + "\n"},
		{[]int{40, 6, 6, 3}, "holds an array of shape (40, 6, 6, 3), which nidim reads as 40 feature vectors of 108 values each, with the vector views. If each sample is an image with its channels last, nidim needs them first: " +
			"save the array transposed, as numpy's x.transpose(0, 3, 1, 2), and pass --image-shape 3,6,6 for the image views and --encoder cnn; " + vectorsAdvice + "\n"},
		// One channel last has the values of one channel first in the
		// same order, so it takes no transpose.
		{[]int{40, 6, 6, 1}, "holds an array of shape (40, 6, 6, 1), which nidim reads as 40 feature vectors of 36 values each, with the vector views. If each sample is an image, pass --image-shape 1,6,6 for the image views and --encoder cnn; " + vectorsAdvice + "\n"},
	} {
		path := write(c.shape...)
		size := 1
		for _, d := range c.shape[1:] {
			size *= d
		}
		code, stderr := train(path, "--encoder", "cnn")
		assert.Equal(t, exitUsage, code)
		assert.Equal(t, "nidim train: note: --data "+path+" "+c.note+fmt.Sprintf(cnnError, size), stderr)
		code, stderr = train(path)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stderr, "nidim train: note: --data "+path+" "+c.note)
	}
	path := write(40, 4, 4)
	code, stderr := train(path, "--image-shape", "1,4,4", "--encoder", "cnn")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "holds an array")
	code, stderr = train(write(40, 6, 6, 1), "--image-shape", "1,6,6", "--encoder", "cnn")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "holds an array")
	code, stderr = train(write(40, 16))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "holds an array")

	// Samples below the cnn encoder's 4 x 4, such as sequences of three
	// features, are not taken for images, because --encoder cnn would
	// reject them.
	for _, shape := range [][]int{{40, 10, 3}, {40, 2, 8}, {40, 3, 3, 8}} {
		code, stderr = train(write(shape...))
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stderr, "holds an array", "%v", shape)
	}
}

// Flattened images, such as MNIST as a (N, 784) array, were read as
// feature vectors with three notes: constant columns, columns of very
// different spread, and feature noise that buries the narrow ones. Two
// of them suggested --standardize, wrong advice for pixels. Now one note
// gives the --image-shape that makes the rows images.
func TestFlatImageNoted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	save := func(x *tensor.Tensor) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "flat.npy")
		writeNPYFile(t, path, x)
		return path
	}
	// images saves 40 flattened images of channels x side x side pixels
	// within [0, top], integers when top is 255. Each shows a bright disc
	// at a random place that fades to 0 at its edge, so neighbouring
	// pixels correlate and the corner pixel stays 0, as in MNIST.
	images := func(channels, side int, top float64) string {
		t.Helper()
		x := tensor.New(40, channels*side*side)
		for i := range 40 {
			cx, cy := float64(side)*(0.3+0.4*rng.Float64()), float64(side)*(0.3+0.4*rng.Float64())
			radius := float64(side) * (0.2 + 0.1*rng.Float64())
			for c := range channels {
				for y := range side {
					for xx := range side {
						v := top * max(0, 1-math.Hypot(float64(xx)-cx, float64(y)-cy)/radius)
						if top == 255 {
							v = math.Round(v)
						}
						x.Data[i*channels*side*side+c*side*side+y*side+xx] = float32(v)
					}
				}
			}
		}
		return save(x)
	}
	// features saves 40 rows of cols independent features within
	// [0, top], the first constant and the second narrow.
	features := func(cols int, top float64) string {
		t.Helper()
		x := tensor.New(40, cols)
		for i := range x.Data {
			v := rng.Float64() * top
			switch i % cols {
			case 0:
				v = 0
			case 1:
				v /= 200
			}
			x.Data[i] = float32(v)
		}
		return save(x)
	}
	train := func(path string, extra ...string) string {
		t.Helper()
		args := []string{"train", "--data", path, "--dim", "2", "--hidden", "8", "--batch", "16", "--epochs", "1", "--threads", "1",
			"--recipe", "reference", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors")}
		code, _, stderr := runCmd(append(args, extra...)...)
		require.Equal(t, exitOK, code, stderr)
		return stderr
	}
	for _, c := range []struct {
		path string
		note string
	}{
		{images(1, 8, 1), "holds 40 rows of 64 values within [0, 1], the layout of flattened 8 x 8 images, which nidim reads as feature vectors with the vector views. " +
			"If each row is an image, pass --image-shape 1,8,8 for the image views and --encoder cnn; " + vectorsAdvice},
		{images(3, 8, 255), "holds 40 rows of 192 integer values within [0, 255], the layout of flattened 3-channel 8 x 8 images, which nidim reads as feature vectors with the vector views. " +
			"If each row is an image, pass --image-shape 3,8,8 for the image views and --encoder cnn; " + vectorsAdvice},
	} {
		stderr := train(c.path)
		assert.Contains(t, stderr, "nidim train: note: --data "+c.path+" "+c.note+"\n")
		for _, other := range []string{"constant", "standard deviation", "--feature-noise"} {
			assert.NotContains(t, stderr, other, c.note[:40])
		}
		// --standardize declares the rows feature vectors, so the
		// image note gives way to the note for --standardize.
		stderr = train(c.path, "--standardize")
		assert.NotContains(t, stderr, "layout of flattened")
		assert.Contains(t, stderr, "(counting from 1) are constant over the 36 training rows, so standardization centres them")
		// --standardize=false keeps the image note, whose advice then
		// says that the columns keep their values.
		stderr = train(c.path, "--standardize=false")
		note := strings.TrimSuffix(c.note, vectorsAdvice) + unstandardizedVectorsAdvice
		assert.Contains(t, stderr, "nidim train: note: --data "+c.path+" "+note+"\n")
		assert.NotContains(t, stderr, "nidim standardizes each column")
	}

	// Rows that are not square images, values beyond pixels, and
	// features in [0, 1] whose neighbours do not correlate keep the notes
	// on feature vectors.
	for _, c := range []struct {
		cols int
		top  float64
	}{{49, 1}, {66, 1}, {64, 2}, {100, 1}, {64, 255}} {
		stderr := train(features(c.cols, c.top))
		assert.NotContains(t, stderr, "layout of flattened", "%d columns within [0, %v]", c.cols, c.top)
		assert.Contains(t, stderr, "column 1 (counting from 1) is constant", "%d columns within [0, %v]", c.cols, c.top)
	}
}

// The note on an array of images read as vectors suggested --image-shape
// and --encoder cnn in eval and train --resume too, where the checkpoint
// fixes the sample shape. eval has no --encoder and rejects an
// --image-shape that the model was not trained with, and --resume
// rejects --encoder. Only a new model gets the note.
func TestImageArrayNoteOnlyForNewModel(t *testing.T) {
	x := tensor.New(40, 4, 4)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "images.npy")
	writeNPYFile(t, data, x)
	model := filepath.Join(dir, "m.safetensors")
	common := []string{"--data", data, "--dim", "2", "--hidden", "8", "--batch", "16", "--threads", "1", "--no-eval"}

	code, _, stderr := runCmd(append([]string{"train", "--epochs", "1", "--out", model}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "holds an array of shape (40, 4, 4)", "a new model gets the note")

	code, _, stderr = runCmd("train", "--resume", model, "--epochs", "2", "--data", data, "--threads", "1", "--no-eval")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "holds an array", "--resume")

	code, _, stderr = runCmd("eval", model, "--data", data, "--threads", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "holds an array", "eval of the vector model")

	cnn := filepath.Join(dir, "cnn.safetensors")
	code, _, stderr = runCmd(append([]string{"train", "--epochs", "1", "--out", cnn, "--image-shape", "1,4,4", "--encoder", "cnn"}, common...)...)
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCmd("eval", cnn, "--data", data, "--threads", "1")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "nidim eval: "+cnn+" was trained on images of shape [1 4 4], but the samples have shape [16]; pass --image-shape 1,4,4.\n", stderr,
		"the shape error alone, without a note that names --encoder")
}

// More --threads than the CPUs that Go uses gets a note in train and in
// the commands that run a model; a count within them gets none. Only
// train's note tells why such a count may be wanted.
func TestThreadsAboveCPUsNoted(t *testing.T) {
	over := strconv.Itoa(runtime.GOMAXPROCS(0) + 1)
	data, _, model := trainTinyModel(t)
	dir := t.TempDir()
	code, _, stderr := runCmd("train", "--data", data, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1",
		"--threads", over, "--no-eval", "--out", filepath.Join(dir, "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim train: note: --threads "+over+" is more than the ")
	assert.Contains(t, stderr, "repeat the bits of a run trained with that many threads")

	out := filepath.Join(dir, "e.npy")
	code, _, stderr = runCmd("embed", model, "--data", data, "--out", out, "--threads", over)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim embed: note: --threads "+over+" is more than the ")
	assert.NotContains(t, stderr, "repeat the bits")

	code, _, stderr = runCmd("embed", model, "--data", data, "--out", out, "--threads", strconv.Itoa(runtime.GOMAXPROCS(0)))
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "--threads")

	// nidim test runs its battery on as many goroutines.
	code, _, stderr = runCmd("test", "--replicates", "19", "--threads", over, out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "nidim test: note: --threads "+over+" is more than the ")
	assert.NotContains(t, stderr, "repeat the bits")
	code, _, stderr = runCmd("test", "--replicates", "19", "--threads", "0", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "--threads")
}

// train's summary line names the views that the data's kind takes:
// feature noise and masking for vectors, the image transforms for
// images, and none when both views are the same input.
func TestTrainSummaryNamesViews(t *testing.T) {
	for _, c := range []struct {
		shape []int
		cfg   dim.Config
		want  string
	}{
		{[]int{6}, dim.Config{FeatureNoise: 0.1, MaskProb: 0.2, MaxShift: 2}, "views with feature noise 0.1, masking 0.2"},
		{[]int{6}, dim.Config{PixelNoise: 0.1}, "identical views"},
		{[]int{1, 28, 28}, dim.Config{MaxShift: 2, PixelNoise: 0.1, FeatureNoise: 0.1}, "views with shift 2, pixel noise 0.1"},
		{[]int{1, 28, 28}, dim.Config{MaxRotate: 15, MaxScale: 0.1}, "views with rotation 15, zoom 0.1"},
		{[]int{1, 28, 28}, dim.Config{}, "identical views"},
	} {
		assert.Equal(t, c.want, viewsText(&c.cfg, c.shape), "%v %+v", c.shape, c.cfg)
	}

	data, labels := writeClusters(t, t.TempDir())
	code, _, stderr := runCmd("train", "--data", data, "--labels", labels, "--recipe", "reference", "--dim", "2", "--hidden", "8",
		"--batch", "24", "--epochs", "1", "--threads", "1", "--no-eval", "--out", filepath.Join(t.TempDir(), "m.safetensors"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "samples of shape [6], standardized, views with feature noise 0.1; batch 24")
}

// The text report of nidim eval starts with the model and its settings,
// so that saved reports of several models can be distinguished.
func TestEvalNamesModelSettings(t *testing.T) {
	data, labels, model := trainTinyModel(t, "--sigma", "0.7")
	code, stdout, stderr := runCmd("eval", model, "--data", data, "--labels", labels)
	require.Equal(t, exitOK, code, stderr)
	first, _, _ := strings.Cut(stdout, "\n")
	assert.Equal(t, "model "+model+": gaussian prior, d = 2, sigma = 0.7 on one view, mlp encoder, euclidean critic, infonce-rows loss, 1 of 1 epoch", first)
}
