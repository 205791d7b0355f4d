package gocpu

import (
	"fmt"
	"os"
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// node is one op of a graph as the fast path records it.
type node struct {
	id     int
	op     backends.OpType
	shape  shapes.Shape
	inputs []*node

	param    int                // Parameter: its position among the inputs
	constant any                // Constant: flat values (a copy)
	axes     []int              // Reduce*: axes; Transpose: permutation; BroadcastInDim: axes; Concatenate, Iota, ArgMinMax: [axis]
	starts   []int              // Slice
	limits   []int              // Slice
	strides  []int              // Slice
	dot      dotSpec            // DotGeneral
	isMin    bool               // ArgMinMax
	pads     []backends.PadAxis // Pad
}

// dotSpec holds DotGeneral's axes, normalized to non-negative values.
type dotSpec struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// Builder records the graph for the fast path while simplego's builder
// builds the same graph; the ops it returns are simplego's. Ops the fast
// path lacks are simply not recorded (they are forwarded by the embedded
// builder), and a graph that needs one is compiled by simplego.
type Builder struct {
	backends.Builder // simplego's builder: every op is built there too

	engine *Backend
	nodes  map[backends.Op]*node
	order  []*node // in creation order, which is topological
	params []*node
	// lacking names the first op a recorded graph could not take, for
	// diagnostics (Executable reports it).
	lacking string
}

var _ backends.Builder = (*Builder)(nil)

func newBuilder(engine *Backend, inner backends.Builder) *Builder {
	return &Builder{Builder: inner, engine: engine, nodes: make(map[backends.Op]*node)}
}

// supportedDTypes are the element types the fast path computes with.
var supportedDTypes = map[dtypes.DType]bool{
	dtypes.Float32: true, dtypes.Float64: true, dtypes.Int32: true, dtypes.Int64: true,
	dtypes.Uint8: true, dtypes.Bool: true,
}

// record adds the node for op (already built by simplego) when all its
// inputs are recorded and its types supported; fill sets its parameters.
func (b *Builder) record(op backends.Op, err error, kind backends.OpType, inputs []backends.Op, fill func(n *node)) (backends.Op, error) {
	if err != nil {
		return nil, err
	}
	ins := make([]*node, len(inputs))
	for i, in := range inputs {
		n, ok := b.nodes[in]
		if !ok {
			b.lack(kind, "an input computed off the fast path")
			return op, nil
		}
		if !supportedDTypes[n.shape.DType] {
			b.lack(kind, "input dtype "+n.shape.DType.String())
			return op, nil
		}
		ins[i] = n
	}
	shape, err := b.Builder.OpShape(op)
	if err != nil {
		return nil, err
	}
	if !supportedDTypes[shape.DType] {
		b.lack(kind, "dtype "+shape.DType.String())
		return op, nil
	}
	n := &node{id: len(b.order), op: kind, shape: shape, inputs: ins}
	if fill != nil {
		fill(n)
	}
	b.nodes[op] = n
	b.order = append(b.order, n)
	return op, nil
}

// recordElementwise records an element-wise op whose inputs each have the
// output's dimensions or a single element. An input whose size-1 axes are
// broadcast (allowed by GoMLX's shape rules) gets an explicit broadcast node
// of its own before the op, so that the kernels see only those two cases.
func (b *Builder) recordElementwise(op backends.Op, err error, kind backends.OpType, inputs ...backends.Op) (backends.Op, error) {
	op, err = b.record(op, err, kind, inputs, nil)
	n, ok := b.nodes[op]
	if err != nil || !ok {
		return op, err
	}
	var synth []*node
	for i, in := range n.inputs {
		if in.shape.Size() == 1 || slices.Equal(in.shape.Dimensions, n.shape.Dimensions) {
			continue
		}
		bs := shapes.Make(in.shape.DType, n.shape.Dimensions...)
		axes := make([]int, bs.Rank())
		for a := range axes {
			axes[a] = a
		}
		s := &node{op: backends.OpTypeBroadcastInDim, shape: bs, inputs: []*node{in}, axes: axes}
		synth = append(synth, s)
		n.inputs[i] = s
	}
	if len(synth) > 0 {
		b.order = append(b.order[:len(b.order)-1], append(synth, n)...)
		for i := len(b.order) - 1 - len(synth); i < len(b.order); i++ {
			b.order[i].id = i
		}
	}
	return op, nil
}

func (b *Builder) lack(kind backends.OpType, why string) {
	if b.lacking == "" {
		b.lacking = fmt.Sprintf("%s (%s)", kind, why)
	}
}

// Compile implements backends.Builder: our executable when every node that
// the outputs need is recorded, simplego's otherwise.
func (b *Builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	outs := make([]*node, len(outputs))
	fast := len(shardings) == 0
	for i, o := range outputs {
		n, ok := b.nodes[o]
		if !ok {
			fast = false
			break
		}
		outs[i] = n
	}
	if fast {
		if exec, err := compile(b, outs); err == nil {
			return exec, nil
		} else {
			b.lack(backends.OpTypeInvalid, err.Error())
		}
	}
	if os.Getenv(EnvTrace) != "" {
		why := b.lacking
		if why == "" {
			why = "an op outside the fast path"
		}
		fmt.Fprintf(os.Stderr, "gocpu: graph %q runs on simplego: %s\n", b.Name(), why)
	}
	return b.Builder.Compile(outputs, shardings)
}

// EnvTrace names the environment variable that, when set, makes the engine
// say on standard error which graphs run on simplego and why.
const EnvTrace = "JUANJI_GOCPU_TRACE"

// OnFastPath tells whether exec runs on this engine's own executor (false:
// on simplego, because its graph uses an op the fast path lacks).
func OnFastPath(exec backends.Executable) bool {
	_, ok := exec.(*Executable)
	return ok
}

// Parameter implements backends.Builder.
func (b *Builder) Parameter(name string, shape shapes.Shape, sharding *backends.ShardingSpec) (backends.Op, error) {
	op, err := b.Builder.Parameter(name, shape, sharding)
	out, err := b.record(op, err, backends.OpTypeParameter, nil, func(n *node) { n.param = len(b.params) })
	if n, ok := b.nodes[out]; ok && err == nil {
		b.params = append(b.params, n)
	} else if err == nil {
		// An unrecorded parameter shifts every later one: give up the fast path.
		b.params = append(b.params, nil)
	}
	return out, err
}

// Constant implements backends.Builder.
func (b *Builder) Constant(flat any, dims ...int) (backends.Op, error) {
	op, err := b.Builder.Constant(flat, dims...)
	return b.record(op, err, backends.OpTypeConstant, nil, func(n *node) {
		v := reflect.ValueOf(flat)
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		n.constant = c.Interface()
	})
}

// Identity implements backends.Builder.
func (b *Builder) Identity(x backends.Op) (backends.Op, error) {
	op, err := b.Builder.Identity(x)
	return b.record(op, err, backends.OpTypeIdentity, []backends.Op{x}, nil)
}

// Reshape implements backends.Builder.
func (b *Builder) Reshape(x backends.Op, dims ...int) (backends.Op, error) {
	op, err := b.Builder.Reshape(x, dims...)
	return b.record(op, err, backends.OpTypeReshape, []backends.Op{x}, nil)
}

// BroadcastInDim implements backends.Builder.
func (b *Builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	op, err := b.Builder.BroadcastInDim(x, outputShape, broadcastAxes)
	return b.record(op, err, backends.OpTypeBroadcastInDim, []backends.Op{x}, func(n *node) { n.axes = slices.Clone(broadcastAxes) })
}

// Transpose implements backends.Builder.
func (b *Builder) Transpose(x backends.Op, permutation ...int) (backends.Op, error) {
	op, err := b.Builder.Transpose(x, permutation...)
	return b.record(op, err, backends.OpTypeTranspose, []backends.Op{x}, func(n *node) { n.axes = slices.Clone(permutation) })
}

// Slice implements backends.Builder.
func (b *Builder) Slice(x backends.Op, starts, limits, strides []int) (backends.Op, error) {
	op, err := b.Builder.Slice(x, starts, limits, strides)
	return b.record(op, err, backends.OpTypeSlice, []backends.Op{x}, func(n *node) {
		n.starts, n.limits = slices.Clone(starts), slices.Clone(limits)
		n.strides = slices.Clone(strides)
		if len(n.strides) == 0 {
			n.strides = make([]int, len(starts))
			for i := range n.strides {
				n.strides[i] = 1
			}
		}
	})
}

// Concatenate implements backends.Builder.
func (b *Builder) Concatenate(axis int, operands ...backends.Op) (backends.Op, error) {
	op, err := b.Builder.Concatenate(axis, operands...)
	return b.record(op, err, backends.OpTypeConcatenate, operands, func(n *node) {
		if axis < 0 {
			axis += n.shape.Rank()
		}
		n.axes = []int{axis}
	})
}

// Pad implements backends.Builder.
func (b *Builder) Pad(x, fill backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	op, err := b.Builder.Pad(x, fill, axesConfig...)
	return b.record(op, err, backends.OpTypePad, []backends.Op{x, fill}, func(n *node) { n.pads = slices.Clone(axesConfig) })
}

// Iota implements backends.Builder.
func (b *Builder) Iota(shape shapes.Shape, iotaAxis int) (backends.Op, error) {
	op, err := b.Builder.Iota(shape, iotaAxis)
	return b.record(op, err, backends.OpTypeIota, nil, func(n *node) {
		if iotaAxis < 0 {
			iotaAxis += shape.Rank()
		}
		n.axes = []int{iotaAxis}
	})
}

// ConvertDType implements backends.Builder.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	op, err := b.Builder.ConvertDType(x, dtype)
	return b.record(op, err, backends.OpTypeConvertDType, []backends.Op{x}, nil)
}

// Where implements backends.Builder.
func (b *Builder) Where(cond, onTrue, onFalse backends.Op) (backends.Op, error) {
	op, err := b.Builder.Where(cond, onTrue, onFalse)
	return b.recordElementwise(op, err, backends.OpTypeWhere, cond, onTrue, onFalse)
}

// Clamp implements backends.Builder.
func (b *Builder) Clamp(lo, x, hi backends.Op) (backends.Op, error) {
	op, err := b.Builder.Clamp(lo, x, hi)
	return b.recordElementwise(op, err, backends.OpTypeClamp, lo, x, hi)
}

// DotGeneral implements backends.Builder.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op, rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	// simplego normalizes the axes in place: keep our own copies.
	spec := dotSpec{slices.Clone(lhsContractingAxes), slices.Clone(lhsBatchAxes), slices.Clone(rhsContractingAxes), slices.Clone(rhsBatchAxes)}
	op, err := b.Builder.DotGeneral(lhs, lhsContractingAxes, lhsBatchAxes, rhs, rhsContractingAxes, rhsBatchAxes)
	return b.record(op, err, backends.OpTypeDotGeneral, []backends.Op{lhs, rhs}, func(n *node) {
		l, r := b.nodes[lhs].shape.Rank(), b.nodes[rhs].shape.Rank()
		norm := func(axes []int, rank int) []int {
			for i, a := range axes {
				if a < 0 {
					axes[i] = a + rank
				}
			}
			return axes
		}
		n.dot = dotSpec{norm(spec.lhsContracting, l), norm(spec.lhsBatch, l), norm(spec.rhsContracting, r), norm(spec.rhsBatch, r)}
	})
}

// reduce records a reduction over axes (all axes when none are given).
func (b *Builder) reduce(kind backends.OpType, x backends.Op, axes []int, build func(backends.Op, ...int) (backends.Op, error)) (backends.Op, error) {
	op, err := build(x, axes...)
	return b.record(op, err, kind, []backends.Op{x}, func(n *node) {
		rank := b.nodes[x].shape.Rank()
		if len(axes) == 0 {
			n.axes = make([]int, rank)
			for i := range n.axes {
				n.axes[i] = i
			}
			return
		}
		n.axes = slices.Clone(axes)
		for i, a := range n.axes {
			if a < 0 {
				n.axes[i] = a + rank
			}
		}
		slices.Sort(n.axes)
	})
}

// ReduceSum implements backends.Builder.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceSum, x, axes, b.Builder.ReduceSum)
}

// ReduceMax implements backends.Builder.
func (b *Builder) ReduceMax(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMax, x, axes, b.Builder.ReduceMax)
}

// ReduceMin implements backends.Builder.
func (b *Builder) ReduceMin(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMin, x, axes, b.Builder.ReduceMin)
}

// ReduceProduct implements backends.Builder.
func (b *Builder) ReduceProduct(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceProduct, x, axes, b.Builder.ReduceProduct)
}

// ArgMinMax implements backends.Builder.
func (b *Builder) ArgMinMax(x backends.Op, axis int, outputDType dtypes.DType, isMin bool) (backends.Op, error) {
	op, err := b.Builder.ArgMinMax(x, axis, outputDType, isMin)
	return b.record(op, err, backends.OpTypeArgMinMax, []backends.Op{x}, func(n *node) {
		if axis < 0 {
			axis += b.nodes[x].shape.Rank()
		}
		n.axes, n.isMin = []int{axis}, isMin
	})
}
