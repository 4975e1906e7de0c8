package stats

import (
	"fmt"
	"slices"
	"sync"
)

// reportProgress sends the steps of BuildReport to ReportOptions.Progress:
// step 1 is the per-component tests, when any are selected, and every
// test on the whole sample is a step of its own. Its methods do nothing on
// a nil *reportProgress, and serialize the calls.
type reportProgress struct {
	mu         sync.Mutex
	send       func(step string)
	step       int    // the current step, counting from 1
	steps      int    // the number of steps
	components int    // columns whose per-component tests are done
	current    string // the status sent when the current step started
}

// newReportProgress returns the progress of a battery with the tests of
// opts, or nil when opts.Progress is nil.
// wholeSample is false when the multivariate tests will not run, because
// a transform prior left values that do not map to N(0, 1).
func newReportProgress(opts ReportOptions, wholeSample bool) *reportProgress {
	if opts.Progress == nil {
		return nil
	}
	p := &reportProgress{send: opts.Progress}
	if slices.ContainsFunc(opts.Tests, func(name string) bool { return testSpecs[name].perComponent }) {
		p.steps++
	}
	if opts.Prior == "uniform" && slices.Contains(opts.Tests, "energy-prior") {
		p.steps++ // energy-prior on each component
	}
	if momentTestsSelected(opts.Tests) {
		p.steps++ // the replicates of jarque-bera and dagostino-k2
	}
	if wholeSample {
		p.steps += len(wholeSampleSteps(opts.Tests))
	}
	return p
}

// wholeSampleSteps returns the names of the multivariate steps of tests,
// in the order multivariateTests runs them. Both Mardia statistics come
// from one step.
func wholeSampleSteps(tests []string) []string {
	var steps []string
	switch {
	case slices.Contains(tests, "mardia-skewness") && slices.Contains(tests, "mardia-kurtosis"):
		steps = append(steps, "mardia-skewness and mardia-kurtosis")
	case slices.Contains(tests, "mardia-skewness"):
		steps = append(steps, "mardia-skewness")
	case slices.Contains(tests, "mardia-kurtosis"):
		steps = append(steps, "mardia-kurtosis")
	}
	for _, name := range []string{"henze-zirkler", "energy", "energy-prior", "sliced-epps-pulley", "sphericity", "mean-covariance"} {
		if slices.Contains(tests, name) {
			steps = append(steps, name)
		}
	}
	return steps
}

// startComponents starts the per-component step for d columns.
func (p *reportProgress) startComponents(d int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step++
	p.send(fmt.Sprintf("step %d of %d: per-component tests, 0 of %d components done", p.step, p.steps, d))
}

// componentDone counts one column of the per-component step as done.
func (p *reportProgress) componentDone(d int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.components++
	p.send(fmt.Sprintf("step %d of %d: per-component tests, %d of %d components done", p.step, p.steps, p.components, d))
}

// start starts the next step, the test on the whole sample named name.
func (p *reportProgress) start(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step++
	p.current = fmt.Sprintf("step %d of %d: %s", p.step, p.steps, name)
	p.send(p.current)
}

// replicatesDrawn returns the function that MonteCarlo calls with the
// replicates drawn so far, which adds their count to the status of the
// current step. A sequential test that rejects draws all of its maximum,
// 18399 at d = 16, which takes tens of seconds. It returns nil on a nil
// *reportProgress.
func (p *reportProgress) replicatesDrawn(maxReplicates int, sequential bool) func(drawn int) {
	if p == nil {
		return nil
	}
	of := "of"
	if sequential {
		of = "of at most"
	}
	return func(drawn int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.send(fmt.Sprintf("%s, %d %s %d replicates", p.current, drawn, of, maxReplicates))
	}
}
