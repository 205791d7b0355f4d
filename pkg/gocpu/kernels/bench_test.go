package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchShapes are the products benchmarked, as m×k×n.
//
// LeNet at batch 100: conv1 forward as im2col (28·28·100 positions × 5·5·1
// taps × 6 filters), conv2 forward (10·10·100 × 5·5·6 × 16), the dense layer
// 400→120, conv1's weight gradient (25 × 78400 positions × 6), a tiny
// output with a huge contraction (split-K), and conv2's input gradient
// (10000 positions × 16 filters × 150 taps), a tiny contraction.
//
// TrashNet (pkg/models/resnet.go) on 3×32×32 CIFAR at batch 100: conv1
// forward (32·32·100 × 3·3·3 × 32) and a 3×3 64→64 convolution of the second
// residual block (16·16·100 × 3·3·64 × 64).
var benchShapes = []struct {
	name    string
	m, k, n int
	bT      bool // B stored transposed (as a weight gradient reads its operand)
}{
	{"512x512x512", 512, 512, 512, false},
	{"LeNet-conv1-78400x25x6", 78400, 25, 6, false},
	{"LeNet-conv2-10000x150x16", 10000, 150, 16, false},
	{"LeNet-dense-100x400x120", 100, 400, 120, false},
	{"LeNet-conv1grad-25x78400x6", 25, 78400, 6, false},
	{"LeNet-conv2inputgrad-10000x16x150", 10000, 16, 150, false},
	{"TrashNet-conv1-102400x27x32", 102400, 27, 32, false},
	{"TrashNet-res2conv-25600x576x64", 25600, 576, 64, false},
}

// BenchmarkGEMM measures GemmF32 with a pool of GOMAXPROCS workers, so that
// -cpu 1,2 measures one and two threads. Set JUANJI_GEMM=generic to measure
// the generic kernel.
func BenchmarkGEMM(b *testing.B) {
	for _, s := range benchShapes {
		name := s.name
		if i := len(name) - len(fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)); i > 0 {
			// Sub-benchmarks are named MxKxN; the model names stay in the
			// comments above.
			name = name[i:]
		}
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(7, 8))
			a := make([]float32, s.m*s.k)
			bb := make([]float32, s.k*s.n)
			c := make([]float32, s.m*s.n)
			for i := range a {
				a[i] = r.Float32()
			}
			for i := range bb {
				bb[i] = r.Float32()
			}
			am := MatF32{Data: a, RowStride: s.k, ColStride: 1}
			bm := MatF32{Data: bb, RowStride: s.n, ColStride: 1}
			if s.m == 25 { // gradient: A is the transposed im2col matrix
				am = MatF32{Data: a, RowStride: 1, ColStride: s.m}
			}
			p := NewPool(runtime.GOMAXPROCS(0))
			defer p.shutdown()
			cm := MatF32{Data: c, RowStride: s.n, ColStride: 1}
			GemmF32(p, s.m, s.n, s.k, am, bm, cm, false)
			b.ResetTimer()
			for b.Loop() {
				GemmF32(p, s.m, s.n, s.k, am, bm, cm, false)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
