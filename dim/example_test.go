package dim_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/nidim/nidim/dim"
	"github.com/nidim/nidim/stats"
	"github.com/nidim/nidim/tensor"
)

// features returns n rows of 8 features that mix two latent factors, on
// a scale far from 0 and 1, with a little noise.
func features(n int, seed uint64) *tensor.Tensor {
	rng := tensor.NewRNG(seed)
	x := tensor.New(n, 8)
	for i := 0; i < n; i++ {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		for j := 0; j < 8; j++ {
			v := 100 + 10*(a*float64(j%3)+b*float64(j%2)) + rng.NormFloat64()
			x.Set(float32(v), i, j)
		}
	}
	return x
}

// toMatrix copies float32 embeddings into the float64 matrix that package
// stats tests.
func toMatrix(emb *tensor.Tensor) stats.Matrix {
	m := stats.Matrix{N: emb.Rows(), D: emb.Cols(), Data: make([]float64, emb.Len())}
	for i, v := range emb.Data {
		m.Data[i] = float64(v)
	}
	return m
}

// round returns v rounded to two decimals, with -0 printed as 0.
func round(v float64) float64 { return math.Round(v*100)/100 + 0 }

// Train fits an encoder to feature vectors with the recipe that matches
// N(0, I), embeds held-out rows with it, and tests the embeddings with
// package stats. MatchingConfig is sized for MNIST (60,000 rows), so a
// small data set needs a smaller batch, network and dimension.
func ExampleTrain() {
	train := &dim.Dataset{X: features(600, 1), Shape: []int{8}}
	test := features(300, 2)

	cfg := dim.MatchingConfig()
	cfg.Dim = 2
	cfg.Hidden = 32
	cfg.Batch = 200
	cfg.Epochs = 10
	cfg.Standardize = true // the features are far from unit scale

	model, history, err := dim.Train(context.Background(), cfg, train, nil)
	if err != nil {
		log.Fatal(err)
	}
	last := history.Epochs[len(history.Epochs)-1]
	prior, err := cfg.NewPrior()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("epochs trained: %d, last MI estimate %.3f nats of capacity %.3f\n",
		len(history.Epochs), last.MI, prior.Capacity(cfg.Dim))

	// After training, the normalization statistics are recomputed on the
	// clean training inputs, so their embeddings have mean 0 and variance 1.
	emb, err := model.Embed(train.X, 1000)
	if err != nil {
		log.Fatal(err)
	}
	m := toMatrix(emb)
	for j := 0; j < m.D; j++ {
		moments := stats.ComputeMoments(m.Col(j))
		fmt.Printf("component %d: mean %.2f, sd %.2f\n", j, round(moments.Mean), round(math.Sqrt(moments.Variance)))
	}

	zTest, err := model.Embed(test, 1000)
	if err != nil {
		log.Fatal(err)
	}
	report, err := stats.BuildReport(toMatrix(zTest), stats.ReportOptions{
		Tests: []string{"ks-prior", "shapiro-wilk", "henze-zirkler", "mean-covariance"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range report.Tests {
		component := "all" // a multivariate test has Component -1
		if t.Component >= 0 {
			component = fmt.Sprint(t.Component)
		}
		fmt.Printf("%-16s %3s  p %.3f\n", t.Name, component, t.PValue)
	}
	fmt.Println(report.Verdict())
	// Output:
	// epochs trained: 10, last MI estimate 1.494 nats of capacity 1.609
	// component 0: mean 0.00, sd 1.00
	// component 1: mean 0.00, sd 1.00
	// shapiro-wilk       0  p 0.015
	// shapiro-wilk       1  p 0.137
	// ks-prior           0  p 0.632
	// ks-prior           1  p 0.356
	// henze-zirkler    all  p 0.093
	// mean-covariance  all  p 0.247
	// PASS: no test rejects N(0, I) at alpha 0.01 after Holm adjustment (6 tests)
}

// A checkpoint written by Model.Save, or by the command "nidim train",
// loads with LoadModel and embeds the same way as the model that wrote it.
func ExampleLoadModel() {
	cfg := dim.MatchingConfig()
	cfg.Dim, cfg.Hidden, cfg.Batch, cfg.Epochs = 2, 16, 100, 2
	cfg.Standardize = true
	train := &dim.Dataset{X: features(200, 1), Shape: []int{8}}
	model, _, err := dim.Train(context.Background(), cfg, train, nil)
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "dim-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := model.Save(path); err != nil {
		log.Fatal(err)
	}

	loaded, err := dim.LoadModel(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prior:", loaded.Config.Prior, "dim:", loaded.Config.Dim, "input:", loaded.Config.Input)
	fmt.Println("epochs:", loaded.Epoch, "checksum verified:", loaded.Verified)

	x := features(5, 3)
	before, err := model.Embed(x, 1000)
	if err != nil {
		log.Fatal(err)
	}
	after, err := loaded.Embed(x, 1000)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same embeddings:", slices.Equal(before.Data, after.Data))
	// Output:
	// prior: gaussian dim: 2 input: [8]
	// epochs: 2 checksum verified: true
	// same embeddings: true
}

// A prior and its noise channel bound what training can reach: the
// capacity is the largest mutual information between an embedding and its
// noisy copy.
func ExampleNewPrior() {
	for _, sigma := range []float64{0.5, 1} {
		p, err := dim.NewPrior("gaussian", sigma)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("sigma %.1f, d = 4: capacity %.4f nats, two noisy views %.4f nats\n",
			sigma, p.Capacity(4), p.TwoViewMI(4))
	}
	_, err := dim.NewPrior("gaussian", 0)
	fmt.Println(err)
	// Output:
	// sigma 0.5, d = 4: capacity 3.2189 nats, two noisy views 2.0433 nats
	// sigma 1.0, d = 4: capacity 1.3863 nats, two noisy views 0.5754 nats
	// dim: Gaussian noise level sigma = 0 is invalid; it must be a positive finite number such as 0.5
}

// OutlierScores turns embeddings into an outlier statistic, the squared
// length of the embedding mapped to N(0, I), and its chi-square p-value.
// Model.Score runs it on the embeddings of raw inputs.
func ExampleOutlierScores() {
	emb := []float32{
		0, 0,
		1, -1,
		3, 4,
	}
	scores, pValues, err := dim.OutlierScores("gaussian", emb, 3, 2)
	if err != nil {
		log.Fatal(err)
	}
	for i := range scores {
		fmt.Printf("row %d: score %g, p %.3g\n", i, scores[i], pValues[i])
	}
	// Output:
	// row 0: score 0, p 1
	// row 1: score 2, p 0.368
	// row 2: score 25, p 3.73e-06
}
