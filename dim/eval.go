package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// Metric names the similarity that the k-nearest-neighbor classifier
// ranks by.
type Metric string

const (
	MetricEuclidean Metric = "euclidean"
	MetricCosine    Metric = "cosine"
)

// Block sizes of the neighbor search: a test block times a training block
// of scores is at most 512 x 2048 float32 values, 4 MiB. A query of fewer
// than 512 rows per goroutine is cut into smaller blocks, of at least
// knnMinTestBlock rows, so that every goroutine searches.
const (
	knnTestBlock    = 512
	knnMinTestBlock = 32
	knnTrainBlock   = 2048
)

// knnBlockRows returns the rows per block of a neighbor search of m
// query rows on threads goroutines.
func knnBlockRows(m, threads int) int {
	perThread := (m + max(threads, 1) - 1) / max(threads, 1)
	return max(1, min(m, knnTestBlock, max(perThread, knnMinTestBlock)))
}

// KNNClassify predicts the label of each row of test by a majority vote
// among its k nearest rows of train. A tie in the vote goes to the tied
// class whose nearest member ranks first. The neighbors are those of
// nearestNeighbors.
func KNNClassify(train *tensor.Tensor, trainLabels []int, test *tensor.Tensor, k int, metric Metric) ([]int, error) {
	if err := checkLabeled("training", train, trainLabels); err != nil {
		return nil, err
	}
	if err := checkNeighborSearch(train, test, k, metric); err != nil {
		return nil, err
	}
	classes, classOf := classIndex(trainLabels)
	pred := make([]int, test.Shape[0])
	nearestNeighbors(train, test, k, metric, func() func(row int, neighbors []int) {
		votes := make([]int, len(classes))
		return func(row int, neighbors []int) {
			pred[row] = classes[vote(neighbors, classOf, votes)]
		}
	})
	return pred, nil
}

// checkNeighborSearch returns an error unless train is a non-empty n x d
// matrix, test an m x d one, k between 1 and n, and metric known.
func checkNeighborSearch(train, test *tensor.Tensor, k int, metric Metric) error {
	if train == nil || len(train.Shape) != 2 || train.Shape[0] == 0 || train.Shape[1] == 0 {
		return fmt.Errorf("dim: the reference embeddings must form a non-empty n x d matrix")
	}
	if test == nil || len(test.Shape) != 2 || test.Shape[1] != train.Shape[1] {
		var shape []int
		if test != nil {
			shape = test.Shape
		}
		return fmt.Errorf("dim: test embeddings have shape %v, want n x %d like the training embeddings", shape, train.Shape[1])
	}
	if n := train.Shape[0]; k < 1 || k > n {
		return fmt.Errorf("dim: k = %d neighbors is invalid; it must be between 1 and the %d training rows", k, n)
	}
	if metric != MetricEuclidean && metric != MetricCosine {
		return fmt.Errorf("dim: unknown metric %q; use euclidean or cosine", metric)
	}
	return nil
}

// nearestNeighbors finds the k nearest rows of train for each row of
// test, which checkNeighborSearch must accept, by the search of
// neighborIndex.
func nearestNeighbors(train, test *tensor.Tensor, k int, metric Metric, newVisitor func() func(row int, neighbors []int)) {
	newNeighborIndex(train, metric).search(test, k, newVisitor)
}

// neighborIndex is the side of the neighbor search that does not change
// between queries: the training rows, as unit rows for the cosine
// metric, and the squared lengths that the Euclidean ranking subtracts.
// A KNNScorer builds it once, so that a query of one row does not cost
// O(n d) work and allocations before its search.
type neighborIndex struct {
	source *tensor.Tensor // the rows it was built from
	metric Metric
	n, d   int
	rows   []float32 // n x d
	// bias[j] is subtracted from 2<a, b_j> for the Euclidean ranking; it
	// is 0 for the cosine metric.
	bias []float32
}

// newNeighborIndex prepares the n x d matrix train for searches by
// metric. It keeps a reference to train.Data for the Euclidean metric.
func newNeighborIndex(train *tensor.Tensor, metric Metric) *neighborIndex {
	n, d := train.Shape[0], train.Shape[1]
	ix := &neighborIndex{source: train, metric: metric, n: n, d: d, rows: train.Data, bias: make([]float32, n)}
	if metric == MetricCosine {
		ix.rows = unitRows(train.Data, d)
		return ix
	}
	for j := range ix.bias {
		r := ix.rows[j*d : (j+1)*d]
		ix.bias[j] = dot32(r, r)
	}
	return ix
}

// builtFrom reports whether ix was built from train for metric.
func (ix *neighborIndex) builtFrom(train *tensor.Tensor, metric Metric) bool {
	return ix != nil && ix.source == train && ix.metric == metric &&
		len(train.Shape) == 2 && train.Shape[0] == ix.n && train.Shape[1] == ix.d
}

// search finds the k nearest training rows for each row of test. Scores
// are computed block by block with tensor.Gemm: for the Euclidean metric
// 2<a, b> - |b|^2, which ranks like -|a - b|^2, and for the cosine metric
// <a, b> of unit rows, both in float32. Equal scores keep the earlier
// training row first.
//
// Blocks of test rows run in parallel, of knnBlockRows rows. Each
// goroutine calls newVisitor once, and then its visitor for each of its
// rows with the row's neighbor indexes, nearest first. The slice is
// reused after the call returns. The result does not depend on the
// thread count or the block size. One goroutine searches each row, in
// the same order for any count, and Gemm computes each score of a row
// from that row alone, whatever the other rows of its block.
func (ix *neighborIndex) search(test *tensor.Tensor, k int, newVisitor func() func(row int, neighbors []int)) {
	n, d := ix.n, ix.d
	a, b, bias := test.Data, ix.rows, ix.bias
	alpha := float32(2)
	if ix.metric == MetricCosine {
		a, alpha = unitRows(a, d), 1
	}

	// Each goroutine takes whole blocks with its own buffers and
	// single-goroutine products, so the selection runs in parallel too.
	// The buffers take no more rows than the query and the training
	// set have, so that a query of one row does not allocate a whole
	// block of scores.
	m := test.Shape[0]
	blockRows, blockCols := knnBlockRows(m, nn.Threads()), min(n, knnTrainBlock)
	serial := tensor.Gemmer{Threads: 1}
	var par nn.Loop
	par.Run((m+blockRows-1)/blockRows, 1, func(lo, hi int) {
		visit := newVisitor()
		scores := make([]float32, blockRows*blockCols)
		best := make([]float32, blockRows*k)
		bestIdx := make([]int, blockRows*k)
		for t0 := lo * blockRows; t0 < min(m, hi*blockRows); t0 += blockRows {
			tm := min(blockRows, m-t0)
			for i := range best[:tm*k] {
				best[i] = float32(math.Inf(-1))
				bestIdx[i] = -1
			}
			for j0 := 0; j0 < n; j0 += knnTrainBlock {
				tn := min(knnTrainBlock, n-j0)
				serial.Gemm(tensor.NoTrans, tensor.Trans, tm, tn, d, alpha, a[t0*d:], d, b[j0*d:], d, 0, scores, tn)
				for i := 0; i < tm; i++ {
					row := scores[i*tn : (i+1)*tn]
					bs, bi := best[i*k:(i+1)*k], bestIdx[i*k:(i+1)*k]
					for j, s := range row {
						s -= bias[j0+j]
						if s > bs[k-1] {
							insertTop(bs, bi, s, j0+j)
						}
					}
				}
			}
			for i := 0; i < tm; i++ {
				fillNeighbors(bestIdx[i*k : (i+1)*k])
				visit(t0+i, bestIdx[i*k:(i+1)*k])
			}
		}
	})
}

// ProbeAndKNN returns the test accuracies of the default linear probe and
// of k-nearest-neighbor classification, both fit on the labeled training
// embeddings.
func ProbeAndKNN(zTrain *tensor.Tensor, trainLabels []int, zTest *tensor.Tensor, testLabels []int, k int, metric Metric) (probe, knn float64, err error) {
	p, err := TrainProbe(zTrain, trainLabels, DefaultProbeConfig())
	if err != nil {
		return 0, 0, err
	}
	pred, err := p.Predict(zTest)
	if err != nil {
		return 0, 0, err
	}
	probe = Accuracy(pred, testLabels)
	if pred, err = KNNClassify(zTrain, trainLabels, zTest, k, metric); err != nil {
		return 0, 0, err
	}
	return probe, Accuracy(pred, testLabels), nil
}

// fillNeighbors fills the empty slots (-1) at the end of the neighbor
// list bi with the earliest training rows not in it. A slot stays empty
// when fewer than k scores exceed -Inf, which happens when float32 scores
// overflow to -Inf or NaN: |b|^2 does for a training row longer than
// about 1.8e19, and <a, b> when the two lengths multiply to more than
// about 1.7e38. Those rows rank last, tied, so the earlier rows come
// first as for other ties.
func fillNeighbors(bi []int) {
	if bi[len(bi)-1] >= 0 {
		return
	}
	next := 0
	for p, j := range bi {
		if j >= 0 {
			continue
		}
		for slices.Contains(bi[:p], next) {
			next++
		}
		bi[p] = next
		next++
	}
}

// insertTop puts (s, idx) into the descending list (bs, bi), dropping the
// last entry. Equal scores keep the earlier training row first.
func insertTop(bs []float32, bi []int, s float32, idx int) {
	p := len(bs) - 1
	for p > 0 && s > bs[p-1] {
		bs[p], bi[p] = bs[p-1], bi[p-1]
		p--
	}
	bs[p], bi[p] = s, idx
}

// vote returns the most frequent label among the neighbors, which are
// ordered nearest first, breaking ties by the nearest neighbor.
func vote(neighbors, labels []int, votes []int) int {
	clear(votes)
	for _, j := range neighbors {
		votes[labels[j]]++
	}
	bestLabel, bestCount := -1, 0
	for _, j := range neighbors {
		if c := votes[labels[j]]; c > bestCount {
			bestLabel, bestCount = labels[j], c
		}
	}
	return bestLabel
}

func dot32(x, y []float32) float32 {
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// unitRows returns a copy of the n x d matrix x with each row scaled to
// unit length; zero rows stay zero.
func unitRows(x []float32, d int) []float32 {
	out := make([]float32, len(x))
	for i := 0; i < len(x); i += d {
		r := x[i : i+d]
		n := math.Sqrt(float64(dot32(r, r)))
		if n == 0 {
			continue
		}
		for k, v := range r {
			out[i+k] = float32(float64(v) / n)
		}
	}
	return out
}

// Accuracy returns the fraction of predictions equal to the labels.
func Accuracy(pred, labels []int) float64 {
	if len(pred) == 0 || len(pred) != len(labels) {
		return math.NaN()
	}
	hit := 0
	for i, p := range pred {
		if p == labels[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(pred))
}

func checkLabeled(what string, x *tensor.Tensor, labels []int) error {
	if x == nil || len(x.Shape) != 2 || x.Shape[0] == 0 || x.Shape[1] == 0 {
		var shape []int
		if x != nil {
			shape = x.Shape
		}
		return fmt.Errorf("dim: %s embeddings have shape %v, want a non-empty n x d matrix", what, shape)
	}
	if len(labels) != x.Shape[0] {
		return fmt.Errorf("dim: %d %s labels for %d rows; pass one label per row", len(labels), what, x.Shape[0])
	}
	for i, l := range labels {
		if l < 0 {
			return fmt.Errorf("dim: %s label %d of row %d is negative; labels must be class numbers 0, 1, 2, ...", what, l, i)
		}
	}
	return nil
}

// classIndex returns the distinct labels in ascending order, and for each
// row the position of its label among them. The probe and the kNN vote
// size their arrays by the number of classes, which labels such as 0 and
// 999999 would otherwise make a million.
func classIndex(labels []int) (classes, index []int) {
	classes = slices.Clone(labels)
	slices.Sort(classes)
	classes = slices.Compact(classes)
	index = make([]int, len(labels))
	for i, l := range labels {
		index[i], _ = slices.BinarySearch(classes, l)
	}
	return classes, index
}

// ProbeConfig sets the training of the linear probe. Zero fields take the
// defaults of DefaultProbeConfig.
type ProbeConfig struct {
	Epochs int     // passes over the training rows, raised to give at least probeMinSteps steps
	Batch  int     // rows per Adam step
	LR     float64 // initial Adam step size, decayed linearly to zero
	L2     float64 // weight decay coefficient on the weights, not the bias
	Seed   uint64  // shuffling seed
}

// probeMinSteps is the minimum number of Adam steps of a probe. From lr
// 0.01 with a linear decay, that many steps come close to the optimum of
// the convex loss on standardized features in the tests.
const probeMinSteps = 2000

// DefaultProbeConfig returns the probe settings used by the commands.
func DefaultProbeConfig() ProbeConfig {
	return ProbeConfig{Epochs: 20, Batch: 256, LR: 0.01, L2: 1e-4, Seed: 1}
}

// Probe is a trained multinomial logistic regression on standardized
// features.
type Probe struct {
	D, Classes  int
	Mean, Scale []float64 // feature standardization: (x - Mean) * Scale
	W           []float64 // D x Classes
	Bias        []float64 // Classes
	// Labels contains the label of each class in ascending order. With a
	// single label in training it has one entry fewer than Classes, and
	// Predict returns -1 for the unused class. When nil, class j is label j.
	Labels []int
}

// TrainProbe fits a multinomial logistic regression (softmax cross-entropy
// with L2 weight decay) to the labeled rows of x with Adam, in float64.
func TrainProbe(x *tensor.Tensor, labels []int, cfg ProbeConfig) (*Probe, error) {
	if err := checkLabeled("training", x, labels); err != nil {
		return nil, err
	}
	def := DefaultProbeConfig()
	if cfg.Epochs == 0 {
		cfg.Epochs = def.Epochs
	}
	if cfg.Batch == 0 {
		cfg.Batch = def.Batch
	}
	if cfg.LR == 0 {
		cfg.LR = def.LR
	}
	if cfg.Epochs < 0 || cfg.Batch < 0 || !(cfg.LR > 0) || !(cfg.L2 >= 0) {
		return nil, fmt.Errorf("dim: probe settings %+v are invalid; epochs, batch and learning rate must be positive and L2 at least 0", cfg)
	}
	n, d := x.Shape[0], x.Shape[1]
	classes, classOf := classIndex(labels)
	c := max(len(classes), 2)
	p := &Probe{D: d, Classes: c, Mean: make([]float64, d), Scale: make([]float64, d), W: make([]float64, d*c), Bias: make([]float64, c), Labels: classes}
	p.standardize(x.Data, n)

	params := d*c + c
	grad := make([]float64, params)
	m1 := make([]float64, params)
	m2 := make([]float64, params)
	const beta1, beta2, adamEps = 0.9, 0.999, 1e-8
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	feat := make([]float64, d)
	logits := make([]float64, c)
	// Small data sets get more epochs, so that Adam takes at least
	// probeMinSteps steps whatever the number of rows.
	perEpoch := (n + cfg.Batch - 1) / cfg.Batch
	cfg.Epochs = max(cfg.Epochs, (probeMinSteps+perEpoch-1)/perEpoch)
	steps := cfg.Epochs * perEpoch
	step := 0
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b0 := 0; b0 < n; b0 += cfg.Batch {
			batch := order[b0:min(b0+cfg.Batch, n)]
			clear(grad)
			for _, r := range batch {
				p.features(feat, x.Data[r*d:(r+1)*d])
				p.softmax(logits, feat)
				logits[classOf[r]] -= 1 // dL/dlogits = softmax - onehot
				for k, f := range feat {
					for j, g := range logits {
						grad[k*c+j] += f * g
					}
				}
				for j, g := range logits {
					grad[d*c+j] += g
				}
			}
			inv := 1 / float64(len(batch))
			for i := range grad {
				grad[i] *= inv
			}
			for i := 0; i < d*c; i++ {
				grad[i] += cfg.L2 * p.W[i]
			}

			step++
			lr := cfg.LR * (1 - float64(step-1)/float64(steps))
			c1 := 1 - math.Pow(beta1, float64(step))
			c2 := 1 - math.Pow(beta2, float64(step))
			for i, g := range grad {
				m1[i] = beta1*m1[i] + (1-beta1)*g
				m2[i] = beta2*m2[i] + (1-beta2)*g*g
				delta := lr * (m1[i] / c1) / (math.Sqrt(m2[i]/c2) + adamEps)
				if i < d*c {
					p.W[i] -= delta
				} else {
					p.Bias[i-d*c] -= delta
				}
			}
		}
	}
	return p, nil
}

// standardize sets Mean and Scale from the n rows of x; a constant feature
// gets scale 1.
func (p *Probe) standardize(x []float32, n int) {
	d := p.D
	for r := 0; r < n; r++ {
		for k := 0; k < d; k++ {
			p.Mean[k] += float64(x[r*d+k])
		}
	}
	for k := range p.Mean {
		p.Mean[k] /= float64(n)
	}
	for r := 0; r < n; r++ {
		for k := 0; k < d; k++ {
			t := float64(x[r*d+k]) - p.Mean[k]
			p.Scale[k] += t * t
		}
	}
	for k, v := range p.Scale {
		sd := math.Sqrt(v / float64(n))
		if sd > 0 {
			p.Scale[k] = 1 / sd
		} else {
			p.Scale[k] = 1
		}
	}
}

func (p *Probe) features(dst []float64, row []float32) {
	for k, v := range row {
		dst[k] = (float64(v) - p.Mean[k]) * p.Scale[k]
	}
}

// softmax writes the class probabilities for the standardized features f.
func (p *Probe) softmax(dst, f []float64) {
	c := p.Classes
	copy(dst, p.Bias)
	for k, v := range f {
		w := p.W[k*c : (k+1)*c]
		for j := range dst {
			dst[j] += v * w[j]
		}
	}
	m := math.Inf(-1)
	for _, v := range dst {
		if v > m {
			m = v
		}
	}
	z := 0.0
	for j, v := range dst {
		dst[j] = math.Exp(v - m)
		z += dst[j]
	}
	for j := range dst {
		dst[j] /= z
	}
}

// Predict returns the most probable class of each row of x.
func (p *Probe) Predict(x *tensor.Tensor) ([]int, error) {
	if x == nil || len(x.Shape) != 2 || x.Shape[1] != p.D {
		var shape []int
		if x != nil {
			shape = x.Shape
		}
		return nil, fmt.Errorf("dim: probe input has shape %v, want n x %d", shape, p.D)
	}
	n := x.Shape[0]
	pred := make([]int, n)
	feat := make([]float64, p.D)
	prob := make([]float64, p.Classes)
	for r := 0; r < n; r++ {
		p.features(feat, x.Data[r*p.D:(r+1)*p.D])
		p.softmax(prob, feat)
		best := 0
		for j, v := range prob {
			if v > prob[best] {
				best = j
			}
		}
		pred[r] = p.label(best)
	}
	return pred, nil
}

// label returns the label of class j.
func (p *Probe) label(j int) int {
	switch {
	case p.Labels == nil:
		return j
	case j < len(p.Labels):
		return p.Labels[j]
	}
	return -1
}
