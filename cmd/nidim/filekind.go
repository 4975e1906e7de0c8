package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// fileKind is a kind of file that one nidim command writes and another
// reads. It is recognized from the first bytes, so that the error for a
// file passed to the wrong command can name the command that reads it.
type fileKind int

const (
	kindUnknown    fileKind = iota
	kindCheckpoint          // a safetensors checkpoint of nidim train
	kindNPY                 // a NumPy array, such as nidim embed writes
	kindJSON                // a JSON document, such as the --json outputs
	kindSVG                 // a figure of nidim plot
	kindSweepTable          // the sweep.csv of nidim sweep
)

// fileHeadSize is the number of bytes that sniffFile reads.
const fileHeadSize = 512

// sniffFile returns the kind of the file at path, or kindUnknown when the
// file cannot be read or is of no kind that sniffKind recognizes. Only a
// regular file is read, because the bytes read from a named pipe would be
// missing from the read that follows.
func sniffFile(path string) fileKind {
	if !isRegular(path) {
		return kindUnknown
	}
	f, err := os.Open(path)
	if err != nil {
		return kindUnknown
	}
	defer f.Close()
	head := make([]byte, fileHeadSize)
	n, _ := io.ReadFull(f, head)
	return sniffKind(head[:n])
}

// sniffKind returns the kind of a file that starts with head.
func sniffKind(head []byte) fileKind {
	// A safetensors file starts with the length of its JSON header as a
	// little-endian uint64, followed by the header.
	if len(head) > 8 && head[8] == '{' {
		if n := binary.LittleEndian.Uint64(head); n >= 2 && n < 1<<30 {
			return kindCheckpoint
		}
	}
	if bytes.HasPrefix(head, []byte(npyMagic)) {
		return kindNPY
	}
	text := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(text, []byte("{")) || bytes.HasPrefix(text, []byte("[")):
		return kindJSON
	case bytes.HasPrefix(text, []byte("<svg")) || bytes.HasPrefix(text, []byte("<?xml")):
		return kindSVG
	case bytes.HasPrefix(text, []byte("run,kind,")):
		return kindSweepTable
	}
	return kindUnknown
}

// notEmbeddingsError returns the error for a file of another kind passed
// where an embedding matrix belongs, as to nidim test and nidim plot qq,
// hist and scatter, or nil when kind is no such kind.
func notEmbeddingsError(path string, kind fileKind) error {
	switch kind {
	case kindCheckpoint:
		return fmt.Errorf("%s is a model checkpoint, not an embedding matrix; write its embeddings first with \"nidim embed %s --out emb.npy\" and pass emb.npy", path, shellQuote(path))
	case kindJSON:
		return fmt.Errorf("%s is a JSON document, not an embedding matrix; nidim plot curves draws the training history that \"nidim train --json\" prints, and nidim embed writes embeddings", path)
	case kindSVG:
		return fmt.Errorf("%s is an SVG figure, not an embedding matrix; pass the embedding file that it was drawn from", path)
	case kindSweepTable:
		return fmt.Errorf("%s is the table of nidim sweep, not an embedding matrix; draw it with \"nidim plot tradeoff %s\"", path, shellQuote(path))
	}
	return nil
}

// notSweepTableError returns the error for a file of another kind passed
// to nidim plot tradeoff, or nil when kind is unknown or a sweep table.
func notSweepTableError(path string, kind fileKind) error {
	const want = "tradeoff reads the sweep.csv that nidim sweep writes"
	switch kind {
	case kindCheckpoint:
		return fmt.Errorf("%s is a model checkpoint, not a sweep table; %s", path, want)
	case kindNPY:
		return fmt.Errorf("%s is an NPY array, not a sweep table; %s, and nidim plot qq, hist and scatter draw embeddings", path, want)
	case kindJSON:
		return fmt.Errorf("%s is a JSON document, not a sweep table; %s, and nidim plot curves draws the training history that \"nidim train --json\" prints", path, want)
	case kindSVG:
		return fmt.Errorf("%s is an SVG figure, not a sweep table; pass the sweep.csv that it was drawn from", path)
	}
	return nil
}

// notHistoryError returns the error for a file of another kind passed to
// nidim plot curves, or nil when kind is unknown or JSON.
func notHistoryError(path string, kind fileKind) error {
	const want = "pass the JSON that \"nidim train --json\" prints"
	switch kind {
	case kindCheckpoint:
		return fmt.Errorf("%s is a model checkpoint, not a training history; %s", path, want)
	case kindNPY:
		return fmt.Errorf("%s is an NPY array, not a training history; %s, and nidim plot qq, hist and scatter draw embeddings", path, want)
	case kindSVG:
		return fmt.Errorf("%s is an SVG figure, not a training history; pass the JSON that it was drawn from", path)
	case kindSweepTable:
		return fmt.Errorf("%s is the table of nidim sweep, not a training history; draw it with \"nidim plot tradeoff %s\"", path, shellQuote(path))
	}
	return nil
}

// isRegular reports whether path names a regular file, also through a
// symbolic link.
func isRegular(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// allNumbers reports whether every field parses as a number, as in the
// first row of a CSV file without a header row.
func allNumbers(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return len(fields) > 0
}
