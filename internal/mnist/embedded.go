//go:build !nomnist

package mnist

import (
	"embed"
	"io"
)

// Embedded reports whether the binary contains the MNIST files. The build
// tag nomnist leaves them out.
const Embedded = true

//go:embed data/*.gz
var files embed.FS

// openEmbedded opens the embedded gzipped file of the data set named name,
// such as TrainImages.
func openEmbedded(name string) (io.ReadCloser, error) {
	return files.Open("data/" + name + ".gz")
}

// EmbeddedBytes returns the total size in bytes of the embedded gzipped
// files, 0 in a build with the tag nomnist.
func EmbeddedBytes() int64 {
	var total int64
	entries, _ := files.ReadDir("data")
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			total += info.Size()
		}
	}
	return total
}
