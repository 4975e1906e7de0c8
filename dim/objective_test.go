package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/simd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomBatch(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale * rng.NormFloat64())
	}
	return x
}

// centralDifference returns the derivative of loss with respect to y[i] by
// central differences of the given step. The step is applied to a float32,
// so the quotient divides by the step actually taken after rounding.
func centralDifference(loss func() float64, y []float32, i int, step float32) float64 {
	orig := y[i]
	y[i] = orig + step
	hi, up := loss(), float64(y[i])
	y[i] = orig - step
	lo, down := loss(), float64(y[i])
	y[i] = orig
	return (hi - lo) / (up - down)
}

// TestObjectiveGradients compares every analytic gradient with central
// differences, at d = 3 (components one at a time) and d = 6 (four at
// once, then two).
func TestObjectiveGradients(t *testing.T) {
	const b = 5
	for _, c := range []struct {
		critic Critic
		bound  Bound
		d      int
	}{
		{CriticDot, BoundInfoNCE, 3}, {CriticDot, BoundJSD, 3}, {CriticDot, BoundNWJ, 3}, {CriticDot, BoundInfoNCERows, 3},
		{CriticCosine, BoundInfoNCE, 3}, {CriticCosine, BoundJSD, 3}, {CriticCosine, BoundNWJ, 3}, {CriticCosine, BoundInfoNCERows, 3},
		{CriticEuclidean, BoundInfoNCE, 3}, {CriticEuclidean, BoundJSD, 3}, {CriticEuclidean, BoundNWJ, 3}, {CriticEuclidean, BoundInfoNCERows, 3},
		{CriticEuclidean, BoundInfoNCE, 6}, {CriticEuclidean, BoundInfoNCERows, 6}, {CriticCosine, BoundInfoNCERows, 6}, {CriticDot, BoundJSD, 6},
		{CriticDot, BoundDV, 3}, {CriticCosine, BoundDV, 3}, {CriticEuclidean, BoundDV, 3}, {CriticEuclidean, BoundDV, 6},
	} {
		critic, bound, d := c.critic, c.bound, c.d
		t.Run(fmt.Sprintf("%s/%s/d=%d", critic, bound, d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			y1 := randomBatch(rng, b*d, 1)
			y2 := randomBatch(rng, b*d, 1)
			for i := range y2 {
				y2[i] += 0.7 * y1[i] // make the diagonal pairs related
			}
			o := &Objective{Critic: critic, Bound: bound, LogTau: math.Log(0.7), SelfWeight: 0.5}
			dy1 := make([]float32, b*d)
			dy2 := make([]float32, b*d)
			v, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
			require.NoError(t, err)
			require.False(t, math.IsNaN(v.Loss))

			loss := func() float64 {
				w, err := o.Evaluate(y1, y2, b, d, nil, nil)
				require.NoError(t, err)
				return w.Loss
			}
			for _, side := range []struct {
				name string
				y    []float32
				grad []float32
			}{{"y1", y1, dy1}, {"y2", y2, dy2}} {
				for i := range side.y {
					numeric := centralDifference(loss, side.y, i, 1e-2)
					assert.InDelta(t, numeric, float64(side.grad[i]), 1e-4+1e-3*math.Abs(numeric), "d loss / d %s[%d]", side.name, i)
				}
			}

			const h = 1e-5
			tau0 := o.LogTau
			o.LogTau = tau0 + h
			hi := loss()
			o.LogTau = tau0 - h
			lo := loss()
			o.LogTau = tau0
			numeric := (hi - lo) / (2 * h)
			assert.InDelta(t, numeric, v.DLogTau, 1e-6+1e-4*math.Abs(numeric), "d loss / d log tau")
		})
	}
}

// TestInfoNCEKnownValues checks the loss against values worked out by hand.
func TestInfoNCEKnownValues(t *testing.T) {
	// With identical rows every score is equal, so each softmax is uniform
	// and the loss is ln B: the MI estimate is zero.
	o := &Objective{Critic: CriticDot, Bound: BoundInfoNCE}
	y := []float32{1, 2, 1, 2, 1, 2, 1, 2}
	v, err := o.Evaluate(y, y, 4, 2, nil, nil)
	require.NoError(t, err)
	assert.InDelta(t, math.Log(4), v.Loss, 1e-12)
	assert.InDelta(t, 0, v.MI, 1e-12)

	// Two orthogonal unit pairs with the dot critic: S = I/tau, so each row
	// and column has loss ln(e^(1/tau) + 1) - 1/tau.
	o = &Objective{Critic: CriticDot, Bound: BoundInfoNCE, LogTau: math.Log(0.5)}
	e := []float32{1, 0, 0, 1}
	v, err = o.Evaluate(e, e, 2, 2, nil, nil)
	require.NoError(t, err)
	want := math.Log(math.Exp(2)+1) - 2
	assert.InDelta(t, want, v.Loss, 1e-12)
	assert.InDelta(t, math.Log(2)-want, v.MI, 1e-12)

	// Far-apart pairs under the Euclidean critic drive the loss to zero and
	// the estimate to its cap ln B, without overflow.
	o = &Objective{Critic: CriticEuclidean, Bound: BoundInfoNCE, LogTau: math.Log(1e-3)}
	far := []float32{0, 0, 100, 0, 0, 100}
	v, err = o.Evaluate(far, far, 3, 2, nil, nil)
	require.NoError(t, err)
	assert.InDelta(t, 0, v.Loss, 1e-12)
	assert.InDelta(t, math.Log(3), v.MI, 1e-12)
}

// TestInfoNCERowsIsolatedPairs checks the one-sided loss when the pairs
// lie so far apart that every other row's term underflows against the
// pair's own. With the pair left out, the loss must come from the
// neighbors alone, not from a difference of two equal sums.
func TestInfoNCERowsIsolatedPairs(t *testing.T) {
	// Rows at 0, 100 and 200 with tau = 1: the neighbors score -5000 and
	// -20000. Rows 0 and 2 have one neighbor at -5000, row 1 has two.
	y := []float32{0, 100, 200}
	o := &Objective{Critic: CriticEuclidean, Bound: BoundInfoNCERows, SelfWeight: 0}
	dy1, dy2 := make([]float32, 3), make([]float32, 3)
	v, err := o.Evaluate(y, y, 3, 1, dy1, dy2)
	require.NoError(t, err)
	assert.InDelta(t, -5000+math.Log(2)/3, v.Loss, 1e-9)
	// The gradient of row i's neighbor score, (y_j - y_i)/tau, over B:
	// descent pushes rows 0 and 2 away from row 1, and row 1's two
	// neighbors cancel.
	want1 := []float64{100.0 / 3, 0, -100.0 / 3}
	for i, g := range dy1 {
		assert.InDelta(t, want1[i], float64(g), 1e-5, "d loss / d y1[%d]", i)
	}
	for i, g := range dy2 {
		assert.False(t, math.IsNaN(float64(g)), "d loss / d y2[%d] is NaN", i)
	}
}

func TestJSDAndNWJKnownValues(t *testing.T) {
	// All scores zero: JSD = 2 ln 2 and NWJ = e^-1.
	y := make([]float32, 6)
	o := &Objective{Critic: CriticDot, Bound: BoundJSD}
	v, err := o.Evaluate(y, y, 3, 2, nil, nil)
	require.NoError(t, err)
	assert.InDelta(t, 2*math.Ln2, v.Loss, 1e-12)

	o.Bound = BoundNWJ
	v, err = o.Evaluate(y, y, 3, 2, nil, nil)
	require.NoError(t, err)
	assert.InDelta(t, math.Exp(-1), v.Loss, 1e-12)
}

// TestDVKnownValues checks the DV loss against values worked out by hand,
// and on scores so far below the matching ones that their exponentials
// underflow unless they are shifted by the largest non-matching score.
func TestDVKnownValues(t *testing.T) {
	// Dot critic at tau = 1 with y1 = y2 = (1, 2, 3): the matching scores
	// are 1, 4 and 9, and the six others are 2, 3 and 6, each twice.
	y := []float32{1, 2, 3}
	o := &Objective{Critic: CriticDot, Bound: BoundDV}
	v, err := o.Evaluate(y, y, 3, 1, nil, nil)
	require.NoError(t, err)
	want := -(14.0/3 - math.Log((math.Exp(2)+math.Exp(3)+math.Exp(6))/3))
	assert.InDelta(t, want, v.Loss, 1e-12)

	// Euclidean critic at tau = 1 with rows at 0, 100 and 200: the
	// matching scores are 0, four others -5000 and two -20000. The
	// log-mean-exp is -5000 + ln(4/6), and each pair at -5000 gets the
	// weight 1/4 in the gradient. The gradient of S_ij with respect to
	// y1_i is y2_j - y1_i, so rows 0 and 2 get 100/4 and -100/4, and row
	// 1's two neighbors cancel.
	far := []float32{0, 100, 200}
	o = &Objective{Critic: CriticEuclidean, Bound: BoundDV}
	dy1, dy2 := make([]float32, 3), make([]float32, 3)
	v, err = o.Evaluate(far, far, 3, 1, dy1, dy2)
	require.NoError(t, err)
	assert.InDelta(t, -5000+math.Log(4.0/6), v.Loss, 1e-9)
	want1 := []float64{25, 0, -25}
	for i, g := range dy1 {
		assert.InDelta(t, want1[i], float64(g), 1e-9, "d loss / d y1[%d]", i)
	}
	// With y1 = y2 the scores and their gradient are symmetric, so the
	// second view's gradient is the first's.
	for i, g := range dy2 {
		assert.InDelta(t, want1[i], float64(g), 1e-9, "d loss / d y2[%d]", i)
	}
}

// TestDVGaussianMI draws n pairs (x, y) from a bivariate Gaussian of
// correlation rho and takes the true log density ratio
// log p(x, y) / (p(x) p(y)) as the scores. The DV value of the batch must
// lie within 4 standard errors of the mutual information
// -ln(1 - rho^2) / 2.
//
// The standard error: the first term is the mean of n log ratios, whose
// variance under the joint distribution is rho^2, so its standard error
// is rho/sqrt(n). The second term averages p(x_i, y_j) / (p(x_i) p(y_j))
// over the n(n-1) pairs i != j. That ratio has mean 1 over y for every x,
// so the average has no term of order 1/sqrt(n). Its variance and the
// bias of its logarithm are of order 1/n^2, about 1e-6 here. At n = 2000
// and rho = 0.8 the standard error is 0.018 nats, and the tolerance 4
// standard errors, 0.072 of an MI of 0.511. Over 200 batches of this size
// the DV value had a standard deviation of 0.016.
func TestDVGaussianMI(t *testing.T) {
	const n, rho = 2000, 0.8
	mi := -0.5 * math.Log(1-rho*rho)
	tol := 4 * rho / math.Sqrt(n)

	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i] = rng.NormFloat64()
		y[i] = rho*x[i] + math.Sqrt(1-rho*rho)*rng.NormFloat64()
	}
	// log p(x, y) / (p(x) p(y)) = c + g x y - k (x^2 + y^2).
	c := mi
	g := rho / (1 - rho*rho)
	k := rho * rho / (2 * (1 - rho*rho))
	o := &Objective{Critic: CriticDot, Bound: BoundDV}
	o.grow(n, 3)
	o.n, o.kern = n, simd.Active()
	for i := range n {
		for j := range n {
			o.s[i*n+j] = c + g*x[i]*y[j] - k*(x[i]*x[i]+y[j]*y[j])
		}
	}
	got := -o.dv()
	assert.InDelta(t, mi, got, tol, "DV value of the true log density ratio")

	// The same scores less c through the dot critic at tau = 1, with
	// a_i = (x_i, -k x_i^2, 1) and b_j = (g y_j, 1, -k y_j^2). The bound
	// does not change when a constant is added to every score, so the loss
	// must match up to the float32 rounding of the embeddings.
	a, b := make([]float32, 3*n), make([]float32, 3*n)
	for i := range n {
		a[3*i], a[3*i+1], a[3*i+2] = float32(x[i]), float32(-k*x[i]*x[i]), 1
		b[3*i], b[3*i+1], b[3*i+2] = float32(g*y[i]), 1, float32(-k*y[i]*y[i])
	}
	v, err := o.Evaluate(a, b, n, 3, nil, nil)
	require.NoError(t, err)
	assert.InDelta(t, got, -v.Loss, 1e-5, "DV value through the dot critic")
	t.Logf("DV %.4f, MI %.4f, tolerance %.4f", got, mi, tol)
}

func TestObjectiveInvalidInput(t *testing.T) {
	y := make([]float32, 8)
	cases := []struct {
		name string
		o    *Objective
		b, d int
		want string
	}{
		{"critic", &Objective{Critic: "l1", Bound: BoundInfoNCE}, 4, 2, "unknown critic"},
		{"bound", &Objective{Critic: CriticDot, Bound: "mine"}, 4, 2, `unknown loss "mine"; use infonce, infonce-rows, jsd, nwj or dv`},
		{"batch", &Objective{Critic: CriticDot, Bound: BoundInfoNCE}, 1, 8, "batch size 1"},
		{"shape", &Objective{Critic: CriticDot, Bound: BoundInfoNCE}, 3, 2, "want 3 x 2"},
		{"tau", &Objective{Critic: CriticDot, Bound: BoundInfoNCE, LogTau: math.NaN()}, 4, 2, "not finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.o.Evaluate(y, y, c.b, c.d, nil, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestParseNames(t *testing.T) {
	c, err := ParseCritic("cosine")
	require.NoError(t, err)
	assert.Equal(t, CriticCosine, c)
	_, err = ParseCritic("Cosine")
	assert.Error(t, err)
	bnd, err := ParseBound("nwj")
	require.NoError(t, err)
	assert.Equal(t, BoundNWJ, bnd)
	bnd, err = ParseBound("dv")
	require.NoError(t, err)
	assert.Equal(t, BoundDV, bnd)
	_, err = ParseBound("")
	assert.Error(t, err)
}

func TestObjectiveNoAllocations(t *testing.T) {
	const b = 16
	for _, d := range []int{4, 17} {
		rng := rand.New(rand.NewPCG(3, 4))
		y1, y2 := randomBatch(rng, b*d, 1), randomBatch(rng, b*d, 1)
		dy1, dy2 := make([]float32, b*d), make([]float32, b*d)
		for _, bound := range []Bound{BoundInfoNCE, BoundInfoNCERows, BoundDV} {
			o := &Objective{Critic: CriticEuclidean, Bound: bound, SelfWeight: 0.5}
			_, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(10, func() {
				_, _ = o.Evaluate(y1, y2, b, d, dy1, dy2)
			})
			assert.Zero(t, allocs, "%s, d = %d", bound, d)
		}
	}
}

// TestObjectiveThreadsAgree evaluates a batch large enough to be split into
// several row and column chunks, with one and with three goroutines. For
// both InfoNCE losses and dv the values and gradients must be
// bit-identical, and a few gradient entries must match central
// differences.
func TestObjectiveThreadsAgree(t *testing.T) {
	const b, d = 53, 4
	defer nn.SetThreads(0)
	cases := []struct {
		critic Critic
		bound  Bound
	}{{CriticDot, BoundInfoNCE}, {CriticCosine, BoundInfoNCE}, {CriticEuclidean, BoundInfoNCE}, {CriticEuclidean, BoundInfoNCERows}, {CriticEuclidean, BoundDV}}
	for _, c := range cases {
		critic, bound := c.critic, c.bound
		t.Run(string(critic)+"/"+string(bound), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			y1 := randomBatch(rng, b*d, 1)
			y2 := randomBatch(rng, b*d, 1)
			for i := range y2 {
				y2[i] += 0.8 * y1[i]
			}
			eval := func(threads int) (Value, []float32, []float32) {
				nn.SetThreads(threads)
				o := &Objective{Critic: critic, Bound: bound, LogTau: math.Log(0.5), SelfWeight: 0.5}
				dy1, dy2 := make([]float32, b*d), make([]float32, b*d)
				v, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
				require.NoError(t, err)
				return v, dy1, dy2
			}
			v1, a1, b1 := eval(1)
			v3, a3, b3 := eval(3)
			require.Equal(t, v1, v3)
			// Without gradient buffers the temperature's derivative is
			// summed in another order.
			noGrad, err := (&Objective{Critic: critic, Bound: bound, LogTau: math.Log(0.5), SelfWeight: 0.5}).Evaluate(y1, y2, b, d, nil, nil)
			require.NoError(t, err)
			assert.Equal(t, v1.Loss, noGrad.Loss)
			assert.InDelta(t, v1.DLogTau, noGrad.DLogTau, 1e-12*math.Max(1, math.Abs(v1.DLogTau)))
			require.Equal(t, a1, a3)
			require.Equal(t, b1, b3)

			o := &Objective{Critic: critic, Bound: bound, LogTau: math.Log(0.5), SelfWeight: 0.5}
			loss := func() float64 {
				w, err := o.Evaluate(y1, y2, b, d, nil, nil)
				require.NoError(t, err)
				return w.Loss
			}
			for _, i := range []int{0, 37, 101, b*d - 1} {
				for _, side := range []struct {
					y, grad []float32
				}{{y1, a3}, {y2, b3}} {
					numeric := centralDifference(loss, side.y, i, 1e-2)
					assert.InDelta(t, numeric, float64(side.grad[i]), 1e-5+1e-3*math.Abs(numeric), "entry %d", i)
				}
			}
		})
	}
}

// pairedBatches returns b x d batches whose rows i lie close together:
// y2_i is y1_i plus noise of standard deviation 0.1.
func pairedBatches(b, d int) (y1, y2 []float32) {
	rng := rand.New(rand.NewPCG(8, 8))
	y1 = randomBatch(rng, b*d, 1)
	y2 = randomBatch(rng, b*d, 0.1)
	for i := range y2 {
		y2[i] += y1[i]
	}
	return y1, y2
}

// naiveScores returns the b x b scores of the Euclidean critic,
// -|y1_i - y2_j|^2 / (2 tau).
func naiveScores(y1, y2 []float32, b, d int, tau float64) []float64 {
	s := make([]float64, b*b)
	for i := range b {
		for j := range b {
			acc := 0.0
			for k := range d {
				t := float64(y1[i*d+k]) - float64(y2[j*d+k])
				acc += t * t
			}
			s[i*b+j] = -acc / (2 * tau)
		}
	}
	return s
}

// naiveInfoNCE is the symmetric InfoNCE loss of the Euclidean critic, each
// row and column shifted by its own maximum.
func naiveInfoNCE(y1, y2 []float32, b, d int, tau float64) float64 {
	s := naiveScores(y1, y2, b, d, tau)
	lse := func(at func(int) float64) float64 {
		m := math.Inf(-1)
		for k := range b {
			m = max(m, at(k))
		}
		z := 0.0
		for k := range b {
			z += math.Exp(at(k) - m)
		}
		return m + math.Log(z)
	}
	total := 0.0
	for i := range b {
		total += lse(func(j int) float64 { return s[i*b+j] }) - s[i*b+i]
		total += lse(func(j int) float64 { return s[j*b+i] }) - s[i*b+i]
	}
	return total * 0.5 / float64(b)
}

// TestObjectiveFarColumn moves one second-view embedding so far from every
// first-view one that its column of exp(S - max S) underflows, which sends
// it to the exact fallback. The loss must still match the naive
// computation, and entries of the second view's gradient, that
// embedding's included, must match central differences.
func TestObjectiveFarColumn(t *testing.T) {
	const b, d, tau = 40, 2, 0.05
	y1, y2 := pairedBatches(b, d)
	for _, far := range []float32{0, 60} {
		y2[7*d] += far
		o := &Objective{Critic: CriticEuclidean, Bound: BoundInfoNCE, LogTau: math.Log(tau)}
		dy1, dy2 := make([]float32, b*d), make([]float32, b*d)
		v, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
		require.NoError(t, err)
		want := naiveInfoNCE(y1, y2, b, d, tau)
		assert.InDelta(t, want, v.Loss, 1e-9*max(1, math.Abs(want)), "far = %v", far)
		if far > 0 {
			assert.Zero(t, o.colSum[7], "column 7 took the exact path")
		}
		naive := func() float64 { return naiveInfoNCE(y1, y2, b, d, tau) }
		for _, i := range []int{7 * d, 7*d + 1, 3 * d} {
			numeric := centralDifference(naive, y2, i, 1e-3)
			assert.InDelta(t, numeric, float64(dy2[i]), 1e-4+1e-3*math.Abs(numeric), "far = %v, dy2[%d]", far, i)
		}
	}
}

// naiveRowsLoss is the infonce-rows loss of the Euclidean critic with the
// pair weighted by w in each denominator, every row shifted by its own
// maximum.
func naiveRowsLoss(y1, y2 []float32, b, d int, tau, w float64) float64 {
	scores := naiveScores(y1, y2, b, d, tau)
	total := 0.0
	for i := range b {
		s := scores[i*b : (i+1)*b]
		m := math.Inf(-1)
		for _, v := range s {
			m = max(m, v)
		}
		z := 0.0
		for j, v := range s {
			e := math.Exp(v - m)
			if j == i {
				e *= w
			}
			z += e
		}
		total += m + math.Log(z) - s[i]
	}
	return total / float64(b)
}

// TestInfoNCERowsFarColumn is TestObjectiveFarColumn for infonce-rows,
// whose column pass computes the scores again: the symmetric InfoNCE
// value must match the naive one when column 7 underflows, and the loss
// and its gradient must match the naive loss.
func TestInfoNCERowsFarColumn(t *testing.T) {
	const b, d, tau, w = 40, 2, 0.05, 0.5
	y1, y2 := pairedBatches(b, d)
	for _, far := range []float32{0, 60} {
		y2[7*d] += far
		o := &Objective{Critic: CriticEuclidean, Bound: BoundInfoNCERows, LogTau: math.Log(tau), SelfWeight: w}
		dy1, dy2 := make([]float32, b*d), make([]float32, b*d)
		v, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
		require.NoError(t, err)
		want := naiveInfoNCE(y1, y2, b, d, tau)
		assert.InDelta(t, want, v.InfoNCE, 1e-9*max(1, math.Abs(want)), "far = %v: symmetric value", far)
		if far > 0 {
			assert.Less(t, o.colSum[7], colUnderflow, "column 7 took the exact path")
		}
		wantLoss := naiveRowsLoss(y1, y2, b, d, tau, w)
		assert.InDelta(t, wantLoss, v.Loss, 1e-9*max(1, math.Abs(wantLoss)), "far = %v: loss", far)
		naive := func() float64 { return naiveRowsLoss(y1, y2, b, d, tau, w) }
		for _, i := range []int{7 * d, 7*d + 1, 3 * d} {
			for _, side := range []struct {
				name    string
				y, grad []float32
			}{{"y1", y1, dy1}, {"y2", y2, dy2}} {
				numeric := centralDifference(naive, side.y, i, 1e-3)
				assert.InDelta(t, numeric, float64(side.grad[i]), 1e-4+1e-3*math.Abs(numeric), "far = %v, d%s[%d]", far, side.name, i)
			}
		}
	}
}
