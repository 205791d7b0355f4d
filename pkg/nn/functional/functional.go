// Package functional holds the computations on graph nodes that the layers of pkg/nn are
// made of, as torch.nn.functional holds PyTorch's: functions that take nodes (and, where an
// implementation is chosen or a variable kept, the context) and return nodes. They have no
// weights of their own; the layers in pkg/nn create the weights and call these.
//
//	nn.Conv2d(1, 6, 5)                               ->  functional.Conv2d(ctx, x, kernel, 1, 0)
//	nn.MaxPool2d(3, 2, 1)                            ->  functional.MaxPool2d(ctx, x, 3, 2, 1)
//	nn.AvgPool2d(2, 2)                               ->  functional.AvgPool2d(ctx, x, 2, 2, 0)
//	nn.AdaptiveAvgPool2d()                           ->  functional.GlobalAvgPool2d(x)
//	nn.Linear(in, out)                               ->  functional.Linear(x, weight, bias)
//	nn.ReLU()                                        ->  functional.ReLU(x)
//	nn.BatchNorm2d(c), nn.BatchNorm1d(c)             ->  functional.BatchNorm(ctx, x, eps, momentum)
//
// PyTorch's names are lower case (F.conv2d); Go exports capitalized names, and the package
// name tells a function from a layer.
//
// Convolution and pooling come in two implementations (see Impl): GoMLX's native ops, and a
// portable version built from strided slices and matrix products that every backend can
// differentiate. The portable version's gradients rely on the gradient rules for Slice and
// DotGeneral that internal/gomlxpatch installs; this package imports it.
package functional

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Impl selects how convolution and pooling are computed. (Batch norm is always written from
// its formulas, which every backend can differentiate; see nn.BatchNormLayer.Library.)
type Impl int

const (
	// Auto picks Native when the backend can differentiate the native ops, else Portable.
	Auto Impl = iota
	// Native uses GoMLX's graph.ConvGeneral, ReduceWindow and batch-norm ops: fast on XLA (CPU or GPU),
	// but their gradients need ops (Reverse, Pad, SelectAndScatter) that the pure-Go backend lacks.
	Native
	// Portable builds everything from ops that every backend runs forward and backward:
	// windows cut out with strided slices, then one matrix product (graph.DotGeneral) for a
	// convolution, or a running max or sum for pooling.
	Portable
)

// String returns "auto", "native" or "portable".
func (i Impl) String() string {
	switch i {
	case Native:
		return "native"
	case Portable:
		return "portable"
	default:
		return "auto"
	}
}

// ParamImpl is the context hyperparameter that forces an implementation: "auto" (the default),
// "native" or "portable". Learners never need it; tests use it to compare the two.
const ParamImpl = "nn_impl"

// nativeGradientOps are the ops GoMLX's gradients of convolution and pooling emit.
var nativeGradientOps = []backends.OpType{
	backends.OpTypeConvGeneral, backends.OpTypeReverse, backends.OpTypePad,
	backends.OpTypeReduceWindow, backends.OpTypeSelectAndScatterMax,
}

// implFor resolves the implementation for graph g: the context's ParamImpl if set, else what
// the backend can do.
func implFor(ctx *context.Context, g *graph.Graph) Impl {
	if ctx != nil {
		switch context.GetParamOr(ctx, ParamImpl, "auto") {
		case "native":
			return Native
		case "portable":
			return Portable
		}
	}
	return BackendImpl(g.Backend())
}

// BackendImpl reports which implementation Auto picks on a backend.
func BackendImpl(b backends.Backend) Impl {
	ops := b.Capabilities().Operations
	for _, op := range nativeGradientOps {
		if !ops[op] {
			return Portable
		}
	}
	return Native
}

// outSize is the output length of a window of size k, stride s, padding p over n.
func outSize(n, k, s, p int) int { return (n+2*p-k)/s + 1 }

// padSpatial pads the two spatial axes of x [B,C,H,W] with p elements of value on each side.
func padSpatial(x *graph.Node, p int, value float64) *graph.Node {
	if p == 0 {
		return x
	}
	for _, axis := range []int{3, 2} {
		dims := slices.Clone(x.Shape().Dimensions)
		dims[axis] = p
		border := graph.BroadcastToDims(scalarLike(x, value), dims...)
		x = graph.Concatenate([]*graph.Node{border, x, border}, axis)
	}
	return x
}

// shiftedAlong returns the k views of x, one per window offset along axis, each taking n
// elements stride apart: view i's element j is element j*stride+i. They are strided Slices,
// which every backend differentiates (see the Slice gradient rule in internal/gomlxpatch).
func shiftedAlong(x *graph.Node, axis, k, stride, n int) []*graph.Node {
	views := make([]*graph.Node, k)
	for i := range views {
		views[i] = graph.SliceAxis(x, axis, graph.AxisRange(i, i+(n-1)*stride+1).Stride(stride))
	}
	return views
}

// im2col lays out the kh×kw windows of x [B,C,H,W] into [B, C*KH*KW, Ho*Wo], rows ordered
// (channel, ky, kx) like a kernel [O,C,KH,KW] flattened to [O, C*KH*KW].
func im2col(x *graph.Node, kh, kw, stride, padding int) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1], d[2], d[3]
	ho, wo := outSize(h, kh, stride, padding), outSize(w, kw, stride, padding)
	xp := padSpatial(x, padding, 0)
	views := make([]*graph.Node, 0, kh*kw)
	for ky := range kh {
		for kx := range kw {
			// The window's (ky, kx) element at every output position: a strided Slice,
			// which every backend differentiates (see the Slice gradient rule in internal/gomlxpatch).
			v := graph.Slice(xp, graph.AxisRange(), graph.AxisRange(),
				graph.AxisRange(ky, ky+(ho-1)*stride+1).Stride(stride),
				graph.AxisRange(kx, kx+(wo-1)*stride+1).Stride(stride))
			views = append(views, graph.Reshape(v, b, c, 1, ho*wo))
		}
	}
	return graph.Reshape(graph.Concatenate(views, 2), b, c*kh*kw, ho*wo)
}

// Conv2d convolves x [B,C,H,W] with kernel [O,C,KH,KW] (PyTorch's layout), stride and zero
// padding equal on both spatial axes, and returns [B,O,Ho,Wo]. It picks the implementation
// with implFor.
func Conv2d(ctx *context.Context, x, kernel *graph.Node, stride, padding int) *graph.Node {
	mustRank("Conv2d", x, 4, "N,C,H,W")
	kd := kernel.Shape().Dimensions
	if x.Shape().Dimensions[1] != kd[1] {
		panic(fmt.Errorf("functional: Conv2d expects %d input channels, got input of shape %s (N,C,H,W)", kd[1], x.Shape()))
	}
	mustFitWindow("Conv2d", x, kd[2], kd[3], stride, padding)
	if implFor(ctx, x.Graph()) == Native {
		return conv2dNative(x, kernel, stride, padding)
	}
	return conv2dPortable(x, kernel, stride, padding)
}

func conv2dNative(x, kernel *graph.Node, stride, padding int) *graph.Node {
	axes := graph.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	return graph.ConvGeneral(x, kernel, axes, []int{stride, stride},
		[][2]int{{padding, padding}, {padding, padding}}, nil, nil, 1, 1)
}

// conv2dPortable is convolution as im2col: every window becomes a column (see im2col),
// then one matrix product with the kernel flattened to [O, C*KH*KW].
//
// How the product is laid out matters on the pure-Go backend, whose matrix product works
// in 32×32 blocks: with few output channels (LeNet's 6 and 16) most of each block would be
// padding, so the product is done per image (a batch axis, which it also spreads over the
// cores); with 32 or more, one large product over all images is faster. (Measured with
// BenchmarkLeNetTrainStep and BenchmarkTrashNetTrainStep; see README.)
func conv2dPortable(x, kernel *graph.Node, stride, padding int) *graph.Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	b, h, w := xd[0], xd[2], xd[3]
	o, c, kh, kw := kd[0], kd[1], kd[2], kd[3]
	ho, wo := outSize(h, kh, stride, padding), outSize(w, kw, stride, padding)
	var patches *graph.Node // [B, C*KH*KW, Ho*Wo]
	if kh == 1 && kw == 1 && padding == 0 && stride == 1 {
		patches = graph.Reshape(x, b, c, h*w)
	} else {
		patches = im2col(x, kh, kw, stride, padding)
	}
	k2 := graph.Reshape(kernel, o, c*kh*kw)
	var out *graph.Node // [B, O, Ho*Wo]
	if o < matmulBlock {
		perImage := graph.BroadcastToDims(graph.InsertAxes(k2, 0), b, o, c*kh*kw)
		out = graph.DotGeneral(perImage, []int{2}, []int{0}, patches, []int{1}, []int{0})
	} else {
		out = graph.TransposeAllAxes(graph.DotGeneral(k2, []int{1}, nil, patches, []int{1}, nil), 1, 0, 2)
	}
	return graph.Reshape(out, b, o, ho, wo)
}

// matmulBlock is the block size of the pure-Go backend's large matrix products (float32).
const matmulBlock = 32

// MaxPool2d is max pooling over k×k windows of x [B,C,H,W] with the given stride and padding
// (padding counts as -inf, as in PyTorch).
func MaxPool2d(ctx *context.Context, x *graph.Node, k, stride, padding int) *graph.Node {
	mustRank("MaxPool2d", x, 4, "N,C,H,W")
	mustFitPool("MaxPool2d", x, k, stride, padding)
	if implFor(ctx, x.Graph()) == Native {
		return graph.MaxPool(x).ChannelsAxis(images.ChannelsFirst).Window(k).Strides(stride).
			PaddingPerDim([][2]int{{padding, padding}, {padding, padding}}).Done()
	}
	return pool2dPortable(x, k, stride, padding, true)
}

// AvgPool2d is average pooling over k×k windows of x [B,C,H,W]; padding counts as zeros and
// the divisor is always k*k (PyTorch's count_include_pad=True).
func AvgPool2d(ctx *context.Context, x *graph.Node, k, stride, padding int) *graph.Node {
	mustRank("AvgPool2d", x, 4, "N,C,H,W")
	mustFitPool("AvgPool2d", x, k, stride, padding)
	d := x.Shape().Dimensions
	if k == stride && padding == 0 && d[2]%k == 0 && d[3]%k == 0 {
		// Windows that tile the image (LeNet's 2×2, stride 2): a reshape and
		// a sum on every backend, whose gradient is a broadcast, where
		// ReduceWindow's gradient pads the gradient with zeros between its
		// values and sums windows of that.
		return pool2dPortable(x, k, stride, padding, false)
	}
	if implFor(ctx, x.Graph()) == Native {
		sum := graph.SumPool(x).ChannelsAxis(images.ChannelsFirst).Window(k).Strides(stride).
			PaddingPerDim([][2]int{{padding, padding}, {padding, padding}}).Done()
		return graph.DivScalar(sum, float64(k*k))
	}
	return pool2dPortable(x, k, stride, padding, false)
}

func pool2dPortable(x *graph.Node, k, stride, padding int, isMax bool) *graph.Node {
	d := x.Shape().Dimensions
	b, c, h, w := d[0], d[1], d[2], d[3]
	ho, wo := outSize(h, k, stride, padding), outSize(w, k, stride, padding)
	if k == stride && padding == 0 && h%k == 0 && w%k == 0 {
		// Non-overlapping windows that tile the image: a reshape exposes them as axes.
		windows := graph.Reshape(x, b, c, ho, k, wo, k)
		if isMax {
			return graph.ReduceMax(windows, 3, 5)
		}
		return graph.DivScalar(graph.ReduceSum(windows, 3, 5), float64(k*k))
	}
	// A k×k window is a k-wide window along the width, then a k-tall one along the height:
	// each pass combines k strided slices (max or sum). Max pooling pads with the lowest
	// finite value rather than -inf, whose differences would make the gradient NaN; PyTorch
	// keeps padding under half the window, so padding never wins.
	padValue, combine := 0.0, graph.Add
	if isMax {
		padValue, combine = lowestFinite(x.DType()), graph.Max
	}
	xp := padSpatial(x, padding, padValue)
	reduce := func(views []*graph.Node) *graph.Node {
		out := views[0]
		for _, v := range views[1:] {
			out = combine(out, v)
		}
		return out
	}
	// Along the width: [B,C,Hp,Wo]; then along the height: [B,C,Ho,Wo].
	rows := reduce(shiftedAlong(xp, 3, k, stride, wo))
	pooled := reduce(shiftedAlong(rows, 2, k, stride, ho))
	if isMax {
		return pooled
	}
	return graph.DivScalar(pooled, float64(k*k)) // count_include_pad=True
}

// lowestFinite is the most negative finite value of a float dtype.
func lowestFinite(dtype dtypes.DType) float64 {
	switch dtype {
	case dtypes.Float64:
		return -math.MaxFloat64
	case dtypes.Float32:
		return -math.MaxFloat32
	case dtypes.BFloat16:
		return -0x1.fep127 // (2 - 2⁻⁷)·2¹²⁷
	default: // float16
		return -65504
	}
}

// mustFitWindow panics with a message naming the layer when a kh×kw window with this
// padding does not fit in x [B,C,H,W] (PyTorch refuses it too).
func mustFitWindow(layer string, x *graph.Node, kh, kw, stride, padding int) {
	d := x.Shape().Dimensions
	if stride < 1 || padding < 0 || d[2]+2*padding < kh || d[3]+2*padding < kw {
		panic(fmt.Errorf("functional: %s with a %d×%d window, stride %d and padding %d does not fit input of shape %s (N,C,H,W)",
			layer, kh, kw, stride, padding, x.Shape()))
	}
}

// mustFitPool is mustFitWindow plus PyTorch's rule for pooling: padding at most half the
// window, so that no window is all padding.
func mustFitPool(layer string, x *graph.Node, k, stride, padding int) {
	mustFitWindow(layer, x, k, k, stride, padding)
	if 2*padding > k {
		panic(fmt.Errorf("functional: %s padding %d is more than half the window size %d", layer, padding, k))
	}
}

// GlobalAvgPool2d averages each channel of x [B,C,H,W] to [B,C,1,1]: PyTorch's
// AdaptiveAvgPool2d((1, 1)).
func GlobalAvgPool2d(x *graph.Node) *graph.Node {
	mustRank("AdaptiveAvgPool2d", x, 4, "N,C,H,W")
	return graph.ReduceAndKeep(x, graph.ReduceMean, 2, 3)
}

// Linear computes x [B,in] · weightᵀ + bias with weight [out,in] (PyTorch's layout).
func Linear(x, weight, bias *graph.Node) *graph.Node {
	mustRank("Linear", x, 2, "N,features")
	in := weight.Shape().Dimensions[1]
	if x.Shape().Dimensions[1] != in {
		panic(fmt.Errorf("functional: Linear expects %d input features, got input of shape %s", in, x.Shape()))
	}
	y := graph.DotGeneral(x, []int{1}, nil, weight, []int{1}, nil)
	if bias != nil {
		y = graph.Add(y, graph.InsertAxes(bias, 0))
	}
	return y
}

// scalarLike is a small helper for scalar constants of x's dtype.
func scalarLike(x *graph.Node, v float64) *graph.Node { return graph.Scalar(x.Graph(), x.DType(), v) }

// ReLU is max(x, 0), F.relu in PyTorch.
func ReLU(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) }

// mustRank panics with a clear message naming the layer when x has the wrong rank.
func mustRank(layer string, x *graph.Node, rank int, want string) {
	if x.Rank() != rank {
		panic(fmt.Errorf("functional: %s expects input of rank %d (%s), got shape %s", layer, rank, want, x.Shape()))
	}
}
