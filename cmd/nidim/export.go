package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/internal/atomicfile"
)

func init() {
	register(command{
		name:    "export",
		summary: "write a checkpoint without its optimizer state, for deployment",
		run:     runExport,
	})
}

const exportUsage = `Usage: nidim export CHECKPOINT --out FILE [--force]
       nidim export --model CHECKPOINT --out FILE [--force]

Writes a copy of a checkpoint from "nidim train" without Adam's moments
and step counts, which only resuming training needs and which take 5.3
MB of the 8.0 MB checkpoint of the match recipe's MLP. The copy keeps
the weights, the normalization statistics, the temperature, the
settings, the training position and the fingerprint of the training
data, so nidim embed, score, eval and serve give the same results with
it. It gets its own SHA-256, checked on loading, and is written
atomically. The sizes of both files go to stderr.

"nidim train --resume" rejects the copy, so keep CHECKPOINT to train the
model further, and export it again afterwards. The checkpoint of an
unfinished run is rejected unless --force is given, because the copy
could not finish it and its normalization statistics were never
recomputed on clean inputs.

Flags:
  --model CHECKPOINT
                the checkpoint to export (required, here or as the
                argument)
  --out FILE    file to write (required), such as model-export.safetensors;
                it may not be CHECKPOINT, and an existing file is replaced
                only when it is empty or a checkpoint, but not the
                checkpoint of an unfinished run, which --resume needs
  --force       export the checkpoint of an unfinished run as it is
`

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("out", "", "")
	force := fs.Bool("force", false, "")
	model := fs.String("model", "", "")
	files, st := parseFlagsAndFiles(fs, args, 1, exportUsage, stdout, stderr)
	if st >= 0 {
		return st
	}
	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "nidim export: %s\n", sentence(fmt.Sprintf(format, a...)))
		return status
	}
	source, err := checkpointArg(files, *model, "nidim export model.safetensors --out model-export.safetensors")
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *out == "" {
		return fail(exitUsage, "missing --out; pass the file to write, such as model-export.safetensors.")
	}
	if err := checkOutputPath("--out", *out, inputFile{"checkpoint", source}); err != nil {
		return fail(exitUsage, "%v", err)
	}
	old, err := existingCheckpoint("--out", *out, "the export")
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	// An exported copy cannot resume a run, so only a checkpoint from
	// nidim train holds the state that an unfinished run needs.
	if old != nil && !old.Exported && isUnfinished(old) {
		return fail(exitUsage, "--out %s contains an unfinished run (%s of %d epochs), which the export would replace, so nidim train --resume could no longer continue it; pass another --out, or delete the file if you no longer need the run.",
			*out, unfinishedText(old), old.Config.Epochs)
	}

	e, err := dim.ReadExport(source)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	printNote(stderr, "nidim export", checkpointNameNote(*out))
	m := e.Model
	if !m.Verified {
		fmt.Fprintf(stderr, "nidim export: note: %s; the exported file gets a checksum of the content as it is\n", dim.UnverifiedNote(source))
	}
	if run := m.RunState(); isUnfinished(run) {
		if !*force {
			return fail(exitUsage, "%s is from an unfinished run (%s of %d epochs), and the exported file could not resume it; finish the run with nidim train --resume %s and the data flags it was trained on, or pass --force to export it as it is.",
				source, unfinishedText(run), m.Config.Epochs, shellQuote(source))
		}
		fmt.Fprintf(stderr, "nidim export: note: %s is from an unfinished run (%s of %d epochs); keep it to finish the run with nidim train --resume %s\n",
			source, unfinishedText(run), m.Config.Epochs, shellQuote(source))
	}
	if m.Optimizer == nil {
		fmt.Fprintf(stderr, "nidim export: note: %s contains no optimizer state, so the exported file is about the same size\n", source)
	}

	before, err := os.Stat(source)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	if err := e.Write(*out); err != nil {
		if errors.Is(err, atomicfile.ErrStopped) {
			return fail(exitFail, "%v", err)
		}
		return fail(exitFail, "%v; %s", err, notWrittenAdvice(*out))
	}
	after, err := os.Stat(*out)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	fmt.Fprintf(stderr, "wrote %s without the optimizer state: %s\n", *out, sizeChangeText(after.Size(), before.Size(), source))
	return exitOK
}

// sizeChangeText compares the size of the exported file with that of
// source. The sizes are equal when source was exported already.
func sizeChangeText(exportedSize, sourceSize int64, source string) string {
	switch {
	case exportedSize < sourceSize:
		return fmt.Sprintf("%s, down from %s in %s", sizeText(exportedSize), sizeText(sourceSize), source)
	case exportedSize > sourceSize:
		return fmt.Sprintf("%s, up from %s in %s", sizeText(exportedSize), sizeText(sourceSize), source)
	}
	return fmt.Sprintf("%s, the same size as %s", sizeText(exportedSize), source)
}

// sizeText returns a file size in megabytes (10^6 bytes) or, below 1 MB,
// in kilobytes (10^3 bytes), and in bytes: "2.7 MB (2712456 bytes)",
// "7.4 KB (7364 bytes)". Below 1 KB it returns only the bytes.
func sizeText(bytes int64) string {
	switch {
	case bytes < 1000:
		return plural(int(bytes), "byte", "bytes")
	// Sizes from 999950 bytes round to 1000.0 KB, so they print as 1.0 MB.
	case bytes < 999_950:
		return fmt.Sprintf("%.1f KB (%d bytes)", float64(bytes)/1e3, bytes)
	}
	return fmt.Sprintf("%.1f MB (%d bytes)", float64(bytes)/1e6, bytes)
}
