package nn

import (
	"os"
	"syscall"
	"testing"

	"github.com/nidim/nidim/tensor"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func TestTmpCPUPerStep(t *testing.T) {
	SetThreads(1)
	tensor.SetThreads(1)
	defer SetThreads(0)
	defer tensor.SetThreads(0)
	b, _ := NewTrainStepBenchmark(os.Getenv("M"), 256, 1)
	for range 2 {
		b.Step()
	}
	best := 1e9
	for range 4 {
		c0 := cpuSeconds()
		b.Step()
		best = min(best, cpuSeconds()-c0)
	}
	t.Logf("%s cpu per step %.1f ms", os.Getenv("M"), best*1e3)
}
