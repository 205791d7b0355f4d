package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/internal/gomlxpatch"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// testBackend is the pure-Go backend, with unlimited workers (SimpleGo v0.26.0 can deadlock
// on graphs with parallel branches otherwise).
// One backend for all tests: tensors cannot move between backend instances.
var testBackend = sync.OnceValue(func() func(testing.TB) backends.Backend {
	b, err := backends.NewWithConfig("go:parallelism=-1")
	return func(t testing.TB) backends.Backend {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
})()

// randTensor returns a float64 tensor of the given dims with values in [-1, 1).
func randTensor(seed uint64, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*r.Float64() - 1
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func flat(t *tensors.Tensor) []float64 {
	out := make([]float64, t.Shape().Size())
	tensors.MustConstFlatData(t, func(f []float64) { copy(out, f) })
	return out
}

// assertClose fails when two flat slices differ by more than tol (relative to magnitude).
func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(got[i]) {
			t.Fatalf("%s: value %d = %.8g, want %.8g (diff %.3g)", what, i, got[i], want[i], d)
		}
	}
}

func ctxWithImpl(impl string) *context.Context {
	ctx := context.New()
	ctx.SetParam(functional.ParamImpl, impl)
	return ctx
}

func TestDotGeneralVJPMatchesLibrary(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name             string
		lhsDims, rhsDims []int
		lc, lb, rc, rb   []int
	}{
		{"matmul", []int{4, 3}, []int{3, 5}, []int{1}, nil, []int{0}, nil},
		{"matmul-transposed-rhs", []int{4, 3}, []int{5, 3}, []int{1}, nil, []int{1}, nil},
		{"contract-first", []int{3, 4}, []int{3, 5}, []int{0}, nil, []int{0}, nil},
		{"batched", []int{2, 4, 3}, []int{2, 3, 5}, []int{2}, []int{0}, []int{1}, []int{0}},
		{"batch-last", []int{4, 3, 2}, []int{5, 3, 2}, []int{1}, []int{2}, []int{1}, []int{2}},
		{"two-contracting-out-of-order", []int{2, 3, 4}, []int{4, 5, 3}, []int{1, 2}, nil, []int{2, 0}, nil},
		{"conv-weight-grad-shape", []int{2, 6, 3}, []int{2, 6, 4}, []int{0, 1}, nil, []int{0, 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lhs, rhs := randTensor(1, tc.lhsDims...), randTensor(2, tc.rhsDims...)
			build := func(useLibrary bool) func(l, r *graph.Node) []*graph.Node {
				return func(l, r *graph.Node) []*graph.Node {
					out := graph.DotGeneral(l, tc.lc, tc.lb, r, tc.rc, tc.rb)
					// A non-uniform weighting so every output position matters.
					w := graph.Sin(graph.Iota(l.Graph(), out.Shape(), 0))
					loss := graph.ReduceAllSum(graph.Mul(out, graph.AddScalar(w, 1.5)))
					if useLibrary {
						saved := graph.VJPRegistration[graph.NodeTypeDotGeneral]
						graph.VJPRegistration[graph.NodeTypeDotGeneral] = gomlxpatch.Library(graph.NodeTypeDotGeneral)
						defer func() { graph.VJPRegistration[graph.NodeTypeDotGeneral] = saved }()
					}
					return graph.Gradient(loss, l, r)
				}
			}
			ours := graph.MustExecOnceN(backend, build(false), lhs, rhs)
			lib := graph.MustExecOnceN(backend, build(true), lhs, rhs)
			assertClose(t, "dL/dlhs", flat(ours[0]), flat(lib[0]), 1e-9)
			assertClose(t, "dL/drhs", flat(ours[1]), flat(lib[1]), 1e-9)
		})
	}
}

// TestSliceVJP checks the Concatenate-built gradient of Slice (which the pure-Go backend
// needs: GoMLX's own uses Pad) against the rule written out: each output position's
// gradient lands on the input position it was read from, zeros elsewhere.
func TestSliceVJP(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name                   string
		dims                   []int
		starts, limits, stride []int
	}{
		{"middle", []int{7}, []int{2}, []int{5}, []int{1}},
		{"whole", []int{2, 3}, []int{0, 0}, []int{2, 3}, []int{1, 1}},
		{"stride 2 from 1", []int{9}, []int{1}, []int{9}, []int{2}},
		{"stride 3 short end", []int{10}, []int{0}, []int{8}, []int{3}},
		{"one element, strided", []int{6}, []int{4}, []int{5}, []int{2}},
		{"conv window 2d", []int{2, 3, 8, 8}, []int{0, 0, 1, 2}, []int{2, 3, 7, 8}, []int{1, 1, 2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor(9, tc.dims...)
			grad := graph.MustExecOnce(backend, func(x *graph.Node) *graph.Node {
				specs := make([]graph.SliceAxisSpec, len(tc.dims))
				for i := range specs {
					specs[i] = graph.AxisRange(tc.starts[i], tc.limits[i]).Stride(tc.stride[i])
				}
				out := graph.Slice(x, specs...)
				w := graph.AddScalar(graph.Iota(x.Graph(), out.Shape(), 0), 1) // 1, 2, ... per row
				w = graph.Add(w, graph.MulScalar(graph.Iota(x.Graph(), out.Shape(), out.Rank()-1), 0.01))
				return graph.Gradient(graph.ReduceAllSum(graph.Mul(out, w)), x)[0]
			}, x)

			// The rule, by hand: walk every input position, find whether the slice read it.
			want := make([]float64, x.Shape().Size())
			idx := make([]int, len(tc.dims))
			for i := range want {
				read, outIdx := true, make([]int, len(idx))
				for a, v := range idx {
					if v < tc.starts[a] || v >= tc.limits[a] || (v-tc.starts[a])%tc.stride[a] != 0 {
						read = false
						break
					}
					outIdx[a] = (v - tc.starts[a]) / tc.stride[a]
				}
				if read {
					want[i] = float64(outIdx[0]+1) + 0.01*float64(outIdx[len(outIdx)-1])
				}
				for a := len(idx) - 1; a >= 0; a-- { // next input position
					if idx[a]++; idx[a] < tc.dims[a] {
						break
					}
					idx[a] = 0
				}
			}
			assertClose(t, "dL/dx", flat(grad), want, 1e-12)
		})
	}
}

// implCases are the convolutions and poolings whose native and portable implementations are
// compared (forward here, gradients on XLA in xla_test.go). Pooling cases ignore k.
var implCases = []struct {
	name         string
	op           func(ctx *context.Context, x, k *graph.Node) *graph.Node
	xDims, kDims []int
}{
	{"conv 5x5 pad 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 1, 2) }, []int{2, 1, 8, 8}, []int{3, 1, 5, 5}},
	{"conv 3x3 stride 2 pad 1", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 2, 1) }, []int{2, 3, 7, 7}, []int{4, 3, 3, 3}},
	{"conv 1x1", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 1, 0) }, []int{2, 3, 5, 5}, []int{4, 3, 1, 1}},
	{"conv 1x1 stride 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 2, 0) }, []int{2, 3, 6, 6}, []int{4, 3, 1, 1}},
	{"conv 11x11 stride 4 pad 1", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 4, 1) }, []int{1, 1, 30, 30}, []int{2, 1, 11, 11}},
	{"avgpool 2", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.AvgPool2d(ctx, x, 2, 2, 0) }, []int{2, 3, 8, 8}, []int{1}},
	{"avgpool 3 stride 2 pad 1", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.AvgPool2d(ctx, x, 3, 2, 1) }, []int{2, 3, 7, 7}, []int{1}},
	{"maxpool 2", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 2, 2, 0) }, []int{2, 3, 8, 8}, []int{1}},
	{"maxpool 3 stride 1 pad 1", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 3, 1, 1) }, []int{2, 3, 6, 6}, []int{1}},
	{"maxpool 3 stride 2", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 3, 2, 0) }, []int{2, 3, 9, 9}, []int{1}},
	{"maxpool 3 stride 2 pad 1", func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 3, 2, 1) }, []int{1, 2, 8, 8}, []int{1}},
}

// TestPortableMatchesNativeForward compares the two implementations' forward values on the
// pure-Go backend, which runs the native ops forward (it cannot differentiate them).
func TestPortableMatchesNativeForward(t *testing.T) {
	backend := testBackend(t)
	tests := implCases
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, k := randTensor(3, tc.xDims...), randTensor(4, tc.kDims...)
			run := func(impl string) []float64 {
				ctx := ctxWithImpl(impl)
				out := graph.MustExecOnce(backend, func(x, k *graph.Node) *graph.Node { return tc.op(ctx, x, k) }, x, k)
				return flat(out)
			}
			assertClose(t, tc.name, run("portable"), run("native"), 1e-9)
		})
	}
}

// TestPortableGradientsFiniteDifferences checks the portable path's gradients against
// central finite differences, in float64.
func TestPortableGradientsFiniteDifferences(t *testing.T) {
	backend := testBackend(t)
	ctx := ctxWithImpl("portable")
	tests := []struct {
		name         string
		op           func(x, k *graph.Node) *graph.Node
		xDims, kDims []int
	}{
		{"conv 3x3 pad 1", func(x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 1, 1) }, []int{2, 2, 5, 5}, []int{3, 2, 3, 3}},
		{"conv 3x3 stride 2 pad 1", func(x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 2, 1) }, []int{1, 2, 6, 6}, []int{2, 2, 3, 3}},
		{"conv 1x1", func(x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 1, 0) }, []int{2, 3, 3, 3}, []int{2, 3, 1, 1}},
		{"avgpool 2", func(x, _ *graph.Node) *graph.Node { return functional.AvgPool2d(ctx, x, 2, 2, 0) }, []int{1, 2, 4, 4}, []int{1}},
		{"avgpool 3 stride 2 pad 1", func(x, _ *graph.Node) *graph.Node { return functional.AvgPool2d(ctx, x, 3, 2, 1) }, []int{1, 2, 5, 5}, []int{1}},
		{"maxpool 3 stride 1 pad 1", func(x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 3, 1, 1) }, []int{1, 2, 4, 4}, []int{1}},
		{"maxpool 2", func(x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 2, 2, 0) }, []int{1, 2, 4, 4}, []int{1}},
		{"linear", func(x, k *graph.Node) *graph.Node { return functional.Linear(x, k, nil) }, []int{3, 4}, []int{2, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, k := randTensor(5, tc.xDims...), randTensor(6, tc.kDims...)
			weights := randTensor(7, 256)
			lossOf := func(x, k *graph.Node) *graph.Node {
				out := tc.op(x, k)
				w := graph.Slice(graph.Const(x.Graph(), weights), graph.AxisRange(0, out.Shape().Size()))
				return graph.ReduceAllSum(graph.Mul(graph.Reshape(out, -1), w))
			}
			grads := graph.MustExecOnceN(backend, func(x, k *graph.Node) []*graph.Node {
				return graph.Gradient(lossOf(x, k), x, k)
			}, x, k)
			lossExec := graph.MustNewExec(backend, lossOf)
			eval := func(xv, kv []float64) float64 {
				out := lossExec.MustExec(tensors.FromFlatDataAndDimensions(xv, tc.xDims...), tensors.FromFlatDataAndDimensions(kv, tc.kDims...))
				return tensors.ToScalar[float64](out[0])
			}
			const h = 1e-6
			for which, inputs := range [][]float64{flat(x), flat(k)} {
				if which == 1 && len(tc.kDims) == 1 {
					continue // pooling has no kernel
				}
				numeric := make([]float64, len(inputs))
				for i := range inputs {
					orig := inputs[i]
					inputs[i] = orig + h
					var plus, minus float64
					if which == 0 {
						plus = eval(inputs, flat(k))
					} else {
						plus = eval(flat(x), inputs)
					}
					inputs[i] = orig - h
					if which == 0 {
						minus = eval(inputs, flat(k))
					} else {
						minus = eval(flat(x), inputs)
					}
					inputs[i] = orig
					numeric[i] = (plus - minus) / (2 * h)
				}
				assertClose(t, []string{"dL/dx", "dL/dkernel"}[which], flat(grads[which]), numeric, 1e-5)
			}
		})
	}
}

func sqrt(x float64) float64 { return math.Sqrt(x) }

// TestPortableMaxPoolLowDTypes: max pooling pads with each dtype's own lowest finite value,
// so very negative inputs still win over the padding (bfloat16 reaches -3.39e38).
func TestPortableMaxPoolLowDTypes(t *testing.T) {
	backend := testBackend(t)
	x := randTensor(3, 1, 1, 4, 4)
	for _, dtype := range []dtypes.DType{dtypes.BFloat16, dtypes.Float32} {
		t.Run(dtype.String(), func(t *testing.T) {
			run := func(impl string) []float64 {
				ctx := ctxWithImpl(impl)
				return flat(graph.MustExecOnce(backend, func(x *graph.Node) *graph.Node {
					low := graph.ConvertDType(graph.AddScalar(graph.MulScalar(x, 1000), -1e6), dtype)
					return graph.ConvertDType(functional.MaxPool2d(ctx, low, 3, 1, 1), dtypes.Float64)
				}, x))
			}
			assertClose(t, "max pool of values near -1e6", run("portable"), run("native"), 0)
		})
	}
}

// TestWindowsThatDoNotFit: windows larger than the padded input, and pooling padded by more
// than half its window (which PyTorch refuses), fail with a message naming the layer.
func TestWindowsThatDoNotFit(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name, want string
		op         func(ctx *context.Context, x, k *graph.Node) *graph.Node
		xDims      []int
		kDims      []int
	}{
		{"conv kernel larger than input", "Conv2d with a 5×5 window",
			func(ctx *context.Context, x, k *graph.Node) *graph.Node { return functional.Conv2d(ctx, x, k, 2, 0) }, []int{1, 1, 4, 4}, []int{1, 1, 5, 5}},
		{"maxpool padding over half", "MaxPool2d padding 1 is more than half",
			func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.MaxPool2d(ctx, x, 1, 1, 1) }, []int{1, 1, 4, 4}, []int{1}},
		{"avgpool window larger than input", "AvgPool2d with a 3×3 window",
			func(ctx *context.Context, x, _ *graph.Node) *graph.Node { return functional.AvgPool2d(ctx, x, 3, 3, 0) }, []int{1, 1, 2, 2}, []int{1}},
	}
	for _, tc := range tests {
		for _, impl := range []string{"portable", "native"} {
			t.Run(tc.name+"/"+impl, func(t *testing.T) {
				ctx := ctxWithImpl(impl)
				err := tryBuild(func() {
					graph.MustExecOnce(backend, func(x, k *graph.Node) *graph.Node { return tc.op(ctx, x, k) },
						randTensor(1, tc.xDims...), randTensor(2, tc.kDims...))
				})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got error %v, want one containing %q", err, tc.want)
				}
			})
		}
	}
}
