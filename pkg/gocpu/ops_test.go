package gocpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/gocpu"
	"github.com/juanji/juanji/pkg/models"
	"github.com/juanji/juanji/pkg/train"
)

// randomTensor returns a tensor of dims with values in [-2, 2), some of
// them repeated (ties for max and pooling).
func randomTensor(dtype dtypes.DType, seed uint64, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, d := range dims {
		n *= d
	}
	switch dtype {
	case dtypes.Float64:
		v := make([]float64, n)
		for i := range v {
			v[i] = r.Float64()*4 - 2
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	default:
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.IntN(4000)-2000) / 1000
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
}

// opCase is a graph of one or two inputs, checked on gocpu against simplego.
type opCase struct {
	name string
	dims [][]int
	fn   func(xs []*graph.Node) *graph.Node
}

func opCases() []opCase {
	convNCHW := func(stride, pad int) func(xs []*graph.Node) *graph.Node {
		return func(xs []*graph.Node) *graph.Node {
			axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
				KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
				OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}}
			return graph.ConvGeneral(xs[0], xs[1], axes, []int{stride, stride}, [][2]int{{pad, pad}, {pad, pad}}, nil, nil, 1, 1)
		}
	}
	return []opCase{
		{"add-broadcast-size1", [][]int{{3, 1, 5}, {3, 4, 5}}, func(x []*graph.Node) *graph.Node { return graph.Add(x[0], x[1]) }},
		{"sub-scalar", [][]int{{7, 3}}, func(x []*graph.Node) *graph.Node {
			return graph.Sub(graph.Scalar(x[0].Graph(), x[0].DType(), 1.5), x[0])
		}},
		{"mul-div", [][]int{{17}, {17}}, func(x []*graph.Node) *graph.Node {
			return graph.Div(graph.Mul(x[0], x[1]), graph.AddScalar(graph.Abs(x[1]), 1))
		}},
		{"max-min", [][]int{{4, 5}, {4, 5}}, func(x []*graph.Node) *graph.Node { return graph.Sub(graph.Max(x[0], x[1]), graph.Min(x[0], x[1])) }},
		{"unary-chain", [][]int{{33}}, func(x []*graph.Node) *graph.Node {
			v := x[0]
			return graph.Add(graph.Add(graph.Logistic(v), graph.Tanh(v)), graph.Add(graph.Exp(graph.Neg(graph.Abs(v))), graph.Log(graph.AddScalar(graph.Abs(v), 1))))
		}},
		{"sqrt-rsqrt", [][]int{{9}}, func(x []*graph.Node) *graph.Node {
			a := graph.AddScalar(graph.Abs(x[0]), 0.5)
			return graph.Add(graph.Sqrt(a), graph.Rsqrt(a))
		}},
		{"where-compare", [][]int{{6, 7}, {6, 7}}, func(x []*graph.Node) *graph.Node {
			return graph.Where(graph.GreaterThan(x[0], x[1]), x[0], graph.MulScalar(x[1], 2))
		}},
		{"reduce-sum-axes-0-2", [][]int{{5, 3, 7}}, func(x []*graph.Node) *graph.Node { return graph.ReduceSum(x[0], 0, 2) }},
		{"reduce-sum-batch-parallel", [][]int{{40, 8, 16, 16}}, func(x []*graph.Node) *graph.Node { return graph.ReduceSum(x[0], 0, 2, 3) }},
		{"reduce-sum-runs-of-17", [][]int{{30, 4, 17}}, func(x []*graph.Node) *graph.Node { return graph.ReduceSum(x[0], 0, 2) }},
		{"reduce-max-batch-parallel", [][]int{{41, 8, 16, 16}}, func(x []*graph.Node) *graph.Node { return graph.ReduceMax(x[0], 0, 2) }},
		{"reduce-max-last", [][]int{{4, 1, 9}}, func(x []*graph.Node) *graph.Node { return graph.ReduceMax(x[0], -1) }},
		{"reduce-all", [][]int{{3, 4, 5}}, func(x []*graph.Node) *graph.Node { return graph.ReduceAllSum(x[0]) }},
		{"argmax", [][]int{{6, 10}}, func(x []*graph.Node) *graph.Node {
			return graph.ConvertDType(graph.ArgMax(x[0], 1), x[0].DType())
		}},
		{"transpose", [][]int{{2, 3, 4, 5}}, func(x []*graph.Node) *graph.Node { return graph.TransposeAllDims(x[0], 2, 0, 3, 1) }},
		{"slice-strided", [][]int{{9, 11}}, func(x []*graph.Node) *graph.Node {
			return graph.Slice(x[0], graph.AxisRange(1, 8).Stride(3), graph.AxisRange(2, 11).Stride(2))
		}},
		{"concat-reshape", [][]int{{2, 3}, {2, 5}}, func(x []*graph.Node) *graph.Node {
			return graph.Reshape(graph.Concatenate([]*graph.Node{x[0], x[1]}, 1), 4, 4)
		}},
		{"dot-matrix", [][]int{{7, 13}, {13, 5}}, func(x []*graph.Node) *graph.Node { return graph.Dot(x[0], x[1]) }},
		{"dot-batched-transposed", [][]int{{3, 6, 4}, {3, 5, 6}}, func(x []*graph.Node) *graph.Node {
			return graph.DotGeneral(x[0], []int{1}, []int{0}, x[1], []int{2}, []int{0})
		}},
		{"conv-1x1", [][]int{{2, 3, 5, 5}, {4, 3, 1, 1}}, convNCHW(1, 0)},
		{"conv-stride2-pad1", [][]int{{2, 3, 7, 6}, {4, 3, 3, 3}}, convNCHW(2, 1)},
		{"conv-kernel-larger-than-stride-odd", [][]int{{1, 2, 9, 9}, {3, 2, 5, 5}}, convNCHW(3, 2)},
		{"reverse", [][]int{{3, 4}}, func(x []*graph.Node) *graph.Node { return graph.Reverse(x[0], 1) }},
	}
}

// runOp runs fn on backend b.
func runOp(t *testing.T, b backends.Backend, c opCase, dtype dtypes.DType) *tensors.Tensor {
	t.Helper()
	var out *tensors.Tensor
	err := catch(func() {
		exec := graph.MustNewExec(b, func(xs []*graph.Node) *graph.Node { return c.fn(xs) })
		ins := make([]any, len(c.dims))
		for i, d := range c.dims {
			ins[i] = randomTensor(dtype, uint64(i+1), d...)
		}
		out = exec.MustExec(ins...)[0]
	})
	if err != nil {
		t.Fatalf("%s on %s: %v", c.name, b.Name(), err)
	}
	return out
}

func TestOpsMatchSimpleGo(t *testing.T) {
	fast, ref := newEngines(t)
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		tol := 1e-5
		if dtype == dtypes.Float64 {
			tol = 1e-12
		}
		for _, c := range opCases() {
			t.Run(fmt.Sprintf("%s/%s", dtype, c.name), func(t *testing.T) {
				if c.name == "reverse" {
					t.Skip("simplego lacks Reverse: checked by TestReverse")
				}
				got := runOp(t, fast, c, dtype)
				want := runOp(t, ref, c, dtype)
				compareTensors(t, got, want, tol)
			})
		}
	}
}

func compareTensors(t *testing.T, got, want *tensors.Tensor, tol float64) {
	t.Helper()
	if !got.Shape().Equal(want.Shape()) {
		t.Fatalf("shape %s, want %s", got.Shape(), want.Shape())
	}
	g, w := flat64(got), flat64(want)
	for i := range g {
		if math.IsNaN(w[i]) != math.IsNaN(g[i]) || math.Abs(g[i]-w[i]) > tol*math.Max(1, math.Abs(w[i])) {
			t.Fatalf("element %d: %v, want %v (tolerance %g relative)", i, g[i], w[i], tol)
		}
	}
}

func flat64(x *tensors.Tensor) []float64 {
	var out []float64
	tensors.ConstFlatData(x, func(flat []float32) {
		for _, f := range flat {
			out = append(out, float64(f))
		}
	})
	if out == nil {
		tensors.ConstFlatData(x, func(flat []float64) { out = append(out, flat...) })
	}
	return out
}

// TestConvAgainstLoops checks the engine's convolution against a direct
// loop, input dilation included (simplego cannot run that one).
func TestConvAgainstLoops(t *testing.T) {
	fast, _ := newEngines(t)
	cases := []struct{ n, c, h, w, o, k, stride, pad, dil int }{
		{2, 3, 7, 6, 4, 3, 2, 1, 1}, {1, 1, 5, 5, 1, 1, 1, 0, 1}, {3, 2, 9, 9, 3, 5, 3, 2, 1}, {1, 4, 4, 4, 2, 4, 1, 0, 1},
		// Inputs smaller than the kernel's reach (ResNet-18's last stages):
		// taps that read only padding are left out.
		{2, 3, 2, 2, 4, 3, 1, 1, 1}, {3, 5, 1, 1, 3, 3, 1, 1, 1}, {1, 2, 3, 2, 2, 3, 1, 1, 1},
		// Input dilation: a strided convolution's input gradient.
		{2, 4, 5, 6, 3, 3, 1, 2, 2}, {1, 2, 4, 3, 2, 4, 1, 3, 3}, {3, 3, 8, 8, 5, 3, 2, 1, 2},
	}
	for _, tc := range cases {
		x := randomTensor(dtypes.Float64, 1, tc.n, tc.c, tc.h, tc.w)
		k := randomTensor(dtypes.Float64, 2, tc.o, tc.c, tc.k, tc.k)
		exec := graph.MustNewExec(fast, func(x, k *graph.Node) *graph.Node {
			axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
				KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
				OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}}
			return graph.ConvGeneral(x, k, axes, []int{tc.stride, tc.stride}, [][2]int{{tc.pad, tc.pad}, {tc.pad, tc.pad}},
				[]int{tc.dil, tc.dil}, nil, 1, 1)
		})
		got := exec.MustExec(x, k)[0]
		xs, ks := x.Value().([][][][]float64), k.Value().([][][][]float64)
		dh, dw := (tc.h-1)*tc.dil+1, (tc.w-1)*tc.dil+1 // the dilated input's size
		oh := (dh+2*tc.pad-tc.k)/tc.stride + 1
		ow := (dw+2*tc.pad-tc.k)/tc.stride + 1
		gs := got.Value().([][][][]float64)
		for b := 0; b < tc.n; b++ {
			for o := 0; o < tc.o; o++ {
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						var want float64
						for c := 0; c < tc.c; c++ {
							for u := 0; u < tc.k; u++ {
								for v := 0; v < tc.k; v++ {
									y, z := i*tc.stride-tc.pad+u, j*tc.stride-tc.pad+v
									if y >= 0 && y < dh && z >= 0 && z < dw && y%tc.dil == 0 && z%tc.dil == 0 {
										want += xs[b][c][y/tc.dil][z/tc.dil] * ks[o][c][u][v]
									}
								}
							}
						}
						if math.Abs(gs[b][o][i][j]-want) > 1e-12*math.Max(1, math.Abs(want)) {
							t.Fatalf("%+v: out[%d][%d][%d][%d] = %v, want %v", tc, b, o, i, j, gs[b][o][i][j], want)
						}
					}
				}
			}
		}
	}
}

// TestFallbackRunsOpsOffTheFastPath: a gather (off the fast path) inside a
// graph runs on simplego and gives simplego's answer.
func TestFallbackRunsOpsOffTheFastPath(t *testing.T) {
	fast, ref := newEngines(t)
	run := func(b backends.Backend) *tensors.Tensor {
		exec := graph.MustNewExec(b, func(x *graph.Node) *graph.Node {
			idx := graph.Const(x.Graph(), [][]int32{{2}, {0}})
			return graph.MulScalar(graph.Gather(x, idx), 3)
		})
		return exec.MustExec(randomTensor(dtypes.Float32, 3, 4, 5))[0]
	}
	compareTensors(t, run(fast), run(ref), 1e-6)
}

// TestErrorsNameOpAndShapes: a shape mismatch is an error naming the op and
// both shapes, not a crash.
func TestErrorsNameOpAndShapes(t *testing.T) {
	fast, _ := newEngines(t)
	err := catch(func() {
		exec := graph.MustNewExec(fast, func(x, y *graph.Node) *graph.Node { return graph.Dot(x, y) })
		exec.MustExec(randomTensor(dtypes.Float32, 1, 3, 4), randomTensor(dtypes.Float32, 2, 5, 2))
	})
	if err == nil || !strings.Contains(err.Error(), "[3 4]") || !strings.Contains(err.Error(), "[5 2]") {
		t.Fatalf("error %v, want one naming both shapes", err)
	}
}

// TestNaNPropagates: NaN and Inf flow as on simplego.
func TestNaNPropagates(t *testing.T) {
	fast, ref := newEngines(t)
	run := func(b backends.Backend) *tensors.Tensor {
		exec := graph.MustNewExec(b, func(x *graph.Node) *graph.Node {
			return graph.Add(graph.ReduceMax(graph.Mul(x, x), -1), graph.ReduceSum(x, -1))
		})
		return exec.MustExec(tensors.FromValue([][]float32{{1, float32(math.NaN()), 2}, {float32(math.Inf(1)), 0, 1}}))[0]
	}
	compareTensors(t, run(fast), run(ref), 0)
}

// TestConcurrentExecutions: several goroutines running two executables at
// once get the answers each gets alone.
func TestConcurrentExecutions(t *testing.T) {
	fast, _ := newEngines(t)
	execs := []*graph.Exec{
		graph.MustNewExec(fast, func(x, y *graph.Node) *graph.Node {
			return graph.ReduceSum(graph.Logistic(graph.Dot(x, y)), -1)
		}),
		graph.MustNewExec(fast, func(x, y *graph.Node) *graph.Node {
			return graph.ReduceMax(graph.Sub(graph.Dot(x, y), graph.MulScalar(graph.Dot(x, y), 0.5)), -1)
		}),
	}
	inputs := make([][2]*tensors.Tensor, 8)
	want := make([][][]float32, len(execs))
	for e := range execs {
		want[e] = make([][]float32, len(inputs))
	}
	for i := range inputs {
		inputs[i] = [2]*tensors.Tensor{randomTensor(dtypes.Float32, uint64(i), 40, 30), randomTensor(dtypes.Float32, uint64(i+100), 30, 20)}
		for e, exec := range execs {
			want[e][i] = tensors.MustCopyFlatData[float32](exec.MustExec(inputs[i][0], inputs[i][1])[0])
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 10; rep++ {
				i, e := (g+rep)%len(inputs), (g+rep)%len(execs)
				got := tensors.MustCopyFlatData[float32](execs[e].MustExec(inputs[i][0], inputs[i][1])[0])
				for j := range got {
					if got[j] != want[e][i][j] {
						errs <- fmt.Sprintf("executable %d, input %d, element %d: %v, want %v", e, i, j, got[j], want[e][i][j])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestStepsDoNotGrowTheHeap: LeNet training steps (batch 10) leave the
// live heap where the first few left it: storage is planned once and
// reused, outputs go back into donated buffers.
func TestStepsDoNotGrowTheHeap(t *testing.T) {
	fast, _ := newEngines(t)
	tr := train.NewTrainer(fast, models.LeNet(), train.SGD{LR: 0.1, Momentum: 0.9}, 1)
	x, y := data.RandomBatch(10, 1, 28, 28, 10, 1)
	var m runtime.MemStats
	heap := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	steps := 1000
	if testing.Short() {
		steps = 300
	}
	for i := 0; i < 20; i++ {
		if _, _, err := tr.Step(x, y); err != nil {
			t.Fatal(err)
		}
	}
	before := heap()
	allocated := m.TotalAlloc
	for i := 0; i < steps; i++ {
		if _, _, err := tr.Step(x, y); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	if after > before+4<<20 {
		t.Errorf("live heap grew from %d to %d bytes over %d LeNet steps", before, after, steps)
	}
	// The activations of one step are about 3 MB; what a step allocates
	// (GoMLX's own bookkeeping, small closures) stays far below that.
	if per := (m.TotalAlloc - allocated) / uint64(steps); per > 256<<10 {
		t.Errorf("each step allocated %d bytes: activations are not reused", per)
	}
}

// catch runs fn and returns what it panicked with, as an error.
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}

var _ = shapes.Make
var _ = gocpu.BackendName

// TestFusionMatchesUnfused: a chain of element-wise ops with broadcasts, run
// as one fused pass and as separate ops, gives the same values, on sizes
// that are not multiples of the tile.
func TestFusionMatchesUnfused(t *testing.T) {
	chain := func(x, v, s *graph.Node) *graph.Node {
		bv := graph.BroadcastToDims(graph.Reshape(v, 1, 3, 1, 1), x.Shape().Dimensions...)
		a := graph.Logistic(graph.Add(graph.Mul(x, bv), s))
		return graph.Sub(graph.Mul(a, graph.Exp(graph.Neg(graph.Abs(x)))), graph.Sqrt(graph.AddScalar(graph.Abs(a), 1)))
	}
	for _, dims := range [][]int{{2, 3, 5, 7}, {5, 3, 33, 31}} {
		run := func() *tensors.Tensor {
			fast, _ := newEngines(t)
			x, v := randomTensor(dtypes.Float32, 1, dims...), randomTensor(dtypes.Float32, 2, 3)
			s := randomTensor(dtypes.Float32, 3)
			return graph.MustNewExec(fast, chain).MustExec(x, v, s)[0]
		}
		fused := run()
		t.Setenv(gocpu.EnvNoFusion, "1")
		plain := run()
		compareTensors(t, fused, plain, 0)
		os.Unsetenv(gocpu.EnvNoFusion)
	}
}

// TestConvKernelGradientAgainstLoops: GoMLX's gradient of a convolution
// with respect to its kernel (a convolution with batch and channels
// swapped, whose kernel is the output gradient) against a direct loop.
func TestConvKernelGradientAgainstLoops(t *testing.T) {
	fast, _ := newEngines(t)
	cases := []struct{ n, c, h, w, o, k, pad, s int }{
		{2, 3, 6, 5, 4, 3, 1, 1}, {3, 1, 8, 8, 2, 5, 2, 1}, {2, 2, 5, 5, 3, 3, 0, 1}, {1, 2, 4, 4, 2, 1, 0, 1},
		{5, 3, 9, 8, 4, 3, 1, 2}, {7, 4, 8, 8, 3, 1, 0, 2}, {6, 2, 7, 7, 5, 3, 1, 3}, {9, 3, 12, 12, 8, 3, 1, 1},
	}
	for _, tc := range cases {
		x := randomTensor(dtypes.Float64, 1, tc.n, tc.c, tc.h, tc.w)
		k := randomTensor(dtypes.Float64, 2, tc.o, tc.c, tc.k, tc.k)
		oh, ow := (tc.h+2*tc.pad-tc.k)/tc.s+1, (tc.w+2*tc.pad-tc.k)/tc.s+1
		r := randomTensor(dtypes.Float64, 3, tc.n, tc.o, oh, ow)
		exec := graph.MustNewExec(fast, func(x, k, r *graph.Node) *graph.Node {
			axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
				KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
				OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}}
			y := graph.ConvGeneral(x, k, axes, []int{tc.s, tc.s}, [][2]int{{tc.pad, tc.pad}, {tc.pad, tc.pad}}, nil, nil, 1, 1)
			return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), k)[0]
		})
		got := exec.MustExec(x, k, r)[0].Value().([][][][]float64)
		for range 3 { // the batch is summed in pieces taken by any worker, in a fixed order
			if again := exec.MustExec(x, k, r)[0].Value().([][][][]float64); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Fatalf("%+v: a second run gave a different kernel gradient", tc)
			}
		}
		xs, rs := x.Value().([][][][]float64), r.Value().([][][][]float64)
		for o := 0; o < tc.o; o++ {
			for c := 0; c < tc.c; c++ {
				for u := 0; u < tc.k; u++ {
					for v := 0; v < tc.k; v++ {
						var want float64
						for b := 0; b < tc.n; b++ {
							for i := 0; i < oh; i++ {
								for j := 0; j < ow; j++ {
									y, z := i*tc.s+u-tc.pad, j*tc.s+v-tc.pad
									if y >= 0 && y < tc.h && z >= 0 && z < tc.w {
										want += rs[b][o][i][j] * xs[b][c][y][z]
									}
								}
							}
						}
						if g := got[o][c][u][v]; math.Abs(g-want) > 1e-12*math.Max(1, math.Abs(want)) {
							t.Fatalf("%+v: dW[%d][%d][%d][%d] = %v, want %v", tc, o, c, u, v, g, want)
						}
					}
				}
			}
		}
	}
}

// TestDonatedInputPassedThrough: an input that is also returned as is keeps
// its values when another output of its shape could be written into it.
func TestDonatedInputPassedThrough(t *testing.T) {
	fast, _ := newEngines(t)
	b := fast.Builder("passthrough")
	x, err := b.Parameter("x", shapes.Make(dtypes.Float32, 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.Neg(x)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := b.Compile([]backends.Op{y, x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := fast.BufferFromFlatData(0, []float32{1, 2, 3, 4}, shapes.Make(dtypes.Float32, 4))
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Execute([]backends.Buffer{in}, []bool{true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := [2][]float32{make([]float32, 4), make([]float32, 4)}
	for i := range outs {
		if err := fast.BufferToFlatData(outs[i], got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(got) != "[[-1 -2 -3 -4] [1 2 3 4]]" {
		t.Fatalf("outputs %v, want [[-1 -2 -3 -4] [1 2 3 4]]", got)
	}
}

// TestForeignCallWithUnusedResult: a random-bits generator (run on
// simplego) of which only one result is read gives, run after run, what
// simplego gives, whichever result it is.
func TestForeignCallWithUnusedResult(t *testing.T) {
	run := func(b backends.Backend, result int) string {
		bb := b.Builder("rng")
		state, err := bb.Constant([]uint64{1, 2, 3}, 3)
		if err != nil {
			t.Fatal(err)
		}
		newState, values, err := bb.RNGBitGenerator(state, shapes.Make(dtypes.Uint64, 3))
		if err != nil {
			t.Fatal(err)
		}
		exec, err := bb.Compile([]backends.Op{[]backends.Op{newState, values}[result]}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var runs []string
		for range 2 {
			outs, err := exec.Execute(nil, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]uint64, 3)
			if err := b.BufferToFlatData(outs[0], got); err != nil {
				t.Fatal(err)
			}
			if result == 0 {
				// The state's third word is unused by simplego's generator
				// (PCG keeps two), and left as it was or not, depending on
				// buffer reuse.
				got = got[:2]
			}
			runs = append(runs, fmt.Sprint(got))
		}
		return strings.Join(runs, " ")
	}
	fast, ref := newEngines(t)
	for result := range 2 {
		if got, want := run(fast, result), run(ref, result); got != want {
			t.Fatalf("result %d of the generator, two runs: %s, want simplego's %s", result, got, want)
		}
	}
}
