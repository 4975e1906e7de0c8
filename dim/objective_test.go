package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

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

// TestObjectiveGradients compares every analytic gradient with central
// differences. The step is applied to float32 inputs, so the difference
// quotient divides by the step actually taken after rounding.
func TestObjectiveGradients(t *testing.T) {
	const b, d = 5, 3
	for _, critic := range []Critic{CriticDot, CriticCosine, CriticEuclidean} {
		for _, bound := range []Bound{BoundInfoNCE, BoundJSD, BoundNWJ} {
			t.Run(fmt.Sprintf("%s/%s", critic, bound), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				y1 := randomBatch(rng, b*d, 1)
				y2 := randomBatch(rng, b*d, 1)
				for i := range y2 {
					y2[i] += 0.7 * y1[i] // make the diagonal pairs related
				}
				o := &Objective{Critic: critic, Bound: bound, LogTau: math.Log(0.7)}
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
						orig := side.y[i]
						side.y[i] = orig + 1e-2
						hi, up := loss(), float64(side.y[i])
						side.y[i] = orig - 1e-2
						lo, down := loss(), float64(side.y[i])
						side.y[i] = orig
						numeric := (hi - lo) / (up - down)
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

func TestObjectiveInvalidInput(t *testing.T) {
	y := make([]float32, 8)
	cases := []struct {
		name string
		o    Objective
		b, d int
		want string
	}{
		{"critic", Objective{Critic: "l1", Bound: BoundInfoNCE}, 4, 2, "unknown critic"},
		{"bound", Objective{Critic: CriticDot, Bound: "dv"}, 4, 2, "unknown loss"},
		{"batch", Objective{Critic: CriticDot, Bound: BoundInfoNCE}, 1, 8, "batch size 1"},
		{"shape", Objective{Critic: CriticDot, Bound: BoundInfoNCE}, 3, 2, "want 3 x 2"},
		{"tau", Objective{Critic: CriticDot, Bound: BoundInfoNCE, LogTau: math.NaN()}, 4, 2, "not finite"},
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
	_, err = ParseBound("")
	assert.Error(t, err)
}

func TestObjectiveNoAllocations(t *testing.T) {
	const b, d = 16, 4
	rng := rand.New(rand.NewPCG(3, 4))
	y1, y2 := randomBatch(rng, b*d, 1), randomBatch(rng, b*d, 1)
	dy1, dy2 := make([]float32, b*d), make([]float32, b*d)
	o := &Objective{Critic: CriticEuclidean, Bound: BoundInfoNCE}
	_, err := o.Evaluate(y1, y2, b, d, dy1, dy2)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(10, func() {
		_, _ = o.Evaluate(y1, y2, b, d, dy1, dy2)
	})
	assert.Zero(t, allocs)
}
