package main

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShortRun drives an in-process server with a small model for a
// fraction of a second per phase and checks that every response matched.
// It asserts no speed: the speedup bar is set to 0.
func TestShortRun(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 4, 16
	m, err := dim.NewModel(cfg, []int{24})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, m.Save(path))

	o, err := parseOptions([]string{"--checkpoint", path, "--duration", "200ms", "--clients", "1,8", "--rows", "3",
		"--bad", "0.3", "--max-body", "65536", "--flood-clients", "32", "--flood-queue", "16", "--min-speedup", "0"})
	require.NoError(t, err)
	var out, stderr bytes.Buffer
	ok, err := run(o, &out, &stderr)
	require.NoError(t, err)
	assert.True(t, ok, out.String())
	assert.Empty(t, stderr.String(), "a checkpoint with a checksum gets no note")
	text := out.String()
	for _, kind := range badKinds {
		assert.Contains(t, text, "expected "+kind, "every kind of bad request was sent and answered as expected")
	}
	assert.Contains(t, text, "queue_full")
	assert.NotContains(t, text, "FAIL")
}

// A checkpoint written before nidim stored checksums loads with the note
// that nidim embed and eval print for it.
func TestOldCheckpointNote(t *testing.T) {
	cfg := dim.DefaultConfig()
	cfg.Dim, cfg.Hidden = 4, 16
	m, err := dim.NewModel(cfg, []int{24})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "old.safetensors")
	require.NoError(t, m.Save(path))

	// Rewrite the file without the keys that an older nidim did not write.
	c, err := nn.LoadCheckpoint(path)
	require.NoError(t, err)
	var tensors []nn.NamedTensor
	for name, tensor := range c.Tensors {
		tensors = append(tensors, nn.NamedTensor{Name: name, Tensor: tensor})
	}
	for _, key := range []string{"nidim.sha256", "nidim.data"} {
		delete(c.Metadata, key)
	}
	require.NoError(t, nn.SaveCheckpoint(path, tensors, c.Metadata))

	o, err := parseOptions([]string{"--checkpoint", path, "--duration", "50ms", "--clients", "1", "--flood=false", "--min-speedup", "0"})
	require.NoError(t, err)
	var out, stderr bytes.Buffer
	ok, err := run(o, &out, &stderr)
	require.NoError(t, err)
	assert.True(t, ok, out.String())
	assert.Equal(t, "loadtest: note: "+dim.UnverifiedNote(path)+"\n", stderr.String())
	assert.Contains(t, stderr.String(), "cannot verify that "+path+" is unchanged since it was written, because it has no checksum; an older nidim wrote it")
}

func TestParseOptionsRejects(t *testing.T) {
	cases := []struct {
		args    []string
		message string
	}{
		{[]string{"--addr", "192.0.2.1:8080", "--checkpoint", "m"}, "not a loopback address"},
		{[]string{"--addr", "127.0.0.1:8080"}, "--addr needs --checkpoint"},
		{[]string{"--clients", "1,x"}, `invalid --clients entry "x"`},
		{[]string{"--duration", "1h"}, "invalid --duration"},
		{[]string{"--bad", "2"}, "invalid --bad"},
		{[]string{"--rounds", "0"}, "invalid --rounds"},
	}
	for _, c := range cases {
		_, err := parseOptions(c.args)
		assert.ErrorContains(t, err, c.message, "args %v", c.args)
	}
	o, err := parseOptions([]string{"--addr", "localhost:8080", "--checkpoint", "m", "--duration", "2s"})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, o.duration)
}
