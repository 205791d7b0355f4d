package nn

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkMatMul measures the pure-Go backend's matrix product alone, in
// GFLOP/s: the ceiling any model built on it can reach. Shapes are those
// LeNet's and TrashNet's convolutions present (im2col rows × kernel).
func BenchmarkMatMul(b *testing.B) {
	backend, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct{ batch, m, k, n int }{
		{1, 512, 512, 512},
		{1, 78400, 25, 6},   // LeNet conv1 forward, one product
		{100, 6, 25, 784},   // the same, batched per image
		{1, 10000, 150, 16}, // LeNet conv2 forward
		{100, 16, 150, 100}, // the same, batched per image
	} {
		b.Run(fmt.Sprintf("b%d_%dx%dx%d", s.batch, s.m, s.k, s.n), func(b *testing.B) {
			exec := graph.MustNewExec(backend, func(x, y *graph.Node) *graph.Node {
				if s.batch == 1 {
					return graph.DotGeneral(x, []int{1}, nil, y, []int{0}, nil)
				}
				return graph.DotGeneral(x, []int{2}, []int{0}, y, []int{1}, []int{0})
			})
			var x, y *tensors.Tensor
			if s.batch == 1 {
				x = tensors.FromShape(shapes.Make(dtypes.Float32, s.m, s.k))
				y = tensors.FromShape(shapes.Make(dtypes.Float32, s.k, s.n))
			} else {
				x = tensors.FromShape(shapes.Make(dtypes.Float32, s.batch, s.m, s.k))
				y = tensors.FromShape(shapes.Make(dtypes.Float32, s.batch, s.k, s.n))
			}
			exec.MustExec(x, y)[0].FinalizeAll()
			b.ResetTimer()
			for b.Loop() {
				exec.MustExec(x, y)[0].FinalizeAll()
			}
			flops := 2 * float64(s.batch*s.m*s.k*s.n) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
