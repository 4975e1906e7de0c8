package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command that writes files rejects an output path that it cannot
// write before its work, with exit status 2 (invalid usage or input) and
// one sentence on stderr that names the path and the fix. nidim sweep
// gave 1 for a --out directory that it could not create, as for a failed
// run. eval, test, serve and bench write only to standard output, so
// they have no output path to check.
func TestOutputPathErrorsShareExitStatus(t *testing.T) {
	dir := t.TempDir()
	model, data, labels := trainSmallModel(t, dir)
	emb := filepath.Join(dir, "emb.npy")
	code, _, stderr := runCmd("embed", model, "--data", data, "--threads", "1", "--out", emb)
	require.Equal(t, exitOK, code, stderr)

	commands := []struct {
		name   string // the prefix of the message, after "nidim "
		file   string // the name of the output inside the directory of a case
		args   func(out string) []string
		sweeps bool // --out is a directory that receives sweep.csv
	}{
		{"train", "m.safetensors", func(out string) []string {
			return []string{"train", "--data", data, "--labels", labels, "--hidden", "8", "--batch", "32", "--epochs", "1", "--threads", "1", "--out", out}
		}, false},
		{"sweep", "grid", func(out string) []string {
			return []string{"sweep", "--data", data, "--labels", labels, "--sigmas", "0.5", "--dims", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1", "--out", out}
		}, true},
		{"embed", "e.npy", func(out string) []string {
			return []string{"embed", model, "--data", data, "--threads", "1", "--out", out}
		}, false},
		{"embed", "rows.npy", func(out string) []string {
			return []string{"embed", model, "--data", data, "--threads", "1", "--out", filepath.Join(dir, "e2.npy"), "--row-numbers", out}
		}, false},
		{"score", "s.csv", func(out string) []string {
			return []string{"score", model, "--data", data, "--threads", "1", "--out", out}
		}, false},
		{"plot qq", "qq.svg", func(out string) []string {
			return []string{"plot", "qq", emb, "--out", out}
		}, false},
		{"export", "x.safetensors", func(out string) []string {
			return []string{"export", model, "--out", out}
		}, false},
	}

	readOnly := filepath.Join(dir, "read-only")
	require.NoError(t, os.Mkdir(readOnly, 0o555))
	defer os.Chmod(readOnly, 0o755)
	cases := []struct {
		name string
		path func(file string, sweeps bool) string
		fix  string // the end of the message
	}{
		{"missing directory", func(file string, _ bool) string {
			return filepath.Join(dir, "missing", file)
		}, "does not exist; create it or choose another path.\n"},
		{"unwritable directory", func(file string, _ bool) string {
			return filepath.Join(readOnly, file)
		}, "permission denied; choose another directory or change its permissions.\n"},
		{"path is a directory", func(file string, sweeps bool) string {
			path := filepath.Join(dir, "directories", file)
			if sweeps {
				// The output of sweep is DIR/sweep.csv.
				require.NoError(t, os.MkdirAll(filepath.Join(path, "sweep.csv"), 0o755))
				return path
			}
			require.NoError(t, os.MkdirAll(path, 0o755))
			return path
		}, "is a directory; pass a file path inside it.\n"},
	}
	for _, tc := range cases {
		for _, c := range commands {
			t.Run(tc.name+"/"+c.name+"/"+c.file, func(t *testing.T) {
				if tc.name == "unwritable directory" && os.Geteuid() == 0 {
					t.Skip("root bypasses file permissions")
				}
				out := tc.path(c.file, c.sweeps)
				code, stdout, stderr := runCmd(c.args(out)...)
				assert.Equal(t, exitUsage, code, stderr)
				assert.Empty(t, stdout)
				assert.True(t, strings.HasPrefix(stderr, "nidim "+c.name+": "), stderr)
				assert.Contains(t, stderr, out)
				assert.True(t, strings.HasSuffix(stderr, tc.fix), stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			})
		}
	}
	assert.NoDirExists(t, filepath.Join(dir, "missing"), "a command created the missing directory")
}
