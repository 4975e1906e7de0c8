package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every help text fits an 80-column terminal.
func TestHelpLinesFit80Columns(t *testing.T) {
	topics := []string{""}
	for name := range commands {
		topics = append(topics, name)
	}
	for _, topic := range topics {
		args := []string{"help"}
		if topic != "" {
			args = append(args, topic)
		}
		code, stdout, stderr := runCmd(args...)
		require.Equal(t, exitOK, code, "nidim help %s: %s", topic, stderr)
		require.NotEmpty(t, stdout, "nidim help %s", topic)
		for i, line := range strings.Split(stdout, "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), helpWidth, "nidim help %s, line %d: %q", topic, i+1, line)
		}
	}
}

func TestWrapWords(t *testing.T) {
	assert.Equal(t, []string{"a bb", "ccc"}, wrapWords("a bb ccc", 4))
	assert.Equal(t, []string{"a", "toolongword", "b"}, wrapWords("a toolongword b", 4))
	// Width counts characters, not bytes: "A²" is 2 of them.
	assert.Equal(t, []string{"A² A²", "x"}, wrapWords("A² A² x", 5))
	assert.Equal(t, []string{""}, wrapWords("", 10))
}
