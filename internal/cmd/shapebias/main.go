// Command shapebias measures which distribution of embeddings the match
// recipe's loss prefers at a given batch size. It evaluates infonce-rows
// (Euclidean critic at tau = sigma^2, noise on the first view) without
// training, on batches whose clean embeddings have independent
// components drawn from the generalized normal distribution of each
// shape, scaled to unit variance. Shape 2 is N(0, I), and shapes above 2
// have lighter tails.
//
// Two more rows are optional. With -radial K, the embeddings are
// spherically symmetric with a squared length drawn from Gamma(K, d/K);
// N(0, I) is K = d/2, where that is the chi-square. With -clusters K,
// they are a mixture of K Gaussian clusters: a share -between of each
// component's unit variance lies between the cluster centers, which are
// drawn once from N(0, between I).
//
// Every row gets the same channel noise, so the per-batch differences
// of the loss from the first row's cancel the noise's share of the
// variance, and their standard error is the one to read. A negative
// difference means the loss prefers that row to the first, so that
// training drifts toward it.
//
//	go run ./internal/cmd/shapebias -dim 8 -shapes 2,2.5
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/nidim/nidim/dim"
)

func main() {
	d := flag.Int("dim", 8, "embedding dimension")
	sigma := flag.Float64("sigma", 0.5, "channel noise standard deviation")
	batch := flag.Int("batch", 4096, "rows per batch")
	batches := flag.Int("batches", 100, "batches per shape")
	shapeList := flag.String("shapes", "2,2.5", "comma-separated generalized-normal shapes; the first is the baseline")
	selfWeight := flag.Float64("self-weight", 0.5, "weight of the matching pair in the denominators")
	seed := flag.Uint64("seed", 1, "seed of the embeddings and the noise")
	radial := flag.Float64("radial", 0, "Gamma shape of the squared length in the radial row, 0 for none; d/2 is N(0, I), more is lighter tails")
	clusters := flag.Int("clusters", 0, "clusters of the mixture row, 0 for none")
	between := flag.Float64("between", 0.3, "share of the variance between the clusters' centers")
	flag.Parse()

	shapes, err := parseShapes(*shapeList)
	switch {
	case err != nil:
	case *d < 1:
		err = fmt.Errorf("-dim %d is invalid; use 1 or more", *d)
	case *batch < 2:
		err = fmt.Errorf("-batch %d is invalid; use 2 or more rows", *batch)
	case *batches < 2:
		err = fmt.Errorf("-batches %d is invalid; the standard error needs 2 or more", *batches)
	case !(*sigma > 0) || math.IsInf(*sigma, 0):
		err = fmt.Errorf("-sigma %v is invalid; use a positive number such as 0.5", *sigma)
	case !(*radial >= 0) || math.IsInf(*radial, 0):
		err = fmt.Errorf("-radial %v is invalid; use 0 for none or a positive Gamma shape such as %d", *radial, *d/2+1)
	case *clusters < 0:
		err = fmt.Errorf("-clusters %d is invalid; use 0 for none or a positive count", *clusters)
	case !(*between >= 0 && *between < 1):
		err = fmt.Errorf("-between %v is invalid; use a share from 0 up to but not including 1", *between)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "shapebias: %v\n", err)
		os.Exit(2)
	}

	rows := make([]distribution, len(shapes))
	for s, shape := range shapes {
		rows[s] = generalizedNormal(shape)
	}
	if *radial > 0 {
		rows = append(rows, radialGamma(*radial, *d))
	}
	if *clusters > 0 {
		rows = append(rows, mixture(*clusters, *between, *d, *seed))
	}

	// losses[s][k] is the mean loss of batch k under row s.
	losses := make([][]float64, len(rows))
	for s, row := range rows {
		losses[s], err = measure(row.draw, *d, *batch, *batches, *sigma, *selfWeight, *seed)
		if err != nil {
			fmt.Fprintf(os.Stderr, "shapebias: %v\n", err)
			os.Exit(1)
		}
	}

	fmt.Printf("d %d, sigma %g, batch %d, %d batches, self-weight %g\n", *d, *sigma, *batch, *batches, *selfWeight)
	fmt.Printf("%-20s %15s  %-18s  minus %s\n", "distribution", "excess kurtosis", "mean loss", rows[0].name)
	for s, row := range rows {
		m, se := meanSE(losses[s])
		diff := make([]float64, len(losses[s]))
		for k := range diff {
			diff[k] = losses[s][k] - losses[0][k]
		}
		dm, dse := meanSE(diff)
		fmt.Printf("%-20s %15.3f  %.4f +- %.4f    %+.4f +- %.4f\n", row.name, row.kurtosis, m, se, dm, dse)
	}
}

// distribution draws the clean embeddings of one batch into x (B x d,
// row-major). kurtosis is the excess kurtosis of a component, averaged
// over the components.
type distribution struct {
	name     string
	kurtosis float64
	draw     func(rng *rand.Rand, x []float32, d int)
}

// generalizedNormal returns the distribution with independent components
// of the given shape, scaled to unit variance.
func generalizedNormal(shape float64) distribution {
	scale := 1 / math.Sqrt(variance(shape))
	return distribution{
		name:     fmt.Sprintf("shape %g", shape),
		kurtosis: excessKurtosis(shape),
		draw: func(rng *rand.Rand, x []float32, d int) {
			for i := range x {
				x[i] = float32(scale * generalizedNormalValue(rng, shape))
			}
		},
	}
}

// radialGamma returns the spherically symmetric distribution whose
// squared length is Gamma(k, d/k), with mean d, so that each component
// has unit variance. k = d/2 gives the chi-square of N(0, I), and a larger
// k lighter tails in the length while every direction stays equally
// likely. A component's excess kurtosis is 3 d (k+1) / (k (d+2)) - 3.
func radialGamma(k float64, d int) distribution {
	n := float64(d)
	return distribution{
		name:     fmt.Sprintf("radial shape %g", k),
		kurtosis: 3*n*(k+1)/(k*(n+2)) - 3,
		draw: func(rng *rand.Rand, x []float32, d int) {
			z := make([]float64, d)
			for r := 0; r < len(x)/d; r++ {
				ss := 0.0
				for j := range z {
					z[j] = rng.NormFloat64()
					ss += z[j] * z[j]
				}
				length := math.Sqrt(gamma(rng, k) * n / k)
				for j, v := range z {
					x[r*d+j] = float32(v / math.Sqrt(ss) * length)
				}
			}
		},
	}
}

// mixture returns an equal mixture of k Gaussian clusters whose centers
// are drawn once from N(0, between I), each with variance 1 - between per
// component. Each component is then centered and scaled to unit
// variance, as the encoder's normalization would do.
func mixture(k int, between float64, d int, seed uint64) distribution {
	rng := rand.New(rand.NewPCG(seed, 3))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = math.Sqrt(between) * rng.NormFloat64()
	}
	within := math.Sqrt(1 - between)
	// Per component: the centers' mean, the mixture's sd, and its excess
	// kurtosis from the central moments of the centers.
	mean, sd := make([]float64, d), make([]float64, d)
	kurtosis := 0.0
	for j := range d {
		for c := range k {
			mean[j] += centers[c*d+j] / float64(k)
		}
		m2, m4 := 0.0, 0.0
		for c := range k {
			v := centers[c*d+j] - mean[j]
			m2 += v * v / float64(k)
			m4 += v * v * v * v / float64(k)
		}
		w2 := within * within
		variance := m2 + w2
		sd[j] = math.Sqrt(variance)
		kurtosis += ((m4+6*m2*w2+3*w2*w2)/(variance*variance) - 3) / float64(d)
	}
	return distribution{
		name:     fmt.Sprintf("%d clusters", k),
		kurtosis: kurtosis,
		draw: func(rng *rand.Rand, x []float32, d int) {
			for r := 0; r < len(x)/d; r++ {
				c := centers[rng.IntN(k)*d:]
				for j := range d {
					x[r*d+j] = float32((c[j] - mean[j] + within*rng.NormFloat64()) / sd[j])
				}
			}
		},
	}
}

func parseShapes(list string) ([]float64, error) {
	var shapes []float64
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("-shapes: %q is not a positive number; use shapes such as 2,2.5", f)
		}
		shapes = append(shapes, v)
	}
	return shapes, nil
}

// measure returns the infonce-rows loss of each batch. The noise stream
// depends on the seed alone, so every distribution gets the same noise.
func measure(draw func(*rand.Rand, []float32, int), d, b, batches int, sigma, selfWeight float64, seed uint64) ([]float64, error) {
	obj := &dim.Objective{Critic: dim.CriticEuclidean, Bound: dim.BoundInfoNCERows,
		LogTau: math.Log(sigma * sigma), SelfWeight: selfWeight}
	values := rand.New(rand.NewPCG(seed, 1))
	noise := rand.New(rand.NewPCG(seed, 2))
	clean := make([]float32, b*d)
	noisy := make([]float32, b*d)
	losses := make([]float64, batches)
	for k := range losses {
		draw(values, clean, d)
		for i, v := range clean {
			noisy[i] = v + float32(sigma*noise.NormFloat64())
		}
		v, err := obj.Evaluate(noisy, clean, b, d, nil, nil)
		if err != nil {
			return nil, err
		}
		losses[k] = v.Loss
	}
	return losses, nil
}

// generalizedNormalValue draws from the density proportional to
// exp(-|x|^shape): |x| is G^(1/shape) with G ~ Gamma(1/shape, 1), and the
// sign is a fair coin.
func generalizedNormalValue(rng *rand.Rand, shape float64) float64 {
	x := math.Pow(gamma(rng, 1/shape), 1/shape)
	if rng.IntN(2) == 0 {
		return -x
	}
	return x
}

// gamma draws from Gamma(a, 1) by Marsaglia and Tsang's method, with
// Gamma(a+1) U^(1/a) for a < 1.
func gamma(rng *rand.Rand, a float64) float64 {
	if a < 1 {
		return gamma(rng, a+1) * math.Pow(rng.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if math.Log(rng.Float64()) < x*x/2+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

func logGamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// variance returns the variance of the generalized normal of the shape:
// Gamma(3/shape) / Gamma(1/shape).
func variance(shape float64) float64 {
	return math.Exp(logGamma(3/shape) - logGamma(1/shape))
}

// excessKurtosis returns Gamma(5/s) Gamma(1/s) / Gamma(3/s)^2 - 3 for
// shape s.
func excessKurtosis(shape float64) float64 {
	return math.Exp(logGamma(5/shape)+logGamma(1/shape)-2*logGamma(3/shape)) - 3
}

// meanSE returns the mean of x and its standard error.
func meanSE(x []float64) (mean, se float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}
