// Package dim implements noise-injected Deep InfoMax (NI-DIM). The output
// of an encoder is normalized and passed through an additive noise
// channel, and the encoder is trained to maximize a lower bound on the
// mutual information between the noisy embeddings of two views of each
// input. Because the Gaussian channel reaches its capacity only when the
// normalized embedding follows the prior, maximizing the bound pushes the
// embedding distribution toward the prior.
//
// The package holds the priors and their capacities, noise injection, the
// critics and the InfoNCE, JSD, NWJ and Donsker-Varadhan bounds with exact
// gradients, views
// (augmentations) for images and feature vectors, encoder presets built
// from package nn, the training loop, and downstream evaluation (linear
// probe and k-nearest-neighbor accuracy). It never prints or parses flags.
package dim
