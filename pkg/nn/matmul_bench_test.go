package nn

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkMatMul measures the pure-Go backend's matrix product (DotGeneral) alone, in
// GFLOP/s: the ceiling of any model built on it. "square" is a 512³ product; the others are
// the products of one LeNet training step (batch 100) as the portable layers lay them out.
func BenchmarkMatMul(b *testing.B) {
	backend, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name           string
		lhs, rhs       []int
		lc, lb, rc, rb []int
	}{
		{"square_512", []int{512, 512}, []int{512, 512}, []int{1}, nil, []int{0}, nil},
		{"lenet_conv1_forward", []int{100, 6, 25}, []int{100, 25, 784}, []int{2}, []int{0}, []int{1}, []int{0}},
		{"lenet_conv1_kernel_grad", []int{100, 6, 784}, []int{100, 25, 784}, []int{2}, []int{0}, []int{2}, []int{0}},
		{"lenet_conv2_forward", []int{100, 16, 150}, []int{100, 150, 100}, []int{2}, []int{0}, []int{1}, []int{0}},
		{"lenet_conv2_kernel_grad", []int{100, 16, 100}, []int{100, 150, 100}, []int{2}, []int{0}, []int{2}, []int{0}},
		{"lenet_conv2_input_grad", []int{100, 16, 100}, []int{100, 16, 150}, []int{1}, []int{0}, []int{1}, []int{0}},
		{"lenet_fc1_forward", []int{100, 400}, []int{120, 400}, []int{1}, nil, []int{1}, nil},
		{"lenet_fc1_weight_grad", []int{100, 120}, []int{100, 400}, []int{0}, nil, []int{0}, nil},
		{"lenet_fc1_input_grad", []int{100, 120}, []int{120, 400}, []int{1}, nil, []int{0}, nil},
		{"lenet_fc2_forward", []int{100, 120}, []int{84, 120}, []int{1}, nil, []int{1}, nil},
	} {
		b.Run(s.name, func(b *testing.B) {
			exec := graph.MustNewExec(backend, func(x, y *graph.Node) *graph.Node {
				return graph.DotGeneral(x, s.lc, s.lb, y, s.rc, s.rb)
			})
			x := tensors.FromShape(shapes.Make(dtypes.Float32, s.lhs...))
			y := tensors.FromShape(shapes.Make(dtypes.Float32, s.rhs...))
			out := exec.MustExec(x, y)[0]
			// Multiply-adds: every output element contracts the lhs's contracting axes.
			macs := out.Shape().Size()
			for _, axis := range s.lc {
				macs *= s.lhs[axis]
			}
			out.FinalizeAll()
			b.ResetTimer()
			for b.Loop() {
				exec.MustExec(x, y)[0].FinalizeAll()
			}
			b.ReportMetric(2*float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
