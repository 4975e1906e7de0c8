package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/simd"
	"github.com/nidim/nidim/tensor"
)

func init() {
	registerBench("step", "time a training step (forward, backward, Adam) in samples/s", runBenchStep)
}

// stepRow is one line of "nidim bench step", with the JSON keys of the
// PyTorch anchor script so that both outputs can be compared directly.
type stepRow struct {
	Model       string  `json:"model"`
	Batch       int     `json:"batch"`
	Threads     int     `json:"threads"`
	SamplesPerS float64 `json:"samples_per_s"`
	MedianStepS float64 `json:"median_step_s"`
	Level       string  `json:"simd"`
}

const benchStepUsage = `Usage: nidim bench step [flags]

Times one training step of a benchmark model and prints samples per
second and the median step time. A step zeroes the gradients, runs the
forward pass, the loss sum(y^2), the backward pass (without the input
gradient of the first layer) and an Adam update, on a fixed random batch.
After 5 warm-up steps, each of --steps steps is timed on its own and the
median counts.

Models:
  mlp   Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 64)
  cnn   Conv2d(1, 32, 3x3, padding 1), ReLU, MaxPool2d(2),
        Conv2d(32, 64, 3x3, padding 1), ReLU, MaxPool2d(2), Flatten,
        Linear(3136, 256), ReLU, Linear(256, 64); input 1 x 28 x 28

Flags:
  --model NAME   mlp, cnn or all (default all)
  --batch N      samples per step (default 256)
  --threads N    goroutines, for matrix multiply and for the layers; 0
                 for all cores (default %d, the number of CPUs Go uses
                 here)
  --steps N      timed steps (default 30)
  --seed N       seed of the weights and the batch (default 1)
  --json         print a JSON array of objects with the keys model, batch,
                 threads, samples_per_s, median_step_s and simd instead of
                 text
`

func runBenchStep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench step", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	model := fs.String("model", "all", "")
	batch := fs.Int("batch", 256, "")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "")
	steps := fs.Int("steps", 30, "")
	seed := fs.Uint64("seed", 1, "")
	asJSON := fs.Bool("json", false, "")
	if st := parseBenchFlags(fs, args, fmt.Sprintf(benchStepUsage, runtime.GOMAXPROCS(0)), stdout, stderr); st >= 0 {
		return st
	}
	models := []string{*model}
	switch *model {
	case "all":
		models = []string{"mlp", "cnn"}
	case "mlp", "cnn":
	default:
		fmt.Fprintf(stderr, "nidim bench step: invalid --model %q: use mlp, cnn or all.\n", *model)
		return exitUsage
	}
	if *batch < 1 || *batch > 1<<16 {
		fmt.Fprintf(stderr, "nidim bench step: invalid --batch %d: use 1 to 65536 samples.\n", *batch)
		return exitUsage
	}
	if *threads < 0 {
		fmt.Fprintf(stderr, "nidim bench step: invalid --threads %d: use 0 for all cores or a positive count.\n", *threads)
		return exitUsage
	}
	if *threads == 0 {
		*threads = runtime.GOMAXPROCS(0)
	}
	if *steps < 1 {
		fmt.Fprintf(stderr, "nidim bench step: invalid --steps %d: use 1 or more.\n", *steps)
		return exitUsage
	}

	// Run Go code on as many OS threads as the goroutines asked for, so
	// that the comparison with a BLAS limited to --threads is fair.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
	defer tensor.SetThreads(tensor.Threads())
	defer nn.SetThreads(nn.Threads())
	tensor.SetThreads(*threads)
	nn.SetThreads(*threads)

	rows := make([]stepRow, 0, len(models))
	for _, m := range models {
		b, err := nn.NewTrainStepBenchmark(m, *batch, *seed)
		if err != nil {
			fmt.Fprintf(stderr, "nidim bench step: %v\n", err)
			return exitFail
		}
		median, err := timeSteps(b, *steps)
		if err != nil {
			fmt.Fprintf(stderr, "nidim bench step: %s: %v\n", m, err)
			return exitFail
		}
		row := stepRow{Model: m, Batch: *batch, Threads: *threads, MedianStepS: median,
			SamplesPerS: float64(*batch) / median, Level: simd.Active().Level.String()}
		rows = append(rows, row)
		if !*asJSON {
			if _, err := fmt.Fprintf(stdout, "%-4s batch %d threads %d: %.0f samples/s (%.2f ms/step, nidim %s)\n",
				row.Model, row.Batch, row.Threads, row.SamplesPerS, row.MedianStepS*1e3, row.Level); err != nil {
				fmt.Fprintf(stderr, "nidim bench step: writing the results failed: %v.\n", err)
				return exitFail
			}
		}
	}
	if *asJSON {
		out, err := json.Marshal(rows)
		if err != nil {
			fmt.Fprintf(stderr, "nidim bench step: %v\n", err)
			return exitFail
		}
		if _, err := fmt.Fprintln(stdout, string(out)); err != nil {
			fmt.Fprintf(stderr, "nidim bench step: writing the JSON results failed: %v.\n", err)
			return exitFail
		}
	}
	return exitOK
}

// timeSteps runs 5 warm-up steps and then n timed ones, and returns the
// median step time in seconds.
func timeSteps(b *nn.TrainStepBenchmark, n int) (float64, error) {
	for range 5 {
		if err := b.Step(); err != nil {
			return 0, err
		}
	}
	times := make([]float64, n)
	for i := range times {
		start := time.Now()
		if err := b.Step(); err != nil {
			return 0, err
		}
		times[i] = time.Since(start).Seconds()
	}
	slices.Sort(times)
	return times[n/2], nil
}
