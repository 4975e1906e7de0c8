package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/nidim/nidim/internal/mnist"
	"github.com/nidim/nidim/simd"
)

func init() {
	register(command{
		name:    "version",
		summary: "print the version, the Go release, the SIMD level in use and whether MNIST is embedded",
		run:     runVersion,
	})
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-help" || args[0] == "-h" || args[0] == "--help" {
			return writeHelp("nidim version", "Usage: nidim version\n\nPrints the module version, the VCS revision the binary was built from\n(when Go recorded it), the Go release, the target, the SIMD level that\nthe kernels use on this CPU, and whether the binary embeds MNIST.\n", stdout, stderr)
		}
		fmt.Fprintf(stderr, "nidim version: unexpected argument %q; run nidim version without arguments.\n", args[0])
		return exitUsage
	}
	version, revision := "(unknown)", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		version = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					revision += " (modified)"
				}
			}
		}
	}
	text := fmt.Sprintf("nidim %s\n", version)
	if revision != "" {
		text += fmt.Sprintf("revision %s\n", revision)
	}
	text += fmt.Sprintf("%s %s/%s, SIMD level %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, simd.Active().Level)
	if mnist.Embedded {
		text += fmt.Sprintf("built with the embedded MNIST (%.1f MB gzipped), which commands read when --data is not given\n", float64(mnist.EmbeddedBytes())/1e6)
	} else {
		text += "built without the embedded MNIST (build tag nomnist); pass --data, and --train-data to serve --method knn\n"
	}
	if _, err := io.WriteString(stdout, text); err != nil {
		fmt.Fprintf(stderr, "nidim version: writing the version failed: %v.\n", err)
		return exitFail
	}
	return exitOK
}
