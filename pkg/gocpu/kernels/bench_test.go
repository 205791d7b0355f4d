package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
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

// rowTableConv is the product of BenchmarkGemmF32RowTable, a 3×3
// convolution 64→64 on one 16×16 image zero-padded to 18×18: m = 64 output
// channels, k = 64 channels × 9 taps, n = 16 output rows × 18 padded columns
// (the last two of each row are discarded by the caller). Row (c, ky, kx) of
// B starts at c*327 + ky*18 + kx of the padded input (327 = 18*18 + 3, so
// the last tap's row of 288 values stays inside its plane). It returns the
// ways of computing it: "table" reads B through RowOffsets (in place, with
// the AVX2 kernels), "packed" packs B through RowOffsets as it does without
// a table kernel, "im2col" first copies the same B into a dense 576×288
// matrix (and counts the copy), "dense" is the GEMM on that matrix alone.
func rowTableConv(p *Pool) (m, n, k int, variants []benchVariant) {
	const (
		cin, cout = 64, 64
		w, plane  = 18, 18*18 + 3
	)
	m, k, n = cout, cin*9, 16*w
	r := rand.New(rand.NewPCG(9, 10))
	in := make([]float32, cin*plane)
	wt := make([]float32, m*k)
	for i := range in {
		in[i] = r.Float32()
	}
	for i := range wt {
		wt[i] = r.Float32()
	}
	rows := make([]int32, k)
	for c := range cin {
		for t := range 9 {
			rows[c*9+t] = int32(c*plane + t/3*w + t%3)
		}
	}
	col := make([]float32, k*n)
	out := make([]float32, m*n)
	am := MatF32{Data: wt, RowStride: k, ColStride: 1}
	cm := MatF32{Data: out, RowStride: n, ColStride: 1}
	tm := MatF32{Data: in, ColStride: 1, RowOffsets: rows}
	dm := MatF32{Data: col, RowStride: n, ColStride: 1}
	im2col := func() {
		for p, off := range rows {
			copy(col[p*n:(p+1)*n], in[off:int(off)+n])
		}
	}
	im2col()
	packed := withoutTableKernel(curF32.Load())
	return m, n, k, []benchVariant{
		{"table", func() { GemmF32(p, m, n, k, am, tm, cm, false) }},
		{"packed", func() { gemm(p, packed, m, n, k, am.toMat(), tm.toMat(), cm.toMat(), false, "GemmF32") }},
		{"im2col", func() { im2col(); GemmF32(p, m, n, k, am, dm, cm, false) }},
		{"dense", func() { GemmF32(p, m, n, k, am, dm, cm, false) }},
	}
}

type benchVariant struct {
	name string
	f    func()
}

// BenchmarkGemmF32RowTable compares a convolution computed as an implicit
// GEMM, with B addressed through RowOffsets and read in place by the table
// kernel ("table") or packed ("packed"), with the same product on an im2col
// copy of B (see rowTableConv), with a pool of GOMAXPROCS workers.
func BenchmarkGemmF32RowTable(b *testing.B) { benchVariants(b, rowTableConv) }

// benchVariants benchmarks each variant of the m×n×k product that variants
// makes, on a pool of GOMAXPROCS workers, in GFLOP/s.
func benchVariants(b *testing.B, variants func(p *Pool) (m, n, k int, vs []benchVariant)) {
	p := NewPool(runtime.GOMAXPROCS(0))
	defer p.shutdown()
	m, n, k, vs := variants(p)
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			v.f()
			for b.Loop() {
				v.f()
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestRowTableTimes times the variants of rowTableConv on one worker,
// alternating them in 300 rounds of 3 products each, and reports the best
// and the median round in GFLOP/s. On a shared machine the best round is
// the cost of a product undisturbed by other load, which a benchmark's mean
// is not. Run with
//
//	KERNELS_CPUTIME=1 go test -run RowTableTimes -v ./pkg/gocpu/kernels
func TestRowTableTimes(t *testing.T) {
	if os.Getenv("KERNELS_CPUTIME") == "" {
		t.Skip("set KERNELS_CPUTIME=1 to measure")
	}
	p := NewPool(1)
	m, n, k, variants := rowTableConv(p)
	timeVariants(t, m, n, k, variants)
}

// timeVariants times variants of an m×n×k product, alternating them in 300
// rounds of 3 products each, and reports the best and the median round.
func timeVariants(t *testing.T, m, n, k int, variants []benchVariant) {
	const rounds, iters = 300, 3
	times := make([][]time.Duration, len(variants))
	for range rounds {
		for i, v := range variants {
			v.f()
			t0 := time.Now()
			for range iters {
				v.f()
			}
			times[i] = append(times[i], time.Since(t0)/iters)
		}
	}
	rate := func(d time.Duration) float64 { return 2 * float64(m*n*k) / d.Seconds() / 1e9 }
	for i, v := range variants {
		slices.Sort(times[i])
		t.Logf("%-7s best %6.1f µs (%5.1f GFLOP/s), median %6.1f µs (%5.1f GFLOP/s)", v.name,
			float64(times[i][0].Nanoseconds())/1e3, rate(times[i][0]),
			float64(times[i][rounds/2].Nanoseconds())/1e3, rate(times[i][rounds/2]))
	}
}

// aTableGrad is the product of BenchmarkGemmF32ATable, the kernel gradient
// of a 3×3 convolution 64→64 on one 16×16 image zero-padded to 18×18 (the
// planes of rowTableConv): dW (64 output channels × 576 (channel, tap))
// accumulates dY (64 × 288 positions, 16 rows of 18) times the input's
// (channel, tap) runs. Row (c, ky, kx) starts at c*327 + ky*18 + kx. It
// returns the ways of computing it, all accumulating: "atable" is
// C^T[576×64] += A·B with A the runs through RowOffsets, read in place by
// the A-table kernel, and B = dY^T stored row-major (288×64); "apacked" is
// the same product with A packed through its table (the A-table kernel
// removed); "colofs" is the formulation the engine used before A could have
// tables, C[64×576] += dY·B with B the runs through ColOffsets (RowStride
// 1), packed.
func aTableGrad(p *Pool) (m, n, k int, variants []benchVariant) {
	const (
		cin, cout = 64, 64
		w, plane  = 18, 18*18 + 3
	)
	m, k, n = cin*9, 16*w, cout
	r := rand.New(rand.NewPCG(11, 12))
	in := make([]float32, cin*plane)
	for i := range in {
		in[i] = r.Float32()
	}
	dy := make([]float32, cout*k)  // dY, 64×288 row-major
	dyT := make([]float32, k*cout) // dY^T, 288×64 row-major
	for i := range dy {
		dy[i] = r.Float32()
	}
	for o := range cout {
		for q := range k {
			dyT[q*cout+o] = dy[o*k+q]
		}
	}
	rows := make([]int32, m)
	for c := range cin {
		for t := range 9 {
			rows[c*9+t] = int32(c*plane + t/3*w + t%3)
		}
	}
	dw := make([]float32, m*n)
	dwT := make([]float32, n*m)
	am := MatF32{Data: in, ColStride: 1, RowOffsets: rows}
	bm := MatF32{Data: dyT, RowStride: cout, ColStride: 1}
	cm := MatF32{Data: dw, RowStride: n, ColStride: 1}
	packed := withoutATable(curF32.Load())
	return m, n, k, []benchVariant{
		{"atable", func() { GemmF32(p, m, n, k, am, bm, cm, true) }},
		{"apacked", func() { gemm(p, packed, m, n, k, am.toMat(), bm.toMat(), cm.toMat(), true, "GemmF32") }},
		{"colofs", func() {
			GemmF32(p, n, m, k, MatF32{Data: dy, RowStride: k, ColStride: 1},
				MatF32{Data: in, RowStride: 1, ColOffsets: rows},
				MatF32{Data: dwT, RowStride: m, ColStride: 1}, true)
		}},
	}
}

// withoutATable returns kd without its A-table kernel: a product whose A
// has RowOffsets then packs A, as with the generic kernels.
func withoutATable[T float](kd *kernelDesc[T]) *kernelDesc[T] {
	c := *kd
	c.aTable = nil
	return &c
}

// BenchmarkGemmF32ATable compares a convolution's kernel gradient computed
// with A read in place through RowOffsets with the same product packing A
// and with its transpose through a ColOffsets B (see aTableGrad), with a
// pool of GOMAXPROCS workers.
func BenchmarkGemmF32ATable(b *testing.B) { benchVariants(b, aTableGrad) }

// TestATableTimes times the variants of aTableGrad on one worker as
// TestRowTableTimes does. Run with
//
//	KERNELS_CPUTIME=1 go test -run ATableTimes -v ./pkg/gocpu/kernels
func TestATableTimes(t *testing.T) {
	if os.Getenv("KERNELS_CPUTIME") == "" {
		t.Skip("set KERNELS_CPUTIME=1 to measure")
	}
	p := NewPool(1)
	m, n, k, variants := aTableGrad(p)
	timeVariants(t, m, n, k, variants)
}
