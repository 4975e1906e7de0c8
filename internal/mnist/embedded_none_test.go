//go:build nomnist

package mnist

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLoadWithoutEmbeddedData(t *testing.T) {
	assert.False(t, Embedded)
	assert.Zero(t, EmbeddedBytes())
	train, test, err := Load()
	assert.True(t, errors.Is(err, ErrNotEmbedded), "error: %v", err)
	assert.EqualError(t, err, "mnist: this binary was built without the embedded MNIST (build tag nomnist)")
	assert.Nil(t, train)
	assert.Nil(t, test)
}

func TestLoadSplitWithoutEmbeddedData(t *testing.T) {
	for _, split := range []string{"train", "test"} {
		set, err := LoadSplit(split)
		assert.True(t, errors.Is(err, ErrNotEmbedded), "%s: error: %v", split, err)
		assert.Nil(t, set, split)
	}
}
