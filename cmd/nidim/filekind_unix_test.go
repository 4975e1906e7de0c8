//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reading the first bytes of a named pipe would take them from the read
// of the embeddings that follows, so sniffFile leaves pipes alone.
func TestTestReadsNamedPipe(t *testing.T) {
	dir := t.TempDir()
	emb, _ := writePlotEmbedding(t, dir, "emb.npy", 50, 2)
	raw, err := os.ReadFile(emb)
	require.NoError(t, err)
	pipe := filepath.Join(dir, "pipe.npy")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("cannot create a named pipe here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.Write(raw)
	}()
	code, stdout, stderr := runCmd("test", pipe, "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `{"n":50,"d":2,`)
}
