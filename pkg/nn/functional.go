package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Impl selects how convolution and pooling are computed. (Batch norm is always written from
// its formulas, which every backend can differentiate; see BatchNormLayer.Library.)
type Impl int

const (
	// Auto picks Native when the backend can differentiate the native ops, else Portable.
	Auto Impl = iota
	// Native uses GoMLX's graph.ConvGeneral, ReduceWindow and batch-norm ops: fast on XLA (CPU or GPU),
	// but their gradients need ops (Reverse, Pad, SelectAndScatter) that the pure-Go backend lacks.
	Native
	// Portable builds everything from ops that every backend runs forward and backward:
	// patches gathered by index, then one matrix product (graph.DotGeneral).
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

// patchIndices returns, for x of shape [B,C,H,W] flattened, the flat index of every element of
// every k×k window (stride s, padding p), shaped [B, Ho*Wo, C*k*k] when channelsInPatch, or
// [B, C, Ho*Wo, k*k] otherwise. Positions in the padding point at index B*C*H*W: one extra
// element the caller appends (0 for convolution, -inf for max pooling).
func patchIndices(b, c, h, w, kh, kw, s, p int, channelsInPatch bool) *tensors.Tensor {
	ho, wo := outSize(h, kh, s, p), outSize(w, kw, s, p)
	pad := int32(b * c * h * w)
	idx := make([]int32, 0, b*c*ho*wo*kh*kw)
	at := func(bi, ci, y, x int) int32 {
		if y < 0 || y >= h || x < 0 || x >= w {
			return pad
		}
		return int32(((bi*c+ci)*h+y)*w + x)
	}
	for bi := range b {
		if channelsInPatch {
			for oy := range ho {
				for ox := range wo {
					for ci := range c {
						for ky := range kh {
							for kx := range kw {
								idx = append(idx, at(bi, ci, oy*s-p+ky, ox*s-p+kx))
							}
						}
					}
				}
			}
			continue
		}
		for ci := range c {
			for oy := range ho {
				for ox := range wo {
					for ky := range kh {
						for kx := range kw {
							idx = append(idx, at(bi, ci, oy*s-p+ky, ox*s-p+kx))
						}
					}
				}
			}
		}
	}
	// Indices stay [N, 1]: GoMLX v0.26.0's shape inference rejects an index-vector axis
	// beyond the operand's rank, so the caller reshapes the gathered values instead.
	return tensors.FromFlatDataAndDimensions(idx, len(idx), 1)
}

// gatherPatches gathers the k×k windows of x [B,C,H,W] (see patchIndices), with padValue
// in the padding.
func gatherPatches(x *graph.Node, kh, kw, stride, padding int, padValue float64, channelsInPatch bool) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, c, h, w := dims[0], dims[1], dims[2], dims[3]
	flat := graph.Reshape(x, b*c*h*w)
	if padding > 0 {
		// One extra element that every padding position reads.
		flat = graph.Concatenate([]*graph.Node{flat, graph.Reshape(scalarLike(x, padValue), 1)}, 0)
	}
	indices := graph.Const(g, patchIndices(b, c, h, w, kh, kw, stride, padding, channelsInPatch))
	ho, wo := outSize(h, kh, stride, padding), outSize(w, kw, stride, padding)
	if channelsInPatch {
		return graph.Reshape(graph.Gather(flat, indices), b, ho*wo, c*kh*kw)
	}
	return graph.Reshape(graph.Gather(flat, indices), b, c, ho*wo, kh*kw)
}

// Conv2D convolves x [B,C,H,W] with kernel [O,C,KH,KW] (PyTorch's layout), stride and zero
// padding equal on both spatial axes, and returns [B,O,Ho,Wo]. It picks the implementation
// with implFor.
func Conv2D(ctx *context.Context, x, kernel *graph.Node, stride, padding int) *graph.Node {
	mustRank("Conv2d", x, 4, "N,C,H,W")
	kd := kernel.Shape().Dimensions
	if x.Shape().Dimensions[1] != kd[1] {
		panic(fmt.Errorf("nn: Conv2d expects %d input channels, got input of shape %s (N,C,H,W)", kd[1], x.Shape()))
	}
	if implFor(ctx, x.Graph()) == Native {
		return conv2DNative(x, kernel, stride, padding)
	}
	return conv2DPortable(x, kernel, stride, padding)
}

func conv2DNative(x, kernel *graph.Node, stride, padding int) *graph.Node {
	axes := graph.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	return graph.ConvGeneral(x, kernel, axes, []int{stride, stride},
		[][2]int{{padding, padding}, {padding, padding}}, nil, nil, 1, 1)
}

// conv2DPortable is convolution as im2col: gather every window into a row, then one matrix
// product with the kernel flattened to [O, C*KH*KW].
func conv2DPortable(x, kernel *graph.Node, stride, padding int) *graph.Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	b, h, w := xd[0], xd[2], xd[3]
	o, c, kh, kw := kd[0], kd[1], kd[2], kd[3]
	ho, wo := outSize(h, kh, stride, padding), outSize(w, kw, stride, padding)
	var patches *graph.Node // [B, Ho*Wo, C*KH*KW]
	if kh == 1 && kw == 1 && padding == 0 && stride == 1 {
		// A 1×1 convolution needs no windows: move channels last.
		patches = graph.Reshape(graph.TransposeAllAxes(x, 0, 2, 3, 1), b, ho*wo, c)
	} else {
		patches = gatherPatches(x, kh, kw, stride, padding, 0, true)
	}
	out := graph.DotGeneral(patches, []int{2}, nil, graph.Reshape(kernel, o, c*kh*kw), []int{1}, nil) // [B, P, O]
	out = graph.TransposeAllAxes(out, 0, 2, 1)                                                        // [B, O, P]
	return graph.Reshape(out, b, o, ho, wo)
}

// MaxPool2D is max pooling over k×k windows of x [B,C,H,W] with the given stride and padding
// (padding counts as -inf, as in PyTorch).
func MaxPool2D(ctx *context.Context, x *graph.Node, k, stride, padding int) *graph.Node {
	mustRank("MaxPool2d", x, 4, "N,C,H,W")
	if implFor(ctx, x.Graph()) == Native {
		return graph.MaxPool(x).ChannelsAxis(images.ChannelsFirst).Window(k).Strides(stride).
			PaddingPerDim([][2]int{{padding, padding}, {padding, padding}}).Done()
	}
	return pool2DPortable(x, k, stride, padding, true)
}

// AvgPool2D is average pooling over k×k windows of x [B,C,H,W]; padding counts as zeros and
// the divisor is always k*k (PyTorch's count_include_pad=True).
func AvgPool2D(ctx *context.Context, x *graph.Node, k, stride, padding int) *graph.Node {
	mustRank("AvgPool2d", x, 4, "N,C,H,W")
	if implFor(ctx, x.Graph()) == Native {
		sum := graph.SumPool(x).ChannelsAxis(images.ChannelsFirst).Window(k).Strides(stride).
			PaddingPerDim([][2]int{{padding, padding}, {padding, padding}}).Done()
		return graph.DivScalar(sum, float64(k*k))
	}
	return pool2DPortable(x, k, stride, padding, false)
}

func pool2DPortable(x *graph.Node, k, stride, padding int, isMax bool) *graph.Node {
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
	padValue := 0.0
	if isMax {
		padValue = math.Inf(-1)
	}
	patches := gatherPatches(x, k, k, stride, padding, padValue, false) // [B, C, P, K*K]
	var pooled *graph.Node
	if isMax {
		pooled = graph.ReduceMax(patches, 3)
	} else {
		pooled = graph.DivScalar(graph.ReduceSum(patches, 3), float64(k*k))
	}
	return graph.Reshape(pooled, b, c, ho, wo)
}

// GlobalAvgPool2D averages each channel of x [B,C,H,W] to [B,C,1,1]: PyTorch's
// AdaptiveAvgPool2d((1, 1)).
func GlobalAvgPool2D(x *graph.Node) *graph.Node {
	mustRank("AdaptiveAvgPool2d", x, 4, "N,C,H,W")
	return graph.ReduceAndKeep(x, graph.ReduceMean, 2, 3)
}

// LinearOp computes x [B,in] · weightᵀ + bias with weight [out,in] (PyTorch's layout).
func LinearOp(x, weight, bias *graph.Node) *graph.Node {
	mustRank("Linear", x, 2, "N,features")
	in := weight.Shape().Dimensions[1]
	if x.Shape().Dimensions[1] != in {
		panic(fmt.Errorf("nn: Linear expects %d input features, got input of shape %s", in, x.Shape()))
	}
	y := graph.DotGeneral(x, []int{1}, nil, weight, []int{1}, nil)
	if bias != nil {
		y = graph.Add(y, graph.InsertAxes(bias, 0))
	}
	return y
}

// scalarLike is a small helper for scalar constants of x's dtype.
func scalarLike(x *graph.Node, v float64) *graph.Node { return graph.Scalar(x.Graph(), x.DType(), v) }

// ReLUOp is max(x, 0), F.relu in PyTorch.
func ReLUOp(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) }
