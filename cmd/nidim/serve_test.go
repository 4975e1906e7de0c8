package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/serve"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serveTestModel(t *testing.T) (string, *dim.Model) {
	t.Helper()
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 3, 8
	m, err := dim.NewModel(cfg, []int{5})
	require.NoError(t, err)
	m.Epoch = cfg.Epochs // a finished run, which serve starts without a note
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))
	return path, m
}

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeCommandRunsAndStops(t *testing.T) {
	path, m := serveTestModel(t)
	before := debug.SetMemoryLimit(3 << 30)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- serveCommand(ctx, []string{"--addr", "127.0.0.1:0", path, "--max-batch", "4", "--log-format", "json"},
			io.Discard, &stderr, func(addr string) { addrs <- addr })
	}()
	var url string
	select {
	case addr := <-addrs:
		url = "http://" + addr
	case code := <-exit:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}

	x := []float32{0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 3, 4, 5}
	want, err := m.Encoder.Embed(&tensor.Tensor{Shape: []int{2, 5}, Data: x}, 1000)
	require.NoError(t, err)
	resp, err := http.Post(url+"/v1/embed", "application/json", strings.NewReader(`{"inputs": [[0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 3, 4, 5]]}`))
	require.NoError(t, err)
	var got struct{ Embeddings [][]float32 }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, got.Embeddings, 2)
	assert.Equal(t, want.Data, append(got.Embeddings[0], got.Embeddings[1]...))

	resp, err = http.Post(url+"/v1/embed", "application/json", strings.NewReader(`{"inputs": [[1, 2]]}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	id := resp.Header.Get("X-Request-Id")

	cancel()
	select {
	case code := <-exit:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the cancel")
	}

	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		msgs = append(msgs, rec["msg"].(string))
		if rec["msg"] == "serving" {
			assert.Equal(t, 4.0, rec["max_batch"])
			assert.Equal(t, path, rec["model"])
			assert.Len(t, rec["sha256"], 64)
			assert.Equal(t, simd.Active().Level.String(), rec["simd"])
			assert.Equal(t, float64(3<<30), rec["memory_limit"], "the soft memory limit")
			// The default --threads 0 used to be logged as 0.
			assert.Equal(t, float64(runtime.GOMAXPROCS(0)), rec["threads"], "the thread count in use")
		}
		if rec["msg"] == "request rejected" {
			assert.Equal(t, id, rec["request_id"])
			assert.Equal(t, "input_size", rec["kind"])
		}
	}
	assert.Equal(t, []string{"serving", "request rejected", "shutting down", "stopped"}, msgs)
}

func TestServeCommandUsageErrors(t *testing.T) {
	path, _ := serveTestModel(t)
	notCheckpoint := filepath.Join(t.TempDir(), "data.csv")
	require.NoError(t, os.WriteFile(notCheckpoint, []byte(strings.Repeat("1,2,3\n", 20)), 0o644))
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	truncated := filepath.Join(t.TempDir(), "cut.safetensors")
	require.NoError(t, os.WriteFile(truncated, whole[:len(whole)/2], 0o644))
	cases := []struct {
		args    []string
		message string
	}{
		{nil, "missing CHECKPOINT"},
		{[]string{path, "other"}, `unexpected argument "other"`},
		{[]string{path, "--model", path}, "the model is given twice, as --model " + path},
		// --model names the checkpoint, as in embed, score and eval: the
		// flag check after it runs.
		{[]string{"--model", path, "--max-batch", "0"}, "invalid --max-batch 0"},
		{[]string{path, "--max-batch", "0"}, "invalid --max-batch 0"},
		{[]string{path, "--max-queue", "8", "--max-batch", "16"}, "invalid --max-queue 8"},
		{[]string{path, "--max-wait", "-1ms"}, "invalid --max-wait"},
		{[]string{path, "--max-body", "0"}, "invalid --max-body 0"},
		{[]string{path, "--max-image-pixels", "0"}, "invalid --max-image-pixels 0; use 1 or more pixels.\n"},
		{[]string{path, "--timeout", "0s"}, "invalid --timeout"},
		{[]string{path, "--threads", "-1"}, "invalid --threads -1"},
		{[]string{path, "--log-format", "xml"}, `invalid --log-format "xml"`},
		{[]string{path, "--port", "80"}, "unknown flag --port"},
		{[]string{filepath.Join(t.TempDir(), "missing.safetensors")}, "missing.safetensors does not exist; check the path.\n"},
		{[]string{notCheckpoint}, "nidim serve: " + notCheckpoint + " is not a safetensors checkpoint"},
		{[]string{truncated}, "nidim serve: " + truncated + ": invalid safetensors checkpoint: the file is truncated"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(append([]string{"serve"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "args %v", c.args)
		assert.Contains(t, stderr, c.message, "args %v", c.args)
		assert.NotContains(t, stderr, "nn: ", "args %v", c.args)
		assert.NotContains(t, stderr, "dim: ", "args %v", c.args)
		assert.True(t, strings.HasSuffix(stderr, ".\n"), "args %v: %q does not end a sentence", c.args, stderr)
	}

	code, stdout, _ := runCmd("help", "serve")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Usage: nidim serve CHECKPOINT")
}

// An invalid --addr used to get only "listen failed" from net.Listen,
// after the model had loaded, without the form that --addr needs.
func TestServeCommandListenError(t *testing.T) {
	path, _ := serveTestModel(t)
	const form = "use HOST:PORT, such as 127.0.0.1:8080, or :PORT to listen on every interface"
	const withRange = form + ", with a port from 1 to 65535, or 0 for a free one.\n"
	cases := []struct {
		addr, want string
	}{
		{"foo", `invalid --addr "foo": ` + withRange},
		{"127.0.0.1", `invalid --addr "127.0.0.1": ` + withRange},
		{":99999", `invalid --addr ":99999": port 99999 is outside 0 to 65535; ` + form + ".\n"},
		{"127.0.0.1:-5", `invalid --addr "127.0.0.1:-5": port -5 is outside 0 to 65535; ` + form + ".\n"},
		{"127.0.0.1:", `invalid --addr "127.0.0.1:": the port is missing; ` + withRange},
		{"127.0.0.1:no-such-service", `invalid --addr "127.0.0.1:no-such-service": port "no-such-service" is neither a number nor a known service name; ` + withRange},
	}
	for _, c := range cases {
		var stderr syncBuffer
		code := serveCommand(context.Background(), []string{path, "--addr", c.addr}, io.Discard, &stderr, nil)
		assert.Equal(t, exitUsage, code, c.addr)
		assert.Equal(t, "nidim serve: "+c.want, stderr.String(), c.addr)
	}
}

func TestServeCommandAddressInUse(t *testing.T) {
	path, _ := serveTestModel(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	addr := busy.Addr().String()

	var stderr syncBuffer
	code := serveCommand(context.Background(), []string{path, "--addr", addr, "--log-format", "json"}, io.Discard, &stderr, nil)
	assert.Equal(t, exitFail, code)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(stderr.String())), &rec), stderr.String())
	assert.Equal(t, "ERROR", rec["level"])
	assert.Equal(t, "listen failed: another process is using the address; stop that process or pass another --addr", rec["msg"])
	assert.Equal(t, addr, rec["addr"])
	assert.Contains(t, rec["error"], "address already in use")
}

// net.Listen errors other than a busy address used to get only "listen
// failed", with no cause or fix. The errors are built as net.Listen
// returns them on Linux, because a test running as root cannot meet
// the port limit, and the others would need addresses of other hosts or
// a DNS lookup.
func TestServeListenFailureAdvice(t *testing.T) {
	bindError := func(errno syscall.Errno) error {
		return &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", errno)}
	}
	cases := []struct {
		name, addr string
		err        error
		want       string
	}{
		{"in use", "127.0.0.1:8080", bindError(syscall.EADDRINUSE),
			"listen failed: another process is using the address; stop that process or pass another --addr"},
		{"port below 1024", "127.0.0.1:80", bindError(syscall.EACCES),
			"listen failed: permission denied for port 80, because ports below 1024 need root, or on Linux the CAP_NET_BIND_SERVICE capability; pass a port of 1024 or above, such as --addr 127.0.0.1:8080"},
		{"service name below 1024", ":http", bindError(syscall.EACCES),
			"listen failed: permission denied for port 80, because ports below 1024 need root, or on Linux the CAP_NET_BIND_SERVICE capability; pass a port of 1024 or above, such as --addr 127.0.0.1:8080"},
		{"denied above 1023", "127.0.0.1:8080", bindError(syscall.EACCES),
			"listen failed: permission denied by the operating system; pass another --addr, or check the security policy (such as SELinux) that denies it"},
		{"not a local address", "192.0.2.1:8080", bindError(syscall.EADDRNOTAVAIL),
			"listen failed: the host is not an address of this machine; pass 127.0.0.1 to serve this machine only, an address of one of its network interfaces, or :PORT for every interface"},
		{"unknown host", "nosuchhost.invalid:8080", &net.OpError{Op: "listen", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nosuchhost.invalid", IsNotFound: true}},
			"listen failed: the host name of --addr could not be resolved; check its spelling, or pass an IP address such as 127.0.0.1"},
		{"other", "127.0.0.1:8080", bindError(syscall.EINVAL), "listen failed"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, listenFailure(c.addr, c.err), c.name)
	}
}

// embed, score and eval print a note for a checkpoint of an unfinished
// run, and serve logs the same note once at startup.
func TestServeCommandUnfinishedRunNote(t *testing.T) {
	path, m := serveTestModel(t)
	m.Epoch, m.Step = 1, 2
	m.Config.Epochs = 3
	require.NoError(t, m.Save(path))

	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	code := serveCommand(ctx, []string{path, "--addr", "127.0.0.1:0", "--log-format", "json"}, io.Discard, &stderr,
		func(string) { cancel() })
	require.Equal(t, exitOK, code, stderr.String())

	note := path + " is from an unfinished run (1 epoch and 2 steps of 3 epochs); nidim train --resume " + path + ", with the data flags it was trained on, finishes it"
	var notes []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		if rec["msg"] == note {
			notes = append(notes, rec)
		}
	}
	require.Len(t, notes, 1, stderr.String())
	assert.Equal(t, "WARN", notes[0]["level"])
	assert.Equal(t, path, notes[0]["model"])
	assert.Equal(t, 1.0, notes[0]["epoch"])
	assert.Equal(t, 2.0, notes[0]["step"])
	assert.Equal(t, 3.0, notes[0]["epochs"])
}

// Every key of GET /v1/model is named in serve's help, also those of
// --method knn.
func TestServeHelpNamesModelKeys(t *testing.T) {
	path, dm := serveTestModel(t)
	m, err := serve.LoadDimModel(path)
	require.NoError(t, err)
	words := strings.FieldsFunc(serveUsage, func(r rune) bool { return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) })
	modelInfo := func() map[string]any {
		s, err := serve.New(m, serve.Config{})
		require.NoError(t, err)
		defer s.Close()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/model", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		var info map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
		return info
	}
	for key := range modelInfo() {
		assert.Contains(t, words, key)
	}

	ref, err := dm.Embed(tensor.New(30, 5), 1000)
	require.NoError(t, err)
	scorer, err := dim.NewKNNScorer(ref, ref, 2, dim.MetricEuclidean)
	require.NoError(t, err)
	m.UseKNN(scorer, "train.npy")
	info := modelInfo()
	require.Contains(t, info, "knn")
	for key := range info {
		assert.Contains(t, words, key)
	}
	for key := range info["knn"].(map[string]any) {
		assert.Contains(t, words, key, "a key of knn")
	}
}

// serve, like embed, notes more --threads than the CPUs that Go uses, as
// a warning in its log, and starts all the same.
func TestServeCommandNotesThreadsAboveCPUs(t *testing.T) {
	path, _ := serveTestModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	over := runtime.GOMAXPROCS(0) + 1
	addrs := make(chan string, 1)
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- serveCommand(ctx, []string{"--addr", "127.0.0.1:0", path, "--threads", strconv.Itoa(over), "--log-format", "json"},
			io.Discard, &stderr, func(addr string) { addrs <- addr })
	}()
	select {
	case <-addrs:
	case code := <-exit:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	cancel()
	select {
	case code := <-exit:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the cancel")
	}

	var warning map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		if rec["level"] == "WARN" {
			warning = rec
		}
	}
	require.NotNil(t, warning, "no warning in %s", stderr.String())
	assert.Contains(t, warning["msg"], fmt.Sprintf("--threads %d is more than the ", over))
	assert.Equal(t, float64(over), warning["threads"])
	assert.Equal(t, float64(runtime.GOMAXPROCS(0)), warning["cpus"])
}

// startServe runs serveCommand with args until the test ends and returns
// its URL and its log.
func startServe(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	stderr := &syncBuffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- serveCommand(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), io.Discard, stderr, func(addr string) { addrs <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exit:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop within 10 s of the cancel")
		}
	})
	select {
	case addr := <-addrs:
		return "http://" + addr, stderr
	case code := <-exit:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	return "", nil
}

// postNPYScores posts the rows of x to /v1/score as NPY and returns the
// N x 2 float64 scores and p-values of the response.
func postNPYScores(t *testing.T, url string, x *tensor.Tensor) []float64 {
	t.Helper()
	var body bytes.Buffer
	require.NoError(t, tensor.WriteNPY(&body, x))
	req, err := http.NewRequest(http.MethodPost, url+"/v1/score", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-npy")
	req.Header.Set("Accept", "application/x-npy")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /v1/score: %s: %s", resp.Status, msg)
	}
	got, shape, err := tensor.ReadNPY64(resp.Body)
	require.NoError(t, err)
	require.Equal(t, []int{x.Shape[0], 2}, shape)
	return got
}

// The /v1/score responses of serve --method knn equal, bit for bit, the
// numbers that nidim score --method knn writes for the same rows, however
// the batcher groups the rows.
func TestServeKNNScoreMatchesScore(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	farPath, far := writeMappedMatrix(t, data, func(v float64) float64 { return v * 1.5 })
	rows, cols := far.Shape[0], far.Shape[1]
	out := filepath.Join(t.TempDir(), "s.npy")
	code, _, stderr := runCmd("score", model, "--data", farPath, "--train-data", data, "--method", "knn", "--knn", "3", "--knn-metric", "cosine", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	want, n, c := readMatrix(t, out)
	require.Equal(t, []int{rows, 2}, []int{n, c})

	url, log := startServe(t, model, "--method", "knn", "--train-data", data, "--knn", "3", "--knn-metric", "cosine", "--max-batch", "7", "--log-format", "json")
	assert.Equal(t, want, postNPYScores(t, url, far), "all rows in one request")

	// Requests of one row and of a few rows, sent together, share
	// batches with each other.
	var wg sync.WaitGroup
	got := make([][]float64, rows)
	for lo := 0; lo < rows; lo += 5 {
		size := 1 + lo%5
		hi := min(lo+size, rows)
		wg.Go(func() {
			part := &tensor.Tensor{Shape: []int{hi - lo, cols}, Data: far.Data[lo*cols : hi*cols]}
			scores := postNPYScores(t, url, part)
			for i := lo; i < hi; i++ {
				got[i] = scores[2*(i-lo) : 2*(i-lo)+2]
			}
		})
	}
	wg.Wait()
	for i, pair := range got {
		if pair == nil {
			continue
		}
		assert.Equal(t, want[2*i:2*i+2], pair, "row %d", i)
	}

	resp, err := http.Get(url + "/v1/model")
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	resp.Body.Close()
	assert.Equal(t, "knn", info["method"])
	assert.Equal(t, map[string]any{"k": 3.0, "metric": "cosine", "reference_n": 180.0, "calibration_n": 60.0, "train_data": data}, info["knn"])

	var starting, built map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		if rec["msg"] == "embedding the kNN reference and calibration inputs" {
			assert.Nil(t, built, "the start of the embedding is logged after its end")
			starting = rec
		}
		if rec["msg"] == "embedded the kNN reference and calibration inputs" {
			built = rec
		}
		if rec["msg"] == "serving" {
			assert.Equal(t, "knn", rec["method"])
			assert.Equal(t, 3.0, rec["knn"])
			assert.Equal(t, "cosine", rec["knn_metric"])
		}
	}
	require.NotNil(t, starting, log.String())
	assert.Equal(t, data, starting["train_data"])
	assert.Equal(t, 3.0, starting["knn"])
	require.NotNil(t, built, log.String())
	assert.Equal(t, data, built["train_data"])
	assert.Equal(t, 180.0, built["reference_rows"])
	assert.Equal(t, 60.0, built["calibration_rows"])
	assert.NotEmpty(t, built["duration"])
}

// The kNN flags of serve are checked as score checks them, and the
// training data before the server listens.
func TestServeKNNUsageErrors(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	otherPath, other := writeMappedMatrix(t, data, func(v float64) float64 { return -v })
	rows, cols := other.Shape[0], other.Shape[1]
	widePath := filepath.Join(t.TempDir(), "wide.npy")
	writeNPYFile(t, widePath, tensor.New(rows, cols+1))
	missing := filepath.Join(t.TempDir(), "missing.csv")
	idxDir, idxModel := trainIDXModel(t)
	smallModel := filepath.Join(t.TempDir(), "small.safetensors")
	code, _, stderr := runCmd("train", "--data", data, "--dim", "2", "--hidden", "8", "--batch", "24", "--epochs", "1", "--threads", "1",
		"--test-fraction", "0.05", "--no-eval", "--out", smallModel)
	require.Equal(t, exitOK, code, stderr)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{model, "--method", "mahalanobis"}, `nidim serve: invalid --method "mahalanobis"; use norm or knn.` + "\n"},
		{[]string{model, "--knn", "3"}, "nidim serve: --knn applies only to --method knn; add --method knn or drop it.\n"},
		{[]string{model, "--knn-metric", "cosine", "--train-data", data}, "nidim serve: --knn-metric and --train-data apply only to --method knn; add --method knn or drop it.\n"},
		{[]string{model, "--method", "knn", "--knn", "0"}, "nidim serve: invalid --knn 0; use 1 or more neighbors.\n"},
		{[]string{model, "--method", "knn", "--knn-metric", "manhattan"}, `nidim serve: invalid --knn-metric "manhattan"; use euclidean or cosine.` + "\n"},
		{[]string{model, "--method", "knn"}, "nidim serve: missing --train-data: --method knn takes its reference and calibration inputs from the training and test splits of the data " + model +
			" was trained on, which was a matrix file or a directory of images, not the built-in MNIST that it reads by default; pass the data " + model + " was trained on as --train-data.\n"},
		{[]string{model, "--method", "knn", "--train-data", otherPath}, "nidim serve: --method knn reads its reference and calibration inputs from the training and test splits of --train-data " + otherPath +
			": --train-data " + otherPath + " is not the file " + model + " was trained on, or its rows are in another order: its training split is "},
		// The errors of the read name --train-data, since serve has no
		// --data.
		{[]string{model, "--method", "knn", "--train-data", widePath}, "nidim serve: --method knn reads its reference and calibration inputs from the training and test splits of --train-data " + widePath +
			fmt.Sprintf(": the data has %d values per sample but the model was trained on samples of shape [%d] (%d values); pass --train-data with samples of %d values.\n", cols+1, cols, cols, cols)},
		{[]string{model, "--method", "knn", "--train-data", missing}, "nidim serve: --method knn reads its reference and calibration inputs from the training and test splits of --train-data " + missing +
			": --train-data " + missing + " does not exist"},
		{[]string{model, "--method", "knn", "--train-data", data, "--knn", "200"},
			"nidim serve: --knn 200 is larger than the 180 rows of the training split of --train-data " + data + ", the reference set of --method knn; use --knn 180 or less.\n"},
		{[]string{idxModel, "--method", "knn"}, "nidim serve: missing --train-data: --method knn reads the built-in MNIST by default, of 1 x 28 x 28 images, but " + idxModel +
			" takes samples of shape [1 2 3]; pass the data " + idxModel + " was trained on as --train-data.\n"},
		{[]string{idxModel, "--method", "knn", "--train-data", data}, "nidim serve: --method knn needs the training and test splits of the data " + idxModel +
			" was trained on, but it records no split of --train-data " + data},
		// The IDX directory is read split by split, and its 16 test
		// images are too few to calibrate.
		{[]string{idxModel, "--method", "knn", "--train-data", idxDir}, "nidim serve: the test split of --train-data " + idxDir +
			", the calibration set of --method knn, has 16 rows, but the kNN score needs at least 19 so that its p-values can reach 0.05; pass a directory whose test images file holds at least 19 images, or use --method norm.\n"},
		// A matrix file is split by the fraction that the model records.
		{[]string{smallModel, "--method", "knn", "--train-data", data}, "nidim serve: the test split of --train-data " + data +
			", the calibration set of --method knn, has 12 rows, but the kNN score needs at least 19 so that its p-values can reach 0.05; train " + smallModel + " again with a --test-fraction above its 0.05, or on more rows, or use --method norm.\n"},
	} {
		code, stdout, stderr := runCmd(append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, c.want, "%v", c.args)
		assert.True(t, strings.HasSuffix(stderr, ".\n"), "%v: %q does not end a sentence", c.args, stderr)
		assert.NotContains(t, stderr, "serving", "%v", c.args)
	}
}

// A directory of images is read once as the training data of serve
// --method knn, and the scores of its test images match those of score.
func TestServeKNNImageFolder(t *testing.T) {
	dir, pixels := writeImageFolder(t)
	model := filepath.Join(t.TempDir(), "m.safetensors")
	code, _, stderr := runCmd("train", "--data", dir, "--epochs", "1", "--batch", "16", "--dim", "2", "--hidden", "8",
		"--test-fraction", "0.5", "--no-eval", "--out", model)
	require.Equal(t, exitOK, code, stderr)

	out := t.TempDir()
	scores, paths := filepath.Join(out, "s.npy"), filepath.Join(out, "p.txt")
	code, _, stderr = runCmd("score", model, "--data", dir, "--split", "test", "--method", "knn", "--out", scores, "--paths", paths)
	require.Equal(t, exitOK, code, stderr)
	table, rows, cols := readMatrix(t, scores)
	require.Equal(t, []int{20, 3}, []int{rows, cols}, "score, p-value and class label")
	want := make([]float64, 0, 2*rows)
	for i := range rows {
		want = append(want, table[i*cols], table[i*cols+1])
	}
	text, err := os.ReadFile(paths)
	require.NoError(t, err)
	files := strings.Fields(string(text))
	require.Len(t, files, rows)
	x := tensor.New(rows, 64)
	for i, f := range files {
		require.Contains(t, pixels, f)
		copy(x.Data[i*64:(i+1)*64], pixels[f])
	}

	url, log := startServe(t, model, "--method", "knn", "--train-data", dir, "--log-format", "json")
	assert.Equal(t, want, postNPYScores(t, url, x))
	assert.Contains(t, log.String(), `"reference_rows":20,"calibration_rows":20`)
}

// A signal that arrives while serve --method knn embeds its training
// data stops serve before it listens, instead of after it has started.
func TestServeKNNStopsBeforeServing(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	stderr := &syncBuffer{}
	listened := false
	code := serveCommand(ctx, []string{model, "--addr", "127.0.0.1:0", "--method", "knn", "--train-data", data, "--log-format", "json"},
		io.Discard, stderr, func(string) { listened = true })
	assert.Equal(t, exitOK, code, stderr.String())
	assert.False(t, listened, "serve listened after the signal")

	var messages []string
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		messages = append(messages, rec["msg"].(string))
		if rec["msg"] == "stopped before serving" {
			assert.Equal(t, "interrupt signal received", rec["reason"])
		}
	}
	assert.Contains(t, messages, "stopped before serving")
	assert.NotContains(t, messages, "serving")
}

// serve --method knn fails on a busy address before it reads and embeds
// its training data, which can take minutes.
func TestServeKNNAddressInUseFailsFirst(t *testing.T) {
	data, _, model := trainTinyModel(t, "--test-fraction", "0.25")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	addr := busy.Addr().String()

	var stderr syncBuffer
	code := serveCommand(context.Background(), []string{model, "--addr", addr, "--method", "knn", "--train-data", data, "--log-format", "json"}, io.Discard, &stderr, nil)
	assert.Equal(t, exitFail, code)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.Len(t, lines, 1, "only the listen error: %s", stderr.String())
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec), lines[0])
	assert.Equal(t, "listen failed: another process is using the address; stop that process or pass another --addr", rec["msg"])
	assert.Equal(t, addr, rec["addr"])
}
