package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A flag's description is wrapped to fill its lines: nidim help test broke
// the --max-replicates entry after "lets Holm over", and nidim help train
// the --resume entry after "Every model and training", leaving half a line
// empty. A line may end short only where the next word would not fit with
// some room to spare, or before a list that it introduces with a colon.
func TestHelpFlagEntriesFillLines(t *testing.T) {
	const slack = 16
	entry := regexp.MustCompile(`^  --\S+( \S+)?  +`)
	for name := range commands {
		_, help, _ := runCmd("help", name)
		lines := strings.Split(help, "\n")
		// column is the description column of the entry being read, 0
		// outside an entry, and -1 after a flag name so long that the
		// description starts on the next line.
		column := 0
		for i, line := range lines {
			indent := len(line) - len(strings.TrimLeft(line, " "))
			if m := entry.FindString(line); m != "" && len(m) < len(line) {
				column = len(m)
				continue
			}
			if strings.HasPrefix(line, "  --") {
				column = -1
				continue
			}
			if column == -1 {
				column = indent
				continue
			}
			if column == 0 || strings.TrimSpace(line) == "" || indent != column {
				column = 0
				continue
			}
			previous := strings.TrimRight(lines[i-1], " ")
			first := strings.Fields(line)[0]
			if strings.HasSuffix(previous, ":") {
				continue
			}
			assert.Greater(t, len(previous)+1+len(first), helpWidth-slack,
				"nidim help %s, line %d ends early: %q, then %q", name, i, previous, first)
		}
	}
}
