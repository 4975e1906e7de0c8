package nn_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"

	"github.com/nidim/nidim/nn"
	"github.com/nidim/nidim/tensor"
)

// A small MLP learns y = x0 - 2 x1 + 0.5 with Adam on the mean squared
// error. The loss and its gradient dL/dy are computed by the caller.
func Example() {
	rng := tensor.NewRNG(1)
	l1, err := nn.NewLinear(2, 16, rng)
	if err != nil {
		log.Fatal(err)
	}
	l2, err := nn.NewLinear(16, 1, rng)
	if err != nil {
		log.Fatal(err)
	}
	model := nn.NewSequential(l1, nn.NewReLU(), l2)
	opt, err := nn.NewAdam(model.Params(), 0.01, 0.9, 0.999, 1e-8, 0, false)
	if err != nil {
		log.Fatal(err)
	}

	const n = 64
	x := tensor.New(n, 2)
	if err := tensor.FillUniform(x, rng, -1, 1); err != nil {
		log.Fatal(err)
	}
	target := make([]float32, n)
	for i := range target {
		target[i] = x.At(i, 0) - 2*x.At(i, 1) + 0.5
	}

	dy := tensor.New(n, 1)
	for step := 0; step <= 300; step++ {
		y, err := model.Forward(x, true)
		if err != nil {
			log.Fatal(err)
		}
		var loss float64
		for i, v := range y.Data {
			diff := v - target[i]
			loss += float64(diff*diff) / n
			dy.Data[i] = 2 * diff / n
		}
		if _, err := model.Backward(dy); err != nil {
			log.Fatal(err)
		}
		opt.Step()
		opt.ZeroGrad()
		if step == 0 || step == 300 {
			fmt.Printf("step %d: loss %.3f\n", step, loss)
		}
	}
	// Output:
	// step 0: loss 2.466
	// step 300: loss 0.001
}

// SaveCheckpoint writes the parameters and buffers of a model in the
// safetensors format, and Checkpoint.Load copies them into a model of the
// same architecture.
func ExampleSaveCheckpoint() {
	build := func(seed uint64) *nn.Sequential {
		rng := tensor.NewRNG(seed)
		lin, err := nn.NewLinear(3, 2, rng)
		if err != nil {
			log.Fatal(err)
		}
		bn, err := nn.NewBatchNorm(2, true)
		if err != nil {
			log.Fatal(err)
		}
		return nn.NewSequential(lin, bn)
	}

	dir, err := os.MkdirTemp("", "nn-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	saved := build(1)
	meta := map[string]string{"note": "example"}
	if err := nn.SaveCheckpoint(path, nn.Named(nn.State(saved)), meta); err != nil {
		log.Fatal(err)
	}

	ckpt, err := nn.LoadCheckpoint(path)
	if err != nil {
		log.Fatal(err)
	}
	names := make([]string, 0, len(ckpt.Tensors))
	for name := range ckpt.Tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	fmt.Println(names, ckpt.Metadata["note"])

	loaded := build(2) // other initial weights
	if err := ckpt.Load(loaded); err != nil {
		log.Fatal(err)
	}
	x := tensor.Full(0.5, 1, 3)
	a, err := saved.Forward(x, false)
	if err != nil {
		log.Fatal(err)
	}
	b, err := loaded.Forward(x, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same output:", slices.Equal(a.Data, b.Data))
	// Output:
	// [0.bias 0.weight 1.bias 1.running_mean 1.running_var 1.weight] example
	// same output: true
}
