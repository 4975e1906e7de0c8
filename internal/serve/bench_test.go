package serve

import (
	"fmt"
	"testing"

	"github.com/nidim/nidim/dim"
	"github.com/stretchr/testify/require"
)

// BenchmarkDimModelEmbed measures one model call of the MNIST MLP (784
// inputs, hidden 512, d = 16) at several batch sizes, the work the batcher
// amortizes.
func BenchmarkDimModelEmbed(b *testing.B) {
	cfg := dim.DefaultConfig()
	cfg.Dim = 16
	m, err := dim.NewModel(cfg, []int{1, 28, 28})
	require.NoError(b, err)
	dm := NewDimModel(m, "", "")
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("rows%d", n), func(b *testing.B) {
			x := randomRows(1, n, 784)
			for b.Loop() {
				if _, err := dm.Embed(x, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDecodeJSON measures parsing a request of one MNIST-sized row.
func BenchmarkDecodeJSON(b *testing.B) {
	body := jsonBody(randomRows(2, 1, 784), 1)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, e := decodeJSON(body, 784); e != nil {
			b.Fatal(e)
		}
	}
}
