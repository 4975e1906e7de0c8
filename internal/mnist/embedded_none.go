//go:build nomnist

package mnist

import "io"

// Embedded reports whether the binary contains the MNIST files. The build
// tag nomnist leaves them out.
const Embedded = false

func openEmbedded(string) (io.ReadCloser, error) {
	return nil, ErrNotEmbedded
}
