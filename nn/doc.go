// Package nn provides neural-network layers with explicit Forward and
// Backward passes over reused buffers, parameter initialization, optimizers
// (SGD with momentum, Adam and AdamW), learning-rate schedules, gradient
// clipping, and checkpoints in the safetensors format. [Adam.State] and
// [Adam.SetState] save and restore Adam's moments and step count, so that
// training resumed from a checkpoint takes the same steps.
//
// Tensors are row-major float32. Dense layers take N x F matrices (N
// samples, F features) and image layers take N x C x H x W tensors (NCHW).
//
// A training step is:
//
//	y, err := model.Forward(x, true)
//	// compute the loss and dL/dy
//	_, err = model.Backward(dy)
//	opt.Step()
//	opt.ZeroGrad()
//
// Forward keeps a reference to its input until Backward, so the caller must
// not change x in between. Output and gradient tensors belong to the layer
// and are overwritten by its next call. Buffers are allocated when the input
// shape changes and reused otherwise, so a steady-state step with a fixed
// batch shape does not allocate.
//
// [Sequential] fuses a Linear or Conv2d with a following ReLU, and a Conv2d
// with a following ReLU and MaxPool2d, which saves passes over the
// activations without changing any value.
//
// Layers and optimizers split their work, matrix products included, over
// up to [Threads] goroutines, each running single-goroutine tensor.Gemm
// calls, so tensor.SetThreads does not affect them. Sums over the batch use
// splits that do not depend on the thread count, so a training step gives
// bit-identical results for any thread count.
package nn
