package main

import (
	"testing"

	"github.com/nidim/nidim/internal/mnist"
)

// skipWithoutMNIST skips t in a build with the tag nomnist, which leaves
// out the built-in MNIST that the command lines of t read.
func skipWithoutMNIST(t *testing.T) {
	t.Helper()
	if !mnist.Embedded {
		t.Skip("reads the built-in MNIST, which the build tag nomnist leaves out")
	}
}

// hasBuiltinMNIST reports whether the binary embeds MNIST. When it does
// not, it logs that t leaves out its checks of command lines that read
// the built-in MNIST.
func hasBuiltinMNIST(t *testing.T) bool {
	t.Helper()
	if !mnist.Embedded {
		t.Log("leaving out the command lines that read the built-in MNIST, which the build tag nomnist leaves out")
	}
	return mnist.Embedded
}
