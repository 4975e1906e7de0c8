//go:build unix

package main

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// nidim serve logs a note on an unfinished run, which the untrained model
// of the load test is, before its start line. The load test read only the
// first line and stopped with "did not log its address".
func TestServeAddressAfterNotes(t *testing.T) {
	log := `{"level":"WARN","msg":"model.safetensors is from an unfinished run"}
{"level":"INFO","msg":"serving","addr":"127.0.0.1:40123"}
{"level":"INFO","msg":"later"}
`
	addr, before := serveAddress(bufio.NewScanner(strings.NewReader(log)))
	assert.Equal(t, "127.0.0.1:40123", addr)
	assert.Len(t, before, 1)

	addr, before = serveAddress(bufio.NewScanner(strings.NewReader(strings.Repeat("{}\n", 30))))
	assert.Empty(t, addr)
	assert.Len(t, before, maxLinesBeforeStart, "it gives up after that many lines")
}
