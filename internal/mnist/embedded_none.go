//go:build nomnist

package mnist

import "io"

// Embedded reports whether the binary contains the MNIST files. The build
// tag nomnist leaves them out.
const Embedded = false

func openEmbedded(string) (io.ReadCloser, error) {
	return nil, ErrNotEmbedded
}

// EmbeddedBytes returns the total size in bytes of the embedded gzipped
// files, 0 in a build with the tag nomnist.
func EmbeddedBytes() int64 { return 0 }
