package stats

import (
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTmp(t *testing.T) {
	m := normalMatrix(10000, 64, 1)
	for _, name := range []string{"mardia-skewness", "henze-zirkler", "energy", "energy-prior", "sphericity"} {
		start := cpuNow()
		_, err := BuildReport(m, ReportOptions{Tests: []string{name}, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-24s cpu %v", name, cpuNow()-start)
	}
	start := cpuNow()
	BuildReport(m, ReportOptions{Workers: 1})
	t.Logf("all cpu %v", cpuNow()-start)
	u := uniformMatrix(10000, 64, 1)
	start = cpuNow()
	BuildReport(u, ReportOptions{Workers: 1, Prior: "uniform"})
	t.Logf("uniform all cpu %v", cpuNow()-start)
}
