package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// Every key of GET /v1/model is named in serve's help.
func TestServeHelpNamesModelKeys(t *testing.T) {
	path, _ := serveTestModel(t)
	m, err := serve.LoadDimModel(path)
	require.NoError(t, err)
	s, err := serve.New(m, serve.Config{})
	require.NoError(t, err)
	defer s.Close()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/model", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var info map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
	words := strings.FieldsFunc(serveUsage, func(r rune) bool { return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) })
	for key := range info {
		assert.Contains(t, words, key)
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
